import uuid

from django.db import migrations, models


def give_each_its_own(apps, schema_editor):
    # A default on a new column is worked out once, so every existing row would share it.
    ExternalOrganisation = apps.get_model("referrals", "ExternalOrganisation")
    for organisation in ExternalOrganisation.objects.filter(public_id__isnull=True):
        organisation.public_id = uuid.uuid4()
        organisation.save(update_fields=["public_id"])


class Migration(migrations.Migration):
    dependencies = [("referrals", "0003_one_waiting_referral")]

    operations = [
        migrations.AddField(
            model_name="externalorganisation",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_each_its_own, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="externalorganisation",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
