"""The words of cases and notes as outside systems may read them, stored when they are written
(ADR 42). Existing rows are filled in batches, each its own short transaction, so that a large
council's cases are not locked for the length of the whole fill."""

from typing import Any

from django.db import migrations, models, transaction

from civicdesk.cases.public_words import public_words

BATCH = 500


def _fill(model: Any, *, source: str, target: str) -> None:
    last_id = 0
    while True:
        rows = list(
            model.objects.filter(pk__gt=last_id)
            .exclude(**{source: ""})
            .order_by("pk")
            .values_list("pk", source)[:BATCH]
        )
        if not rows:
            return
        changed = [model(pk=pk, **{target: public_words(text)}) for pk, text in rows]
        with transaction.atomic():
            model.objects.bulk_update(changed, [target])
        last_id = rows[-1][0]


def public_words_fill(apps: Any, schema_editor: Any) -> None:
    _fill(apps.get_model("cases", "Case"), source="description", target="public_description")
    _fill(apps.get_model("cases", "CaseNote"), source="body", target="public_body")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0006_case_newest_index")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="public_description",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.AddField(
            model_name="casenote",
            name="public_body",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.RunPython(public_words_fill, migrations.RunPython.noop, atomic=False),
    ]
