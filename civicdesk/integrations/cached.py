"""API clients, Open311 jurisdictions and webhook subscriptions kept in every process, read
again after any change (ADR 43).

Each is read on every API request or case change and changes a few times a year. The signals
in ``signals.py`` draw a new version on every save or delete, so a revoked key is refused by
every process on its next request.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import datetime, timedelta

from civicdesk.core.versioned_cache import VersionedCache

from .models import ApiClient, Open311Jurisdiction, WebhookSubscription

# How often a client's last use is written: a busy client does not write on every request.
LAST_USED_EVERY = timedelta(seconds=60)


def _clients_read(scope: str) -> dict[str, bytes]:
    """Every active client by its key's prefix: a key that matches none is refused without a
    database read, and keys made up by the thousand add nothing to what is kept."""
    return {
        client.key_prefix: pickle.dumps(client)
        for client in ApiClient.objects.select_related("organisation").filter(
            revoked_at__isnull=True
        )
    }


_clients: VersionedCache[str, dict[str, bytes]] = VersionedCache("api-clients", load=_clients_read)
_EVERY_CLIENT = "all"
# When this process last wrote each client's last use, so that it writes at most once a minute
# although its kept copy of the client still holds the time it was read with. Kept by the key's
# digest, which no other client will ever have, not by the row's number, which a database may
# give again after a rollback.
_last_used_written: dict[str, datetime] = {}


def active_client_with_prefix(key_prefix: str) -> ApiClient | None:
    """The active client whose key starts with this prefix, with its organisation: an object
    of the caller's own."""
    kept = _clients.get(_EVERY_CLIENT).get(key_prefix)
    # Pickled by this process from its own database reads, never from outside.
    return pickle.loads(kept) if kept is not None else None  # noqa: S301


def client_last_used_due(client: ApiClient, now: datetime) -> bool:
    """Whether the client's last use should be written now; notes that it is being written."""
    noted = _last_used_written.get(client.key_digest)
    written = max((moment for moment in (client.last_used_at, noted) if moment), default=None)
    if written is not None and now - written <= LAST_USED_EVERY:
        return False
    _last_used_written[client.key_digest] = now
    return True


def api_clients_changed() -> None:
    _clients.changed(_EVERY_CLIENT)


def _jurisdictions_read(scope: str) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for jurisdiction in Open311Jurisdiction.objects.select_related("organisation").order_by("pk"):
        found.setdefault(
            jurisdiction.jurisdiction_id.strip().casefold(), pickle.dumps(jurisdiction)
        )
    return found


_jurisdictions: VersionedCache[str, dict[str, bytes]] = VersionedCache(
    "open311-jurisdictions", load=_jurisdictions_read
)
_EVERY_JURISDICTION = "all"


def jurisdiction_named(jurisdiction_id: str) -> Open311Jurisdiction | None:
    """The jurisdiction with this id in any letter case, with its organisation."""
    kept = _jurisdictions.get(_EVERY_JURISDICTION).get(jurisdiction_id.strip().casefold())
    return pickle.loads(kept) if kept is not None else None  # noqa: S301


def jurisdictions_changed() -> None:
    _jurisdictions.changed(_EVERY_JURISDICTION)


@dataclass(frozen=True)
class Subscriber:
    subscription_id: int
    events: frozenset[str]


def _subscribers_read(organisation_id: int) -> tuple[Subscriber, ...]:
    return tuple(
        Subscriber(subscription_id=subscription.pk, events=frozenset(subscription.events))
        for subscription in WebhookSubscription.objects.filter(
            organisation_id=organisation_id, active=True
        ).order_by("id")
    )


_subscribers: VersionedCache[int, tuple[Subscriber, ...]] = VersionedCache(
    "webhook-subscribers", load=_subscribers_read
)


def webhook_subscribers(*, organisation_id: int) -> tuple[Subscriber, ...]:
    """The organisation's active webhook subscriptions, oldest first."""
    return _subscribers.get(organisation_id)


def webhook_subscribers_changed(*, organisation_id: int) -> None:
    _subscribers.changed(organisation_id)
