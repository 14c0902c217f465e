"""Checking uploaded documents before they are stored: size, type and actual content."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from civicdesk.core.errors import ValidationFailed

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

# What a file must start with to be what it says it is. The name's extension is not trusted.
_SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes


@dataclass(frozen=True)
class CheckedDocument:
    original_name: str
    stored_name: str
    content_type: str
    content: bytes


def document_check(upload: Upload) -> CheckedDocument:
    name = upload.name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "document"
    if not upload.content:
        raise ValidationFailed(f"{name} is empty", fields={"file": "The selected file is empty"})
    if len(upload.content) > MAX_DOCUMENT_BYTES:
        raise ValidationFailed(
            f"{name} is too big", fields={"file": "The selected file must be smaller than 10MB"}
        )
    for signature, content_type, extension in _SIGNATURES:
        if upload.content.startswith(signature):
            return CheckedDocument(
                original_name=name[:200],
                stored_name=f"{uuid.uuid4().hex}{extension}",
                content_type=content_type,
                content=upload.content,
            )
    raise ValidationFailed(
        f"{name} is not a PDF, JPG or PNG",
        fields={"file": "The selected file must be a PDF, JPG or PNG"},
    )
