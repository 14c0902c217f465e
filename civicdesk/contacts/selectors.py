"""Reading contacts on behalf of staff: the same scoping as cases."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from civicdesk.organisations.models import StaffMember
from civicdesk.organisations.selectors import team_ids_for

from .models import Contact


def contacts_visible_to(staff: StaffMember) -> QuerySet[Contact]:
    """Contacts of the staff member's organisation. A contact about a sensitive service
    (homelessness, child concerns, adult care) is left out unless their team handles that
    service or the case it belongs to, exactly as the case itself would be."""
    teams = team_ids_for(staff)
    return Contact.objects.filter(organisation_id=staff.organisation_id).filter(
        Q(case__isnull=True, request_type__isnull=True)
        | Q(case__isnull=True, request_type__sensitive=False)
        | Q(case__isnull=True, request_type__service_area__team_id__in=teams)
        | Q(case__request_type__sensitive=False)
        | Q(case__team_id__in=teams)
    )


def contacts_of_customer(*, staff: StaffMember, customer_id: int, limit: int) -> list[Contact]:
    """A customer's latest contacts that the staff member may see, newest first."""
    return list(
        contacts_visible_to(staff)
        .filter(customer_id=customer_id)
        .select_related("case", "request_type", "handled_by")
        .order_by("-started_at", "-id")[:limit]
    )
