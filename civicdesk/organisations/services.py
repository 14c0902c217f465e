"""Writing organisation records: councils and their boundaries, teams, and taking on staff
(one at a time, or in bulk from a list with an invitation to each)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.text import slugify

from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.calendar import Nation
from civicdesk.core.errors import ValidationFailed

from .boundaries import Boundary
from .choices import OrganisationKind, Role
from .invitations import staff_invitation_token
from .models import Organisation, StaffMember, Team


@dataclass
class NewStaff:
    username: str
    first_name: str
    last_name: str
    email: str
    role: str
    teams: list[Team] = field(default_factory=list)
    password: str = ""


def staff_create(*, organisation: Organisation, new: NewStaff, actor: Actor) -> StaffMember:
    """Give someone a sign-in and a place on an organisation's staff.

    Without a password the account cannot sign in until one is set (by a password reset), so
    nobody has to pass a password around.
    """
    errors = new_staff_errors(organisation, new)
    if errors:
        raise ValidationFailed("There is a problem with the new member of staff.", fields=errors)
    with transaction.atomic():
        user = User(
            username=new.username.strip(),
            first_name=new.first_name.strip(),
            last_name=new.last_name.strip(),
            email=new.email.strip().lower(),
            is_staff=new.role == Role.ADMIN,
        )
        if new.password:
            user.set_password(new.password)
        else:
            user.set_unusable_password()
        user.save()
        staff = StaffMember.objects.create(user=user, organisation=organisation, role=new.role)
        staff.teams.set(new.teams)
        audit_record(
            organisation=organisation,
            subject_type="staff",
            subject_id=staff.pk,
            action="created",
            actor=actor,
            after={"role": new.role, "teams": sorted(team.pk for team in new.teams)},
        )
    return staff


def new_staff_errors(organisation: Organisation, new: NewStaff) -> dict[str, str]:
    errors: dict[str, str] = {}
    username = new.username.strip()
    try:
        User.username_validator(username)
    except DjangoValidationError:
        errors["username"] = "Enter a sign-in name using letters, numbers and @ . + - _ only"
    if not username:
        errors["username"] = "Enter a sign-in name"
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = "That sign-in name is already taken"
    if not (new.first_name.strip() or new.last_name.strip()):
        errors["last_name"] = "Enter the person's name"
    try:
        validate_email(new.email.strip())
    except DjangoValidationError:
        errors["email"] = "Enter an email address in the correct format, like name@example.com"
    if new.role not in Role.values:
        errors["role"] = "Select a role"
    if any(team.organisation_id != organisation.pk for team in new.teams):
        errors["teams"] = "Select teams of this organisation only"
    if new.password:
        try:
            validate_password(new.password, User(username=username, email=new.email))
        except DjangoValidationError as problem:
            errors["password"] = " ".join(problem.messages)
    return errors


# Councils


@dataclass(frozen=True)
class CouncilDetails:
    """What to set on a council. ``None`` leaves a value as it is (a new council takes the
    model's default); a name, kind, nation and, for a council, a boundary are needed to create
    one."""

    slug: str
    name: str | None = None
    kind: str | None = None
    nation: str | None = None
    boundary: Boundary | None = None
    boundary_attribution: str | None = None
    code: str | None = None
    phone: str | None = None
    emergency_phone: str | None = None
    website: str | None = None
    email_from: str | None = None
    opens: str | None = None
    closes: str | None = None


@dataclass(frozen=True)
class CouncilSaved:
    organisation: Organisation
    created: bool
    changed: list[str]


# The nations a council may be in, as people write them, and the calendar of bank holidays each
# follows (England and Wales share one).
NATIONS = {
    "england": Nation.ENGLAND_AND_WALES,
    "wales": Nation.ENGLAND_AND_WALES,
    "england-and-wales": Nation.ENGLAND_AND_WALES,
    "scotland": Nation.SCOTLAND,
    "northern-ireland": Nation.NORTHERN_IRELAND,
}
# Addresses the site already uses at the top level: a council there would be hidden by them.
RESERVED_SLUGS = frozenset(
    {
        "admin",
        "api",
        "channels",
        "healthz",
        "media",
        "notifications",
        "open311",
        "staff",
        "static",
        "telephony",
    }
)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ONS_CODE = re.compile(r"^[ENSW]\d{8}$")
_PHONE = re.compile(r"^\+?[\d ()-]+$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def council_save(*, details: CouncilDetails, actor: Actor) -> CouncilSaved:
    """Create a council, or update the one with this slug, with its boundary.

    Raises ValidationFailed, and changes nothing, if any value is wrong."""
    existing = Organisation.objects.filter(slug=details.slug.strip()).first()
    values, errors = _council_values(details, existing)
    if errors:
        count = len(errors)
        raise ValidationFailed(
            f"The council cannot be saved: {count} problem{'s' if count > 1 else ''}. "
            + " ".join(f"{message}." for message in errors.values()),
            fields=errors,
        )
    with transaction.atomic():
        organisation = existing or Organisation(slug=details.slug.strip())
        changed = [name for name, value in values.items() if getattr(organisation, name) != value]
        before = {name: _audited(getattr(organisation, name)) for name in changed}
        for name in changed:
            setattr(organisation, name, values[name])
        if existing is None or changed:
            organisation.save()
        audit_record(
            organisation=organisation,
            subject_type="organisation",
            subject_id=organisation.pk,
            action="created" if existing is None else "updated",
            actor=actor,
            before=None if existing is None else before,
            after={name: _audited(values[name]) for name in changed},
        )
    return CouncilSaved(organisation=organisation, created=existing is None, changed=changed)


def _council_values(
    details: CouncilDetails, existing: Organisation | None
) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    slug = details.slug.strip()
    if existing is None:
        if not _SLUG.match(slug):
            errors["slug"] = (
                f"The slug '{slug}' must be lower-case letters, digits and hyphens, "
                "like 'telford-wrekin': it is the council's web address"
            )
        elif slug in RESERVED_SLUGS:
            errors["slug"] = f"The slug '{slug}' is an address the site already uses"
        for name in ("name", "kind", "nation"):
            if getattr(details, name) is None:
                errors[name] = f"Give the {name} of the new council"
        if details.boundary is None and details.kind != OrganisationKind.PARTNER:
            errors["boundary"] = "Give the boundary of the new council"
    if details.name is not None:
        values["name"] = details.name.strip()
        if not values["name"]:
            errors["name"] = "The name cannot be empty"
    if details.kind is not None:
        values["kind"] = details.kind
        if details.kind not in OrganisationKind.values:
            errors["kind"] = f"The kind must be one of {', '.join(OrganisationKind.values)}"
    if details.nation is not None:
        nation = NATIONS.get(details.nation.strip().lower().replace(" ", "-"))
        if nation is None:
            errors["nation"] = "The nation must be england, wales, scotland or northern-ireland"
        else:
            values["nation"] = nation.value
    if details.boundary is not None:
        values["boundary"] = details.boundary.geometry
    if details.boundary_attribution is not None:
        values["boundary_attribution"] = details.boundary_attribution.strip()
    if details.code is not None:
        values["code"] = details.code.strip().upper()
        if values["code"] and not _ONS_CODE.match(values["code"]):
            errors["code"] = (
                f"'{details.code}' is not an ONS local authority code, which is a letter and "
                "eight digits, like E06000020"
            )
    for name, label in (("phone", "phone number"), ("emergency_phone", "out-of-hours number")):
        number = getattr(details, name)
        if number is not None:
            values[name] = " ".join(number.split())
            digits = sum(character.isdigit() for character in number)
            if values[name] and (not _PHONE.match(values[name]) or not 3 <= digits <= 15):
                errors[name] = f"The {label} '{number}' is not a phone number"
    if details.website is not None:
        values["website"] = details.website.strip()
        if values["website"] and not values["website"].startswith("https://"):
            errors["website"] = "The website must be an https:// address"
    if details.email_from is not None:
        values["email_from"] = details.email_from.strip().lower()
        if values["email_from"]:
            try:
                validate_email(values["email_from"])
            except DjangoValidationError:
                errors["email_from"] = f"'{details.email_from}' is not an email address"
    for name in ("opens", "closes"):
        text = getattr(details, name)
        if text is not None:
            match = _TIME.match(text.strip())
            if match is None:
                errors[name] = f"The time it {name} must be like 09:00 or 17:30, not '{text}'"
            else:
                values[name] = time(int(match[1]), int(match[2]))
    opens = values.get("opens", existing.opens if existing else time(9))
    closes = values.get("closes", existing.closes if existing else time(17))
    if "opens" not in errors and "closes" not in errors and opens >= closes:
        errors["closes"] = "The council must close after it opens"
    return values, errors


def _audited(value: Any) -> Any:
    if isinstance(value, dict):
        return "(a boundary)"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


# Teams


def teams_missing(*, organisation: Organisation, names: Iterable[str]) -> list[str]:
    """The names among ``names`` that are not teams of the organisation yet (matched by slug)."""
    known = set(Team.objects.filter(organisation=organisation).values_list("slug", flat=True))
    missing = {slugify(name): name.strip() for name in names if slugify(name) not in known}
    return sorted(missing.values())


def teams_ensure(
    *, organisation: Organisation, names: Iterable[str], actor: Actor
) -> dict[str, Team]:
    """The organisation's teams with these names, by name as given, creating those it lacks.
    A team matches a name by its slug, so 'Waste and Recycling' finds 'Waste and recycling'."""
    wanted = {name: slugify(name) for name in names}
    empty = [name for name, slug in wanted.items() if not slug]
    if empty:
        raise ValidationFailed(
            "A team needs a name with letters or digits in it.", fields={"teams": "Name the team"}
        )
    existing = {team.slug: team for team in Team.objects.filter(organisation=organisation)}
    for name, slug in wanted.items():
        if slug not in existing:
            team = Team.objects.create(organisation=organisation, name=name.strip(), slug=slug)
            audit_record(
                organisation=organisation,
                subject_type="team",
                subject_id=team.pk,
                action="created",
                actor=actor,
                after={"name": team.name},
            )
            existing[slug] = team
    return {name: existing[slug] for name, slug in wanted.items()}


# Council administrators

ADMIN_GROUP = "Council administrators"
# What a council's administrators may do in the admin site, model by model. Records with rules
# of their own (cases, customers, contacts, the outbox, the audit trail) are to read only.
ADMIN_PERMISSIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("organisations", "team"): ("add", "change", "view"),
    ("organisations", "staffmember"): ("add", "change", "view"),
    ("catalogue", "servicearea"): ("add", "change", "view"),
    ("catalogue", "requesttype"): ("add", "change", "view"),
    ("catalogue", "question"): ("add", "change", "view"),
    ("catalogue", "chartertarget"): ("add", "change", "view"),
    ("geo", "street"): ("view",),
    ("cases", "case"): ("view",),
    ("customers", "customer"): ("view",),
    ("contacts", "contact"): ("view",),
    ("notifications", "outboxmessage"): ("view",),
    ("core", "auditevent"): ("view",),
    ("integrations", "apiclient"): ("add", "change", "view"),
    ("integrations", "open311jurisdiction"): ("add", "change", "view"),
    ("integrations", "webhooksubscription"): ("add", "change", "view"),
    ("integrations", "webhookdelivery"): ("view",),
    ("channels", "inboundaddress"): ("add", "change", "view"),
    ("channels", "inboundmessage"): ("view",),
    ("complaints", "complaintreason"): ("add", "change", "view"),
    ("complaints", "complainttimescale"): ("add", "change", "view"),
    ("quality", "qualitycriterion"): ("add", "change", "view"),
    ("appointments", "venue"): ("add", "change", "view"),
    ("privacy", "retentionschedule"): ("add", "change", "view"),
    ("privacy", "servicearearetention"): ("add", "change", "delete", "view"),
}


def administrators_group() -> Group:
    """The group that gives council administrators their admin pages, with its permissions."""
    group, _ = Group.objects.get_or_create(name=ADMIN_GROUP)
    wanted = [
        (app_label, f"{action}_{model}")
        for (app_label, model), actions in ADMIN_PERMISSIONS.items()
        for action in actions
    ]
    permissions = [
        permission
        for permission in Permission.objects.select_related("content_type").filter(
            codename__in=[codename for _, codename in wanted]
        )
        if (permission.content_type.app_label, permission.codename) in wanted
    ]
    group.permissions.set(permissions)
    return group


# Taking on staff in bulk


@dataclass(frozen=True)
class StaffRow:
    """One person in a staff list: ``line`` is where they are in the file, for messages."""

    line: int
    name: str
    email: str
    role: str
    teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class StaffImportPlan:
    """What importing a staff list does (or did), by email address."""

    added: list[str]
    changed: dict[str, list[str]]
    unchanged: list[str]
    teams_new: list[str]


# Sends the invitation of a new member of staff, given its one-use token, in the transaction
# that takes them on.
Invite = Callable[[StaffMember, str], None]


@dataclass
class _StaffChange:
    row: StaffRow
    email: str
    role: str
    first_name: str
    last_name: str
    staff: StaffMember | None
    changes: list[str]


def staff_import_plan(*, organisation: Organisation, rows: list[StaffRow]) -> StaffImportPlan:
    """What importing these rows would do, changing nothing; ValidationFailed, naming the line
    of every problem, if any row is wrong."""
    return _staff_plan(organisation, rows)[0]


def staff_import(
    *, organisation: Organisation, rows: list[StaffRow], actor: Actor, invite: Invite
) -> StaffImportPlan:
    """Take on, or update, the organisation's staff from a list: people are matched by email
    address, teams by name (and created if new). Each new person gets a sign-in named by their
    email address, with no password, and an invitation to set one (``invite``). People not in
    the list are left as they are. All or nothing: ValidationFailed changes nothing."""
    with transaction.atomic():
        plan, changes = _staff_plan(organisation, rows)
        teams = teams_ensure(
            organisation=organisation,
            names=[name for row in rows for name in row.teams],
            actor=actor,
        )
        group = (
            administrators_group()
            if any(change.role == Role.ADMIN for change in changes)
            else Group.objects.filter(name=ADMIN_GROUP).first()
        )
        for change in changes:
            wanted_teams = [teams[name] for name in change.row.teams]
            if change.staff is None:
                staff = staff_create(
                    organisation=organisation,
                    new=NewStaff(
                        username=change.email,
                        first_name=change.first_name,
                        last_name=change.last_name,
                        email=change.email,
                        role=change.role,
                        teams=wanted_teams,
                    ),
                    actor=actor,
                )
                invite(staff, staff_invitation_token(staff.user))
            elif change.changes:
                staff = change.staff
                _staff_update(staff, change, wanted_teams, actor)
            else:
                staff = change.staff
            if group is not None:
                if change.role == Role.ADMIN:
                    staff.user.groups.add(group)
                else:
                    staff.user.groups.remove(group)
    return plan


def _staff_update(
    staff: StaffMember, change: _StaffChange, teams: list[Team], actor: Actor
) -> None:
    user = staff.user
    before = {"role": staff.role, "teams": sorted(team.pk for team in staff.teams.all())}
    user.first_name, user.last_name, user.email = change.first_name, change.last_name, change.email
    user.is_staff = change.role == Role.ADMIN or user.is_superuser
    user.save(update_fields=["first_name", "last_name", "email", "is_staff"])
    staff.role, staff.active = change.role, True
    staff.save(update_fields=["role", "active", "updated_at"])
    staff.teams.set(teams)
    audit_record(
        organisation=staff.organisation,
        subject_type="staff",
        subject_id=staff.pk,
        action="updated",
        actor=actor,
        before=before,
        after={
            "role": change.role,
            "teams": sorted(team.pk for team in teams),
            "changed": change.changes,
        },
    )


def _staff_plan(
    organisation: Organisation, rows: list[StaffRow]
) -> tuple[StaffImportPlan, list[_StaffChange]]:
    problems: dict[str, str] = {}
    members = {
        key: staff
        for staff in StaffMember.objects.filter(organisation=organisation)
        .select_related("user")
        .prefetch_related("teams")
        for key in {staff.user.username.lower(), staff.user.email.lower()} - {""}
    }
    emails = [row.email.strip().lower() for row in rows]
    taken = {
        username: user
        for username, user in (
            (user.username.lower(), user)
            for user in User.objects.annotate(lower=Lower("username")).filter(lower__in=emails)
        )
    }
    roles = {
        **{value: value for value in Role.values},
        **{str(label).lower(): value for value, label in Role.choices},
    }
    seen: set[str] = set()
    changes: list[_StaffChange] = []
    for row, email in zip(rows, emails, strict=True):
        where = f"line {row.line}"
        first_name, _, last_name = row.name.strip().rpartition(" ")
        first_name, last_name = first_name.strip(), last_name.strip()
        if not row.name.strip():
            problems[f"{where}, name"] = "the name is missing"
        try:
            validate_email(email)
            if len(email) > 150:
                raise DjangoValidationError("too long")
        except DjangoValidationError:
            problems[f"{where}, email"] = f"'{row.email}' is not an email address"
        if email in seen:
            problems[f"{where}, email"] = f"{email} is in the list more than once"
        seen.add(email)
        role = roles.get(row.role.strip().lower().replace("-", " "))
        role = role or roles.get(row.role.strip().lower().replace(" ", "_"))
        if role is None:
            problems[f"{where}, role"] = (
                f"'{row.role}' is not a role (use {', '.join(Role.values)})"
            )
        for team in row.teams:
            if not slugify(team):
                problems[f"{where}, teams"] = f"'{team}' is not a team name"
        staff = members.get(email)
        if staff is None and email in taken:
            other = getattr(taken[email], "staff", None)
            problems[f"{where}, email"] = (
                f"{email} is already the sign-in of {other.organisation.name}'s staff"
                if other is not None
                else f"{email} is already the sign-in name of another account"
            )
        if role is None or f"{where}, email" in problems:
            continue
        changes.append(
            _StaffChange(
                row=row,
                email=email,
                role=role,
                first_name=first_name[:150],
                last_name=last_name[:150],
                staff=staff,
                changes=_staff_differences(staff, first_name, last_name, email, role, row)
                if staff is not None
                else [],
            )
        )
    if problems:
        count = len(problems)
        first_field, first = next(iter(problems.items()))
        raise ValidationFailed(
            f"The staff list cannot be imported: {count} problem{'s' if count > 1 else ''}, "
            f"the first on {first_field}: {first}.",
            fields=problems,
        )
    plan = StaffImportPlan(
        added=[change.email for change in changes if change.staff is None],
        changed={change.email: change.changes for change in changes if change.changes},
        unchanged=[c.email for c in changes if c.staff is not None and not c.changes],
        teams_new=teams_missing(
            organisation=organisation, names=[name for row in rows for name in row.teams]
        ),
    )
    return plan, changes


def _staff_differences(
    staff: StaffMember, first_name: str, last_name: str, email: str, role: str, row: StaffRow
) -> list[str]:
    differences = []
    if (staff.user.first_name, staff.user.last_name) != (first_name, last_name):
        differences.append("name")
    if staff.user.email.lower() != email:
        differences.append("email")
    if staff.role != role:
        differences.append(f"role {staff.role} to {role}")
    if {team.slug for team in staff.teams.all()} != {slugify(name) for name in row.teams}:
        differences.append("teams")
    if not staff.active:
        differences.append("active again")
    return differences


def administrator_create(
    *, organisation: Organisation, email: str, name: str, actor: Actor
) -> tuple[StaffMember, str, bool]:
    """Make someone an administrator of the organisation (taking them on if they are new), and
    return them, a one-use token to set their password with, and whether they are new."""
    tokens: list[str] = []
    try:
        teams = tuple(team.name for team in _member_by_email(organisation, email).teams.all())
    except ValidationFailed:
        teams = ()
    plan = staff_import(
        organisation=organisation,
        rows=[StaffRow(line=1, name=name, email=email, role=Role.ADMIN, teams=teams)],
        actor=actor,
        invite=lambda staff, token: tokens.append(token),
    )
    staff = _member_by_email(organisation, email)
    return staff, tokens[0] if tokens else staff_invitation_token(staff.user), bool(plan.added)


def _member_by_email(organisation: Organisation, email: str) -> StaffMember:
    email = email.strip().lower()
    for staff in StaffMember.objects.filter(organisation=organisation).select_related(
        "user", "organisation"
    ):
        if email in (staff.user.username.lower(), staff.user.email.lower()):
            return staff
    raise ValidationFailed(f"{email} is not on the staff.")
