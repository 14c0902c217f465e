"""Templated replies: a starting text for an email or letter about a case, with the case's
own reference, service and charter date filled in. The officer can change it before sending;
it goes to the customer as a public update, in the way they prefer to be contacted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from civicdesk.catalogue.wording import request_subject
from civicdesk.core.text import describe_deadline

if TYPE_CHECKING:
    from civicdesk.cases.models import Case


@dataclass(frozen=True)
class ReplyTemplate:
    key: str
    name: str
    text: str


REPLIES = [
    (
        "received",
        "We have your request",
        "Thank you for contacting {council} about {service}. Your reference is {reference}. "
        "We aim to {promise} by {due}. You do not need to contact us again before then.",
    ),
    (
        "need_information",
        "We need more information",
        "We are dealing with your request {reference} about {service}. To carry on we need "
        "some more information from you: [say what is needed]. Please reply quoting {reference}.",
    ),
    (
        "progress",
        "Progress update",
        "Your request {reference} about {service} is in progress. We still aim to {promise} "
        "by {due}. We will tell you when it is done.",
    ),
    (
        "done",
        "Work completed",
        "We have finished the work on your request {reference} about {service}. If the "
        "problem is not fixed, reply quoting {reference} within 28 days and we will look again.",
    ),
]


def reply_templates(case: Case) -> list[ReplyTemplate]:
    values = {
        "council": case.organisation.name,
        "service": request_subject(case.request_type.name),
        "reference": case.reference,
        "promise": case.target_summary or "respond",
        "due": describe_deadline(case.due_at) if case.due_at else "as soon as we can",
    }
    return [ReplyTemplate(key, name, text.format(**values)) for key, name, text in REPLIES]
