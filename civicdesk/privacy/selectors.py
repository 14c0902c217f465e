"""Reading a customer's personal data for subject access, and what holds back erasure and
the retention job."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q

from civicdesk.cases.choices import OPEN_STATUSES
from civicdesk.cases.models import Case
from civicdesk.complaints.models import Complaint
from civicdesk.core.errors import NotFound
from civicdesk.customers.models import Customer
from civicdesk.referrals.choices import ReferralStatus
from civicdesk.referrals.models import Referral

from .choices import ERASURE_SERVICE
from .models import Erasure
from .registry import KINDS, Kind, Scope, scope_for


def customer_for_privacy(customer_id: int) -> Customer:
    """The customer with this id; a record merged into another leads to the one it joined,
    which holds its history now."""
    customer = Customer.objects.select_related("organisation").filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(f"There is no customer {customer_id}.")
    while customer.merged_into_id is not None:
        customer = Customer.objects.select_related("organisation").get(pk=customer.merged_into_id)
    return customer


# Complaints that hold a customer's records back from erasure and from the retention job:
# one still open (work still owed to them), or one referred to the Ombudsman (the record may
# be needed as evidence).
OPEN_COMPLAINT = Q(responded_at__isnull=True) | Q(case__status__in=OPEN_STATUSES)
OMBUDSMAN_REFERRAL = Q(ombudsman_referred_at__isnull=False)


def erasure_holds(scope: Scope) -> list[str]:
    """Why the customer's data must be kept for now, in plain words; empty when nothing holds
    it. An open case or complaint is work still owed to them; an Ombudsman referral means the
    record may be needed as evidence."""
    holds: list[str] = []
    # The request to erase is what erasure carries out, not work it would cut short.
    open_cases = Case.objects.filter(pk__in=scope.case_ids, status__in=OPEN_STATUSES).exclude(
        request_type__key=ERASURE_SERVICE
    )
    for reference in open_cases.order_by("opened_at").values_list("reference", flat=True):
        holds.append(f"Case {reference} is still open.")
    complaints = Complaint.objects.filter(case__in=scope.case_ids).select_related("case")
    for complaint in complaints.filter(OPEN_COMPLAINT).order_by("pk"):
        holds.append(f"The complaint on case {complaint.case.reference} is still open.")
    for complaint in complaints.filter(OMBUDSMAN_REFERRAL).order_by("pk"):
        assert complaint.ombudsman_referred_at is not None
        holds.append(
            f"The complaint on case {complaint.case.reference} was referred to the Ombudsman "
            f"on {complaint.ombudsman_referred_at:%d %B %Y}."
        )
    waiting = (
        Referral.objects.filter(from_organisation_id=scope.organisation_id)
        .filter(WAITING_REFERRAL)
        .filter(
            Q(customer__in=scope.customer_ids)
            | Q(case__in=scope.case_ids)
            | Q(contact__in=scope.contact_ids)
        )
        .select_related("to_organisation", "to_external")
    )
    for referral in waiting.order_by("sent_at", "pk"):
        holds.append(
            f"A referral to {referral.receiver_name} is still waiting for them to decide: "
            "withdraw it first, or wait for their decision."
        )
    return holds


# A referral still waiting for the receiver to decide is the sender's request to them, whole
# until decided or withdrawn: neither erasure nor the retention job empties it meanwhile.
WAITING_REFERRAL = Q(status=ReferralStatus.SENT)


@dataclass(frozen=True)
class RetentionHolds:
    """Customers and cases whose records stay past their time, for now."""

    customer_ids: frozenset[int]
    case_ids: frozenset[int]

    def hold(self, *, customer_id: int | None, case_id: int | None) -> bool:
        return customer_id in self.customer_ids or case_id in self.case_ids


def retention_holds(*, customer_ids: Iterable[int], case_ids: Iterable[int]) -> RetentionHolds:
    """Which of these customers and cases keep their records past the retention schedule, by
    the rules erasure follows. A case still open keeps its own records. A customer with a
    complaint still open or referred to the Ombudsman keeps all of theirs, and so do the
    records merged into or from theirs: the complaint may be about any of them. A case or a
    customer referred to another organisation that has not yet decided keeps its records."""
    customers = {pk for pk in customer_ids if pk is not None}
    cases = {pk for pk in case_ids if pk is not None}
    held_cases: set[int] = set()
    if cases:
        held_cases |= set(
            Case.objects.filter(pk__in=cases, status__in=OPEN_STATUSES).values_list("pk", flat=True)
        )
        held_cases |= set(
            Complaint.objects.filter(
                OPEN_COMPLAINT | OMBUDSMAN_REFERRAL, case__in=cases
            ).values_list("case_id", flat=True)
        )
        held_cases |= set(
            Referral.objects.filter(WAITING_REFERRAL, case__in=cases).values_list(
                "case_id", flat=True
            )
        )
    held_customers: set[int] = set()
    if customers:
        held_customers |= set(
            Referral.objects.filter(WAITING_REFERRAL, customer__in=customers).values_list(
                "customer_id", flat=True
            )
        )
        survivors = {
            survivor
            for survivor in Customer.objects.filter(
                pk__in=customers, merged_into__isnull=False
            ).values_list("merged_into_id", flat=True)
        }
        family = customers | survivors
        holding: set[int] = set()
        for customer_id, survivor_id in Complaint.objects.filter(
            Q(case__customer__in=family) | Q(case__customer__merged_into__in=family),
            OPEN_COMPLAINT | OMBUDSMAN_REFERRAL,
        ).values_list("case__customer_id", "case__customer__merged_into_id"):
            holding |= {pk for pk in (customer_id, survivor_id) if pk is not None}
        if holding:
            held_customers |= customers & holding
            held_customers |= set(
                Customer.objects.filter(pk__in=customers - holding)
                .filter(Q(merged_into__in=holding) | Q(merged_from__in=holding))
                .values_list("pk", flat=True)
            )
    return RetentionHolds(customer_ids=frozenset(held_customers), case_ids=frozenset(held_cases))


# Labels in the trail that name no other person: the system, or the resident themselves.
NOT_SOMEONE_ELSE = frozenset({"system", "resident"})


@dataclass(frozen=True)
class Document:
    kind: str
    record: int
    storage_name: str
    original_name: str


@dataclass(frozen=True)
class ThirdPartyValue:
    """A value in the export that names someone other than the customer."""

    kind: str
    record: int
    field: str
    value: str


@dataclass
class KindRecords:
    kind: Kind
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SubjectAccess:
    scope: Scope
    kinds: list[KindRecords]
    documents: list[Document]
    third_parties: list[ThirdPartyValue]

    @property
    def record_count(self) -> int:
        return sum(len(records.rows) for records in self.kinds)


def json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def subject_access_collect(scope: Scope) -> SubjectAccess:
    """Everything the registry says is the customer's, kind by kind, as plain values."""
    kinds: list[KindRecords] = []
    documents: list[Document] = []
    third_parties: list[ThirdPartyValue] = []
    for kind in KINDS:
        records = KindRecords(kind=kind)
        for row in kind.rows(scope).order_by("pk"):
            values: dict[str, Any] = {"id": row.pk}
            for name in kind.exported_fields:
                values[name] = json_value(getattr(row, name))
            for label, extra in kind.extras.items():
                values[label] = json_value(extra(row, scope))
            for name in kind.file_fields:
                if name in kind.withheld:
                    continue
                stored = getattr(row, name)
                if stored and stored.name:
                    documents.append(
                        Document(
                            kind=kind.key,
                            record=row.pk,
                            storage_name=stored.name,
                            original_name=str(getattr(row, "original_name", "") or ""),
                        )
                    )
            for name in kind.third_party:
                if values.get(name) and values[name] not in NOT_SOMEONE_ELSE:
                    third_parties.append(
                        ThirdPartyValue(
                            kind=kind.key, record=row.pk, field=name, value=str(values[name])
                        )
                    )
            records.rows.append(values)
        kinds.append(records)
    return SubjectAccess(scope=scope, kinds=kinds, documents=documents, third_parties=third_parties)


@dataclass(frozen=True)
class KindPlan:
    """What erasing one kind of record does: how many rows, and to which fields."""

    kind: Kind
    rows: int


def erasure_plan(scope: Scope) -> list[KindPlan]:
    return [KindPlan(kind=kind, rows=kind.rows(scope).count()) for kind in KINDS]


@dataclass(frozen=True)
class ErasureReview:
    """What a data protection officer checks before erasing a customer: the customer records
    it covers (theirs and those merged into it), what holds it back, what it would do to each
    kind of record, and whether it has already started or finished."""

    customer: Customer
    records: frozenset[int]
    holds: list[str]
    plan: list[KindPlan]
    started_at: datetime | None
    finished_at: datetime | None


def erasure_review(customer: Customer) -> ErasureReview:
    scope = scope_for(customer)
    erasure = Erasure.objects.filter(customer=customer).first()
    return ErasureReview(
        customer=customer,
        records=scope.customer_ids,
        holds=erasure_holds(scope),
        plan=erasure_plan(scope),
        started_at=erasure.started_at if erasure else None,
        finished_at=erasure.finished_at if erasure else None,
    )


def customer_as_recorded(*, organisation_id: int, customer_id: int) -> Customer:
    """The organisation's customer with this id, without following a merge to the record it
    joined: an erasure asked for a record that has since been merged is refused, not moved."""
    customer = (
        Customer.objects.select_related("organisation")
        .filter(organisation_id=organisation_id, pk=customer_id)
        .first()
    )
    if customer is None:
        raise NotFound("There is no such customer.")
    return customer
