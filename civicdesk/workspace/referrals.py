"""Referrals between organisations (ADR 45): referring a case or a contact, the list of
referrals sent and received, and a referral's page, where the receiver accepts or declines it
and the sender follows its outcome."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from civicdesk.cases.selectors import access_case
from civicdesk.catalogue.selectors import request_type_get
from civicdesk.channels.selectors import access_inbound_message
from civicdesk.channels.services import triage_close
from civicdesk.contacts.selectors import contacts_visible_to
from civicdesk.core.audit import Actor
from civicdesk.core.errors import DomainError, NotFound
from civicdesk.core.numbers import whole_number
from civicdesk.privacy.choices import AccessKind
from civicdesk.referrals.choices import ContactSharing, DeclineReason, ReferralStatus
from civicdesk.referrals.selectors import (
    accepting_service,
    accepting_services,
    access_referral,
    documents_to_share,
    external_destination,
    external_destinations,
    is_receiver,
    may_decide,
    may_refer,
    outcome_for_sender,
    referral_destination,
    referral_destinations,
    referrals_received_by,
    referrals_sent_by,
    shared_document,
    shared_documents,
)
from civicdesk.referrals.services import (
    Acceptance,
    ReferralChoice,
    answer_rows,
    referral_accept,
    referral_decline,
    referral_send,
    referral_withdraw,
)
from civicdesk.web.pages import render_not_allowed, render_staff_page
from civicdesk.web.staff import staff_required

from .access_log_views import record_opening
from .cases import posted_answers
from .documents import document_download
from .forms import choices, posted

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from civicdesk.cases.models import Case
    from civicdesk.contacts.models import Contact
    from civicdesk.organisations.models import StaffMember, Team
    from civicdesk.referrals.models import ExternalOrganisation, Referral

# Referrals a page shows of each list; older ones are a page further on.
PAGE_SIZE = 50


@dataclass(frozen=True)
class ReferralPage:
    """One page of a list of referrals, with the addresses of the pages either side."""

    rows: list[Referral]
    total: int
    first_shown: int
    newer_href: str
    older_href: str


@staff_required
def referrals(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    """Referrals sent to the member of staff's team, and those of their organisation's work,
    newest first, a page of each at a time."""
    if not may_refer(staff):
        return _not_allowed(request, staff)
    status = request.GET.get("status", "")
    received = referrals_received_by(staff)
    sent = referrals_sent_by(staff)
    if status in ReferralStatus.values:
        received, sent = received.filter(status=status), sent.filter(status=status)
    else:
        status = ""
    return render_staff_page(
        request,
        "workspace/referrals.html",
        title="Referrals",
        staff=staff,
        received=_referral_page(request, received, name="received", status=status),
        sent=_referral_page(request, sent, name="sent", status=status),
        statuses=choices(list(ReferralStatus.choices), status, first=[("", "Any status")]),
    )


def _referral_page(
    request: HttpRequest, listed: QuerySet[Referral], *, name: str, status: str
) -> ReferralPage:
    """The page of ``listed`` asked for by the query parameter ``name`` (the first if it is not
    a page number); the other list stays on its page when this one moves."""
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get(name))

    def href(number: int) -> str:
        kept = {key: value for key, value in request.GET.items() if key in {"received", "sent"}}
        query = {**({"status": status} if status else {}), **kept, name: str(number)}
        return "?" + urlencode(query) + f"#{name}"

    return ReferralPage(
        rows=list(page.object_list),
        total=page.paginator.count,
        first_shown=page.start_index(),
        newer_href=href(page.previous_page_number()) if page.has_previous() else "",
        older_href=href(page.next_page_number()) if page.has_next() else "",
    )


@staff_required
def case_refer(request: HttpRequest, staff: StaffMember, reference: str) -> HttpResponse:
    try:
        case = access_case(staff=staff, reference=reference)
    except NotFound as problem:
        raise Http404(problem.message) from problem
    return _refer(request, staff, case=case, contact=None, message_id=None)


@staff_required
def contact_refer(request: HttpRequest, staff: StaffMember, contact_id: int) -> HttpResponse:
    """A contact that reached the wrong organisation (a call, an email waiting to be sorted)
    is referred on, not bounced back to the resident."""
    contact = (
        contacts_visible_to(staff)
        .select_related("customer", "request_type")
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        raise Http404("There is no such contact.")
    message_id = whole_number(request.GET.get("message", "") or request.POST.get("message", ""))
    return _refer(request, staff, case=None, contact=contact, message_id=message_id)


def _refer(
    request: HttpRequest,
    staff: StaffMember,
    *,
    case: Case | None,
    contact: Contact | None,
    message_id: int | None,
) -> HttpResponse:
    if not may_refer(staff):
        return _not_allowed(request, staff)
    inbound = _inbound_message(staff, contact, message_id)
    destinations = referral_destinations(organisation_id=staff.organisation_id)
    elsewhere = external_destinations()
    answers = answer_rows(case) if case is not None else []
    documents = documents_to_share(case) if case is not None else []
    errors: dict[str, str] = {}
    form = posted(request, "team", "reason", "description", "contact_sharing", "sharing_basis")
    if request.method == "POST":
        team, external = _destination_chosen(staff, form["team"])
        if team is None and external is None:
            errors["team"] = "Select the organisation and team to refer it to"
        else:
            try:
                referral = referral_send(
                    sender=staff,
                    case=case,
                    contact=contact,
                    choice=ReferralChoice(
                        to_team=team,
                        to_external=external,
                        reason=form["reason"],
                        answer_keys=request.POST.getlist("answers"),
                        document_ids=[
                            number
                            for number in map(whole_number, request.POST.getlist("documents"))
                            if number is not None
                        ],
                        description=form["description"],
                        contact_sharing=form["contact_sharing"],
                        sharing_basis=form["sharing_basis"],
                    ),
                    actor=Actor.for_user(staff.user),
                )
            except DomainError as problem:
                errors = dict(problem.fields) or {"team": problem.message}
            else:
                if inbound is not None:
                    _take_off_the_queue(staff, inbound, referral)
                messages.success(
                    request,
                    f"Referral sent to {referral.destination_name}. "
                    "You will see here when they accept or decline it.",
                )
                return redirect("workspace:referral", referral.pk)
    elif case is not None:
        form["description"] = case.description
    elif inbound is not None:
        form["description"] = "\n\n".join(part for part in (inbound.subject, inbound.body) if part)
    elif contact is not None:
        form["description"] = contact.summary
    customer = case.customer if case is not None else contact.customer if contact else None
    return render_staff_page(
        request,
        "workspace/referral_new.html",
        title="Refer to another organisation",
        staff=staff,
        errors=errors,
        case=case,
        contact=contact,
        inbound=inbound,
        customer=customer,
        form=form,
        destinations=choices(
            [(str(team.pk), f"{team.organisation.name}: {team.name}") for team in destinations]
            + [
                (f"{EXTERNAL_PREFIX}{other.pk}", f"{other.name} (on another system)")
                for other in elsewhere
            ],
            form["team"],
            first=[("", "Choose where to refer it")],
        ),
        answers=[
            {
                "value": key,
                "text": f"{label}: {words}",
                "checked": key in request.POST.getlist("answers"),
            }
            for key, label, words in answers
        ],
        documents=[
            {
                "value": str(document.pk),
                "text": document.original_name,
                "disabled": not document.released,
                "checked": str(document.pk) in request.POST.getlist("documents"),
            }
            for document in documents
        ],
        sharing=choices(
            list(ContactSharing.choices),
            form["contact_sharing"] or ContactSharing.NOT_SHARED,
        ),
        status=400 if errors else 200,
    )


# The form's value for an organisation on another system, beside the team ids of this one.
EXTERNAL_PREFIX = "external-"


def _destination_chosen(
    staff: StaffMember, value: str
) -> tuple[Team | None, ExternalOrganisation | None]:
    if value.startswith(EXTERNAL_PREFIX):
        number = whole_number(value.removeprefix(EXTERNAL_PREFIX))
        return None, external_destination(external_id=number) if number else None
    team = referral_destination(
        organisation_id=staff.organisation_id, team_id=whole_number(value) or 0
    )
    return team, None


def _inbound_message(staff: StaffMember, contact: Contact | None, message_id: int | None) -> Any:
    if contact is None or message_id is None:
        return None
    try:
        found = access_inbound_message(staff=staff, message_id=message_id)
    except NotFound:
        return None
    return found if found.contact_id == contact.pk else None


def _take_off_the_queue(staff: StaffMember, inbound: Any, referral: Referral) -> None:
    # A colleague may have sorted it meanwhile; the referral stands either way.
    with suppress(DomainError):
        triage_close(
            message=inbound,
            actor=Actor.for_user(staff.user),
            note=f"Referred to {referral.receiver_name}",
        )


@staff_required
def referral(request: HttpRequest, staff: StaffMember, referral_id: int) -> HttpResponse:
    found = _referral_or_404(staff, referral_id)
    if found.case is not None and found.case.request_type.sensitive:
        # What was shared of a sensitive case is read like the case itself (ADR 30), on both
        # sides. Each side's entry names only its own records: the sender's case, or the
        # receiver's case once it has accepted (before that, the receiver holds none).
        receiving = is_receiver(staff=staff, referral=found)
        accepted = found.accepted_case
        record_opening(
            request,
            staff,
            what=AccessKind.SENSITIVE_CASE,
            customer_id=(accepted.customer_id if accepted else None)
            if receiving
            else found.customer_id,
            case_id=found.accepted_case_id if receiving else found.case_id,
        )
    return _render_referral(request, staff, found)


def _render_referral(
    request: HttpRequest,
    staff: StaffMember,
    found: Referral,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    receiving = is_receiver(staff=staff, referral=found)
    deciding = may_decide(staff=staff, referral=found)
    services = accepting_services(found) if deciding else []
    key = request.POST.get("service") or request.GET.get("service", "")
    chosen = accepting_service(found, key=key) if deciding else None
    questions = (
        list(
            request_type_get(
                organisation_id=found.to_organisation_id or 0, key=chosen.key
            ).questions.all()
        )
        if chosen is not None
        else []
    )
    return render_staff_page(
        request,
        "workspace/referral.html",
        title=f"Referral from {found.from_organisation.name}"
        if receiving
        else f"Referral to {found.receiver_name}",
        staff=staff,
        errors=errors,
        referral=found,
        receiving=receiving,
        deciding=deciding,
        documents=shared_documents(found),
        outcome=None if receiving else outcome_for_sender(found),
        services=choices(
            [(service.key, service.name) for service in services],
            key,
            first=[("", "Choose one of your services")],
        ),
        chosen=chosen,
        questions=questions,
        answers={
            question.key: request.POST.get(f"answer-{question.key}", "") for question in questions
        },
        reasons=choices(list(DeclineReason.choices), request.POST.get("reason", "")),
        decline_note=request.POST.get("note", ""),
        status=status,
    )


@staff_required
def referral_document(
    request: HttpRequest, staff: StaffMember, referral_id: int, document_id: int
) -> FileResponse:
    """A document the sender chose to share, for either side to read; nothing else of the
    sender's case is reachable from here."""
    found = _referral_or_404(staff, referral_id)
    document = shared_document(found, document_id=document_id)
    if document is None:
        raise Http404("There is no such document.")
    sender_side = not is_receiver(staff=staff, referral=found)
    return document_download(
        request,
        staff,
        document=document,
        customer_id=found.customer_id if sender_side else None,
        case_id=document.case_id if sender_side else None,
    )


@require_POST
@staff_required
def referral_action(
    request: HttpRequest, staff: StaffMember, referral_id: int, action: str
) -> HttpResponse:
    found = _referral_or_404(staff, referral_id)
    actor = Actor.for_user(staff.user)
    try:
        if action == "accept":
            if not may_decide(staff=staff, referral=found):
                raise Http404("There is no such referral to decide on.")
            key = request.POST.get("service", "")
            chosen = accepting_service(found, key=key)
            if chosen is None:
                return _render_referral(
                    request,
                    staff,
                    found,
                    errors={"service": "Select the service it becomes a case of"},
                    status=400,
                )
            request_type = request_type_get(organisation_id=staff.organisation_id, key=key)
            referral_accept(
                referral=found,
                staff=staff,
                acceptance=Acceptance(
                    service_key=key, answers=posted_answers(request, request_type)
                ),
                actor=actor,
            )
            messages.success(request, "You have accepted the referral. It is your case now.")
        elif action == "decline":
            if not may_decide(staff=staff, referral=found):
                raise Http404("There is no such referral to decide on.")
            form = posted(request, "reason", "note")
            referral_decline(
                referral=found, staff=staff, reason=form["reason"], note=form["note"], actor=actor
            )
            messages.success(request, "You have declined the referral. The sender has been told.")
        elif action == "withdraw":
            if is_receiver(staff=staff, referral=found):
                raise Http404("There is no such referral to withdraw.")
            referral_withdraw(referral=found, staff=staff, actor=actor)
            messages.success(request, "You have withdrawn the referral.")
        else:
            raise Http404("There is no such action.")
    except DomainError as problem:
        fields = {
            (f"answer-{name}" if action == "accept" and name not in ("service",) else name): text
            for name, text in problem.fields.items()
        }
        return _render_referral(
            request, staff, found, errors=fields or {f"{action}-form": problem.message}, status=400
        )
    return redirect("workspace:referral", found.pk)


def _referral_or_404(staff: StaffMember, referral_id: int) -> Referral:
    try:
        return access_referral(staff=staff, referral_id=referral_id)
    except NotFound as problem:
        raise Http404(problem.message) from problem


def _not_allowed(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    return render_not_allowed(
        request,
        staff=staff,
        message="Your role does not include referring work to other organisations.",
    )
