"""Reading contacts on behalf of staff: the same scoping as cases."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from civicdesk.core.timeline import TimelineWindow, timeline_source
from civicdesk.organisations.models import StaffMember
from civicdesk.organisations.selectors import team_ids_for

from .models import Contact


def contacts_visible_to(staff: StaffMember) -> QuerySet[Contact]:
    """Contacts of the staff member's organisation. A contact about a sensitive service
    (homelessness, child concerns, adult care) is left out unless their team handles that
    service or the case it belongs to, exactly as the case itself would be. Reads nothing of
    ``staff`` that ``staff_scope`` does not name."""
    teams = team_ids_for(staff)
    return Contact.objects.filter(organisation_id=staff.organisation_id).filter(
        Q(case__isnull=True, request_type__isnull=True)
        | Q(case__isnull=True, request_type__sensitive=False)
        | Q(case__isnull=True, request_type__service_area__team_id__in=teams)
        | Q(case__request_type__sensitive=False)
        | Q(case__team_id__in=teams)
    )


# What the customer's timeline shows of a contact; the rest stays in the database.
CONTACT_TIMELINE_FIELDS = (
    "channel",
    "direction",
    "reason",
    "outcome",
    "is_repeat",
    "assisted",
    "summary",
    "case__reference",
    "handled_by__first_name",
    "handled_by__last_name",
)


def contacts_of_customer(
    *, staff: StaffMember, customer_id: int, window: TimelineWindow, rank: int
) -> QuerySet[Any, Any]:
    """A customer's contacts that the staff member may see, in ``window`` of their timeline
    (``rank`` is the place of contacts among records at the same moment), as a part of the
    timeline's one read (``read_timeline``)."""
    rows = contacts_visible_to(staff).filter(customer_id=customer_id)
    if window.case_id is not None:
        rows = rows.filter(case_id=window.case_id)
    shown = {field: field for field in CONTACT_TIMELINE_FIELDS}
    return timeline_source(rows, at="started_at", rank=rank, window=window, shown=shown)
