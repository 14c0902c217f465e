"""What every resource shares: problem details for errors, and the checks on all input.

The OpenAPI document is the contract: a rule on input is both written into the schema, where a
client can read it, and checked here, so that the two say the same thing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, model_validator

from civicdesk.core.errors import ValidationFailed


class Problem(Schema):
    type: str
    title: str
    status: int
    code: str
    detail: str
    errors: dict[str, str] | None = None


ERRORS: dict[int, type[Schema]] = {
    code: Problem for code in (400, 401, 403, 404, 409, 422, 429, 503)
}

# Text without a NUL character: no text here needs one, and PostgreSQL cannot store it.
NO_NUL = r"^[^\x00]*$"
# What is not worth keeping on its own: spaces of every kind (whatever str.strip() removes) and
# control characters.
_BLANK = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Text with at least one character worth keeping, and no NUL.
NOT_BLANK = rf"^[^\x00]*[^{_BLANK}][^\x00]*$"
_VISIBLE = re.compile(rf"[^{_BLANK}]")


def _not_true_or_false(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("Enter a whole number, not true or false")
    return value


# For a whole number in JSON: 117 or 117.0 (the schema's "integer" allows both), never true or
# false, which Python would otherwise take for 1 and 0. It goes after the number's Field, so that
# the Field's limits stay in the schema: Annotated[int, Field(ge=0), NOT_TRUE_OR_FALSE].
NOT_TRUE_OR_FALSE = BeforeValidator(_not_true_or_false)


def has_text(value: str | None) -> bool:
    """Whether ``value`` matches NOT_BLANK (NUL characters are refused before this is asked)."""
    return value is not None and _VISIBLE.search(value) is not None


def text_required(value: str | None, *, field: str, message: str, hint: str) -> None:
    if not has_text(value):
        raise ValidationFailed(message, fields={field: hint})


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(inner) for key, inner in value.items())
    if isinstance(value, list):
        return any(_has_nul(inner) for inner in value)
    return False


def document_no_nul(schema: dict[str, Any]) -> None:
    """Every free text property says in the schema that it takes no NUL character."""
    for prop in schema.get("properties", {}).values():
        for branch in (prop, *prop.get("anyOf", ())):
            if branch.get("type") == "string" and not {"enum", "const", "format", "pattern"} & set(
                branch
            ):
                branch["pattern"] = NO_NUL
            if branch.get("type") == "object" and branch.get("additionalProperties") is True:
                branch["propertyNames"] = {"pattern": NO_NUL}
                branch.setdefault(
                    "description", "No text in it, a name or a value, may contain NUL (\\u0000)."
                )


class InputSchema(Schema):
    """What a client sends. A NUL character is refused: no text here needs one, and
    PostgreSQL cannot store it."""

    model_config = ConfigDict(json_schema_extra=document_no_nul)

    @model_validator(mode="after")
    def _no_nul_characters(self) -> InputSchema:
        if any(_has_nul(value) for value in self.__dict__.values()):
            raise ValueError("Text must not contain NUL (\\u0000) characters")
        return self


_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<hm>\d{2}:\d{2}):(?P<second>\d{2})(?P<fraction>\.\d+)?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)


def _rfc3339(value: Any) -> Any:
    """A date and time as RFC 3339 writes it, the OpenAPI ``date-time`` format: with its offset
    from UTC, and not a number of seconds. A leap second (23:59:60 in UTC) is read as the last
    moment of the second before."""
    found = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError(
            "Give a date and time with its offset from UTC, as RFC 3339 writes it, such as "
            "2025-05-01T09:30:00Z"
        )
    if found["second"] != "60":
        return value
    moment = datetime.fromisoformat(
        f"{found['date']}T{found['hm']}:59{found['offset'].upper().replace('Z', '+00:00')}"
    )
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or (in_utc.hour, in_utc.minute) != (23, 59):
        raise ValueError("A leap second can only be 23:59:60 in UTC")
    return moment + timedelta(microseconds=999_999)


DateTime = Annotated[datetime, BeforeValidator(_rfc3339)]
