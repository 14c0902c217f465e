"""Request clean-up that every page needs."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict

REST_API_PREFIX = "/api/"


class NullCharacterMiddleware:
    """Remove NUL characters from form and query values.

    No resident means to type one, PostgreSQL refuses to store them, and left in they would turn
    a harmless slip (or a probe) into a server error. Removing them keeps everything else the
    person typed.

    The REST API is left alone: its document says no text may hold a NUL, and it refuses one
    with a problem a client can act on, rather than quietly answering a different question.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(REST_API_PREFIX):
            return self.get_response(request)
        request.GET = _without_nulls(request.GET)  # type: ignore[assignment]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            request.POST = _without_nulls(request.POST)  # type: ignore[assignment]
        return self.get_response(request)


def _without_nulls(data: QueryDict) -> QueryDict:
    if not any("\x00" in value for values in data.lists() for value in values[1]):
        return data
    cleaned = QueryDict(mutable=True)
    for key, values in data.lists():
        cleaned.setlist(key.replace("\x00", ""), [value.replace("\x00", "") for value in values])
    cleaned._mutable = False
    return cleaned
