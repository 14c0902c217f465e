"""Keep the stage 1 due date when a complaint goes to stage 2.

Until now a complaint kept one due date, its current stage's, so a complaint at stage 2 had lost
when its stage 1 response was due. (When the stage 1 response was sent has always been kept, in
stage1_responded_at.) Existing complaints are filled in from what the data still says:

- at stage 1, the current due date is stage 1's;
- at stage 2, the due date the case was given when stage 1 started, read from the case's audit
  trail (the "timescale_set" entry whose summary names stage 1);
- at stage 2 with no such entry (the complaint was recorded after its case had closed, so no
  timescale was set on the case, or the entry was cleared when a customer's data was erased),
  it is worked out again as complaint_record worked it out: the council's stage 1 working days
  (10 if it set none) from when the case was opened, on the council's working calendar. That is
  exact unless the council has changed its stage 1 timescale or its opening hours since; what
  they were before is not recorded anywhere, so that difference cannot be recovered.

The column becomes required in the next migration, once every row has a value.
"""

from datetime import datetime

from django.db import migrations, models
from django.db.models import F

from civicdesk.core.calendar import Nation, WorkingCalendar

STAGE_1_SUMMARY = "Stage 1 complaint"
DEFAULT_STAGE_1_WORKING_DAYS = 10
BATCH = 500


def keep_stage_1_due_dates(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    ComplaintTimescale = apps.get_model("complaints", "ComplaintTimescale")
    AuditEvent = apps.get_model("core", "AuditEvent")
    Complaint.objects.filter(stage=1).update(stage1_due_at=F("stage_due_at"))
    stage_1_days = dict(
        ComplaintTimescale.objects.filter(stage=1).values_list("organisation_id", "working_days")
    )
    escalated = list(
        Complaint.objects.filter(stage=2, stage1_due_at__isnull=True)
        .select_related("case", "organisation")
        .order_by("pk")
    )
    for start in range(0, len(escalated), BATCH):
        batch = escalated[start : start + BATCH]
        due_in_trail = _stage_1_due_in_trail(AuditEvent, [c.case_id for c in batch])
        for complaint in batch:
            complaint.stage1_due_at = due_in_trail.get(complaint.case_id) or _stage_1_due_again(
                complaint,
                stage_1_days.get(complaint.organisation_id, DEFAULT_STAGE_1_WORKING_DAYS),
            )
        Complaint.objects.bulk_update(batch, ["stage1_due_at"])


def _stage_1_due_in_trail(AuditEvent, case_ids: list[int]) -> dict[int, datetime]:
    found: dict[int, datetime] = {}
    entries = AuditEvent.objects.filter(
        subject_type="case", subject_id__in=case_ids, action="timescale_set"
    ).order_by("at", "pk")
    for entry in entries:
        summary, due = entry.after.get("summary"), entry.after.get("due_at")
        if (
            entry.subject_id not in found
            and isinstance(summary, str)
            and summary.startswith(STAGE_1_SUMMARY)
            and isinstance(due, str)
        ):
            try:
                found[entry.subject_id] = datetime.fromisoformat(due)
            except ValueError:
                continue
    return found


def _stage_1_due_again(complaint, working_days: int) -> datetime:
    organisation = complaint.organisation
    calendar = WorkingCalendar(
        nation=Nation(organisation.nation), opens=organisation.opens, closes=organisation.closes
    )
    return calendar.add_working_days(complaint.case.opened_at, working_days)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0002_stage_2_remedy_and_learning"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="stage1_due_at",
            field=models.DateTimeField(null=True, help_text="When the stage 1 response was due."),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="stage_due_at",
            field=models.DateTimeField(
                db_index=True, help_text="When the response at the current stage is due."
            ),
        ),
        migrations.RunPython(keep_stage_1_due_dates, migrations.RunPython.noop),
    ]
