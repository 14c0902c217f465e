"""The retention report for data protection officers and administrators: how long each kind of
record is kept, what will go over the coming week, and what the worker removed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from civicdesk.core.errors import NotPermitted
from civicdesk.organisations.choices import Role
from civicdesk.privacy.retention import (
    FORECAST_DAYS,
    REPORT_DAYS,
    counts_in_words,
    retention_report,
)
from civicdesk.web.pages import render_not_allowed, render_staff_page
from civicdesk.web.staff import staff_required

if TYPE_CHECKING:
    from civicdesk.organisations.models import StaffMember


@dataclass(frozen=True)
class RunRow:
    started_at: datetime
    finished: bool
    done: str
    held: str


@staff_required
def retention(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    try:
        report = retention_report(staff=staff)
    except NotPermitted as refused:
        return render_not_allowed(request, staff=staff, message=refused.message)
    return render_staff_page(
        request,
        "workspace/retention.html",
        title="Retention of records",
        staff=staff,
        report=report,
        runs=[
            RunRow(
                started_at=run.started_at,
                finished=run.finished_at is not None,
                done=counts_in_words(run.done),
                held=counts_in_words(run.held),
            )
            for run in report.runs
        ],
        week_end=timezone.now() + timedelta(days=FORECAST_DAYS),
        forecast_days=FORECAST_DAYS,
        report_days=REPORT_DAYS,
        # Administrators change the schedule in the admin site.
        sets_schedule=staff.role == Role.ADMIN,
    )
