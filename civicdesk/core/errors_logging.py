"""Logging errors without personal data."""

from __future__ import annotations

import traceback
from pathlib import Path


def error_summary(problem: BaseException) -> str:
    """The kind of error and where it was raised, never its message: database and provider
    errors often quote the values (an email address, a phone number) that caused them."""
    frames = traceback.extract_tb(problem.__traceback__) if problem.__traceback__ else []
    if not frames:
        return type(problem).__name__
    last = frames[-1]
    return f"{type(problem).__name__} at {Path(last.filename).name}:{last.lineno}"
