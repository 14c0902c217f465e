"""Writing organisation records: taking on new members of staff."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.errors import ValidationFailed

from .choices import Role
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
