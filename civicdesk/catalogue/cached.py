"""Each council's catalogue kept in every process, read again after any edit (ADR 43).

Opening a case reads its service, questions and charter targets; they change a few times a
year and are read on every request. Each process keeps every service of a council, active or
not, with its questions, targets, area and team, under a version in the shared cache that
every edit draws afresh (``catalogue_changed``, called by the signals in ``signals.py`` for
every save or delete, and by the importers after their bulk writes).

Services are kept pickled and each caller gets objects of its own, so that nothing a caller
sets on them is seen by the next request.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass

from civicdesk.core.versioned_cache import VersionedCache

from .models import RequestType


@dataclass(frozen=True)
class _Catalogue:
    services: dict[str, bytes]
    # Keys of the sensitive services, which can be checked without unpickling anything.
    sensitive: frozenset[str]


def _catalogue_read(organisation_id: int) -> _Catalogue:
    services = list(
        RequestType.objects.select_related("service_area__team", "organisation")
        .prefetch_related("questions", "charter_targets")
        .filter(organisation_id=organisation_id)
    )
    return _Catalogue(
        services={service.key: pickle.dumps(service) for service in services},
        sensitive=frozenset(service.key for service in services if service.sensitive),
    )


_catalogues: VersionedCache[int, _Catalogue] = VersionedCache("catalogue", load=_catalogue_read)


def catalogue_service(*, organisation_id: int, key: str) -> RequestType | None:
    """The council's service with this key, active or not, with its questions, charter targets,
    service area and team at hand; None if it has none."""
    kept = _catalogues.get(organisation_id).services.get(key)
    # Pickled by this process from its own database reads, never from outside.
    return pickle.loads(kept) if kept is not None else None  # noqa: S301


def catalogue_service_sensitive(*, organisation_id: int, key: str) -> bool:
    """Whether the council has a service with this key, active or not, that is sensitive."""
    return key in _catalogues.get(organisation_id).sensitive


def catalogue_changed(*, organisation_id: int) -> None:
    """The council's catalogue has changed (or will when the transaction commits)."""
    _catalogues.changed(organisation_id)
