"""Complaints insight against a hand-made set of complaints whose answers are worked out here."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.complaints.models import Complaint, ComplaintReason
from civicdesk.complaints.services import complaint_escalate, complaint_record, complaint_respond
from civicdesk.insight.selectors.common import Filters
from civicdesk.insight.selectors.complaints import (
    complaints_by_month,
    complaints_outcomes,
    complaints_reasons,
)
from civicdesk.organisations.choices import Role

from . import factories
from .conftest import london

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaints(council, missed_bin):
    delay = ComplaintReason.objects.create(
        organisation=council, name="Delay", customer_experience=True
    )
    attitude = ComplaintReason.objects.create(
        organisation=council, name="Staff attitude", customer_experience=True
    )
    missed = ComplaintReason.objects.create(
        organisation=council, name="Bin missed", customer_experience=False
    )

    def complaint(
        opened,
        reasons,
        *,
        stage1_due=None,
        stage1_answered=None,
        stage2_due=None,
        stage2_answered=None,
        outcome1="",
        outcome2="",
        ombudsman=None,
    ):
        case = factories.CaseFactory(
            organisation=council, request_type=missed_bin, kind="complaint", opened_at=opened
        )
        stage1_due = stage1_due or london(2026, 12, 31)
        record = Complaint.objects.create(
            case=case,
            organisation=council,
            about_service_area=missed_bin.service_area,
            stage=2 if stage2_due else 1,
            stage_started_at=opened,
            stage_due_at=stage2_due or stage1_due,
            stage1_due_at=stage1_due,
            responded_at=stage2_answered if stage2_due else stage1_answered,
            stage1_responded_at=stage1_answered,
            stage2_responded_at=stage2_answered,
            stage1_outcome=outcome1,
            stage2_outcome=outcome2,
            ombudsman_referred_at=ombudsman,
        )
        record.reasons.set(reasons)
        return record

    # October: one answered in time at stage 1 (upheld); one answered a year late at stage 1
    # (not upheld), then escalated, answered in time at stage 2 (partly upheld) and referred to
    # the Ombudsman.
    complaint(
        london(2026, 10, 5, 10),
        [delay, missed],
        stage1_due=london(2026, 10, 19),
        stage1_answered=london(2026, 10, 12),
        outcome1="upheld",
    )
    complaint(
        london(2026, 10, 20, 10),
        [attitude],
        stage1_due=london(2026, 11, 3),
        stage1_answered=london(2027, 11, 3),
        stage2_due=london(2027, 12, 2),
        stage2_answered=london(2027, 11, 20),
        outcome1="not_upheld",
        outcome2="partly_upheld",
        ombudsman=london(2027, 12, 10),
    )
    # November: two still waiting for an answer.
    complaint(london(2026, 11, 3, 10), [delay])
    complaint(london(2026, 11, 4, 10), [missed])
    # September, the period before: one about delay.
    complaint(london(2026, 9, 10, 10), [delay])
    # Another council's complaint never counts.
    other = factories.OrganisationFactory()
    other_reason = ComplaintReason.objects.create(
        organisation=other, name="Delay", customer_experience=True
    )
    case = factories.CaseFactory(
        organisation=other, kind="complaint", opened_at=london(2026, 10, 6, 9)
    )
    Complaint.objects.create(
        case=case,
        organisation=other,
        stage_started_at=case.opened_at,
        stage_due_at=case.opened_at,
        stage1_due_at=case.opened_at,
        stage1_responded_at=case.opened_at,
    ).reasons.set([other_reason])


def october_and_november(council) -> Filters:
    return Filters(organisation=council, start=date(2026, 10, 1), end=date(2026, 11, 30))


def test_volumes_stages_and_timeliness_by_month(council, complaints):
    rows = complaints_by_month(october_and_november(council)).rows
    assert rows == [
        # 2 received, 1 at stage 2 (50%), 1 to the Ombudsman; of the three answers (two at
        # stage 1, one at stage 2) the late stage 1 answer is not in time: 2 of 3.
        ["October 2026", 2, 1, 50.0, 1, 66.7],
        # 2 received, none answered yet: no timeliness to show.
        ["November 2026", 2, 0, 0.0, 0, None],
    ]


def test_outcomes_by_stage(council, complaints):
    rows = complaints_outcomes(october_and_november(council)).rows
    assert rows == [["Stage 1", 2, 1, 0, 1, 50.0], ["Stage 2", 1, 0, 1, 0, 100.0]]


def test_customer_experience_reasons_apart_from_service_reasons(council, complaints):
    experience = complaints_reasons(october_and_november(council), customer_experience=True).rows
    # Delay twice now (October, November) against once in the two months before.
    assert experience == [["Delay", 2, 1, 1], ["Staff attitude", 1, 0, 1]]
    service = complaints_reasons(october_and_november(council), customer_experience=False).rows
    assert service == [["Bin missed", 2, 0, 2]]


def test_a_stage_1_answer_a_year_late_stays_late_after_stage_2_answers_in_time(
    staff_client, council, resident, actor
):
    """Taken through the complaints services as staff take them, then read as a manager reads
    the figure: each stage's answer is judged against that stage's own due date."""
    factories.RequestTypeFactory(
        organisation=council, key="complaint", name="Make a complaint", kind="complaint"
    )
    reason = ComplaintReason.objects.create(organisation=council, name="Delay")

    def recorded(opened):
        case = case_open(
            organisation=council,
            request=CaseRequest(request_type_key="complaint", channel="email", customer=resident),
            actor=actor,
            now=opened,
        )
        return complaint_record(case=case, reasons=[reason], about_service_area=None, actor=actor)

    def respond(complaint, at):
        return complaint_respond(
            complaint=complaint,
            outcome="not_upheld",
            response="We looked into it and found no fault.",
            remedy="",
            learning="",
            actor=actor,
            now=at,
        )

    respond(recorded(london(2025, 10, 8, 10)), london(2025, 10, 15, 10))
    late = recorded(london(2025, 10, 6, 10))
    stage_1_due = late.stage1_due_at
    a_year_late = stage_1_due + timedelta(days=365)
    late = respond(late, a_year_late)
    late = complaint_escalate(
        complaint=late, reason="Still unhappy", actor=actor, now=a_year_late + timedelta(days=7)
    )
    respond(late, late.stage_due_at - timedelta(days=5))

    late.refresh_from_db()
    assert stage_1_due == council.calendar.add_working_days(london(2025, 10, 6, 10), 10)
    assert (late.stage1_due_at, late.stage1_responded_at) == (stage_1_due, a_year_late)
    client = staff_client(factories.StaffFactory(organisation=council, role=Role.MANAGER))
    table = client.get(
        "/staff/insight/export/complaints-by-month.csv?start=2025-10-01&end=2025-10-31"
    ).content.decode()
    # Three answers: one stage 1 in time, one stage 1 a year late, one stage 2 in time.
    assert table.splitlines()[1:] == ["October 2025,2,1,50.0,0,66.7"]
    definitions = client.get("/staff/insight/definitions/").content.decode()
    assert "every stage is judged" in definitions
