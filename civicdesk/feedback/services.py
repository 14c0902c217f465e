"""Recording feedback."""

from __future__ import annotations

from urllib.parse import urlsplit

from civicdesk.core.errors import ValidationFailed
from civicdesk.core.redaction import redact_personal_data
from civicdesk.organisations.models import Organisation

from .models import PageFeedback

MAX_COMMENT_LENGTH = 1200


def page_feedback_record(
    *, organisation: Organisation, path: str, found: str, comment: str
) -> PageFeedback:
    """Store a yes/no answer for a page, with any personal details removed from the comment."""
    errors: dict[str, str] = {}
    if found not in ("yes", "no"):
        errors["found"] = "Select yes if you found what you were looking for"
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        errors["comment"] = f"Your comment must be {MAX_COMMENT_LENGTH} characters or fewer"
    if errors:
        raise ValidationFailed("There is a problem with your feedback.", fields=errors)
    return PageFeedback.objects.create(
        organisation=organisation,
        path=urlsplit(path).path[:300] or "/",
        found=found == "yes",
        comment=redact_personal_data(comment),
    )
