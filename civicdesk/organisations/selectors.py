"""Reading organisations, teams and staff, and where a place falls."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet, prefetch_related_objects
from shapely import Point, prepared
from shapely.geometry import shape
from shapely.prepared import PreparedGeometry

from civicdesk.core.errors import NotFound, NotPermitted

from .choices import OrganisationKind, Role
from .models import Organisation, StaffMember, Team


def staff_for_user(user: AbstractBaseUser | AnonymousUser) -> StaffMember:
    """The active staff record of a signed-in user, or NotPermitted."""
    if not user.is_authenticated:
        raise NotPermitted("Sign in as a member of staff to do this.")
    staff = (
        StaffMember.objects.select_related("organisation", "user")
        .filter(user_id=user.pk, active=True)
        .first()
    )
    if staff is None:
        raise NotPermitted("This account is not an active member of staff.")
    return staff


def is_staff_of(user: AbstractBaseUser | AnonymousUser, organisation: Organisation) -> bool:
    """Whether a signed-in user is an active member of this organisation's staff."""
    try:
        return staff_for_user(user).organisation_id == organisation.pk
    except NotPermitted:
        return False


def is_staff_user(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether a signed-in user is staff of any kind: the admin site's staff, a superuser, or
    anyone with a staff record (active or not). Such users are never treated as residents."""
    if not user.is_authenticated:
        return False
    return bool(
        getattr(user, "is_staff", True)
        or getattr(user, "is_superuser", True)
        or StaffMember.objects.filter(user_id=user.pk).exists()
    )


def councils_listed() -> QuerySet[Organisation]:
    """The councils on this installation that residents can use (partners have no portal)."""
    return Organisation.objects.exclude(kind=OrganisationKind.PARTNER).order_by("name")


def councils_administered(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Organisation]:
    """The organisations whose set-up a user may see: every one, for the installation's
    superusers; their own, for an active administrator of it; none for anyone else."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if getattr(user, "is_superuser", False):
        return Organisation.objects.order_by("name")
    return Organisation.objects.filter(
        staff__user_id=user.pk, staff__active=True, staff__role=Role.ADMIN
    ).order_by("name")


def access_council_administration(
    *, user: AbstractBaseUser | AnonymousUser, slug: str
) -> Organisation:
    """A council whose set-up the user may see; any other, or none, is "not found"."""
    organisation = councils_administered(user).filter(slug=slug).first()
    if organisation is None:
        raise NotFound("There is no council at this address that you administer.")
    return organisation


def organisation_by_slug(slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise NotFound("There is no council at this address.")
    return organisation


def teams_of_staff(staff: StaffMember) -> list[Team]:
    """The staff member's teams, read once for this copy of the record: every selector of a
    page scopes by them. Changing the teams through ``staff.teams`` reads them afresh."""
    prefetch_related_objects([staff], "teams")
    return list(staff.teams.all())


def team_ids_for(staff: StaffMember) -> set[int]:
    return {team.pk for team in teams_of_staff(staff)}


def staff_scope(staff: StaffMember) -> tuple[int, tuple[int, ...], str]:
    """Everything of a member of staff that decides what records they may see: all that
    ``cases_visible_to`` and ``contacts_visible_to`` read of them. A statement kept for a
    read scoped by those is kept under this (ADR 51), so a visibility rule that starts
    reading more of the member of staff must add it here."""
    return (staff.organisation_id, tuple(sorted(team_ids_for(staff))), staff.role)


_prepared_boundaries: dict[int, tuple[str, PreparedGeometry]] = {}


def _prepared_boundary(organisation: Organisation) -> PreparedGeometry:
    """The boundary as a prepared polygon, rebuilt only when the organisation changes."""
    version = organisation.updated_at.isoformat()
    cached = _prepared_boundaries.get(organisation.pk)
    if cached is None or cached[0] != version:
        cached = (version, prepared.prep(shape(organisation.boundary)))
        _prepared_boundaries[organisation.pk] = cached
    return cached[1]


def contains_point(organisation: Organisation, *, longitude: float, latitude: float) -> bool:
    if not organisation.boundary:
        return False
    return bool(_prepared_boundary(organisation).covers(Point(longitude, latitude)))


def organisations_at(*, longitude: float, latitude: float) -> list[Organisation]:
    """Every organisation whose boundary holds the point (two in a two-tier area)."""
    return [
        organisation
        for organisation in Organisation.objects.exclude(boundary=None)
        if contains_point(organisation, longitude=longitude, latitude=latitude)
    ]


def organisation_providing(*, tier: str, longitude: float, latitude: float) -> Organisation | None:
    """The council that delivers a service of ``tier`` at a place, or None outside them all."""
    for organisation in organisations_at(longitude=longitude, latitude=latitude):
        if organisation.provides(tier):
            return organisation
    return None


def organisation_get(organisation_id: int) -> Organisation:
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        raise NotFound("There is no such organisation.")
    return organisation


def teams_of(*, organisation_id: int) -> QuerySet[Team]:
    """An organisation's teams, by name."""
    return Team.objects.filter(organisation_id=organisation_id).order_by("name")


def team_of(*, organisation_id: int, team_id: int) -> Team | None:
    """One of an organisation's teams, or None for a team of another or none."""
    return Team.objects.filter(organisation_id=organisation_id, pk=team_id).first()


def active_staff_of(*, organisation_id: int, team_id: int | None = None) -> QuerySet[StaffMember]:
    """An organisation's active staff (of one team if given), by surname then first name."""
    members = StaffMember.objects.filter(organisation_id=organisation_id, active=True)
    if team_id is not None:
        members = members.filter(teams=team_id)
    return members.select_related("user").order_by("user__last_name", "user__first_name")


# Who may be given cases: staff who work them. Advisers pass cases on; managers and
# administrators lead, councillors only read the figures.
CASE_OFFICER_ROLES = (Role.OFFICER, Role.TEAM_LEAD)


def case_officers_of(*, organisation_id: int, team_id: int | None = None) -> QuerySet[StaffMember]:
    """Active officers and team leads in a team of the organisation (of ``team_id`` if given),
    the people a case can be given to, by surname then first name."""
    members = active_staff_of(organisation_id=organisation_id, team_id=team_id).filter(
        role__in=CASE_OFFICER_ROLES
    )
    if team_id is None:
        members = members.filter(teams__isnull=False).distinct()
    return members


def active_staff_member(
    *, organisation_id: int | None = None, user_id: int | None = None, username: str = ""
) -> StaffMember | None:
    """The active member of staff with this sign-in (by user id or name), within one
    organisation if given; None if there is none."""
    members = StaffMember.objects.select_related("organisation", "user").filter(active=True)
    if organisation_id is not None:
        members = members.filter(organisation_id=organisation_id)
    if user_id is not None:
        members = members.filter(user_id=user_id)
    if username:
        members = members.filter(user__username=username)
    if user_id is None and not username:
        return None
    return members.first()
