from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_public_words")]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ("new", "assigned", "in_progress", "waiting", "reopened"))
                ),
                fields=["organisation", "team"],
                name="case_open",
            ),
        ),
    ]
