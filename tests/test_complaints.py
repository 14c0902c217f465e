"""Complaints: stage 1 and stage 2 with their own timescales, reasons, outcomes, remedies,
learning and Ombudsman referral, worked through the staff pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.complaints.models import Complaint, ComplaintReason, ComplaintTimescale
from civicdesk.core.models import AuditEvent
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role

from . import factories
from .conftest import london

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint_case(council, resident, actor):
    request_type = factories.RequestTypeFactory(
        organisation=council, key="complaint", name="Make a complaint", kind="complaint"
    )
    factories.QuestionFactory(request_type=request_type, key="what", label="What went wrong?")
    return case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="complaint",
            channel="email",
            customer=resident,
            answers={"what": "Nobody called me back"},
        ),
        actor=actor,
    )


@pytest.fixture
def reasons(council):
    return [
        ComplaintReason.objects.create(
            organisation=council, name="Delay", customer_experience=True
        ),
        ComplaintReason.objects.create(organisation=council, name="Policy"),
    ]


@pytest.fixture
def as_lead(staff_client, council, officer):
    lead = factories.StaffFactory(
        organisation=council, role=Role.TEAM_LEAD, teams=list(officer.teams.all())
    )
    return staff_client(lead)


def test_a_complaint_goes_through_both_stages_to_the_ombudsman(
    as_lead, complaint_case, reasons, council
):
    url = f"/staff/complaints/{complaint_case.reference}/"
    assert "Record the complaint" in as_lead.get(url).content.decode()
    refused = as_lead.post(f"{url}record/", {})
    assert refused.status_code == 400
    assert "Select at least one reason" in refused.content.decode()

    as_lead.post(f"{url}record/", {"reasons": [reasons[0].pk]})
    complaint = Complaint.objects.get()
    assert complaint.stage == 1
    # 10 working days from when the complaint came in.
    assert complaint.stage_due_at == council.calendar.add_working_days(complaint_case.opened_at, 10)

    no_remedy = as_lead.post(
        f"{url}respond/", {"outcome": "upheld", "response": "Sorry, we should have called."}
    )
    assert "Enter what we did to put things right" in no_remedy.content.decode()
    as_lead.post(
        f"{url}respond/",
        {
            "outcome": "partly_upheld",
            "response": "Sorry, we should have called.",
            "remedy": "Called the customer back",
            "learning": "Call-backs go in the queue",
        },
    )
    complaint.refresh_from_db()
    complaint_case.refresh_from_db()
    assert (complaint.stage1_outcome, complaint_case.status) == ("partly_upheld", "resolved")
    assert OutboxMessage.objects.filter(
        case=complaint_case, body__contains="Sorry, we should have called."
    ).exists()

    as_lead.post(f"{url}escalate/", {"reason": "Still no explanation"})
    complaint.refresh_from_db()
    complaint_case.refresh_from_db()
    assert (complaint.stage, complaint.responded_at, complaint_case.status) == (2, None, "reopened")
    early = as_lead.post(f"{url}ombudsman/", {"reference": "LGO-1"})
    assert early.status_code == 400

    as_lead.post(
        f"{url}respond/",
        {"outcome": "not_upheld", "response": "Our review found...", "learning": "Log call-backs"},
    )
    as_lead.post(f"{url}ombudsman/", {"reference": "LGO-1"})
    complaint.refresh_from_db()
    assert (complaint.stage2_outcome, complaint.ombudsman_reference) == ("not_upheld", "LGO-1")
    # Each stage keeps what it did and learned.
    assert (complaint.remedy, complaint.learning) == (
        "Called the customer back",
        "Call-backs go in the queue",
    )
    assert (complaint.stage2_remedy, complaint.stage2_learning) == ("", "Log call-backs")
    assert complaint.ombudsman_referred_at is not None


def test_stage_timescales_are_the_councils_own(as_lead, complaint_case, reasons, council):
    ComplaintTimescale.objects.create(organisation=council, stage=1, working_days=5)
    as_lead.post(
        f"/staff/complaints/{complaint_case.reference}/record/", {"reasons": [reasons[1].pk]}
    )
    complaint = Complaint.objects.get()
    # 5 working days from when the complaint came in.
    assert complaint.stage_due_at == council.calendar.add_working_days(complaint_case.opened_at, 5)


def test_the_complaints_list_shows_what_waits_and_the_reasons_trend(
    as_lead, complaint_case, reasons
):
    page = as_lead.get("/staff/complaints/").content.decode()
    assert complaint_case.reference in page and "New complaints to record" in page
    as_lead.post(
        f"/staff/complaints/{complaint_case.reference}/record/", {"reasons": [reasons[0].pk]}
    )
    page = as_lead.get("/staff/complaints/").content.decode()
    assert "Waiting for our response" in page and "Delay" in page


def test_a_request_that_is_not_a_complaint_has_no_complaint_page(
    as_lead, resident, council, missed_bin, actor
):
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            customer=resident,
            answers={"bin": "Recycling"},
        ),
        actor=actor,
    )
    assert as_lead.get(f"/staff/complaints/{case.reference}/").status_code == 404


def test_a_council_gets_a_starter_list_of_reasons_and_criteria_once(council):
    from civicdesk.complaints.services import complaint_reasons_starter
    from civicdesk.quality.services import quality_criteria_starter

    assert complaint_reasons_starter(organisation=council) > 0
    assert quality_criteria_starter(organisation=council) > 0
    assert complaint_reasons_starter(organisation=council) == 0
    assert quality_criteria_starter(organisation=council) == 0
    assert ComplaintReason.objects.filter(organisation=council, customer_experience=True).exists()


def test_the_case_falls_due_by_each_stages_timescale(as_lead, complaint_case, reasons, council):
    """Queues, the team lead's view and the charter sweep read the case's due date: it must be
    the complaint stage's, not the complaint service's own charter target."""
    url = f"/staff/complaints/{complaint_case.reference}/"
    as_lead.post(f"{url}record/", {"reasons": [reasons[0].pk]})
    complaint = Complaint.objects.get()
    complaint_case.refresh_from_db()
    stage_1_due = council.calendar.add_working_days(complaint_case.opened_at, 10)
    assert complaint_case.due_at == complaint.stage_due_at == stage_1_due
    assert "Stage 1 complaint" in complaint_case.target_summary

    as_lead.post(
        f"{url}respond/",
        {"outcome": "not_upheld", "response": "We found no fault.", "remedy": "", "learning": ""},
    )
    as_lead.post(f"{url}escalate/", {"reason": "Still unhappy"})
    complaint.refresh_from_db()
    complaint_case.refresh_from_db()
    stage_2_due = council.calendar.add_working_days(complaint.stage_started_at, 20)
    assert complaint_case.status == "reopened"
    assert complaint_case.due_at == complaint.stage_due_at == stage_2_due
    assert complaint_case.clock_state == "on_track"


@pytest.mark.django_db(transaction=True)
def test_complaints_already_at_stage_2_keep_their_stage_1_due_date_after_the_upgrade():
    """The upgrade fills in the stage 1 due date of complaints recorded before it was kept:
    from the case's audit trail, or else worked out again from the council's timescale."""
    executor = MigrationExecutor(connection)
    executor.migrate([("complaints", "0002_stage_2_remedy_and_learning")])
    old_apps = executor.loader.project_state(
        [("complaints", "0002_stage_2_remedy_and_learning")]
    ).apps
    OldComplaint = old_apps.get_model("complaints", "Complaint")
    council = factories.OrganisationFactory()
    ComplaintTimescale.objects.create(organisation=council, stage=1, working_days=5)
    opened = london(2026, 3, 2, 10)
    stage_2_due = london(2026, 5, 1, 17)

    def old_complaint(stage: int, due):
        case = factories.CaseFactory(organisation=council, kind="complaint", opened_at=opened)
        OldComplaint.objects.create(
            case_id=case.pk,
            organisation_id=council.pk,
            stage=stage,
            stage_started_at=opened,
            stage_due_at=due,
        )
        return case

    at_stage_1 = old_complaint(1, london(2026, 3, 9, 17))
    in_the_trail = old_complaint(2, stage_2_due)
    AuditEvent.objects.create(
        organisation=council,
        subject_type="case",
        subject_id=in_the_trail.pk,
        action="timescale_set",
        actor_label="Test",
        after={
            "due_at": london(2026, 3, 16, 17).isoformat(),
            "summary": "Stage 1 complaint: a response within 10 working days",
        },
        at=opened,
    )
    not_in_the_trail = old_complaint(2, stage_2_due)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    def stage_1_due(case):
        return Complaint.objects.get(case_id=case.pk).stage1_due_at

    assert stage_1_due(at_stage_1) == london(2026, 3, 9, 17)
    assert stage_1_due(in_the_trail) == london(2026, 3, 16, 17)
    # 5 working days, the council's own stage 1 timescale, from when the case was opened.
    assert stage_1_due(not_in_the_trail) == council.calendar.add_working_days(opened, 5)
    assert Complaint.objects.get(case_id=not_in_the_trail.pk).stage_due_at == stage_2_due
