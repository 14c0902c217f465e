"""Text as a resident reads it and as every database can store it."""

from __future__ import annotations

import re
from datetime import datetime

from .calendar import LONDON


def describe_deadline(moment: datetime) -> str:
    """'5pm on Wednesday 25 November 2026', in UK time."""
    local = moment.astimezone(LONDON)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    clock = f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"
    if local.hour == 12 and local.minute == 0:
        clock = "midday"
    return f"{clock} on {local:%A} {local.day} {local:%B %Y}"


# PostgreSQL cannot store a NUL character in text, nor any database a lone surrogate (some
# charsets, such as UTF-7, decode to one).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` without the characters no database here can store."""
    return _UNSTORABLE.sub("", text)
