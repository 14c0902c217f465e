"""A subject access disclosure for a data protection officer: produced from the export, kept in
private storage, downloaded once (ADR 29).

The bundle the resident will get (``subject-access.json``, ``subject-access.html`` and
``documents/``, zipped) and, apart from it, the values that name other people are stored under
``privacy/`` in the private document storage, which has no web address. The officer who
produced it downloads the bundle once; as it is sent it is deleted from storage, so no copy is
left waiting on the server. Producing and downloading are both in the audit trail.
"""

from __future__ import annotations

import json
import secrets
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from civicdesk.core.audit import Actor, audit_record, audit_record_of
from civicdesk.core.errors import DomainError, NotFound, NotPermitted
from civicdesk.customers.models import Customer

from .choices import SUBJECT_ACCESS_SERVICE
from .models import Disclosure
from .services import (
    REDACTIONS_NAME,
    AlreadyDownloaded,
    subject_access_audit,
    subject_access_write,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from civicdesk.cases.models import Case
    from civicdesk.organisations.models import StaffMember

PRIVATE_FOLDER = "privacy"
BUNDLE_NAME = "subject-access.zip"


def disclosure_produce(
    *, customer: Customer, officer: User, case: Case | None = None, now: datetime | None = None
) -> Disclosure:
    """Export everything held about ``customer`` into a zipped bundle for the resident and a
    list of other people's names for ``officer`` to consider, both stored privately.
    ``case`` is the subject access request it answers, if there is one."""
    if case is not None and (
        case.customer_id != customer.pk or case.request_type.key != SUBJECT_ACCESS_SERVICE
    ):
        raise DomainError(f"Case {case.reference} is not this customer's subject access request.")
    now = now or timezone.now()
    folder = f"{PRIVATE_FOLDER}/{customer.organisation_id}/{secrets.token_hex(16)}"
    with tempfile.TemporaryDirectory() as temporary:
        export = Path(temporary) / "export"
        result = subject_access_write(customer=customer, directory=export)
        archive = Path(temporary) / BUNDLE_NAME
        _zip(export, archive, leave_out={REDACTIONS_NAME})
        stored: list[str] = []
        try:
            with archive.open("rb") as bundle:
                stored.append(default_storage.save(f"{folder}/{BUNDLE_NAME}", File(bundle)))
            redactions = (export / REDACTIONS_NAME).read_bytes()
            stored.append(
                default_storage.save(f"{folder}/{REDACTIONS_NAME}", ContentFile(redactions))
            )
            with transaction.atomic():
                disclosure = Disclosure.objects.create(
                    organisation_id=customer.organisation_id,
                    customer=customer,
                    case=case,
                    produced_by=officer,
                    produced_at=now,
                    bundle=stored[0],
                    redactions=stored[1],
                    records=result.records,
                    documents=result.documents,
                    missing_documents=result.missing_documents,
                )
                actor = Actor.for_user(officer)
                subject_access_audit(
                    customer=customer, result=result, actor=actor, disclosure=disclosure.pk
                )
                if case is not None:
                    _case_audit(
                        case, action="disclosure_produced", actor=actor, disclosure=disclosure
                    )
        except BaseException:
            for name in stored:
                default_storage.delete(name)
            raise
    return disclosure


def _zip(directory: Path, archive: Path, *, leave_out: set[str]) -> None:
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(directory.rglob("*")):
            relative = path.relative_to(directory).as_posix()
            if path.is_file() and relative not in leave_out:
                bundle.write(path, arcname=relative)


class _DeletedWhenClosed(File):
    """The bundle as it is sent: once the response has read it and closed it, it is deleted
    from storage and the disclosure no longer names it."""

    def __init__(self, file: IO[bytes], *, disclosure_id: int, storage_name: str) -> None:
        super().__init__(file, name=BUNDLE_NAME)
        self._disclosure_id = disclosure_id
        self._storage_name = storage_name

    def close(self) -> None:
        super().close()
        default_storage.delete(self._storage_name)
        Disclosure.objects.filter(pk=self._disclosure_id).update(bundle="")


def disclosure_download(
    *, disclosure: Disclosure, officer: User, now: datetime | None = None
) -> File:
    """Record that ``officer`` downloaded the disclosure and open its bundle, which is deleted
    from storage once it has been read. Only the officer who produced it may, and only once: a
    second time is refused, saying who downloaded it and when."""
    if disclosure.produced_by_id != officer.pk:
        raise NotPermitted("Only the officer who produced this disclosure can download it.")
    now = now or timezone.now()
    with transaction.atomic():
        claimed = (
            Disclosure.objects.filter(pk=disclosure.pk, downloaded_at__isnull=True)
            .exclude(bundle="")
            .update(downloaded_at=now, downloaded_by=officer)
        )
        if not claimed:
            raise AlreadyDownloaded(already_downloaded_message(disclosure_get(disclosure.pk)))
        actor = Actor.for_user(officer)
        audit_record(
            organisation=disclosure.organisation,
            subject_type="customer",
            subject_id=disclosure.customer_id,
            action="subject_access_downloaded",
            actor=actor,
            after={"disclosure": disclosure.pk},
        )
        if disclosure.case is not None:
            _case_audit(
                disclosure.case, action="disclosure_downloaded", actor=actor, disclosure=disclosure
            )
    name = disclosure.bundle.name or ""
    try:
        opened = default_storage.open(name, "rb")
    except FileNotFoundError as missing:
        raise NotFound("The disclosure's file is no longer in storage. Produce it again.") from (
            missing
        )
    return _DeletedWhenClosed(opened, disclosure_id=disclosure.pk, storage_name=name)


def already_downloaded_message(disclosure: Disclosure) -> str:
    if disclosure.downloaded_at is None:
        return "This disclosure's file is no longer in storage. Produce it again."
    by = disclosure.downloaded_by
    who = (by.get_full_name() or by.get_username()) if by is not None else "someone"
    return (
        f"This disclosure was already downloaded, by {who} at "
        f"{_moment(disclosure.downloaded_at)}. A disclosure can be downloaded once: produce it "
        "again if you need another copy."
    )


def _moment(at: datetime) -> str:
    local = timezone.localtime(at)
    return f"{local:%H:%M} on {local.day} {local:%B %Y}"


def _case_audit(case: Case, *, action: str, actor: Actor, disclosure: Disclosure) -> None:
    audit_record_of(
        case,
        subject_type="case",
        action=action,
        actor=actor,
        after={"disclosure": disclosure.pk},
    )


# Reading


def disclosure_get(disclosure_id: int) -> Disclosure:
    return Disclosure.objects.select_related(
        "organisation", "customer", "case__organisation", "produced_by", "downloaded_by"
    ).get(pk=disclosure_id)


def access_disclosure(*, staff: StaffMember, disclosure_id: int) -> Disclosure:
    """A disclosure the member of staff produced. Anyone else's is reported exactly like one
    that does not exist."""
    disclosure = (
        Disclosure.objects.select_related(
            "organisation", "customer", "case__organisation", "produced_by", "downloaded_by"
        )
        .filter(
            pk=disclosure_id,
            organisation_id=staff.organisation_id,
            produced_by_id=staff.user_id,
        )
        .first()
    )
    if disclosure is None:
        raise NotFound("There is no such disclosure.")
    return disclosure


def disclosures_of_customer(*, customer: Customer) -> list[Disclosure]:
    """Disclosures produced for the customer, newest first."""
    return list(
        Disclosure.objects.filter(customer=customer).select_related(
            "case", "produced_by", "downloaded_by"
        )
    )


def disclosure_redactions(disclosure: Disclosure) -> list[dict[str, Any]]:
    """The values in the bundle that name other people, for the officer to consider before
    the bundle is released: kind of record, record, field and value."""
    if not disclosure.redactions.name:
        return []
    try:
        with default_storage.open(disclosure.redactions.name, "rb") as source:
            document = json.loads(source.read().decode("utf-8"))
    except FileNotFoundError:
        return []
    values: list[dict[str, Any]] = document.get("values", [])
    return values
