"""The demo councils come with ratings, answers at places and two survey rounds, so a council
trying CivicDesk sees the satisfaction sections of the dashboard filled in."""

from __future__ import annotations

from datetime import datetime

import pytest

from civicdesk.core.calendar import LONDON
from civicdesk.demo.loader import demo_load
from civicdesk.feedback.models import ContactRating, MicroSurveyAnswer
from civicdesk.insight.services import insight_refresh
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import Organisation

from . import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 11, 0, tzinfo=LONDON)


def test_the_demo_dashboard_shows_satisfaction_places_and_survey_rounds(staff_client):
    demo_load(scale=0.03, now=NOW)
    insight_refresh()
    telford = Organisation.objects.get(slug="telford-wrekin")
    ratings = ContactRating.objects.filter(organisation=telford)
    assert ratings.exists()
    # Only finished cases are rated, after they finished, never in the future, and never
    # cases of a service only its own team may see.
    assert not ratings.filter(case__resolved_at=None).exists()
    assert not ratings.filter(case__request_type__sensitive=True).exists()
    assert all(r.case.resolved_at <= r.created_at <= NOW for r in ratings.select_related("case"))

    manager = factories.StaffFactory(organisation=telford, role=Role.MANAGER)
    html = (
        staff_client(manager).get("/staff/insight/?start=2025-03-01&end=2026-03-04").content
    ).decode()
    section = html[html.index('id="figure-satisfaction-by-channel"') :]
    section = section[: section.index("</section>")]
    assert "<td" in section
    benchmark = html[html.index('id="figure-benchmark"') :]
    benchmark = benchmark[: benchmark.index("</section>")]
    assert f"Spring {NOW.year - 1} (CSI)" in benchmark
    assert f"Spring {NOW.year} (Engagement)" in benchmark
    assert MicroSurveyAnswer.objects.filter(survey__organisation=telford).count() >= 12
