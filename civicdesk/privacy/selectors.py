"""Reading a customer's personal data for subject access, and what holds back erasure."""

from __future__ import annotations

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

from .registry import KINDS, Kind, Scope


def customer_for_privacy(customer_id: int) -> Customer:
    """The customer with this id; a record merged into another leads to the one it joined,
    which holds its history now."""
    customer = Customer.objects.select_related("organisation").filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(f"There is no customer {customer_id}.")
    while customer.merged_into_id is not None:
        customer = Customer.objects.select_related("organisation").get(pk=customer.merged_into_id)
    return customer


def erasure_holds(scope: Scope) -> list[str]:
    """Why the customer's data must be kept for now, in plain words; empty when nothing holds
    it. An open case or complaint is work still owed to them; an Ombudsman referral means the
    record may be needed as evidence."""
    holds: list[str] = []
    open_cases = Case.objects.filter(pk__in=scope.case_ids, status__in=OPEN_STATUSES)
    for reference in open_cases.order_by("opened_at").values_list("reference", flat=True):
        holds.append(f"Case {reference} is still open.")
    complaints = Complaint.objects.filter(case__in=scope.case_ids).select_related("case")
    for complaint in complaints.filter(
        Q(responded_at__isnull=True) | Q(case__status__in=OPEN_STATUSES)
    ).order_by("pk"):
        holds.append(f"The complaint on case {complaint.case.reference} is still open.")
    for complaint in complaints.filter(ombudsman_referred_at__isnull=False).order_by("pk"):
        assert complaint.ombudsman_referred_at is not None
        holds.append(
            f"The complaint on case {complaint.case.reference} was referred to the Ombudsman "
            f"on {complaint.ombudsman_referred_at:%d %B %Y}."
        )
    return holds


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
