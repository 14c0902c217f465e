"""Staff's second factor: a time-based one-time code (TOTP) from an authenticator app.

A member of staff is enrolled with a fresh secret, shown once as a QR code and as text; the
secret counts only once they have typed a code it made. Each code works once: the time step of
the last code used is kept, and a code from that step or an earlier one is refused.
"""

from __future__ import annotations

import pyotp
import segno
from django.db import transaction
from django.utils import timezone

from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.errors import ValidationFailed

from .models import StaffMember

ISSUER = "CivicDesk"
# A code from the step before or after the current one is accepted, for clocks a little apart.
DRIFT_STEPS = 1
CODE_FIELD_ERROR = "Enter the 6-digit code from your authenticator app"


def staff_has_second_factor(staff: StaffMember) -> bool:
    return bool(staff.totp_secret) and staff.totp_confirmed_at is not None


def staff_totp_begin(*, staff: StaffMember) -> str:
    """A secret for a member of staff who has no confirmed second factor yet (the same one on
    every visit until it is confirmed, so a reload does not change the QR code)."""
    if staff_has_second_factor(staff):
        raise ValidationFailed("You have already set up your authenticator app.")
    if not staff.totp_secret:
        staff.totp_secret = pyotp.random_base32()
        staff.save(update_fields=["totp_secret", "updated_at"])
    return staff.totp_secret


def totp_uri(staff: StaffMember) -> str:
    return pyotp.TOTP(staff.totp_secret).provisioning_uri(
        name=staff.user.get_username(), issuer_name=f"{ISSUER} {staff.organisation.name}"
    )


def totp_qr_svg(staff: StaffMember) -> str:
    """The enrolment QR code as an SVG element with a title, to put straight into a page."""
    code = segno.make(totp_uri(staff), error="m")
    return str(
        code.svg_inline(
            scale=4,
            title="QR code to add CivicDesk to your authenticator app",
            svgclass="civicdesk-qr",
            lineclass=None,
        )
    )


def staff_totp_check(*, staff: StaffMember, code: str) -> None:
    """Accept a code once, confirming enrolment if this is the first; otherwise refuse."""
    digits = "".join(code.split())
    if not staff.totp_secret or not (digits.isdigit() and len(digits) == 6):
        raise ValidationFailed(CODE_FIELD_ERROR, fields={"code": CODE_FIELD_ERROR})
    with transaction.atomic():
        locked = StaffMember.objects.select_for_update().get(pk=staff.pk)
        step = _matching_step(locked.totp_secret, digits)
        if step is None or (locked.totp_last_step is not None and step <= locked.totp_last_step):
            message = "The code is wrong or has already been used. Enter the newest code"
            raise ValidationFailed(message, fields={"code": message})
        first_time = locked.totp_confirmed_at is None
        locked.totp_last_step = step
        if first_time:
            locked.totp_confirmed_at = timezone.now()
        locked.save(update_fields=["totp_last_step", "totp_confirmed_at", "updated_at"])
        if first_time:
            audit_record(
                organisation=locked.organisation,
                subject_type="staff",
                subject_id=locked.pk,
                action="second_factor_enrolled",
                actor=Actor.for_user(locked.user),
            )
    staff.totp_last_step, staff.totp_confirmed_at = locked.totp_last_step, locked.totp_confirmed_at


def staff_totp_reset(*, staff: StaffMember, actor: Actor) -> None:
    """Forget a lost authenticator: the person enrols again at their next sign-in."""
    with transaction.atomic():
        StaffMember.objects.filter(pk=staff.pk).update(
            totp_secret="", totp_confirmed_at=None, totp_last_step=None, updated_at=timezone.now()
        )
        audit_record(
            organisation=staff.organisation,
            subject_type="staff",
            subject_id=staff.pk,
            action="second_factor_reset",
            actor=actor,
        )


def totp_current_code(staff: StaffMember) -> str:
    return str(pyotp.TOTP(staff.totp_secret).now())


def _matching_step(secret: str, digits: str) -> int | None:
    totp = pyotp.TOTP(secret)
    now = timezone.now()
    current = totp.timecode(now)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        step = current + offset
        if pyotp.utils.strings_equal(totp.generate_otp(step), digits):
            return int(step)
    return None
