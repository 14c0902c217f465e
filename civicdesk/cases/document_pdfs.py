"""PDFs are read with pypdf and refused if they could do anything but show pages.

Every object the file holds is visited (including those packed in compressed object streams,
which a scan of the raw bytes cannot see), and the raw bytes are scanned as well for names
outside any object pypdf found (names are compared after their ``#xx`` escapes are decoded).
Refused: JavaScript anywhere (as a key, or as a name such as an action's type); actions that
start a program, import data, submit a form or open an embedded document; actions run without
being asked (``/OpenAction`` and ``/AA``) that do more than go to a page; embedded files and
file attachments; XFA forms and rich media; passwords (we could not look inside). Anything
after the last ``%%EOF`` is cut off.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from civicdesk.core.errors import ValidationFailed

MAX_PDF_OBJECTS = 200_000
_END = b"%%EOF"
_SCRIPT_NAMES = frozenset({"/JavaScript", "/JS"})
_EMBEDDED_NAMES = frozenset({"/EmbeddedFile", "/EmbeddedFiles", "/EF", "/FileAttachment"})
_ACTIVE_NAMES = frozenset({"/Launch", "/ImportData", "/SubmitForm", "/GoToE", "/XFA"})
_ACTIVE_NAMES |= frozenset({"/RichMedia", "/RichMediaExecute", "/Rendition", "/Sound", "/Movie"})
_AUTOMATIC_KEYS = ("/OpenAction", "/AA")
_SAFE_AUTOMATIC_ACTIONS = frozenset({"/GoTo"})
# The raw scan looks only for long names: a short one such as /JS turns up by chance in
# compressed image data often enough to refuse honest photos; pypdf's walk finds those.
_RAW_NAME = re.compile(rb"/([^\s()<>\[\]{}/%]{6,64})")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")

_PRINT_IT = "Print it to a new PDF and upload that instead"
SCRIPT = f"The selected PDF contains a script, which we do not accept. {_PRINT_IT}"
EMBEDDED = (
    "The selected PDF has other files inside it, which we do not accept. "
    "Upload each file on its own"
)
ACTIVE = f"The selected PDF tries to run or open something, which we do not accept. {_PRINT_IT}"
LOCKED = "The selected PDF is protected with a password. Upload a copy without a password"
UNREADABLE = "The selected file could not be read as a PDF. It may be damaged"


def pdf_check(*, content: bytes, name: str) -> bytes:
    """The PDF without anything after its end, or ValidationFailed saying what is wrong."""
    end = content.rfind(_END)
    if end == -1:
        raise _refused(name, UNREADABLE)
    content = content[: end + len(_END)] + b"\n"
    _check_raw_names(content, name=name)
    reader = _reader(content, name=name)
    try:
        for count, item in enumerate(_objects(reader), start=1):
            if count > MAX_PDF_OBJECTS:
                raise _refused(name, UNREADABLE)
            _check_object(item, name=name)
    except ValidationFailed:
        raise
    except Exception:
        # pypdf raises many kinds of error on damaged or deliberately broken files.
        raise _refused(name, UNREADABLE) from None
    return content


def _refused(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{name}: {message[0].lower()}{message[1:]}", fields={"file": message})


def _reader(content: bytes, *, name: str) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        encrypted = reader.is_encrypted
    except Exception:
        raise _refused(name, UNREADABLE) from None
    if encrypted:
        raise _refused(name, LOCKED)
    return reader


def _check_raw_names(content: bytes, *, name: str) -> None:
    for match in _RAW_NAME.finditer(content):
        decoded = _ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), match.group(1))
        _check_name("/" + decoded.decode("latin-1"), name=name)


def _check_name(value: str, *, name: str) -> None:
    if value in _SCRIPT_NAMES:
        raise _refused(name, SCRIPT)
    if value in _EMBEDDED_NAMES:
        raise _refused(name, EMBEDDED)
    if value in _ACTIVE_NAMES:
        raise _refused(name, ACTIVE)


def _check_object(item: Any, *, name: str) -> None:
    if isinstance(item, NameObject):
        _check_name(str(item), name=name)
    elif isinstance(item, DictionaryObject):
        for key, value in item.items():
            _check_name(str(key), name=name)
            if key in _AUTOMATIC_KEYS:
                _check_automatic(value, name=name)


def _check_automatic(value: Any, *, name: str) -> None:
    """An action run without the reader asking for it may only go to a page of this PDF."""
    action = value.get_object() if isinstance(value, IndirectObject) else value
    if isinstance(action, ArrayObject):
        return  # a destination: a page and how to show it
    if not isinstance(action, DictionaryObject):
        raise _refused(name, ACTIVE)
    # /OpenAction holds one action; /AA maps events (page opened, field left...) to actions.
    actions = [action] if "/S" in action else [action[key] for key in action]
    for each in actions:
        if isinstance(each, DictionaryObject) and each.get("/S") not in _SAFE_AUTOMATIC_ACTIONS:
            raise _refused(name, ACTIVE)


def _objects(reader: PdfReader) -> Iterator[Any]:
    """Every object in the file, once, with the names and dictionaries inside it: those
    reachable from the trailer, then any other object the cross-reference tables list."""
    seen: set[tuple[int, int]] = set()
    pending: list[Any] = [reader.trailer, *_listed_objects(reader)]
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        yield item
        if isinstance(item, DictionaryObject):
            pending.extend(item.values())
        elif isinstance(item, ArrayObject):
            pending.extend(item)


def _listed_objects(reader: PdfReader) -> Iterator[IndirectObject]:
    for generation, numbers in reader.xref.items():
        for number in numbers:
            yield IndirectObject(number, generation, reader)
    for number in reader.xref_objStm:
        yield IndirectObject(number, 0, reader)
