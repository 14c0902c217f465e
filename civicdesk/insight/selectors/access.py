"""Who may see and who may change the insight pages."""

from __future__ import annotations

from civicdesk.organisations.models import StaffMember

# Who may see the dashboard (ADR 15): team leads, managers and administrators, and councillors
# through a read-only role of their own. Every figure is a count or a rate; none names a case
# or a person, so nothing on these pages is scoped below the organisation.
INSIGHT_ROLES = frozenset({"team_lead", "manager", "admin", "councillor"})
# Roles that may change things on the insight pages (create surveys, import rounds).
INSIGHT_EDITOR_ROLES = frozenset({"team_lead", "manager", "admin"})


def may_see_insight(staff: StaffMember) -> bool:
    return staff.role in INSIGHT_ROLES


def may_edit_insight(staff: StaffMember) -> bool:
    return staff.role in INSIGHT_EDITOR_ROLES
