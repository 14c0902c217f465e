"""Subject access exports and erasure of a customer's personal data (UK GDPR articles 15, 17).

Both follow the registry (``registry.KINDS``). Erasure works kind by kind in small batches,
each its own short transaction, and every step can be done again without harm, so an erasure
that stops part-way is finished by running it again. Rows are kept wherever the council counts
them (contacts, cases, ratings, complaints) with their dates and categories, so the insight
figures and complaint statistics stay as they were; what is personal in them goes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from civicdesk.cases.choices import OPEN_STATUSES, CaseStatus
from civicdesk.cases.lifecycle import case_transition
from civicdesk.cases.models import Case
from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.errors import DomainError
from civicdesk.core.jobs import ids_in_batches
from civicdesk.customers.models import Customer

from .choices import ERASURE_SERVICE
from .models import Erasure
from .registry import KINDS, PLACEHOLDER, SAFE_KEYS, Erase, Kind, Scope, scope_for
from .rendering import subject_access_html
from .selectors import (
    KindPlan,
    SubjectAccess,
    erasure_holds,
    erasure_plan,
    subject_access_collect,
)

# Rows per erasure transaction: a few milliseconds of writing on either database.
ERASE_BATCH = 200

JSON_NAME = "subject-access.json"
HTML_NAME = "subject-access.html"
REDACTIONS_NAME = "redact-before-release.json"
DOCUMENTS_DIR = "documents"


class AlreadyErased(DomainError):
    code = "already_erased"


class LegalHold(DomainError):
    code = "legal_hold"


class RecordsChanged(DomainError):
    code = "records_changed"


class AlreadyDownloaded(DomainError):
    code = "already_downloaded"


# ---------------------------------------------------------------------------------------------
# Subject access


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    records: int
    documents: int
    missing_documents: int
    third_party_values: int


def subject_access_export(*, customer: Customer, directory: Path, actor: Actor) -> ExportResult:
    """Write everything held about ``customer`` into ``directory``: the JSON and a readable
    HTML copy, the documents, and apart from them the values that name other people, for the
    officer to redact before release. The export is recorded in the audit trail."""
    result = subject_access_write(customer=customer, directory=directory)
    subject_access_audit(customer=customer, result=result, actor=actor)
    return result


def subject_access_write(*, customer: Customer, directory: Path) -> ExportResult:
    """The export's files, written to ``directory`` and not yet recorded in the audit trail."""
    access = subject_access_collect(scope_for(customer))
    directory.mkdir(parents=True, exist_ok=True)
    copied, missing = _copy_documents(access, directory)
    (directory / JSON_NAME).write_text(
        json.dumps(_export_json(customer, access, copied), indent=2, ensure_ascii=False),
        encoding="utf-8",
    )
    (directory / HTML_NAME).write_text(
        subject_access_html(customer=customer, access=access, documents=copied),
        encoding="utf-8",
    )
    (directory / REDACTIONS_NAME).write_text(
        json.dumps(_redactions_json(customer, access), indent=2, ensure_ascii=False),
        encoding="utf-8",
    )
    return ExportResult(
        directory=directory,
        records=access.record_count,
        documents=len(copied),
        missing_documents=missing,
        third_party_values=len(access.third_parties),
    )


def subject_access_audit(
    *, customer: Customer, result: ExportResult, actor: Actor, **more: int | str
) -> None:
    audit_record(
        organisation=customer.organisation,
        subject_type="customer",
        subject_id=customer.pk,
        action="subject_access_exported",
        actor=actor,
        after={"records": result.records, "documents": result.documents, **more},
    )


def _safe_file_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "document"
    return cleaned[:100]


def _copy_documents(access: SubjectAccess, directory: Path) -> tuple[dict[str, str], int]:
    """Copy each stored document into ``documents/``; returns storage name -> relative path,
    and how many could not be found in storage."""
    target = directory / DOCUMENTS_DIR
    copied: dict[str, str] = {}
    missing = 0
    for document in access.documents:
        if not default_storage.exists(document.storage_name):
            missing += 1
            continue
        target.mkdir(exist_ok=True)
        original = document.original_name or Path(document.storage_name).name
        relative = f"{DOCUMENTS_DIR}/{document.kind}-{document.record}-{_safe_file_name(original)}"
        with default_storage.open(document.storage_name, "rb") as source:
            (directory / relative).write_bytes(source.read())
        copied[document.storage_name] = relative
    return copied, missing


def _export_json(
    customer: Customer, access: SubjectAccess, copied: dict[str, str]
) -> dict[str, Any]:
    return {
        "customer": customer.pk,
        "organisation": customer.organisation.name,
        "produced_at": timezone.now().isoformat(),
        "records": {
            records.kind.key: {
                "title": records.kind.title,
                "explanation": records.kind.explanation,
                "rows": records.rows,
            }
            for records in access.kinds
        },
        "documents": [
            {
                "kind": document.kind,
                "record": document.record,
                "name": document.original_name,
                "file": copied.get(document.storage_name),
            }
            for document in access.documents
        ],
    }


def _redactions_json(customer: Customer, access: SubjectAccess) -> dict[str, Any]:
    return {
        "customer": customer.pk,
        "note": "Not for the resident. These values in the export name other people (staff, "
        "other customers). Decide for each whether to redact it before the export is released.",
        "values": [
            {"kind": value.kind, "record": value.record, "field": value.field, "value": value.value}
            for value in access.third_parties
        ],
    }


# ---------------------------------------------------------------------------------------------
# Erasure


@dataclass
class ErasureResult:
    customer_id: int
    dry_run: bool
    plan: list[KindPlan]
    counts: dict[str, int] = field(default_factory=dict)


def customer_erase(
    *,
    customer: Customer,
    actor: Actor,
    dry_run: bool = False,
    expected_records: Collection[int] | None = None,
) -> ErasureResult:
    """Erase the customer's personal data (and that of the records merged into theirs), or
    with ``dry_run`` say what would be erased and change nothing.

    Refused, changing nothing, when it was done already, when a legal hold applies (an open
    case or complaint, an Ombudsman referral), or when the customer records are not
    ``expected_records`` (the record and those merged into it that the officer was shown):
    a merge has happened since. Once erased, the customer's open requests to be erased are
    closed: the erasure was what they asked for.
    """
    if dry_run:
        scope = _erasable_scope(customer, expected_records)
        return ErasureResult(customer_id=customer.pk, dry_run=True, plan=erasure_plan(scope))
    with transaction.atomic():
        # A merge of this record that is under way holds its row: wait for it, then check
        # what it did, so that erasure never starts on records that are changing hands.
        customer = (
            Customer.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=customer.pk)
        )
        scope = _erasable_scope(customer, expected_records)
        Erasure.objects.get_or_create(
            customer=customer,
            defaults={"organisation_id": customer.organisation_id, "started_at": timezone.now()},
        )
    result = ErasureResult(customer_id=customer.pk, dry_run=False, plan=erasure_plan(scope))
    for kind in KINDS:
        if kind.personal:
            result.counts[kind.key] = kind_erase(kind=kind, scope=scope)
    _erasure_requests_close(scope, actor=actor)
    with transaction.atomic():
        Erasure.objects.filter(customer=customer).update(
            finished_at=timezone.now(), counts=result.counts
        )
        audit_record(
            organisation=customer.organisation,
            subject_type="customer",
            subject_id=customer.pk,
            action="personal_data_erased",
            actor=actor,
            after={"records": result.counts},
        )
    return result


def _erasable_scope(customer: Customer, expected_records: Collection[int] | None) -> Scope:
    """The customer's records, if erasure may go ahead; otherwise the refusal, in words."""
    if customer.merged_into_id is not None:
        raise DomainError(
            f"Customer {customer.pk} was merged into customer {customer.merged_into_id}. "
            f"Erase customer {customer.merged_into_id}, which now holds both records. "
            "Nothing was changed."
        )
    done = Erasure.objects.filter(customer=customer, finished_at__isnull=False).first()
    if done is not None:
        assert done.finished_at is not None
        raise AlreadyErased(
            f"Customer {customer.pk}'s personal data was already erased on "
            f"{timezone.localtime(done.finished_at):%d %B %Y at %H:%M}. Nothing was changed."
        )
    scope = scope_for(customer)
    if expected_records is not None and frozenset(expected_records) != scope.customer_ids:
        raise RecordsChanged(
            "Another customer record was merged into this one since you checked what would be "
            "erased. Nothing was changed. Check what will be erased now, then confirm again."
        )
    holds = erasure_holds(scope)
    if holds:
        raise LegalHold(
            "The personal data cannot be erased yet. Nothing was changed. " + " ".join(holds),
        )
    return scope


def _erasure_requests_close(scope: Scope, *, actor: Actor) -> None:
    for case in Case.objects.filter(
        pk__in=scope.case_ids, status__in=OPEN_STATUSES, request_type__key=ERASURE_SERVICE
    ):
        case_transition(case=case, to_status=CaseStatus.CLOSED, actor=actor)


def kind_erase(*, kind: Kind, scope: Scope) -> int:
    """Erase one kind's rows within ``scope`` (erasure's person, or retention's records past
    their time) a batch per transaction; returns how many rows were changed or
    deleted. Stored files go before the rows that name them, so that a failure in between
    leaves a row to find (and a file already gone) when the erasure is run again."""
    manager = kind.model._default_manager
    erased = 0
    for ids in ids_in_batches(kind.rows(scope), size=ERASE_BATCH):
        if kind.deletes_rows:
            for row in manager.filter(pk__in=ids).only("pk", *kind.file_fields):
                for name in kind.file_fields:
                    stored = getattr(row, name)
                    if stored and stored.name:
                        stored.storage.delete(stored.name)
            with transaction.atomic():
                manager.filter(pk__in=ids).delete()
        else:
            with transaction.atomic():
                _erase_fields(kind, manager.filter(pk__in=ids))
        erased += len(ids)
    return erased


def _erase_fields(kind: Kind, rows: QuerySet[Any]) -> None:
    fields = {
        name: kind.model._meta.get_field(name)
        for name, erase in kind.personal.items()
        if erase in (Erase.BLANK, Erase.PLACEHOLDER)
    }
    values = {
        name: _erased_value(model_field, kind.personal[name])  # type: ignore[arg-type]
        for name, model_field in fields.items()
    }
    scrubbed = [name for name, erase in kind.personal.items() if erase == Erase.SCRUB]
    if scrubbed:
        changed = []
        for row in rows.only("pk", *scrubbed):
            for name in scrubbed:
                setattr(row, name, scrub(getattr(row, name)))
            changed.append(row)
        kind.model._default_manager.bulk_update(changed, scrubbed)
    if values:
        rows.update(**values)
    if kind.on_erase is not None:
        kind.on_erase(rows)


def _erased_value(model_field: models.Field[Any, Any], erase: Erase) -> Any:
    if erase == Erase.PLACEHOLDER:
        return PLACEHOLDER[: model_field.max_length or None]
    if model_field.null:
        return None
    if isinstance(model_field, models.JSONField):
        return model_field.get_default() if model_field.has_default() else {}
    return ""


def scrub(value: Any) -> Any:
    """A copy of a JSON value with every string replaced and every number removed, except
    under SAFE_KEYS (ids, statuses, dates of what happened)."""
    if isinstance(value, dict):
        return {key: item if key in SAFE_KEYS else scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return PLACEHOLDER
    if isinstance(value, bool) or value is None:
        return value
    return None
