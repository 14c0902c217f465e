"""Storing checked documents on cases, and removing them again if the change that stored them
is rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from civicdesk.core.audit import Actor

from .documents import CheckedDocument, Upload, document_check
from .editing import case_audit, case_lock, case_save
from .models import Attachment, Case


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
    )
    attachment.file.save(document.stored_name, ContentFile(document.content), save=False)
    stored.append(attachment)
    attachment.save()
    case_audit(
        case,
        action="document_added",
        actor=actor,
        after={"attachment_id": attachment.pk, "content_type": document.content_type},
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
