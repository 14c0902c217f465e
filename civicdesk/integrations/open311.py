"""Open311 GeoReport v2 rules: which services are offered, turning a request into a case,
batch tokens, and how CivicDesk's case states read to an Open311 client."""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.models import Case
from civicdesk.catalogue.cached import catalogue_service
from civicdesk.catalogue.choices import QuestionKind, RequestKind
from civicdesk.catalogue.models import Question, RequestType
from civicdesk.core.audit import Actor
from civicdesk.core.choices import Channel
from civicdesk.core.errors import DomainError, NotFound, ValidationFailed
from civicdesk.core.transactions import atomic_all_or_nothing
from civicdesk.customers.choices import DetailKind
from civicdesk.customers.models import Customer
from civicdesk.customers.services import contact_detail_error

from .cached import jurisdiction_named
from .choices import TokenStatus
from .models import ApiClient, Open311Jurisdiction, Open311Token
from .services import reporter_create

logger = logging.getLogger(__name__)

# The core statuses of the spec, and mySociety's extended ones (lower case in GET
# servicerequestupdates; clients send them upper case in POST servicerequestupdates).
CORE_STATUS: dict[str, str] = {
    CaseStatus.NEW: "open",
    CaseStatus.ASSIGNED: "open",
    CaseStatus.IN_PROGRESS: "open",
    CaseStatus.WAITING: "open",
    CaseStatus.REOPENED: "open",
    CaseStatus.RESOLVED: "closed",
    CaseStatus.CLOSED: "closed",
}
EXTENDED_STATUS: dict[str, str] = {
    CaseStatus.NEW: "open",
    CaseStatus.ASSIGNED: "action_scheduled",
    CaseStatus.IN_PROGRESS: "in_progress",
    CaseStatus.WAITING: "investigating",
    CaseStatus.REOPENED: "open",
    CaseStatus.RESOLVED: "fixed",
    CaseStatus.CLOSED: "closed",
}


def jurisdiction_get(jurisdiction_id: str) -> Open311Jurisdiction:
    """The jurisdiction a client names, in any letter case: administrators type it as they
    like ('Telford.gov.uk'), and clients send what they were given or a lower-case domain."""
    found = jurisdiction_named(jurisdiction_id)
    if found is None:
        raise NotFound(f"jurisdiction_id '{jurisdiction_id}' was not found")
    return found


def open311_questions(request_type: RequestType) -> list[Question]:
    """The questions an Open311 client answers as attributes: the location comes from lat and
    long or address_string, so location questions are not attributes."""
    return [
        question
        for question in request_type.questions.all()
        if question.kind not in (QuestionKind.LOCATION, QuestionKind.FILE)
    ]


def open311_services(organisation_id: int) -> QuerySet[RequestType]:
    """Request types an Open311 client may report: active ones that open cases, are not
    sensitive, and need no uploaded file (Open311 only carries a media URL)."""
    return (
        RequestType.objects.filter(organisation_id=organisation_id, active=True, sensitive=False)
        .exclude(kind=RequestKind.INFORMATION)
        .exclude(
            pk__in=Question.objects.filter(kind=QuestionKind.FILE, required=True).values(
                "request_type_id"
            )
        )
        .select_related("service_area")
        .prefetch_related("questions")
        .order_by("service_area__name", "name")
    )


def open311_service(organisation_id: int, service_code: str) -> RequestType:
    """One of the services ``open311_services`` lists, from the catalogue each process keeps."""
    found = catalogue_service(organisation_id=organisation_id, key=service_code)
    if found is None or not _offered_over_open311(found):
        raise NotFound(f"service_code '{service_code}' was not found")
    return found


def _offered_over_open311(request_type: RequestType) -> bool:
    return (
        request_type.active
        and not request_type.sensitive
        and request_type.kind != RequestKind.INFORMATION
        and not any(
            question.kind == QuestionKind.FILE and question.required
            for question in request_type.questions.all()
        )
    )


@dataclass
class Submission:
    """A POST requests, as the client sent it (kept as JSON for batch intake)."""

    service_code: str
    lat: float | None = None
    long: float | None = None
    address_string: str = ""
    description: str = ""
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    media_url: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)


def submission_check(*, organisation_id: int, submission: Submission) -> RequestType:
    """Refuse, before anything is stored, what could never become a case."""
    request_type = open311_service(organisation_id, submission.service_code)
    if submission.lat is None and not submission.address_string.strip():
        raise ValidationFailed(
            "Send lat and long, or address_string.", fields={"lat": "lat and long are required"}
        )
    for name, kind in (("email", DetailKind.EMAIL), ("phone", DetailKind.PHONE)):
        value = getattr(submission, name).strip()
        problem = contact_detail_error(kind, value) if value else None
        if problem:
            raise ValidationFailed(f"{name}: {problem}", fields={name: problem})
    return request_type


def _answers(request_type: RequestType, submission: Submission) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    questions = {question.key: question for question in open311_questions(request_type)}
    for code, values in submission.attributes.items():
        if code not in questions:
            continue  # the client's own details, kept in the description (_client_details)
        if len(values) > 1:
            raise ValidationFailed(
                f"attribute[{code}] takes one value", fields={f"attribute[{code}]": "One value"}
            )
        answers[code] = values[0] if values else ""
    for question in request_type.questions.all():
        if question.kind == QuestionKind.LOCATION:
            location: dict[str, Any] = {}
            if submission.lat is not None and submission.long is not None:
                location.update(latitude=submission.lat, longitude=submission.long)
            if submission.address_string.strip():
                location["description"] = submission.address_string.strip()
            if location:
                answers[question.key] = location
    return answers


def _customer(client: ApiClient, submission: Submission, actor: Actor) -> Customer | None:
    email, phone = submission.email.strip(), submission.phone.strip()
    if not email and not phone:
        return None
    return reporter_create(
        organisation=client.organisation,
        name=f"{submission.first_name} {submission.last_name}",
        emails=[email] if email else [],
        phones=[phone] if phone else [],
        preferred_channel="email" if email else "sms",
        actor=actor,
    )


MAX_CLIENT_DETAILS = 2000


def _client_details(request_type: RequestType, submission: Submission, description: str) -> str:
    """Attributes the service does not ask but the client sent anyway, one per line.

    FixMyStreet sends its own (title, report_url, fixmystreet_id, easting, northing,
    closest_address...) with every report; refusing them would refuse the report, and
    dropping them would lose the link back to it."""
    asked = {question.key for question in open311_questions(request_type)}
    lines = [
        f"{code}: {' '.join(' '.join(values).split())}"
        for code, values in sorted(submission.attributes.items())
        if code not in asked and any(values) and " ".join(values).strip() not in description
    ]
    return "\n".join(lines)[:MAX_CLIENT_DETAILS]


def open311_case_open(*, client: ApiClient, submission: Submission) -> Case:
    request_type = submission_check(organisation_id=client.organisation_id, submission=submission)
    actor = Actor(label=client.actor_label)
    description = submission.description.replace("\r\n", "\n").strip()
    if submission.media_url.strip():
        description = f"{description}\n\nPhoto: {submission.media_url.strip()}".strip()
    extra = _client_details(request_type, submission, description)
    if extra:
        description = f"{description}\n\nFrom the reporting system:\n{extra}".strip()
    with atomic_all_or_nothing():
        customer = _customer(client, submission, actor)
        return case_open(
            organisation=client.organisation,
            request=CaseRequest(
                request_type_key=request_type.key,
                channel=Channel.APP,
                description=description,
                answers=_answers(request_type, submission),
                customer=customer,
                latitude=submission.lat,
                longitude=submission.long,
                location_text=submission.address_string.strip(),
            ),
            actor=actor,
        )


def open311_token_accept(*, client: ApiClient, submission: Submission) -> Open311Token:
    """Batch intake: check and store the request now, open the case in the background."""
    submission_check(organisation_id=client.organisation_id, submission=submission)
    return Open311Token.objects.create(
        client=client, token=str(uuid.uuid4()), submission=asdict(submission)
    )


def open311_tokens_process(*, limit: int = 100) -> int:
    """The worker's job: open a case for each pending token, one transaction each."""
    done = 0
    for token_id in (
        Open311Token.objects.filter(status=TokenStatus.PENDING)
        .order_by("id")[:limit]
        .values_list("id", flat=True)
    ):
        with transaction.atomic():
            token = (
                Open311Token.objects.select_for_update()
                .select_related("client__organisation")
                .filter(pk=token_id, status=TokenStatus.PENDING)
                .first()
            )
            if token is None:
                continue
            try:
                with transaction.atomic():
                    token.case = open311_case_open(
                        client=token.client, submission=Submission(**token.submission)
                    )
                token.status = TokenStatus.OPENED
            except DomainError as problem:
                logger.warning("Open311 token %s refused: %s", token.pk, problem.code)
                token.status = TokenStatus.REFUSED
                token.problem = problem.message[:300]
            token.processed_at = timezone.now()
            token.save(update_fields=["case", "status", "problem", "processed_at"])
            done += 1
    return done


def token_get(*, organisation_id: int, token: str) -> Open311Token:
    found = (
        Open311Token.objects.select_related("case")
        .filter(token=token, client__organisation_id=organisation_id)
        .first()
    )
    if found is None:
        raise NotFound(f"token '{token}' was not found")
    return found
