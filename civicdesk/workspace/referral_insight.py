"""The referral figures on the insight pages (ADR 45): counted from the referrals themselves."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from civicdesk.referrals.figures import referral_figures
from civicdesk.web.pages import render_staff_page

from .forms import choices
from .insight_views import insight_required

if TYPE_CHECKING:
    from civicdesk.organisations.models import StaffMember

PERIODS = {"3": 91, "12": 365, "24": 730}


@insight_required
def referrals(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    months = request.GET.get("months", "12")
    if months not in PERIODS:
        months = "12"
    figures = referral_figures(
        organisation_id=staff.organisation_id,
        since=timezone.now() - timedelta(days=PERIODS[months]),
    )
    return render_staff_page(
        request,
        "insight/referrals.html",
        title="Referrals between organisations",
        staff=staff,
        figures=figures,
        periods=choices([(key, f"The last {key} months") for key in PERIODS], months),
    )
