"""The staff navigation, in one place. Another part of the workspace adds its page here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, reverse

from civicdesk.organisations.choices import Role

if TYPE_CHECKING:
    from civicdesk.organisations.models import StaffMember

CASEWORK = frozenset(Role.values) - {Role.COUNCILLOR}
LEADS = frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN})
REFERRAL_ROLES = frozenset({Role.ADVISER, Role.OFFICER, Role.TEAM_LEAD, Role.MANAGER})


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str] = CASEWORK


NAVIGATION: list[NavItem] = [
    NavItem("Find a customer", "workspace:home"),
    NavItem("Queues", "workspace:queue"),
    NavItem("Messages to sort", "workspace:messages"),
    NavItem("Reception", "workspace:reception"),
    NavItem("Team lead view", "workspace:team-lead", LEADS),
    NavItem("Complaints", "workspace:complaints"),
    NavItem("Referrals", "workspace:referrals", REFERRAL_ROLES),
    NavItem("Quality", "workspace:quality"),
    NavItem("Chats", "workspace:ask-queue"),
    NavItem("Answers", "workspace:ask-articles"),
    NavItem("Record a rating", "insight:rating-record"),
    NavItem("Insight", "insight:dashboard", LEADS | {Role.COUNCILLOR}),
    NavItem("Planning", "workspace:planning", LEADS),
    NavItem("Who read what", "workspace:privacy-access-log", frozenset({Role.DATA_PROTECTION})),
    NavItem(
        "Retention", "workspace:privacy-retention", frozenset({Role.DATA_PROTECTION, Role.ADMIN})
    ),
    # The insight dashboard (/staff/insight/) and the assistant's hand-over queue and knowledge
    # base (/staff/ask/...) add their NavItem here, naming their URL.
]


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    current: bool


def navigation_for(staff: StaffMember, path: str) -> list[NavLink]:
    """The items this member of staff may use; the one holding ``path`` is marked current."""
    links = []
    for item in NAVIGATION:
        if staff.role not in item.roles:
            continue
        try:
            href = reverse(item.url_name)
        except NoReverseMatch:
            continue
        links.append(NavLink(item.label, href, _is_current(href, path)))
    return links


def _is_current(href: str, path: str) -> bool:
    home = reverse("workspace:home")
    return path == href if href == home else path.startswith(href)
