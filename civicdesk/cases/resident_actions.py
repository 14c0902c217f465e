"""What residents do to cases themselves: add information to their own case, answer "is it
fixed?" (which closes or reopens it), and follow someone else's case instead of reporting the
same problem again.

Every function here is atomic, like the rest of the cases app's services.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from civicdesk.contacts.choices import ContactOutcome, ContactReason
from civicdesk.contacts.services import ContactDetails, contact_log
from civicdesk.core.audit import Actor
from civicdesk.core.choices import Channel
from civicdesk.core.errors import DomainError, NotFound, TransitionNotAllowed, ValidationFailed
from civicdesk.customers.models import Customer

from .attachments import document_store, removing_files_on_failure
from .choices import CaseStatus, NoteVisibility
from .customer_messages import expectation, message_context, tell_customer
from .documents import Upload, document_check
from .editing import case_audit, case_lock, case_save, note_record
from .lifecycle import case_transition
from .models import Case, CaseFollower, CaseNote


def case_add_information(
    *, case: Case, customer: Customer, text: str, upload: Upload | None, actor: Actor
) -> CaseNote:
    """The resident adds information (and perhaps a document) to their own open case.

    It becomes a public update on the case and an inbound web contact. A case that was waiting
    for the resident goes back to in progress, so the charter clock runs again.
    """
    if case.customer_id != customer.pk:
        raise NotFound("There is no case with that reference.")
    text = text.strip()
    if not text:
        raise ValidationFailed(
            "Enter the information you want to add.",
            fields={"information": "Enter the information you want to add"},
        )
    document = document_check(upload) if upload is not None else None
    with removing_files_on_failure() as stored, transaction.atomic():
        case = case_lock(case)
        if not case.is_open:
            raise TransitionNotAllowed(
                "This request has been dealt with, so information can no longer be added to it."
            )
        if case.status == CaseStatus.WAITING:
            case = case_transition(case=case, to_status=CaseStatus.IN_PROGRESS, actor=actor)
            case = case_lock(case)
        note = note_record(case, body=text, visibility=NoteVisibility.PUBLIC, actor=actor)
        if document is not None:
            document_store(case, document, actor=actor, stored=stored, public=True)
        case_save(case)
        contact_log(
            organisation=case.organisation,
            customer=customer,
            case=case,
            details=ContactDetails(
                channel=Channel.WEB,
                reason=ContactReason.OTHER,
                outcome=ContactOutcome.LINKED_TO_CASE,
                summary="The resident added information to the case from their account.",
            ),
        )
    return note


MAX_STILL_WRONG_CHARACTERS = 2000


def case_resident_confirm(
    *,
    case: Case,
    customer: Customer,
    fixed: bool,
    actor: Actor,
    still_wrong: str = "",
    now: datetime | None = None,
) -> Case:
    """The resident answers "is it fixed?" on a resolved case: yes closes it; no reopens it,
    but only within REOPEN_WINDOW_DAYS of it being resolved. After that they report it again.

    A "no" says what is still wrong, in the resident's words: it becomes a public note on the
    case, so the officer who picks it up again sees it in the case's history."""
    if case.customer_id != customer.pk:
        raise NotFound("There is no case with that reference.")
    now = now or timezone.now()
    still_wrong = still_wrong.replace("\r\n", "\n").strip()
    with transaction.atomic():
        case = case_lock(case)
        if case.status != CaseStatus.RESOLVED:
            raise TransitionNotAllowed("This request is not waiting for you to confirm a fix.")
        window = timedelta(days=settings.REOPEN_WINDOW_DAYS)
        resolved_at = case.resolved_at or now
        if not fixed and now > resolved_at + window:
            raise TransitionNotAllowed(
                f"It is more than {settings.REOPEN_WINDOW_DAYS} days since we dealt with this "
                "request, so it cannot be reopened. Report the problem again and we will look "
                "at it as a new request."
            )
        if fixed:
            case = case_transition(
                case=case,
                to_status=CaseStatus.CLOSED,
                actor=actor,
                note="You told us the problem is fixed.",
                now=now,
            )
        else:
            _still_wrong_check(still_wrong)
            case = case_transition(
                case=case,
                to_status=CaseStatus.REOPENED,
                actor=actor,
                note="You told us the problem is not fixed, so we have reopened your request.",
                now=now,
            )
            note_record(
                case,
                body=f"What is still wrong: {still_wrong}",
                visibility=NoteVisibility.PUBLIC,
                actor=actor,
            )
        contact_log(
            organisation=case.organisation,
            customer=customer,
            case=case,
            details=ContactDetails(
                channel=Channel.WEB,
                reason=ContactReason.FEEDBACK if fixed else ContactReason.FAILURE_DEMAND,
                outcome=ContactOutcome.LINKED_TO_CASE,
                started_at=now,
                summary=(
                    "The resident confirmed the problem is fixed."
                    if fixed
                    else "The resident said the problem is not fixed; the case was reopened."
                ),
            ),
        )
    return case


def _still_wrong_check(still_wrong: str) -> None:
    if not still_wrong:
        problem = "Tell us what is still wrong"
        raise ValidationFailed(problem, fields={"still_wrong": problem})
    if len(still_wrong) > MAX_STILL_WRONG_CHARACTERS:
        problem = f"What is still wrong must be {MAX_STILL_WRONG_CHARACTERS:,} characters or less"
        raise ValidationFailed(problem, fields={"still_wrong": problem})


def case_follow(*, case: Case, customer: Customer, actor: Actor) -> CaseFollower:
    """Record that a resident wants to hear about an open case instead of reporting it again,
    and tell them so. Following the same case twice changes nothing and sends nothing."""
    if customer.organisation_id != case.organisation_id:
        raise DomainError("The customer belongs to another organisation.")
    with transaction.atomic():
        follower, created = CaseFollower.objects.get_or_create(case=case, customer=customer)
        if created:
            case_audit(
                case,
                action="follower_added",
                actor=actor,
                after={"customer": customer.pk},
            )
            tell_customer(
                case,
                customer=customer,
                template="case_followed",
                context=message_context(case, expectation=expectation(case)),
            )
    return follower
