"""Storing checked documents on cases, and removing them again if the change that stored them
is rolled back; releasing documents held while the virus scanner was down (ADR 28)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from civicdesk.core.audit import SYSTEM, Actor
from civicdesk.core.jobs import ids_in_batches

from .choices import VirusCheck
from .documents import CheckedDocument, Upload, document_check
from .editing import case_audit, case_lock, case_save
from .models import Attachment, Case
from .virus_scan import ScannerUnavailable, ScanResult, scanning_configured, virus_scan

logger = logging.getLogger(__name__)
HELD_BATCH_SIZE = 50


def case_attach(*, case: Case, upload: Upload, actor: Actor, public: bool = True) -> Attachment:
    document = document_check(upload)
    with removing_files_on_failure() as stored, transaction.atomic():
        case = case_lock(case)
        attachment = document_store(case, document, actor=actor, stored=stored, public=public)
        case_save(case)
    return attachment


def document_store(
    case: Case,
    document: CheckedDocument,
    *,
    actor: Actor,
    stored: list[Attachment],
    public: bool = True,
) -> Attachment:
    """Write the document to storage and add it to ``stored``, for removing_files_on_failure."""
    attachment = Attachment(
        case=case,
        original_name=document.original_name,
        content_type=document.content_type,
        size=len(document.content),
        uploaded_by=actor.saved_user,
        uploaded_label=actor.label,
        public=public,
        virus_check=document.virus_check,
    )
    attachment.file.save(document.stored_name, ContentFile(document.content), save=False)
    stored.append(attachment)
    attachment.save()
    case_audit(
        case,
        action="document_added",
        actor=actor,
        after={
            "attachment_id": attachment.pk,
            "content_type": document.content_type,
            "virus_check": document.virus_check,
        },
    )
    return attachment


@contextmanager
def removing_files_on_failure() -> Iterator[list[Attachment]]:
    """Documents are written to storage inside the transaction; if it rolls back, delete them,
    so that a refused request leaves nothing behind on disk."""
    stored: list[Attachment] = []
    try:
        yield stored
    except BaseException:
        for attachment in stored:
            if attachment.file.name:
                default_storage.delete(attachment.file.name)
        raise


def held_documents_recheck() -> int:
    """Scan again the documents held while the virus scanner could not be reached: release
    the clean ones, and delete the file of any with a virus. Runs in the worker
    (PERIODIC_JOBS); stops at the first document the scanner still cannot check."""
    if not scanning_configured():
        return 0
    decided = 0
    held = Attachment.objects.filter(virus_check=VirusCheck.HELD)
    for batch in ids_in_batches(held, size=HELD_BATCH_SIZE):
        for attachment_id in batch:
            try:
                decided += _held_document_recheck(attachment_id)
            except ScannerUnavailable:
                logger.info("Held documents: the virus scanner is still unavailable")
                return decided
    return decided


def _held_document_recheck(attachment_id: int) -> int:
    attachment = Attachment.objects.filter(pk=attachment_id, virus_check=VirusCheck.HELD).first()
    if attachment is None:
        return 0
    with attachment.file.open("rb") as handle:
        result = virus_scan(content=handle.read())
    with transaction.atomic():
        attachment = (
            Attachment.objects.select_for_update()
            .select_related("case")
            .filter(pk=attachment_id, virus_check=VirusCheck.HELD)
            .first()
        )
        if attachment is None:
            return 0
        _held_document_decide(attachment, result)
    return 1


def _held_document_decide(attachment: Attachment, result: ScanResult) -> None:
    attachment.virus_check = VirusCheck.CLEAN if result.clean else VirusCheck.INFECTED
    attachment.save(update_fields=["virus_check"])
    case_audit(
        attachment.case,
        action="document_released" if result.clean else "document_removed",
        actor=SYSTEM,
        before={"attachment_id": attachment.pk, "virus_check": VirusCheck.HELD},
        after={"attachment_id": attachment.pk, "virus_check": attachment.virus_check},
    )
    if not result.clean:
        logger.warning(
            "Held document %s on case %s had a virus (%s); its file is deleted",
            attachment.pk,
            attachment.case_id,
            result.signature,
        )
        name = str(attachment.file.name)
        transaction.on_commit(lambda: default_storage.delete(name))
