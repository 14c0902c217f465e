"""What API clients may read, and the webhook and triage views staff need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, QuerySet

from civicdesk.cases.models import Case
from civicdesk.cases.selectors import newest_public_note
from civicdesk.catalogue.cached import catalogue_service_sensitive
from civicdesk.core.errors import NotFound
from civicdesk.core.models import AuditEvent
from civicdesk.core.references import reference_normalise

from .choices import Scope
from .models import ApiClient, Open311Jurisdiction, WebhookDelivery


def cases_shared_with_clients(organisation_id: int) -> QuerySet[Case]:
    """The cases an organisation shows outside systems: all but those of sensitive services,
    which belong to the handling team alone, and no outside system needs them."""
    return (
        Case.objects.filter(organisation_id=organisation_id, request_type__sensitive=False)
        .select_related("request_type", "team", "organisation")
        # The council's boundary is a large GeoJSON value no shared case shows.
        .defer("organisation__boundary")
    )


@dataclass(frozen=True)
class SharedRequest:
    """A case as an Open311 list shows it: only the columns it needs, with its newest public
    note, read for a thousand cases as fast as the database gives them. The description and
    the note are the words stored for outside systems, already without contact details."""

    reference: str
    status: str
    service_name: str
    service_code: str
    public_description: str
    team_name: str | None
    organisation_name: str
    target_summary: str
    opened_at: datetime
    updated_at: datetime
    due_at: datetime | None
    location_text: str
    latitude: float | None
    longitude: float | None
    public_note: str | None


def shared_requests(cases: QuerySet[Case]) -> list[SharedRequest]:
    """``cases`` (narrowed from ``cases_shared_with_clients``, sliced as wanted) as rows of
    plain values, in one query: no model objects, no columns the list does not show."""
    rows = cases.annotate(public_note=newest_public_note()).values_list(
        "reference",
        "status",
        "request_type__name",
        "request_type__key",
        "public_description",
        "team__name",
        "organisation__name",
        "target_summary",
        "opened_at",
        "updated_at",
        "due_at",
        "location_text",
        "latitude",
        "longitude",
        "public_note",
    )
    return [SharedRequest(*row) for row in rows]


def cases_visible_to_client(client: ApiClient) -> QuerySet[Case]:
    return cases_shared_with_clients(client.organisation_id)


def access_shared_case(*, organisation_id: int, reference: str) -> Case:
    canonical = reference_normalise(reference)
    case = (
        cases_shared_with_clients(organisation_id).filter(reference=canonical).first()
        if canonical
        else None
    )
    if case is None:
        raise NotFound("There is no case with that reference.")
    return case


def access_client_case(*, client: ApiClient, reference: str) -> Case:
    return access_shared_case(organisation_id=client.organisation_id, reference=reference)


def service_hidden_from_clients(*, organisation_id: int, key: str) -> bool:
    """Whether the service with this key is a sensitive one, which outside systems may not
    report to, active or not."""
    return catalogue_service_sensitive(organisation_id=organisation_id, key=key)


def case_events_for_client(
    *, client: ApiClient, start: datetime, end: datetime, limit: int
) -> list[AuditEvent]:
    """Status changes, assignments and notes on the client's visible cases between ``start``
    and ``end``, oldest first, less those the client made itself."""
    return list(
        AuditEvent.objects.filter(
            organisation_id=client.organisation_id,
            subject_type="case",
            action__in=["status_changed", "assigned", "note_added"],
            at__gte=start,
            at__lte=end,
            subject_id__in=cases_visible_to_client(client).values("pk"),
        )
        .exclude(actor_label=client.actor_label)
        .order_by("at", "id")[:limit]
    )


def webhook_failures(*, organisation_id: int) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(
        subscription__organisation_id=organisation_id, status="failed"
    ).select_related("subscription", "case")


@dataclass(frozen=True)
class Open311SetUp:
    """What an organisation has set up for Open311: its jurisdiction id ("" for none) and the
    clients whose keys may use it, newest-used first."""

    jurisdiction_id: str
    clients: list[ApiClient]


def open311_set_up(*, organisation_id: int) -> Open311SetUp:
    jurisdiction = Open311Jurisdiction.objects.filter(organisation_id=organisation_id).first()
    clients = [
        client
        for client in ApiClient.objects.filter(
            organisation_id=organisation_id, revoked_at__isnull=True
        ).order_by(F("last_used_at").desc(nulls_last=True), "name")
        if Scope.OPEN311 in client.scopes
    ]
    return Open311SetUp(jurisdiction.jurisdiction_id if jurisdiction else "", clients)
