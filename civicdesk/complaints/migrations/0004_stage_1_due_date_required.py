"""Every complaint has a stage 1 due date: the previous migration filled in the existing ones.
A migration of its own, so that on PostgreSQL the table is altered after the rows were written,
not in the same transaction."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_stage_1_due_date_kept"),
    ]

    operations = [
        migrations.AlterField(
            model_name="complaint",
            name="stage1_due_at",
            field=models.DateTimeField(help_text="When the stage 1 response was due."),
        ),
    ]
