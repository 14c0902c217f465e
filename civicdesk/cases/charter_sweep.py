"""The charter clock's periodic sweep: flag cases that have become due soon or overdue, and
tell each team's leads which of their cases were flagged.

The worker runs charter_sweep on a timer (PERIODIC_JOBS in the settings).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from civicdesk.core.jobs import ids_in_batches
from civicdesk.core.text import describe_deadline
from civicdesk.notifications.services import StaffEmail, notification_queue_to_staff
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import Organisation, StaffMember, Team

from .choices import RUNNING_CLOCK_STATES, ClockState
from .models import Case

logger = logging.getLogger(__name__)

ALERT_CASE_LIST_LENGTH = 20


@dataclass(frozen=True)
class SweepResult:
    due_soon: int
    overdue: int
    alerts: int


def charter_sweep(now: datetime | None = None) -> SweepResult:
    """Flag cases whose clock has become due soon or overdue, and tell their team leads.

    Set-based UPDATEs, so the cost grows with the cases that change, not with every open case,
    in batches of a few hundred cases that each commit with their alerts: a sweep after a long
    stop never holds the database for long, and a crash leaves no case flagged unannounced.
    The same rules, for every service area.
    """
    now = now or timezone.now()
    overdue_now = Q(clock_state__in=RUNNING_CLOCK_STATES, due_at__lte=now)
    due_soon_now = Q(clock_state=ClockState.ON_TRACK, due_soon_at__lte=now, due_at__gt=now)
    overdue = due_soon = alerts = 0
    for batch in ids_in_batches(Case.objects.filter(overdue_now | due_soon_now)):
        with transaction.atomic():
            cases = Case.objects.filter(pk__in=batch)
            newly_overdue = cases.filter(overdue_now).update(
                clock_state=ClockState.OVERDUE, clock_flagged_at=now
            )
            newly_due_soon = cases.filter(due_soon_now).update(
                clock_state=ClockState.DUE_SOON, clock_flagged_at=now
            )
            if newly_overdue or newly_due_soon:
                alerts += _alert_team_leads(now, case_ids=batch)
        overdue += newly_overdue
        due_soon += newly_due_soon
    if overdue or due_soon:
        logger.info("Charter sweep: %s overdue, %s due soon", overdue, due_soon)
    return SweepResult(due_soon=due_soon, overdue=overdue, alerts=alerts)


def _alert_team_leads(now: datetime, *, case_ids: list[int]) -> int:
    """One email per recipient per team with cases of ``case_ids`` flagged at ``now``: a
    handful of queries whatever the number of teams, so the sweep stays cheap when it runs
    every few minutes."""
    counts: dict[tuple[int, int | None], dict[str, int]] = {}
    for row in (
        Case.objects.filter(clock_flagged_at=now, pk__in=case_ids)
        .values("organisation_id", "team_id", "clock_state")
        .annotate(count=Count("id"))
        .order_by()
    ):
        counts.setdefault((row["organisation_id"], row["team_id"]), {})[row["clock_state"]] = row[
            "count"
        ]
    case_lists = _flagged_case_lists(now, case_ids=case_ids)
    organisations = Organisation.objects.in_bulk({organisation for organisation, _ in counts})
    teams = Team.objects.in_bulk({team for _, team in counts if team is not None})
    recipients = _alert_recipients(organisations.values(), teams.values())
    checked_at = describe_deadline(now)
    messages = []
    for (organisation_id, team_id), by_state in counts.items():
        team = teams.get(team_id) if team_id is not None else None
        parts = []
        if by_state.get(ClockState.OVERDUE):
            parts.append(f"{by_state[ClockState.OVERDUE]} now overdue")
        if by_state.get(ClockState.DUE_SOON):
            parts.append(f"{by_state[ClockState.DUE_SOON]} due soon")
        emails = recipients(organisation_id, team_id)
        if not emails:
            logger.warning(
                "Charter alert for team %s of organisation %s has nobody to go to: "
                "add a team lead, a team inbox or a manager",
                team_id,
                organisation_id,
            )
        messages.append(
            StaffEmail(
                organisation=organisations[organisation_id],
                emails=emails,
                template="team_charter_alert",
                context={
                    "team": team.name if team else "Unassigned cases",
                    "summary": "Cases: " + " and ".join(parts),
                    "checked_at": checked_at,
                    "case_list": "\n".join(case_lists.get((organisation_id, team_id), [])),
                },
            )
        )
    return len(notification_queue_to_staff(messages=messages))


def _flagged_case_lists(
    now: datetime, *, case_ids: list[int]
) -> dict[tuple[int, int | None], list[str]]:
    """The first cases of ``case_ids`` flagged at ``now`` in each team, soonest due first."""
    place = Window(
        RowNumber(),
        partition_by=[F("organisation_id"), F("team_id")],
        order_by=[F("due_at").asc(), F("id").asc()],
    )
    rows = (
        Case.objects.filter(clock_flagged_at=now, due_at__isnull=False, pk__in=case_ids)
        .annotate(place=place)
        .filter(place__lte=ALERT_CASE_LIST_LENGTH)
        .order_by("organisation_id", "team_id", "due_at", "id")
        .values_list("organisation_id", "team_id", "reference", "clock_state", "due_at")
    )
    lists: dict[tuple[int, int | None], list[str]] = {}
    for organisation_id, team_id, reference, clock_state, due_at in rows:
        if due_at is None:
            continue
        lists.setdefault((organisation_id, team_id), []).append(
            f"{reference}: {ClockState(clock_state).label.lower()}, due {describe_deadline(due_at)}"
        )
    return lists


def _alert_recipients(
    organisations: Iterable[Organisation], teams: Iterable[Team]
) -> Callable[[int, int | None], list[str]]:
    """Who hears about a team's cases: its active team leads, else the team's inbox, else the
    organisation's active managers."""
    team_by_id = {team.pk: team for team in teams}
    leads: dict[int, list[str]] = {}
    for team_id, email in (
        StaffMember.teams.through.objects.filter(
            team_id__in=team_by_id,
            staffmember__role=Role.TEAM_LEAD,
            staffmember__active=True,
            staffmember__organisation_id=F("team__organisation_id"),
        )
        .exclude(staffmember__user__email="")
        .order_by("staffmember_id")
        .values_list("team_id", "staffmember__user__email")
    ):
        leads.setdefault(team_id, []).append(email)
    managers: dict[int, list[str]] = {}
    for organisation_id, email in (
        StaffMember.objects.filter(
            organisation__in=list(organisations), role=Role.MANAGER, active=True
        )
        .exclude(user__email="")
        .order_by("id")
        .values_list("organisation_id", "user__email")
    ):
        managers.setdefault(organisation_id, []).append(email)

    def recipients(organisation_id: int, team_id: int | None) -> list[str]:
        if team_id is not None:
            if leads.get(team_id):
                return leads[team_id]
            if team_by_id[team_id].email:
                return [team_by_id[team_id].email]
        return managers.get(organisation_id, [])

    return recipients
