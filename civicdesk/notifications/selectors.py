"""Reading what was sent to customers, on behalf of staff."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import OutboxMessage


def notifications_of_customer(
    *, customer_id: int, organisation_id: int, visible_case_ids: QuerySet, limit: int
) -> list[OutboxMessage]:
    """Messages sent to a customer, newest first: those about no case, or about a case the
    member of staff may see (``visible_case_ids``, a query of case ids)."""
    about_no_case = OutboxMessage.objects.filter(
        customer_id=customer_id, organisation_id=organisation_id, case__isnull=True
    )
    about_visible_case = OutboxMessage.objects.filter(
        customer_id=customer_id, organisation_id=organisation_id, case_id__in=visible_case_ids
    )
    return list(
        (about_no_case | about_visible_case)
        .select_related("case")
        .order_by("-created_at", "-id")[:limit]
    )
