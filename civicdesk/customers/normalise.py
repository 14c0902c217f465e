"""Canonical forms of what people type, so that searches and duplicate checks match."""

from __future__ import annotations

import re

_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_phone(value: str) -> str:
    """UK numbers in national form (07700 900123 -> 07700900123); others as +digits."""
    text = value.strip()
    digits = re.sub(r"\D", "", text)
    if text.startswith("+") or text.startswith("00"):
        digits = digits[2:] if text.startswith("00") else digits
        if digits.startswith("44"):
            return "0" + digits[2:].lstrip("0")
        return "+" + digits
    return digits


def looks_like_phone(value: str) -> bool:
    return bool(re.fullmatch(r"[+(\d][\d\s().-]{5,}", value.strip()))


def normalise_postcode(value: str) -> str:
    """'tf3 4ja' -> 'TF3 4JA'; text that is not a postcode is returned upper-cased and trimmed."""
    compact = re.sub(r"\s+", "", value.upper())
    if _POSTCODE.match(compact):
        return f"{compact[:-3]} {compact[-3:]}"
    return value.strip().upper()


def looks_like_postcode(value: str) -> bool:
    return bool(_POSTCODE.match(re.sub(r"\s+", "", value.upper())))


def looks_like_partial_postcode(value: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?(\s*[0-9][A-Z]{0,2})?", value.upper()))


def looks_like_outcode(value: str) -> bool:
    """The first half of a postcode on its own: its district, such as TF1 or SW1A."""
    return bool(re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?", value.strip().upper()))


def normalise_name(value: str) -> str:
    return " ".join(value.lower().split())
