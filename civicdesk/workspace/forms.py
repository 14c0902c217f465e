"""Reading form posts: plain values, trimmed, with nothing trusted beyond its length."""

from __future__ import annotations

from django.http import HttpRequest

from civicdesk.core.numbers import whole_number

MAX_FIELD_LENGTH = 5000


def posted(request: HttpRequest, *names: str) -> dict[str, str]:
    return {name: request.POST.get(name, "").strip()[:MAX_FIELD_LENGTH] for name in names}


def posted_version(request: HttpRequest) -> int | None:
    """The case version the page was showing, sent back so a stale edit can be refused."""
    return whole_number(request.POST.get("version", ""))


def choices(
    values: list[tuple[str, str]], selected: str, *, first: list[tuple[str, str]] | None = None
) -> list[dict[str, object]]:
    """Items for the design system's radios and selects; ``first`` are options such as "any"
    that go before the values."""
    return [
        {"value": value, "text": text, "checked": value == selected, "selected": value == selected}
        for value, text in [*(first or []), *values]
    ]
