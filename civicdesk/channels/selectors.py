"""Reading inbound messages for staff: the triage queue."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from civicdesk.cases.selectors import cases_visible_to
from civicdesk.core.errors import NotFound
from civicdesk.organisations.models import StaffMember

from .choices import MessageOutcome
from .models import InboundMessage


def triage_queue(*, staff: StaffMember) -> QuerySet[InboundMessage]:
    """Messages of the staff member's organisation waiting for a person, with the service the
    assistant suggested, oldest first, so the longest-waiting is read first. They belong to no
    case yet, so the sensitive services' team rule has nothing to hide."""
    return (
        InboundMessage.objects.filter(
            organisation_id=staff.organisation_id, outcome=MessageOutcome.TRIAGE
        )
        .select_related("suggested_service")
        .prefetch_related("held")
        .order_by("received_at", "id")
    )


def access_inbound_message(*, staff: StaffMember, message_id: int) -> InboundMessage:
    """A message of the staff member's organisation that is on no case, or on a case they may
    see: a message on a sensitive service's case is read only by its team. Any other reads as
    not found."""
    message = (
        InboundMessage.objects.select_related(
            "organisation", "customer", "contact", "case", "suggested_service"
        )
        .filter(organisation_id=staff.organisation_id, pk=message_id)
        .filter(
            Q(case__isnull=True) | Q(Exists(cases_visible_to(staff).filter(pk=OuterRef("case_id"))))
        )
        .first()
    )
    if message is None:
        raise NotFound("There is no such message.")
    return message
