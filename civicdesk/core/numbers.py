"""Reading whole numbers typed or posted by people, who may send anything."""

from __future__ import annotations

MAX_ID_DIGITS = 18


def whole_number(value: str) -> int | None:
    """Plain digits 0-9 of a size a database column holds, else None (``str.isdigit`` alone
    also accepts digits such as '²' that ``int`` refuses, and ``int`` refuses very long
    strings of digits)."""
    if value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS:
        return int(value)
    return None
