"""Taking personal data out of free text that is kept for improvement, not for casework."""

from __future__ import annotations

import re

_PATTERNS = (
    re.compile(r"[\w.+'-]+@[\w-]+(\.[\w-]+)+"),  # email addresses
    re.compile(r"(\+44\s?|0)(\d[\s-]?){9,10}\d?"),  # UK phone numbers
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE),  # postcodes
    re.compile(r"\b\d{5,}\b"),  # account, card and reference-like numbers
)


def redact_personal_data(text: str) -> str:
    """Replace email addresses, phone numbers, postcodes and long numbers with [removed]."""
    for pattern in _PATTERNS:
        text = pattern.sub("[removed]", text)
    return text
