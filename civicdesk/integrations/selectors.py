"""What API clients may read, and the webhook and triage views staff need."""

from __future__ import annotations

from django.db.models import QuerySet

from civicdesk.cases.models import Case
from civicdesk.core.errors import NotFound
from civicdesk.core.references import reference_normalise

from .models import ApiClient, WebhookDelivery


def cases_shared_with_clients(organisation_id: int) -> QuerySet[Case]:
    """The cases an organisation shows outside systems: all but those of sensitive services,
    which belong to the handling team alone, and no outside system needs them."""
    return Case.objects.filter(
        organisation_id=organisation_id, request_type__sensitive=False
    ).select_related("request_type", "team", "organisation")


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


def webhook_failures(*, organisation_id: int) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(
        subscription__organisation_id=organisation_id, status="failed"
    ).select_related("subscription", "case")
