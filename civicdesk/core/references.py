"""Case references: random, checked, and easy to read out on the phone.

A reference looks like ``K7RM-4XQD``: seven random characters and a check character drawn from
an alphabet that never holds two characters people confuse when speaking or writing
(of 0/O, 1/I/L, 2/Z, 5/S, 8/B and U/V at most one is kept). 24 symbols to the power of 7 gives
4.6 billion references, so guessing one that exists is impractical and nothing reveals how many
cases a council has. The last character is a Luhn mod N check, which catches every single
mistyped character and every swap of two neighbouring characters but one (the alphabet's first
and last symbols, 3 and Y), so a mis-heard reference is almost always rejected instead of
finding someone else's case. See docs/adr/0003-case-references.md.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "346789ACDEFGHJKMNPQRTWXY"
RANDOM_LENGTH = 7
_INDEX = {symbol: position for position, symbol in enumerate(ALPHABET)}


def _check_character(body: str) -> str:
    base = len(ALPHABET)
    total = 0
    factor = 2
    for symbol in reversed(body):
        addend = factor * _INDEX[symbol]
        total += addend // base + addend % base
        factor = 1 if factor == 2 else 2
    return ALPHABET[(base - total % base) % base]


def reference_generate() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return format_reference(body + _check_character(body))


def format_reference(compact: str) -> str:
    return f"{compact[:4]}-{compact[4:]}"


def reference_normalise(text: str) -> str | None:
    """Return the reference in its canonical form, or None if the text cannot be one.

    Accepts what people type: lower case, spaces or no hyphen, and the look-alike characters
    a caller might read from a handwritten note (O for 0 is not in the alphabet, so it fails).
    """
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    if len(compact) != RANDOM_LENGTH + 1 or any(ch not in _INDEX for ch in compact):
        return None
    if _check_character(compact[:-1]) != compact[-1]:
        return None
    return format_reference(compact)


def legacy_reference_key(text: str) -> str:
    """How a reference from a council's previous system is matched: its letters and digits in
    upper case, so that "env/2024/0153", "ENV 2024 0153" and "ENV-2024-0153" are one."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())
