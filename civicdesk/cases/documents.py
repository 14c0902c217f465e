"""Checking uploaded documents before they are stored (ADR 28).

A file is judged by what it is, not by its name nor only by its first bytes: it must start like
a PDF, JPG or PNG; the virus scanner (when set up) must find nothing; a photo is decoded and
drawn again so only its pixels are kept (document_images); a PDF must be readable and hold no
scripts, automatic actions or embedded files (document_pdfs). It is stored under a random name
with the extension of its real type; the name it came with is kept only to show, cleaned.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass

from civicdesk.core.errors import ValidationFailed

from .choices import VirusCheck
from .document_images import image_reencode
from .document_pdfs import pdf_check
from .virus_scan import (
    WHEN_DOWN_REFUSE,
    ScannerUnavailable,
    scanning_configured,
    virus_scan,
    when_scanner_down,
)

logger = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_NAME_CHARACTERS = 100
_UNSAFE_IN_NAMES = re.compile(r'[<>:"/\\|?*]')
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,10}")


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
    virus_check: str = VirusCheck.NOT_SCANNED


@dataclass(frozen=True)
class _Kind:
    signature: bytes
    content_type: str
    extensions: tuple[str, ...]
    image_format: str = ""

    @property
    def extension(self) -> str:
        return self.extensions[0]


# What a file must start with to be what it says it is. The name's extension is not trusted.
_KINDS = (
    _Kind(b"%PDF-", "application/pdf", (".pdf",)),
    _Kind(b"\x89PNG\r\n\x1a\n", "image/png", (".png",), image_format="PNG"),
    _Kind(b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg"), image_format="JPEG"),
)


def document_check(upload: Upload) -> CheckedDocument:
    """The upload made safe to store and to hand to staff and residents, or ValidationFailed
    with a plain-English reason for the file field."""
    name = document_name_clean(upload.name)
    content = upload.content
    if not content:
        raise ValidationFailed(f"{name} is empty", fields={"file": "The selected file is empty"})
    if len(content) > MAX_DOCUMENT_BYTES:
        raise ValidationFailed(
            f"{name} is too big", fields={"file": "The selected file must be smaller than 10MB"}
        )
    kind = _kind_of(content, name=name)
    virus_check = _virus_check(content, name=name)
    if kind.image_format:
        content = image_reencode(content=content, image_format=kind.image_format, name=name)
    else:
        content = pdf_check(content=content, name=name)
    return CheckedDocument(
        original_name=_named_as(name, kind),
        stored_name=f"{uuid.uuid4().hex}{kind.extension}",
        content_type=kind.content_type,
        content=content,
        virus_check=virus_check,
    )


def document_name_clean(raw: str) -> str:
    """A file name fit to show and to offer as a download name: no folders, no control or
    direction-changing characters, none that file systems forbid, and not too long."""
    name = unicodedata.normalize("NFKC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(character for character in name if unicodedata.category(character)[0] != "C")
    name = " ".join(_UNSAFE_IN_NAMES.sub("-", name).split()).strip(" .")
    return _shortened(name or "document", extension="")


def _named_as(name: str, kind: _Kind) -> str:
    """The name ending in an extension of the file's real type: "photo.jpg.exe" that is a JPEG
    is shown as "photo.jpg", and "x.html" that is a PNG as "x.png"."""
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and f".{suffix.lower()}" in kind.extensions:
        return name
    if dot and stem and _EXTENSION.fullmatch(suffix):
        name = stem
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and f".{suffix.lower()}" in kind.extensions:
        return name
    return _shortened(name, extension=kind.extension)


def _shortened(stem: str, *, extension: str) -> str:
    kept = stem[: MAX_NAME_CHARACTERS - len(extension)].rstrip(" .") or "document"
    return f"{kept}{extension}"


def _kind_of(content: bytes, *, name: str) -> _Kind:
    for kind in _KINDS:
        if content.startswith(kind.signature):
            return kind
    raise ValidationFailed(
        f"{name} is not a PDF, JPG or PNG",
        fields={"file": "The selected file must be a PDF, JPG or PNG"},
    )


def _virus_check(content: bytes, *, name: str) -> str:
    """Scan when a scanner is set up. While it cannot be reached the file is held for staff
    (or refused, as CLAMD_WHEN_DOWN says); it is never passed as if it had been checked."""
    if not scanning_configured():
        return VirusCheck.NOT_SCANNED
    try:
        result = virus_scan(content=content)
    except ScannerUnavailable:
        if when_scanner_down() == WHEN_DOWN_REFUSE:
            raise ValidationFailed(
                f"{name} could not be checked for viruses",
                fields={
                    "file": "The selected file could not be checked for viruses just now. "
                    "Try again in a few minutes"
                },
            ) from None
        return VirusCheck.HELD
    if not result.clean:
        logger.warning("Upload refused: the virus scanner found %s", result.signature)
        raise ValidationFailed(
            f"{name} contains a virus", fields={"file": "The selected file contains a virus"}
        )
    return VirusCheck.CLEAN
