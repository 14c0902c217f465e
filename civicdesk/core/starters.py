"""Starting lists a council begins with (complaint reasons, quality criteria and the like),
which it then edits in the admin site."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from django.db.models import Model

if TYPE_CHECKING:
    from civicdesk.organisations.models import Organisation


def starter_list_add(
    *,
    model: type[Model],
    organisation: Organisation,
    entries: Iterable[tuple[str, Mapping[str, object]]],
) -> int:
    """Add each ``(name, other fields)`` entry to the council's list in ``model``, in the order
    given (its ``position``); returns how many were added. An entry the council already has by
    that name is left as the council has it."""
    added = 0
    for position, (name, fields) in enumerate(entries):
        _, created = model._default_manager.get_or_create(
            organisation=organisation, name=name, defaults={**fields, "position": position}
        )
        added += created
    return added
