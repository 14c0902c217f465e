"""What every resource shares: problem details for errors, and the checks on all input."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import model_validator


class Problem(Schema):
    type: str
    title: str
    status: int
    code: str
    detail: str
    errors: dict[str, str] | None = None


ERRORS: dict[int, type[Schema]] = {code: Problem for code in (400, 401, 403, 404, 409, 422, 429)}


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(inner) for key, inner in value.items())
    if isinstance(value, list):
        return any(_has_nul(inner) for inner in value)
    return False


class InputSchema(Schema):
    """What a client sends. A NUL character is refused: no text here needs one, and
    PostgreSQL cannot store it."""

    @model_validator(mode="after")
    def _no_nul_characters(self) -> InputSchema:
        if any(_has_nul(value) for value in self.__dict__.values()):
            raise ValueError("Text must not contain NUL (\\u0000) characters")
        return self
