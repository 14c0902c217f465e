"""The words of a case and its notes as outside systems may read them.

Open311 clients publish what they fetch (FixMyStreet shows it on a public map), and a case from
the phone, email or the portal often has the resident's number or address in its description.
The filter is run once, when the words are written, and its result stored next to them
(``Case.public_description``, ``CaseNote.public_body``), so that a list of a thousand requests
reads them as they are instead of filtering a thousand texts on every request (ADR 42).
"""

from __future__ import annotations

from civicdesk.core.redaction import redact_personal_data


def public_words(text: str | None) -> str:
    """``text`` without contact details or other personal data; empty words stay empty."""
    return redact_personal_data(text) if text else ""
