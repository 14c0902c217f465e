"""Quality checks and mystery-customer assessments against the council's own criteria."""

from __future__ import annotations

import pytest

from civicdesk.contacts.services import ContactDetails, contact_log
from civicdesk.organisations.choices import Role
from civicdesk.quality.models import QualityAssessment, QualityCriterion

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def criteria(council):
    return [
        QualityCriterion.objects.create(organisation=council, name="Greeting", position=1),
        QualityCriterion.objects.create(organisation=council, name="Accurate advice", position=2),
    ]


@pytest.fixture
def adviser(council):
    return factories.StaffFactory(organisation=council, role=Role.ADVISER)


@pytest.fixture
def lead(council):
    return factories.StaffFactory(organisation=council, role=Role.TEAM_LEAD)


@pytest.fixture
def handled_contact(council, resident, adviser):
    return contact_log(
        organisation=council,
        customer=resident,
        handled_by=adviser.user,
        details=ContactDetails(
            channel="phone", reason="information", outcome="resolved_first_contact"
        ),
    )


def test_a_team_lead_scores_a_sampled_contact_and_the_adviser_reads_the_comments(
    staff_client, lead, adviser, handled_contact, criteria
):
    as_lead = staff_client(lead)
    page = as_lead.get("/staff/quality/").content.decode()
    assert f"/staff/quality/contacts/{handled_contact.pk}/" in page
    missing = as_lead.post(
        f"/staff/quality/contacts/{handled_contact.pk}/", {f"criterion-{criteria[0].pk}": "2"}
    )
    assert missing.status_code == 400
    assert "Score accurate advice" in missing.content.decode()
    done = as_lead.post(
        f"/staff/quality/contacts/{handled_contact.pk}/",
        {
            f"criterion-{criteria[0].pk}": "2",
            f"criterion-{criteria[1].pk}": "1",
            "comments": "Check the collection calendar before answering.",
        },
    )
    assessment = QualityAssessment.objects.get()
    assert done["Location"] == f"/staff/quality/assessments/{assessment.pk}/"
    assert (assessment.percentage, assessment.adviser, assessment.channel) == (
        75,
        adviser.user,
        "phone",
    )
    as_adviser = staff_client(adviser)
    own = as_adviser.get(f"/staff/quality/assessments/{assessment.pk}/").content.decode()
    assert "Check the collection calendar" in own and "75%" in own
    assert as_adviser.get(f"/staff/quality/contacts/{handled_contact.pk}/").status_code == 403
    someone_else = factories.StaffFactory(organisation=lead.organisation, role=Role.ADVISER)
    assert (
        staff_client(someone_else).get(f"/staff/quality/assessments/{assessment.pk}/").status_code
        == 404
    )


def test_a_mystery_customer_assessment_is_recorded_against_a_channel_and_service(
    staff_client, lead, criteria, missed_bin
):
    as_lead = staff_client(lead)
    refused = as_lead.post("/staff/quality/mystery-customer/", {})
    assert "Select the channel" in refused.content.decode()
    as_lead.post(
        "/staff/quality/mystery-customer/",
        {
            "channel": "face_to_face",
            "service_area": missed_bin.service_area_id,
            f"criterion-{criteria[0].pk}": "0",
            f"criterion-{criteria[1].pk}": "2",
        },
    )
    assessment = QualityAssessment.objects.get()
    assert (
        assessment.kind,
        assessment.channel,
        assessment.service_area,
        assessment.percentage,
    ) == (
        "mystery_customer",
        "face_to_face",
        missed_bin.service_area,
        50,
    )


def test_the_criteria_are_the_councils_and_inactive_ones_are_not_asked(
    staff_client, lead, handled_contact, criteria
):
    criteria[1].active = False
    criteria[1].save()
    page = staff_client(lead).get(f"/staff/quality/contacts/{handled_contact.pk}/").content.decode()
    assert "Greeting" in page and "Accurate advice" not in page
