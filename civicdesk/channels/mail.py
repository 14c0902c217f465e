"""Reading an inbound email: sender, text, attachments, and whether a machine sent it."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import parseaddr

from civicdesk.cases.documents import Upload
from civicdesk.core.references import reference_normalise

# Something shaped like a reference (K7RM-4XQD, k7rm 4xqd, K7RM4XQD); the check character
# decides whether it really is one.
_REFERENCE_SHAPE = re.compile(r"\b([0-9A-Za-z]{4})[\s-]?([0-9A-Za-z]{4})\b")
_MACHINE_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+.-].*)?@", re.IGNORECASE
)
_TAGS = re.compile(r"<[^>]+>")
MAX_BODY_CHARACTERS = 20000


@dataclass
class ParsedEmail:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    body: str
    attachments: list[Upload] = field(default_factory=list)
    automatic: str = ""


def email_parse(raw: bytes, *, envelope_sender: str = "") -> ParsedEmail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(str(message.get("From", "")))
    message_id = str(message.get("Message-ID", "")).strip()
    if not message_id:
        # Without a Message-ID the content itself tells a resent copy from a new message.
        message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    return ParsedEmail(
        message_id=message_id[:300],
        sender=address.strip().lower()[:254],
        sender_name=name.strip(),
        subject=" ".join(str(message.get("Subject", "")).split())[:300],
        body=_body(message)[:MAX_BODY_CHARACTERS],
        attachments=[
            Upload(name=part.get_filename() or "attachment", content=_payload(part))
            for part in message.iter_attachments()
            if isinstance(part, EmailMessage)
        ],
        automatic=_automatic(message, envelope_sender, address),
    )


def _payload(part: MIMEPart) -> bytes:
    content = part.get_payload(decode=True)
    return content if isinstance(content, bytes) else b""


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _decoded(part)
    if part.get_content_subtype() == "html":
        text = html.unescape(_TAGS.sub(" ", text))
    return text.replace("\r\n", "\n").strip()


def _decoded(part: MIMEPart) -> str:
    """A text part's words, even in a charset Python does not know (``x-foo``,
    ``unknown-8bit``): read as UTF-8 if it is that, else as Windows-1252, which every byte
    decodes in. Refusing the message would only have the relay send it again for ever."""
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError):
        content = _payload(part)
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            return content.decode("cp1252", errors="replace")


def _automatic(message: EmailMessage, envelope_sender: str, address: str) -> str:
    """Why this looks like a machine's message (answering it could start a loop), or ''."""
    auto_submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if message.get("List-Id") or message.get("List-Unsubscribe"):
        return "Mailing list"
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "Automatic reply"
    suppress = str(message.get("X-Auto-Response-Suppress", "")).lower()
    if "all" in suppress or "autoreply" in suppress:
        return "Sender asked for no automatic replies"
    if envelope_sender.strip() in ("<>",) or not address:
        return "No return address"
    if _MACHINE_SENDERS.match(address) or _MACHINE_SENDERS.match(envelope_sender.strip("<>")):
        return "Sent by a mail system"
    return ""


def references_in(*texts: str) -> list[str]:
    """Valid case references in the texts, in order of appearance, without repeats."""
    found: list[str] = []
    for text in texts:
        for first, second in _REFERENCE_SHAPE.findall(text):
            reference = reference_normalise(first + second)
            if reference is not None and reference not in found:
                found.append(reference)
    return found
