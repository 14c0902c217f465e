"""Canonical forms of what people type, so that searches and duplicate checks match."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneNumber,
    PhoneNumberFormat,
    PhoneNumberType,
    ValidationResult,
)

from civicdesk.core.postcodes import OUTWARD_CODE, UK_POSTCODE

UK_REGION = "GB"
UK_COUNTRY_CODE = 44
UK_NATIONAL_DIGITS = 10  # after the 0: most UK numbers, and every mobile

PHONE_FORMAT_MESSAGE = "Enter a telephone number, like 01632 960 001 or 07700 900 982"
PHONE_TOO_SHORT_MESSAGE = (
    "Enter a telephone number with all its digits, like 01632 960 001 or 07700 900 982"
)
PHONE_TOO_LONG_MESSAGE = (
    "Enter a telephone number without extra digits, like 01632 960 001 or 07700 900 982"
)
# Numbers nobody should be asked to ring or text: they cost the caller more than a normal call,
# or reach no one (a pager). GOV.UK Notify refuses premium-rate numbers and pagers.
_REFUSED_LINES = {
    PhoneNumberType.PREMIUM_RATE: (
        "Enter a number that is not premium rate, like 01632 960 001 or 07700 900 982"
    ),
    PhoneNumberType.SHARED_COST: (
        "Enter a number that is not premium rate, like 01632 960 001 or 07700 900 982"
    ),
    PhoneNumberType.PERSONAL_NUMBER: (
        "Enter a mobile or landline number. Numbers starting 070 are personal numbers, "
        "not mobiles, and cost more to call"
    ),
    PhoneNumberType.PAGER: "Enter a mobile or landline number. Numbers starting 076 are pagers",
}

# Ofcom keeps these ranges for drama and documentation: UK numbers in form that ring no real
# phone, which the demo and the tests use. The phonenumbers metadata calls most of them invalid;
# GOV.UK Notify accepts the mobile range. Each is the first seven digits of a 10-digit national
# number (after the 0), followed by any three.
_DRAMA_MOBILE_RANGES = frozenset({"7700900"})
_DRAMA_LANDLINE_RANGES = frozenset(
    {
        *(f"{area}4960" for area in ("113", "114", "115", "116", "117", "118")),
        *(f"{area}4960" for area in ("121", "131", "141", "151", "161")),
        "1914980",
        "2079460",
        "2920180",
        "1632960",
    }
)
# What a phone number may be written with; GOV.UK Notify refuses anything else, and
# phonenumbers would read letters as a keypad word.
_PHONE_CHARACTERS = re.compile(r"[0-9\s+()-]+")


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_phone(value: str) -> str:
    """One stored form however a number was written: UK numbers in national form without
    spaces (+44 (0)7700 900123 -> 07700900123), others in international form
    (+353 1 234 5678 -> +35312345678). Text that is not a possible number keeps its digits."""
    number = _parsed_phone(value)
    if number is None or not phonenumbers.is_possible_number(number):
        sign = "+" if value.strip().startswith("+") else ""
        return sign + re.sub(r"\D", "", value)
    if number.country_code == UK_COUNTRY_CODE:
        return f"0{number.national_number}"
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def phone_number_problem(value: str) -> str | None:
    """Why a number cannot be kept to ring or text someone on, in plain words; None if it can.

    UK numbers are read as written at home (01952 380000) or abroad (+44 1952 380000); other
    countries' numbers need their country code.
    """
    number = _parsed_phone(value)
    if number is None:
        return PHONE_FORMAT_MESSAGE
    length = phonenumbers.is_possible_number_with_reason(number)
    if length == ValidationResult.TOO_LONG:
        return PHONE_TOO_LONG_MESSAGE
    line = _line_type(number)
    if line is None:
        return _problem_with_invalid(number=number, length=length)
    return _REFUSED_LINES.get(line)


def is_uk_mobile(value: str) -> bool:
    """A UK mobile number, which can get text messages through GOV.UK Notify. Numbers starting
    070 (personal numbers) and 076 (pagers) look like mobiles but are not."""
    number = _parsed_phone(value)
    return (
        number is not None
        and number.country_code == UK_COUNTRY_CODE
        and _line_type(number) == PhoneNumberType.MOBILE
    )


def looks_like_phone(value: str) -> bool:
    return bool(re.fullmatch(r"[+(\d][\d\s().-]{5,}", value.strip()))


def _parsed_phone(value: str) -> PhoneNumber | None:
    if not _PHONE_CHARACTERS.fullmatch(value.strip()):
        return None
    try:
        return phonenumbers.parse(value, UK_REGION)
    except NumberParseException:
        return None


def _line_type(number: PhoneNumber) -> int | None:
    """The kind of line (a ``PhoneNumberType``), or None for a number no line can have."""
    if _in_drama_range(number=number, ranges=_DRAMA_MOBILE_RANGES):
        return PhoneNumberType.MOBILE
    if _in_drama_range(number=number, ranges=_DRAMA_LANDLINE_RANGES):
        return PhoneNumberType.FIXED_LINE
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.number_type(number)


def _in_drama_range(*, number: PhoneNumber, ranges: frozenset[str]) -> bool:
    national = str(number.national_number)
    return (
        number.country_code == UK_COUNTRY_CODE
        and len(national) == UK_NATIONAL_DIGITS
        and national[:7] in ranges
    )


def _problem_with_invalid(*, number: PhoneNumber, length: int) -> str:
    too_short_for_the_uk = (
        number.country_code == UK_COUNTRY_CODE
        and len(str(number.national_number)) < UK_NATIONAL_DIGITS
    )
    if length == ValidationResult.TOO_SHORT or too_short_for_the_uk:
        return PHONE_TOO_SHORT_MESSAGE
    return PHONE_FORMAT_MESSAGE


def normalise_postcode(value: str) -> str:
    """'tf3 4ja' -> 'TF3 4JA'; text that is not a postcode is returned upper-cased and trimmed."""
    compact = re.sub(r"\s+", "", value.upper())
    if UK_POSTCODE.fullmatch(compact):
        return f"{compact[:-3]} {compact[-3:]}"
    return value.strip().upper()


def looks_like_postcode(value: str) -> bool:
    return bool(UK_POSTCODE.fullmatch(re.sub(r"\s+", "", value.upper())))


def looks_like_partial_postcode(value: str) -> bool:
    return bool(re.fullmatch(rf"{OUTWARD_CODE}(\s*[0-9][A-Z]{{0,2}})?", value.upper()))


def looks_like_outcode(value: str) -> bool:
    """The first half of a postcode on its own: its district, such as TF1 or SW1A."""
    return bool(re.fullmatch(OUTWARD_CODE, value.strip().upper()))


def normalise_name(value: str) -> str:
    return " ".join(value.lower().split())
