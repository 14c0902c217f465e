"""Domain errors: what a service raises when it refuses a request.

Each carries a stable ``code`` that APIs return and a ``message`` written for the person who
made the request. Field-level problems go in ``fields`` (field key -> message), in the order the
fields were asked, so a form can show a GOV.UK error summary.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "invalid_request"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(DomainError):
    code = "validation_failed"


class NotFound(DomainError):
    code = "not_found"


class NotPermitted(DomainError):
    code = "not_permitted"


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"


class EditConflict(DomainError):
    code = "edit_conflict"


class TryAgain(DomainError):
    """No fault of the request: the same request may well succeed in a moment."""

    code = "try_again"
    retry_after_seconds = 1
