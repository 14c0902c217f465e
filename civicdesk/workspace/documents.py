"""Handing a stored document to a member of staff: after the caller's permission check, the
access log entry, then the file itself, never cached on the way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import FileResponse, Http404, HttpRequest

from civicdesk.privacy.choices import AccessKind

from .access_log_views import record_opening

if TYPE_CHECKING:
    from civicdesk.cases.models import Attachment
    from civicdesk.organisations.models import StaffMember


def document_download(
    request: HttpRequest,
    staff: StaffMember,
    *,
    document: Attachment,
    customer_id: int | None,
    case_id: int | None,
) -> FileResponse:
    """The document as a download, logged as opened by ``staff``; "not found" when its file
    is gone from storage. ``customer_id`` and ``case_id`` are the reader's own organisation's
    records it belongs to, or None when it came from another organisation."""
    try:
        content = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("There is no such document.") from None
    record_opening(
        request,
        staff,
        what=AccessKind.DOCUMENT,
        customer_id=customer_id,
        case_id=case_id,
        document_id=document.pk,
    )
    response = FileResponse(
        content,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
