"""The council's retention schedule, and the worker's job that applies it.

Each kind of record (``RecordKind``) is kept for the period the council set, or the default
(docs/retention.md). Past it, what the council counts is anonymised by the registry's erasure
rules, so the row, its dates and its categories stay and the insight figures do not change
(closed cases and everything on them, contacts and the messages received, page feedback);
what is counted nowhere is deleted (documents, messages sent, chats, audit and access entries).
Records of a case still open, or of a customer with a complaint still open or referred to the
Ombudsman, are held (``selectors.retention_holds``, the rules erasure follows) and looked at
again on the next run.

``retention_apply`` runs in the worker (PERIODIC_JOBS) under a renewable lease of its own, a
batch of a few hundred rows per transaction (ADR 23); every step can be repeated, so a run that
stops part-way is finished by the next. Each run leaves a ``RetentionRun`` with its counts.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone

from civicdesk.assistant.choices import ConversationState
from civicdesk.assistant.models import Conversation
from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.models import Attachment, Case
from civicdesk.catalogue.models import ServiceArea
from civicdesk.channels.choices import MessageOutcome
from civicdesk.channels.models import HeldAttachment, InboundMessage
from civicdesk.contacts.models import Contact
from civicdesk.core.errors import NotPermitted
from civicdesk.core.errors_logging import error_summary
from civicdesk.core.jobs import Lease, ids_in_batches, job_lease
from civicdesk.core.models import AuditEvent
from civicdesk.feedback.models import PageFeedback
from civicdesk.notifications.choices import MessageStatus
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import Organisation, StaffMember
from civicdesk.quality.models import QualityAssessment

from .choices import (
    DEFAULT_AUDIT_MONTHS,
    DEFAULT_CHATS_DAYS,
    DEFAULT_CLOSED_CASES_MONTHS,
    DEFAULT_CONTACTS_MONTHS,
    DEFAULT_DOCUMENTS_MONTHS,
    DEFAULT_NOTIFICATIONS_MONTHS,
    DEFAULT_PAGE_FEEDBACK_MONTHS,
    RecordKind,
)
from .models import AccessEntry, AnonymisedCase, RetentionRun, RetentionSchedule
from .registry import KINDS, KINDS_BY_KEY, PLACEHOLDER, Scope
from .selectors import retention_holds
from .services import kind_erase

logger = logging.getLogger("civicdesk.privacy")

# The job's own lease, renewed between batches: a first run at a council with years of
# history can take longer than the worker's 15 minutes.
RETENTION_LEASE_NAME = "retention"
RETENTION_LEASE_SECONDS = 5 * 60
# Rows looked at per round. A round's writes are split again into transactions of at most
# ERASE_BATCH rows by the erasure code; deleting chats also deletes their messages, so fewer.
BATCH = 200
CHATS_BATCH = 50
# How far ahead the report looks.
FORECAST_DAYS = 7

# What happens to each kind of record when its time is up, in the report's words.
ACTIONS: dict[str, str] = {
    RecordKind.CLOSED_CASES: "personal details removed; the case is still counted",
    RecordKind.CONTACTS: "summary and messages received removed; the contact is still counted",
    RecordKind.DOCUMENTS: "deleted",
    RecordKind.NOTIFICATIONS: "deleted",
    RecordKind.CHATS: "deleted",
    RecordKind.PAGE_FEEDBACK: "comment removed; the answer is still counted",
    RecordKind.AUDIT: "deleted",
}
# What each period is counted from.
COUNTED_FROM: dict[str, str] = {
    RecordKind.CLOSED_CASES: "after the case was closed",
    RecordKind.CONTACTS: "after the contact",
    RecordKind.DOCUMENTS: "after the case was closed, or the email arrived",
    RecordKind.NOTIFICATIONS: "after it was sent",
    RecordKind.CHATS: "after the chat's last message",
    RecordKind.PAGE_FEEDBACK: "after it was left",
    RecordKind.AUDIT: "after the entry was made",
}


# ---------------------------------------------------------------------------------------------
# The schedule


@dataclass(frozen=True)
class Periods:
    """How long a council keeps each kind of record: months, but chats in days."""

    closed_cases_months: int = DEFAULT_CLOSED_CASES_MONTHS
    contacts_months: int = DEFAULT_CONTACTS_MONTHS
    documents_months: int = DEFAULT_DOCUMENTS_MONTHS
    notifications_months: int = DEFAULT_NOTIFICATIONS_MONTHS
    chats_days: int = DEFAULT_CHATS_DAYS
    page_feedback_months: int = DEFAULT_PAGE_FEEDBACK_MONTHS
    audit_months: int = DEFAULT_AUDIT_MONTHS
    # Service area id -> months, for areas whose closed cases are kept for a period of their own.
    service_areas: Mapping[int, int] = field(default_factory=dict)
    set_by_council: bool = False


def retention_periods(*, organisation_id: int) -> Periods:
    """The council's schedule, or the defaults where it has not saved one."""
    schedule = RetentionSchedule.objects.filter(organisation_id=organisation_id).first()
    if schedule is None:
        return Periods()
    return Periods(
        closed_cases_months=schedule.closed_cases_months,
        contacts_months=schedule.contacts_months,
        documents_months=schedule.documents_months,
        notifications_months=schedule.notifications_months,
        chats_days=schedule.chats_days,
        page_feedback_months=schedule.page_feedback_months,
        audit_months=schedule.audit_months,
        service_areas=dict(
            schedule.service_areas.values_list("service_area_id", "closed_cases_months")
        ),
        set_by_council=True,
    )


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day when it
    has no such day: six months before 31 August is 28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def period_words(months: int) -> str:
    """'6 years', '18 months', '1 month'."""
    if months % 12 == 0:
        years = months // 12
        return "1 year" if years == 1 else f"{years} years"
    return "1 month" if months == 1 else f"{months} months"


def days_words(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


@dataclass(frozen=True)
class Cutoffs:
    """For each kind of record, the moment before which its time is up."""

    closed_cases: datetime
    service_areas: Mapping[int, datetime]
    contacts: datetime
    documents: datetime
    notifications: datetime
    chats: datetime
    page_feedback: datetime
    audit: datetime


def cutoffs_at(periods: Periods, moment: datetime) -> Cutoffs:
    return Cutoffs(
        closed_cases=months_before(moment, periods.closed_cases_months),
        service_areas={
            area: months_before(moment, months) for area, months in periods.service_areas.items()
        },
        contacts=months_before(moment, periods.contacts_months),
        documents=months_before(moment, periods.documents_months),
        notifications=months_before(moment, periods.notifications_months),
        chats=moment - timedelta(days=periods.chats_days),
        page_feedback=months_before(moment, periods.page_feedback_months),
        audit=months_before(moment, periods.audit_months),
    )


# ---------------------------------------------------------------------------------------------
# What is past its time: the rows still holding what retention takes away


def closed_cases_due(organisation_id: int, cutoffs: Cutoffs) -> QuerySet[Case]:
    past = Q(closed_at__lt=cutoffs.closed_cases) & ~Q(
        request_type__service_area__in=list(cutoffs.service_areas)
    )
    for area, cutoff in cutoffs.service_areas.items():
        past |= Q(request_type__service_area=area, closed_at__lt=cutoff)
    return (
        Case.objects.filter(organisation_id=organisation_id, status=CaseStatus.CLOSED)
        .filter(past)
        .exclude(Exists(AnonymisedCase.objects.filter(case=OuterRef("pk"))))
    )


def contacts_due(organisation_id: int, cutoffs: Cutoffs) -> QuerySet[Contact]:
    return Contact.objects.filter(
        organisation_id=organisation_id, started_at__lt=cutoffs.contacts
    ).exclude(summary="")


def messages_received_due(organisation_id: int, cutoffs: Cutoffs) -> QuerySet[InboundMessage]:
    """Emails and texts received, but those still waiting to be sorted."""
    return (
        InboundMessage.objects.filter(
            organisation_id=organisation_id, received_at__lt=cutoffs.contacts
        )
        .exclude(outcome=MessageOutcome.TRIAGE)
        .exclude(sender=PLACEHOLDER)
    )


def documents_due(organisation_id: int, cutoffs: Cutoffs) -> QuerySet[Case]:
    """Closed cases with documents whose time is up (a case's documents go together)."""
    return Case.objects.filter(
        organisation_id=organisation_id,
        status=CaseStatus.CLOSED,
        closed_at__lt=cutoffs.documents,
    ).filter(Exists(Attachment.objects.filter(case=OuterRef("pk"))))


def email_attachments_due(organisation_id: int, cutoffs: Cutoffs) -> QuerySet[InboundMessage]:
    """Emails, with attachments still stored, whose time is up; not those still waiting to be
    sorted."""
    return (
        InboundMessage.objects.filter(
            organisation_id=organisation_id, received_at__lt=cutoffs.documents
        )
        .exclude(outcome=MessageOutcome.TRIAGE)
        .filter(Exists(HeldAttachment.objects.filter(message=OuterRef("pk"))))
    )


def notifications_due(organisation_id: int, cutoffs: Cutoffs) -> QuerySet[OutboxMessage]:
    """Messages sent (or given up on); never one still waiting to go."""
    return OutboxMessage.objects.filter(
        organisation_id=organisation_id, created_at__lt=cutoffs.notifications
    ).exclude(status__in=(MessageStatus.QUEUED, MessageStatus.SENDING))


def chats_due(organisation_id: int, cutoffs: Cutoffs) -> QuerySet[Conversation]:
    """Chats and calls, but those waiting for or with an adviser."""
    return Conversation.objects.filter(
        organisation_id=organisation_id, updated_at__lt=cutoffs.chats
    ).exclude(state__in=(ConversationState.WAITING, ConversationState.WITH_ADVISER))


def page_feedback_due(organisation_id: int, cutoffs: Cutoffs) -> QuerySet[PageFeedback]:
    return PageFeedback.objects.filter(
        organisation_id=organisation_id, created_at__lt=cutoffs.page_feedback
    ).exclude(comment="")


def audit_due(organisation_id: int, cutoffs: Cutoffs) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(organisation_id=organisation_id, at__lt=cutoffs.audit)


def access_entries_due(organisation_id: int, cutoffs: Cutoffs) -> QuerySet[AccessEntry]:
    return AccessEntry.objects.filter(organisation_id=organisation_id, at__lt=cutoffs.audit)


# ---------------------------------------------------------------------------------------------
# Applying it, a batch at a time


@dataclass
class Tally:
    done: int = 0
    held: int = 0

    def add(self, other: Tally) -> None:
        self.done += other.done
        self.held += other.held


def _scope(
    organisation_id: int,
    *,
    case_ids: Iterable[int] = (),
    contact_ids: Iterable[int] = (),
    inbound_ids: Iterable[int] = (),
    assessment_ids: Iterable[int] = (),
) -> Scope:
    """A scope of some records alone, no customer's: the registry's kinds then find only the
    rows that hang off them."""
    return Scope(
        customer_id=0,
        organisation_id=organisation_id,
        customer_ids=frozenset(),
        user_ids=frozenset(),
        case_ids=frozenset(case_ids),
        contact_ids=frozenset(contact_ids),
        conversation_ids=frozenset(),
        inbound_ids=frozenset(inbound_ids),
        visit_ids=frozenset(),
        assessment_ids=frozenset(assessment_ids),
    )


def _erase_by_registry(scope: Scope, keys: Iterable[str] | None = None) -> None:
    kinds = KINDS if keys is None else [KINDS_BY_KEY[key] for key in keys]
    for kind in kinds:
        if kind.personal:
            kind_erase(kind=kind, scope=scope)


def _not_held(rows: list[tuple[int, int | None, int | None]]) -> tuple[list[int], int]:
    """Of (id, customer id, case id) rows, the ids free to go, and how many are held."""
    holds = retention_holds(
        customer_ids={customer for _, customer, _ in rows if customer is not None},
        case_ids={case for _, _, case in rows if case is not None},
    )
    free = [pk for pk, customer, case in rows if not holds.hold(customer_id=customer, case_id=case)]
    return free, len(rows) - len(free)


def _anonymise_cases(organisation_id: int, ids: list[int]) -> Tally:
    """Everything on these closed cases is erased by the registry's rules; the cases stay."""
    free, held = _not_held(
        list(Case.objects.filter(pk__in=ids).values_list("pk", "customer_id", "pk"))
    )
    if free:
        inbound = InboundMessage.objects.filter(case__in=free).values_list("pk", flat=True)
        _erase_by_registry(_scope(organisation_id, case_ids=free, inbound_ids=inbound))
        now = timezone.now()
        with transaction.atomic():
            AnonymisedCase.objects.bulk_create(
                [AnonymisedCase(case_id=pk, anonymised_at=now) for pk in free],
                ignore_conflicts=True,
            )
    return Tally(done=len(free), held=held)


def _anonymise_contacts(organisation_id: int, ids: list[int]) -> Tally:
    """The contacts' summaries, with the messages, quality check comments and ratings' comments
    that belong to them."""
    free, held = _not_held(
        list(Contact.objects.filter(pk__in=ids).values_list("pk", "customer_id", "case_id"))
    )
    if free:
        scope = _scope(
            organisation_id,
            contact_ids=free,
            inbound_ids=InboundMessage.objects.filter(contact__in=free).values_list(
                "pk", flat=True
            ),
            assessment_ids=QualityAssessment.objects.filter(contact__in=free).values_list(
                "pk", flat=True
            ),
        )
        _erase_by_registry(scope)
    return Tally(done=len(free), held=held)


def _anonymise_messages_received(organisation_id: int, ids: list[int]) -> Tally:
    free, held = _not_held(
        list(InboundMessage.objects.filter(pk__in=ids).values_list("pk", "customer_id", "case_id"))
    )
    if free:
        _erase_by_registry(
            _scope(organisation_id, inbound_ids=free),
            keys=("inbound_messages", "inbound_attachments"),
        )
    return Tally(done=len(free), held=held)


def _delete_case_documents(organisation_id: int, ids: list[int]) -> Tally:
    free, _ = _not_held(
        list(Case.objects.filter(pk__in=ids).values_list("pk", "customer_id", "pk"))
    )
    held = Attachment.objects.filter(case__in=set(ids) - set(free)).count()
    done = kind_erase(kind=KINDS_BY_KEY["documents"], scope=_scope(organisation_id, case_ids=free))
    return Tally(done=done, held=held)


def _delete_email_attachments(organisation_id: int, ids: list[int]) -> Tally:
    free, _ = _not_held(
        list(InboundMessage.objects.filter(pk__in=ids).values_list("pk", "customer_id", "case_id"))
    )
    held = HeldAttachment.objects.filter(message__in=set(ids) - set(free)).count()
    done = kind_erase(
        kind=KINDS_BY_KEY["inbound_attachments"], scope=_scope(organisation_id, inbound_ids=free)
    )
    return Tally(done=done, held=held)


def _deleting(
    model: type[Model], *, customer: str, case: str | None
) -> Callable[[int, list[int]], Tally]:
    """Delete rows of ``model`` but those held; ``customer`` and ``case`` name the columns that
    tie a row to a customer and a case."""

    def delete(organisation_id: int, ids: list[int]) -> Tally:
        columns = ("pk", customer, case) if case else ("pk", customer)
        rows = model._default_manager.filter(pk__in=ids).values_list(*columns)
        free, held = _not_held([(row[0], row[1], row[2] if case else None) for row in rows])
        with transaction.atomic():
            model._default_manager.filter(pk__in=free).delete()
        return Tally(done=len(free), held=held)

    return delete


def _delete_audit_entries(organisation_id: int, ids: list[int]) -> Tally:
    rows = [
        (
            pk,
            subject_id if subject_type == "customer" else None,
            subject_id if subject_type == "case" else None,
        )
        for pk, subject_type, subject_id in AuditEvent.objects.filter(pk__in=ids).values_list(
            "pk", "subject_type", "subject_id"
        )
    ]
    free, held = _not_held(rows)
    with transaction.atomic():
        AuditEvent.objects.filter(pk__in=free).delete()
    return Tally(done=len(free), held=held)


def _blank_page_feedback(organisation_id: int, ids: list[int]) -> Tally:
    # Nothing ties page feedback to anyone, so nothing holds it.
    with transaction.atomic():
        done = PageFeedback.objects.filter(pk__in=ids).update(comment="")
    return Tally(done=done)


@dataclass(frozen=True)
class Step:
    kind: RecordKind
    rows: Callable[[int, Cutoffs], QuerySet[Any]]
    apply: Callable[[int, list[int]], Tally]
    batch: int = BATCH
    # How many records the rows stand for, when a row is not one record (documents are
    # found by their case or email).
    count: Callable[[QuerySet[Any]], int] | None = None

    def records(self, organisation_id: int, cutoffs: Cutoffs) -> int:
        rows = self.rows(organisation_id, cutoffs)
        return self.count(rows) if self.count is not None else rows.count()


STEPS: tuple[Step, ...] = (
    Step(
        RecordKind.DOCUMENTS,
        documents_due,
        _delete_case_documents,
        batch=50,
        count=lambda cases: Attachment.objects.filter(case__in=cases).count(),
    ),
    Step(
        RecordKind.DOCUMENTS,
        email_attachments_due,
        _delete_email_attachments,
        count=lambda messages: HeldAttachment.objects.filter(message__in=messages).count(),
    ),
    Step(RecordKind.CLOSED_CASES, closed_cases_due, _anonymise_cases),
    Step(RecordKind.CONTACTS, contacts_due, _anonymise_contacts),
    Step(RecordKind.CONTACTS, messages_received_due, _anonymise_messages_received),
    Step(
        RecordKind.NOTIFICATIONS,
        notifications_due,
        _deleting(OutboxMessage, customer="customer_id", case="case_id"),
    ),
    Step(
        RecordKind.CHATS,
        chats_due,
        _deleting(Conversation, customer="customer_id", case=None),
        batch=CHATS_BATCH,
    ),
    Step(RecordKind.PAGE_FEEDBACK, page_feedback_due, _blank_page_feedback),
    Step(RecordKind.AUDIT, audit_due, _delete_audit_entries),
    Step(
        RecordKind.AUDIT,
        access_entries_due,
        _deleting(AccessEntry, customer="customer_id", case="case_id"),
    ),
)


class LeaseLost(RuntimeError):
    """Another worker took over the retention job: this one stops where it is."""


def retention_apply(now: datetime | None = None) -> dict[int, dict[str, Tally]]:
    """Apply every council's retention schedule; the worker's daily job. Returns, for each
    council, what was done and held by kind of record."""
    now = now or timezone.now()
    results: dict[int, dict[str, Tally]] = {}
    failure: Exception | None = None
    with job_lease(RETENTION_LEASE_NAME, seconds=RETENTION_LEASE_SECONDS) as lease:
        if lease is None:
            logger.info("The retention schedule is being applied by another worker")
            return results
        for organisation_id in Organisation.objects.order_by("pk").values_list("pk", flat=True):
            # One council's failure does not stop the others'; the first is raised at the end,
            # so the worker reports it.
            try:
                results[organisation_id] = _apply_for(organisation_id, now=now, lease=lease)
            except LeaseLost:
                raise
            except Exception as problem:
                logger.error(
                    "Retention stopped for organisation %s (%s)",
                    organisation_id,
                    error_summary(problem),
                )
                failure = failure or problem
    for organisation_id, tallies in results.items():
        logger.info(
            "Retention applied for organisation %s: %s",
            organisation_id,
            ", ".join(
                f"{kind} {tally.done} ({tally.held} held)" for kind, tally in tallies.items()
            ),
        )
    if failure is not None:
        raise failure
    return results


def _apply_for(organisation_id: int, *, now: datetime, lease: Lease) -> dict[str, Tally]:
    cutoffs = cutoffs_at(retention_periods(organisation_id=organisation_id), now)
    run = RetentionRun.objects.create(organisation_id=organisation_id, started_at=timezone.now())
    tallies: dict[str, Tally] = {}
    for step in STEPS:
        tally = tallies.setdefault(step.kind, Tally())
        for ids in ids_in_batches(step.rows(organisation_id, cutoffs), size=step.batch):
            if not lease.renew():
                raise LeaseLost("The retention job's lease ran out; another worker took over")
            tally.add(step.apply(organisation_id, ids))
            # The log stays true to what was done if the run stops before the end.
            RetentionRun.objects.filter(pk=run.pk).update(
                done={kind: found.done for kind, found in tallies.items()},
                held={kind: found.held for kind, found in tallies.items()},
            )
    RetentionRun.objects.filter(pk=run.pk).update(
        done={kind: found.done for kind, found in tallies.items()},
        held={kind: found.held for kind, found in tallies.items()},
        finished_at=timezone.now(),
    )
    return tallies


# ---------------------------------------------------------------------------------------------
# The report: what will go next week, and what went


@dataclass(frozen=True)
class KindForecast:
    kind: RecordKind
    period: str  # "6 years after the case was closed"
    action: str
    due: int  # past their time by the end of the week and not yet dealt with
    held_last_run: int | None
    by_service_area: tuple[tuple[str, str], ...] = ()  # (service area, period), where set


def retention_forecast(
    *, organisation_id: int, now: datetime | None = None, days: int = FORECAST_DAYS
) -> list[KindForecast]:
    """For each kind of record, how many will be past their time ``days`` from now and not yet
    dealt with: those the job will remove or anonymise over the coming week, with any it held
    back before (the last run's count of held records says how many of those there were)."""
    now = now or timezone.now()
    periods = retention_periods(organisation_id=organisation_id)
    cutoffs = cutoffs_at(periods, now + timedelta(days=days))
    last = RetentionRun.objects.filter(
        organisation_id=organisation_id, finished_at__isnull=False
    ).first()
    due: dict[str, int] = {}
    for step in STEPS:
        due[step.kind] = due.get(step.kind, 0) + step.records(organisation_id, cutoffs)
    months = {
        RecordKind.CLOSED_CASES: periods.closed_cases_months,
        RecordKind.CONTACTS: periods.contacts_months,
        RecordKind.DOCUMENTS: periods.documents_months,
        RecordKind.NOTIFICATIONS: periods.notifications_months,
        RecordKind.PAGE_FEEDBACK: periods.page_feedback_months,
        RecordKind.AUDIT: periods.audit_months,
    }
    area_names = dict(
        ServiceArea.objects.filter(pk__in=list(periods.service_areas)).values_list("pk", "name")
    )
    by_area = tuple(
        sorted(
            (area_names.get(area, f"Service area {area}"), period_words(area_months))
            for area, area_months in periods.service_areas.items()
        )
    )
    forecasts = []
    for kind in RecordKind:
        length = (
            days_words(periods.chats_days)
            if kind == RecordKind.CHATS
            else period_words(months[kind])
        )
        forecasts.append(
            KindForecast(
                kind=kind,
                period=f"{length} {COUNTED_FROM[kind]}",
                action=ACTIONS[kind],
                due=due.get(kind, 0),
                held_last_run=last.held.get(kind, 0) if last is not None else None,
                by_service_area=by_area if kind == RecordKind.CLOSED_CASES else (),
            )
        )
    return forecasts


def retention_runs(*, organisation_id: int, since: datetime) -> list[RetentionRun]:
    """The job's runs for the council since ``since``, newest first."""
    return list(RetentionRun.objects.filter(organisation_id=organisation_id, started_at__gte=since))


def counts_in_words(counts: Mapping[str, int]) -> str:
    """A run's counts: 'Closed cases: 12; Documents and photos: 3', or 'Nothing'."""
    shown = [
        f"{RecordKind(kind).label}: {count}"
        for kind, count in counts.items()
        if count and kind in RecordKind.values
    ]
    return "; ".join(shown) or "Nothing"


# Who reads the report: data protection officers, and administrators, who set the schedule.
REPORT_ROLES = frozenset({Role.DATA_PROTECTION, Role.ADMIN})
# How far back the staff page lists the job's runs.
REPORT_DAYS = 30


def may_see_retention_report(staff: StaffMember) -> bool:
    return staff.role in REPORT_ROLES


@dataclass(frozen=True)
class RetentionReport:
    periods: Periods
    forecast: list[KindForecast]
    runs: list[RetentionRun]
    since: datetime


def retention_report(*, staff: StaffMember, now: datetime | None = None) -> RetentionReport:
    """The staff page's report for the member of staff's council."""
    if not may_see_retention_report(staff):
        raise NotPermitted(
            "Only data protection officers and administrators can see the retention report."
        )
    now = now or timezone.now()
    since = now - timedelta(days=REPORT_DAYS)
    return RetentionReport(
        periods=retention_periods(organisation_id=staff.organisation_id),
        forecast=retention_forecast(organisation_id=staff.organisation_id, now=now),
        runs=retention_runs(organisation_id=staff.organisation_id, since=since),
        since=since,
    )
