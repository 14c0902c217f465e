"""What the set-up commands share: finding the council, and saying what went wrong."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.management.base import CommandError

from civicdesk.core.audit import Actor
from civicdesk.core.errors import DomainError, NotFound
from civicdesk.organisations.selectors import organisation_by_slug

if TYPE_CHECKING:
    from civicdesk.organisations.models import Organisation

PROBLEMS_SHOWN = 20


def command_actor(command: str) -> Actor:
    """Who the audit trail says made a change from the command line."""
    return Actor(label=f"manage.py {command}")


def council_of(slug: str) -> Organisation:
    try:
        return organisation_by_slug(slug)
    except NotFound:
        raise CommandError(
            f"There is no council with the slug '{slug}'. Create it first with "
            "'python manage.py council_create'."
        ) from None


def refused(error: DomainError) -> CommandError:
    """A CommandError with the service's message and, under it, each problem on a line."""
    lines = [f"  {where}: {message}" for where, message in error.fields.items()]
    if len(lines) <= 1:
        return CommandError(error.message)
    more = len(lines) - PROBLEMS_SHOWN
    if more > 0:
        lines = [*lines[:PROBLEMS_SHOWN], f"  and {more} more"]
    return CommandError("\n".join([error.message, *lines]))


def listed(items: Iterable[str], most: int = 12) -> str:
    """``a, b and c``, or the first ``most`` and how many more."""
    names = list(items)
    if len(names) > most:
        return ", ".join(names[:most]) + f" and {len(names) - most} more"
    if len(names) > 1:
        return ", ".join(names[:-1]) + f" and {names[-1]}"
    return "".join(names)


def counted(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"
