"""The periodic charter sweep: flags cases before and when they miss the charter, tells leads."""

from __future__ import annotations

import pytest

from civicdesk.cases.charter_sweep import charter_sweep
from civicdesk.cases.choices import CaseStatus, ClockState
from civicdesk.cases.lifecycle import CaseRequest, case_open, case_transition
from civicdesk.cases.selectors import clock_state_now
from civicdesk.core import jobs
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role

from . import factories
from .conftest import london

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_lead(council, missed_bin):
    return factories.StaffFactory(
        organisation=council,
        role=Role.TEAM_LEAD,
        teams=[missed_bin.service_area.team],
        user__email="lead.waste@council.example",
    )


def open_at(council, resident, actor, moment):
    return case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            customer=resident,
            answers={"bin": "General waste"},
        ),
        actor=actor,
        now=moment,
    )


def alerts() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template="team_charter_alert").order_by("id"))


def test_cases_become_due_soon_then_overdue_and_the_team_lead_is_told_once(
    council, resident, actor, team_lead
):
    case = open_at(council, resident, actor, london(2026, 11, 23, 9))  # due Wed 25th, 17:00

    assert charter_sweep(london(2026, 11, 24, 12)).due_soon == 0
    assert alerts() == []

    result = charter_sweep(london(2026, 11, 25, 14))
    assert (result.due_soon, result.overdue) == (1, 0)
    case.refresh_from_db()
    assert case.clock_state == ClockState.DUE_SOON
    [alert] = alerts()
    assert alert.recipient == "lead.waste@council.example"
    assert "1 due soon" in alert.subject
    assert case.reference in alert.body

    assert charter_sweep(london(2026, 11, 25, 15)) == type(result)(due_soon=0, overdue=0, alerts=0)

    result = charter_sweep(london(2026, 11, 26, 9))
    assert (result.due_soon, result.overdue) == (0, 1)
    case.refresh_from_db()
    assert case.clock_state == ClockState.OVERDUE
    assert "1 now overdue" in alerts()[-1].subject
    assert len(alerts()) == 2


def test_paused_and_finished_cases_are_left_alone(council, resident, actor, team_lead):
    waiting = open_at(council, resident, actor, london(2026, 11, 23, 9))
    waiting = case_transition(
        case=waiting,
        to_status=CaseStatus.WAITING,
        actor=actor,
        note="Send us a photo",
        now=london(2026, 11, 23, 10),
    )
    resolved = open_at(council, resident, actor, london(2026, 11, 23, 9))
    case_transition(
        case=resolved, to_status=CaseStatus.RESOLVED, actor=actor, now=london(2026, 11, 23, 11)
    )

    result = charter_sweep(london(2026, 12, 10, 9))

    assert (result.due_soon, result.overdue) == (0, 0)
    assert alerts() == []
    waiting.refresh_from_db()
    assert clock_state_now(waiting, london(2026, 12, 10, 9)) == ClockState.PAUSED


def test_without_a_team_lead_the_teams_inbox_or_managers_are_told(council, resident, actor):
    case = open_at(council, resident, actor, london(2026, 11, 23, 9))
    charter_sweep(london(2026, 11, 30, 9))
    [alert] = alerts()
    assert alert.recipient == case.team.email


def test_the_clock_state_shown_is_current_even_before_the_sweep_runs(council, resident, actor):
    case = open_at(council, resident, actor, london(2026, 11, 23, 9))
    assert clock_state_now(case, london(2026, 11, 23, 10)) == ClockState.ON_TRACK
    assert clock_state_now(case, london(2026, 11, 25, 16)) == ClockState.DUE_SOON
    assert clock_state_now(case, london(2026, 11, 25, 17)) == ClockState.OVERDUE


def test_each_team_hears_only_about_its_own_cases_and_managers_cover_teams_without_leads(
    council, resident, actor, team_lead
):
    from civicdesk.cases.lifecycle import case_assign

    other_team = factories.TeamFactory(organisation=council, email="")
    manager = factories.StaffFactory(
        organisation=council, role=Role.MANAGER, user__email="manager@council.example"
    )
    ours = open_at(council, resident, actor, london(2026, 11, 23, 9))
    theirs = open_at(council, resident, actor, london(2026, 11, 23, 9))
    case_assign(case=theirs, team=other_team, actor=actor)

    result = charter_sweep(london(2026, 11, 30, 9))

    assert (result.overdue, result.alerts) == (2, 2)
    by_recipient = {alert.recipient: alert for alert in alerts()}
    assert set(by_recipient) == {team_lead.user.email, manager.user.email}
    assert ours.reference in by_recipient[team_lead.user.email].body
    assert theirs.reference not in by_recipient[team_lead.user.email].body
    assert theirs.reference in by_recipient[manager.user.email].body
    assert other_team.name in by_recipient[manager.user.email].subject


def test_a_lead_from_another_council_never_hears_about_our_cases(
    council, resident, actor, team_lead
):
    stranger = factories.StaffFactory(role=Role.TEAM_LEAD, user__email="lead@elsewhere.example")
    stranger.teams.add(team_lead.teams.get())
    open_at(council, resident, actor, london(2026, 11, 23, 9))
    charter_sweep(london(2026, 11, 30, 9))
    assert [alert.recipient for alert in alerts()] == [team_lead.user.email]


def test_a_sweep_of_many_cases_flags_and_alerts_a_batch_per_transaction(
    council, resident, actor, team_lead, monkeypatch
):
    """After a long stop the sweep may flag thousands of cases: it does so a batch at a time,
    each batch committed with the alert naming its own cases, so no case is flagged without
    its lead being told and no transaction holds the database for long."""
    cases = [open_at(council, resident, actor, london(2026, 11, 23, 9)) for _ in range(5)]
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)

    result = charter_sweep(london(2026, 11, 26, 9))

    assert (result.overdue, result.alerts) == (5, 3)
    assert [alert.subject.count("now overdue") for alert in alerts()] == [1, 1, 1]
    assert ["2 now overdue" in alerts()[0].subject, "1 now overdue" in alerts()[2].subject] == [
        True,
        True,
    ]
    named = "".join(alert.body for alert in alerts())
    assert all(named.count(case.reference) == 1 for case in cases)
