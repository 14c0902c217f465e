"""Reading what was sent to customers, on behalf of staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from civicdesk.core.timeline import TimelineWindow, timeline_source

from .choices import MessageStatus
from .models import OutboxMessage


def notifications_of_customer(
    *,
    customer_id: int,
    organisation_id: int,
    visible_case_ids: QuerySet,
    window: TimelineWindow,
    rank: int,
) -> QuerySet[Any, Any]:
    """Messages sent to a customer in ``window`` of their timeline: those about no case, or
    about a case the member of staff may see (``visible_case_ids``, a query of case ids), as a
    part of the timeline's one read (``read_timeline``)."""
    about_visible_case = Q(case_id__in=visible_case_ids)
    if window.case_id is not None:
        about = about_visible_case & Q(case_id=window.case_id)
    else:
        about = Q(case__isnull=True) | about_visible_case
    rows = OutboxMessage.objects.filter(
        customer_id=customer_id, organisation_id=organisation_id
    ).filter(about)
    shown = {
        field: field for field in ("channel", "subject", "template", "status", "case__reference")
    }
    return timeline_source(rows, at="created_at", rank=rank, window=window, shown=shown)


def messages_of_template(*, organisation_id: int, template: str, limit: int) -> list[OutboxMessage]:
    """An organisation's latest messages from one template, newest first."""
    return list(
        OutboxMessage.objects.filter(organisation_id=organisation_id, template=template).order_by(
            "-created_at", "-id"
        )[:limit]
    )


def last_delivery_receipt_at(*, organisation_id: int) -> datetime | None:
    """When the newest message of this organisation's that a provider says was delivered was
    delivered (only a delivery receipt marks a message delivered)."""
    return (
        OutboxMessage.objects.filter(
            organisation_id=organisation_id, status=MessageStatus.DELIVERED
        )
        .order_by("-id")
        .values_list("delivered_at", flat=True)
        .first()
    )
