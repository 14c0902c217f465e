"""The shape of a page with one form, for resident and staff pages alike: on POST a service is
asked to act and the resident or member of staff goes on; if the service refuses, the same page
is shown again with the GOV.UK error summary and status 400."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from civicdesk.core.errors import DomainError, ValidationFailed

ErrorsOf = Callable[[DomainError], dict[str, str]]


def refusal_fields(problem: DomainError) -> dict[str, str]:
    return problem.fields


def fields_or_message(field: str) -> ErrorsOf:
    """The refusal's own field errors or, when it names no field, its message against
    ``field``."""

    def errors_of(problem: DomainError) -> dict[str, str]:
        return problem.fields or {field: problem.message}

    return errors_of


def form_page(
    request: HttpRequest,
    template: str,
    *,
    render: Callable[..., HttpResponse],
    submit: Callable[[], HttpResponse],
    refused: type[DomainError] = ValidationFailed,
    errors_of: ErrorsOf = refusal_fields,
    **context: Any,
) -> HttpResponse:
    """``template`` shown by ``render`` (``render_page`` or ``render_staff_page``) with
    ``context``. On POST, ``submit`` calls the service and answers with where to go next; when
    the service raises ``refused``, the page is shown again with ``errors_of(problem)``."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            return submit()
        except refused as problem:
            errors = errors_of(problem)
    return render(request, template, errors=errors, status=400 if errors else 200, **context)
