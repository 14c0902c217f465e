"""Who runs a privacy command, as the audit trail names them."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management.base import CommandError

from civicdesk.core.audit import Actor

COMMAND_LINE = Actor(label="data protection officer (command line)")


def officer_actor(username: str | None) -> Actor:
    if not username:
        return COMMAND_LINE
    user = User.objects.filter(username=username, is_staff=True).first()
    if user is None:
        raise CommandError(f"There is no member of staff with the username {username}.")
    return Actor.for_user(user)
