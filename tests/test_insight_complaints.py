"""Complaints insight against a hand-made set of complaints whose answers are worked out here."""

from __future__ import annotations

from datetime import date

import pytest

from civicdesk.complaints.models import Complaint, ComplaintReason
from civicdesk.insight.selectors.common import Filters
from civicdesk.insight.selectors.complaints import (
    complaints_by_month,
    complaints_outcomes,
    complaints_reasons,
)

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
        stage=1,
        responded=None,
        due=None,
        outcome1="",
        outcome2="",
        ombudsman=None,
    ):
        case = factories.CaseFactory(
            organisation=council, request_type=missed_bin, kind="complaint", opened_at=opened
        )
        record = Complaint.objects.create(
            case=case,
            organisation=council,
            about_service_area=missed_bin.service_area,
            stage=stage,
            stage_started_at=opened,
            stage_due_at=due or london(2026, 12, 31),
            responded_at=responded,
            stage1_outcome=outcome1,
            stage2_outcome=outcome2,
            ombudsman_referred_at=ombudsman,
        )
        record.reasons.set(reasons)
        return record

    # October: one answered in time (upheld), one answered late (not upheld) then escalated,
    # answered at stage 2 in time (partly upheld) and referred to the Ombudsman.
    complaint(
        london(2026, 10, 5, 10),
        [delay, missed],
        responded=london(2026, 10, 12),
        due=london(2026, 10, 19),
        outcome1="upheld",
    )
    complaint(
        london(2026, 10, 20, 10),
        [attitude],
        stage=2,
        responded=london(2026, 11, 20),
        due=london(2026, 11, 30),
        outcome1="not_upheld",
        outcome2="partly_upheld",
        ombudsman=london(2026, 11, 25),
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
        case=case, organisation=other, stage_started_at=case.opened_at, stage_due_at=case.opened_at
    ).reasons.set([other_reason])


def october_and_november(council) -> Filters:
    return Filters(organisation=council, start=date(2026, 10, 1), end=date(2026, 11, 30))


def test_volumes_stages_and_timeliness_by_month(council, complaints):
    rows = complaints_by_month(october_and_november(council)).rows
    assert rows == [
        # 2 received, 1 at stage 2 (50%), 1 to the Ombudsman, both answered in time at their stage.
        ["October 2026", 2, 1, 50.0, 1, 100.0],
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
