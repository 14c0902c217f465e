"""Invitations to new staff: a one-use link to set their own password.

Nobody ever sends or prints a password. A new member of staff's sign-in has none until they
follow the link in their invitation and choose one; at their first sign-in the workspace then
has them set up their authenticator app (ADR 9). The link names the sign-in by number only and
is signed; it works once, because it carries a digest of the password as it was when the link
was made, and stops working after INVITATION_DAYS.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.errors import ValidationFailed

from .models import StaffMember

INVITATION_DAYS = 7
_SALT = "civicdesk.organisations.staff-invitation"
EXPIRED = (
    "This link has expired or has already been used. Ask your council's CivicDesk "
    "administrator for a new one."
)


def staff_invitation_token(user: User) -> str:
    """A signed value for the link in an invitation, good until the password is next set."""
    return signing.dumps({"u": user.pk, "s": _state(user)}, salt=_SALT)


def staff_invitation_open(*, token: str, lock: bool = False) -> StaffMember:
    """The member of staff an invitation link is for, if it is genuine, unused and in date."""
    expired = ValidationFailed(EXPIRED, fields={"token": EXPIRED})
    try:
        value = signing.loads(token, salt=_SALT, max_age=INVITATION_DAYS * 24 * 60 * 60)
    except signing.BadSignature:
        raise expired from None
    if not isinstance(value, dict) or not isinstance(value.get("u"), int):
        raise expired
    members = StaffMember.objects.select_related("user", "organisation")
    if lock:
        members = members.select_for_update(of=("self", "user"))
    staff = members.filter(user_id=value["u"], active=True, user__is_active=True).first()
    if staff is None or not constant_time_compare(str(value.get("s", "")), _state(staff.user)):
        raise expired
    return staff


def staff_invitation_accept(*, token: str, password: str, confirm: str) -> StaffMember:
    """Set the password an invitation asks for. The link cannot be used again afterwards."""
    with transaction.atomic():
        staff = staff_invitation_open(token=token, lock=True)
        if not password:
            raise ValidationFailed("Enter a password.", fields={"password": "Enter a password"})
        if password != confirm:
            raise ValidationFailed(
                "The passwords do not match.", fields={"confirm": "Enter the same password again"}
            )
        try:
            validate_password(password, staff.user)
        except DjangoValidationError as problem:
            text = " ".join(str(message).rstrip(".") + "." for message in problem.messages)
            raise ValidationFailed(text, fields={"password": text}) from None
        staff.user.set_password(password)
        staff.user.save(update_fields=["password"])
        audit_record(
            organisation=staff.organisation,
            subject_type="staff",
            subject_id=staff.pk,
            action="password_set",
            actor=Actor.for_user(staff.user),
        )
    return staff


def _state(user: User) -> str:
    return salted_hmac(_SALT, f"{user.pk}:{user.password}").hexdigest()[:24]
