"""The single customer view and what an adviser does from it: record a new customer, log a
contact, merge a duplicate record, set up an online account."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from civicdesk.accounts.services import (
    DESK_EVIDENCE,
    account_confirm_at_desk,
    account_sign_up_assisted,
)
from civicdesk.cases.choices import OPEN_STATUSES
from civicdesk.cases.selectors import cases_hidden_from, cases_visible_to, likely_case
from civicdesk.catalogue.selectors import request_types_active
from civicdesk.contacts.choices import ContactOutcome, ContactReason
from civicdesk.contacts.services import ContactDetails, contact_log, contact_repeats_rejudge
from civicdesk.core.audit import Actor
from civicdesk.core.choices import Channel
from civicdesk.core.errors import DomainError, NotFound, NotPermitted, ValidationFailed
from civicdesk.core.numbers import whole_number
from civicdesk.customers.selectors import access_customer, merge_differences
from civicdesk.customers.services import CustomerDetails, customer_create, customer_merge
from civicdesk.notifications.links import public_page_link
from civicdesk.organisations.choices import Role
from civicdesk.privacy.access_log import may_read_access_log
from civicdesk.privacy.choices import AccessKind
from civicdesk.web.pages import render_staff_page
from civicdesk.web.staff import staff_required
from civicdesk.web.templating import uk_date

from .access_log_views import record_opening
from .customer_timeline import timeline_filter_from
from .customer_view import customer_view
from .forms import choices, posted

if TYPE_CHECKING:
    from civicdesk.customers.models import Customer
    from civicdesk.organisations.models import StaffMember

# How a resident is helped to set up an account: on the phone or in person.
ASSISTED_CHANNELS = (Channel.PHONE, Channel.FACE_TO_FACE)

# What the adviser can do with a contact; "case" goes on to the raise-a-case form.
CONTACT_OUTCOMES = [
    (ContactOutcome.RESOLVED_FIRST_CONTACT, "Resolved now, at first contact"),
    ("case", "Raise a new case"),
    (ContactOutcome.LINKED_TO_CASE, "About an existing case"),
    (ContactOutcome.SIGNPOSTED, "Signposted elsewhere"),
    (ContactOutcome.TRANSFERRED, "Transferred to a service"),
]
DRAFT_CONTACT_KEY = "civicdesk_draft_contact"
# The channel this adviser chose last, offered first next time.
LAST_CHANNEL_KEY = "civicdesk_last_contact_channel"
# Until an adviser has chosen, the channel most of their role's contacts come in by: the
# contact centre answers the phones, back-office staff mostly answer emails.
ROLE_CHANNELS: dict[str, str] = {
    Role.ADVISER: Channel.PHONE,
    Role.TEAM_LEAD: Channel.PHONE,
    Role.MANAGER: Channel.PHONE,
    Role.ADMIN: Channel.PHONE,
    Role.OFFICER: Channel.EMAIL,
    Role.DATA_PROTECTION: Channel.EMAIL,
}
# One key each for the reason (digits, in list order) and the outcome (letters), so an adviser
# on the phones logs a simple call from the keyboard without tabbing through three groups.
REASON_KEYS = {value: str(number) for number, value in enumerate(ContactReason.values, start=1)}
OUTCOME_KEYS = {
    ContactOutcome.RESOLVED_FIRST_CONTACT: "R",
    "case": "N",
    ContactOutcome.LINKED_TO_CASE: "E",
    ContactOutcome.SIGNPOSTED: "S",
    ContactOutcome.TRANSFERRED: "T",
}


@staff_required
def customer(request: HttpRequest, staff: StaffMember, customer_id: int) -> HttpResponse:
    try:
        view = customer_view(
            staff=staff,
            customer_id=customer_id,
            show_support_needs=request.GET.get("support") == "show",
            timeline=timeline_filter_from(request.GET),
        )
    except NotFound as problem:
        raise Http404(problem.message) from problem
    if view.customer.pk != customer_id:
        return redirect("workspace:customer", view.customer.pk)
    record_opening(
        request,
        staff,
        what=AccessKind.SUPPORT_NEEDS if view.support_needs else AccessKind.CUSTOMER,
        customer_id=view.customer.pk,
    )
    return render_staff_page(
        request,
        "workspace/customer.html",
        title=view.customer.display_name or "Customer",
        staff=staff,
        view=view,
        access_log_href=reverse("workspace:privacy-access-log-customer", args=[view.customer.pk])
        if may_read_access_log(staff)
        else "",
        desk_evidence=DESK_EVIDENCE,
        errors=dict(view.timeline.errors),
        status=400 if view.timeline.errors else 200,
    )


@staff_required
def customer_new(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    form = posted(
        request, "first_name", "last_name", "address_line_1", "town", "postcode", "email", "phone"
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            created = customer_create(
                organisation=staff.organisation,
                details=CustomerDetails(
                    first_name=form["first_name"],
                    last_name=form["last_name"],
                    address_line_1=form["address_line_1"],
                    town=form["town"],
                    postcode=form["postcode"],
                    emails=[form["email"]] if form["email"] else [],
                    phones=[form["phone"]] if form["phone"] else [],
                ),
                actor=Actor.for_user(staff.user),
            )
        except ValidationFailed as problem:
            errors = {
                _NEW_CUSTOMER_FIELDS.get(key, key): text for key, text in problem.fields.items()
            }
        else:
            return redirect("workspace:customer", created.pk)
    return render_staff_page(
        request,
        "workspace/customer_new.html",
        title="Record a new customer",
        staff=staff,
        errors=errors,
        form=form,
        status=400 if errors else 200,
    )


_NEW_CUSTOMER_FIELDS = {"emails": "email", "phones": "phone"}


@staff_required
def contact_new(request: HttpRequest, staff: StaffMember, customer_id: int) -> HttpResponse:
    found = customer_or_404(staff, customer_id)
    open_cases = list(
        cases_visible_to(staff)
        .filter(customer_id=found.pk, status__in=OPEN_STATUSES)
        .select_related("request_type")
        .order_by("-updated_at", "-pk")
    )
    services = list(request_types_active(organisation_id=staff.organisation_id))
    form = posted(
        request,
        "channel",
        "reason",
        "outcome",
        "case",
        "service",
        "summary",
        "signposted_to",
        "assisted",
    )
    if request.method == "GET":
        form["channel"] = _default_channel(request, staff)
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = _contact_form_errors(form, open_cases)
        service = next((item for item in services if item.key == form["service"]), None)
        if form["service"] and service is None:
            errors["service"] = "Select a service from the list"
        if not errors and form["outcome"] == "case":
            request.session[LAST_CHANNEL_KEY] = form["channel"]
            request.session[DRAFT_CONTACT_KEY] = {
                "customer": found.pk,
                "channel": form["channel"],
                "reason": form["reason"],
                "summary": form["summary"],
                "assisted": form["assisted"] == "yes",
            }
            case_form = reverse("workspace:case-new", args=[found.pk])
            return redirect(f"{case_form}?service={service.key}" if service else case_form)
        if not errors:
            # A contact is about a case only when the adviser says so.
            linked = (
                next((case for case in open_cases if case.reference == form["case"]), None)
                if form["outcome"] == ContactOutcome.LINKED_TO_CASE
                else None
            )
            try:
                logged = contact_log(
                    organisation=staff.organisation,
                    customer=found,
                    case=linked,
                    request_type=None if linked else service,
                    handled_by=staff.user,
                    details=ContactDetails(
                        channel=form["channel"],
                        reason=form["reason"],
                        outcome=form["outcome"],
                        summary=form["summary"],
                        signposted_to=form["signposted_to"],
                        assisted=form["assisted"] == "yes",
                    ),
                )
            except ValidationFailed as problem:
                errors = problem.fields
            else:
                request.session[LAST_CHANNEL_KEY] = form["channel"]
                if request.POST.get("refer") == "yes":
                    # It reached the wrong organisation: passed on, not bounced (ADR 45).
                    return redirect("workspace:contact-refer", logged.pk)
                return redirect(reverse("workspace:customer", args=[found.pk]) + "#timeline")
    return render_staff_page(
        request,
        "workspace/contact_new.html",
        title=f"Log a contact with {found.display_name}",
        staff=staff,
        errors=errors,
        customer=found,
        form=form,
        channels=choices(Channel.choices, form["channel"]),
        reasons=_with_keys(choices(ContactReason.choices, form["reason"]), REASON_KEYS),
        outcomes=_with_keys(choices(CONTACT_OUTCOMES, form["outcome"]), OUTCOME_KEYS),
        likely=likely_case(open_cases=open_cases, service_key=form["service"]),
        services=choices(
            [(item.key, item.name) for item in services],
            form["service"],
            first=[("", "Not about a particular service")],
        ),
        open_cases=open_cases,
        status=400 if errors else 200,
    )


def _default_channel(request: HttpRequest, staff: StaffMember) -> str:
    """Reception sends face-to-face visits here with their channel; otherwise the adviser's
    last choice, or their role's usual channel."""
    for chosen in (request.GET.get("channel", ""), request.session.get(LAST_CHANNEL_KEY, "")):
        if chosen in Channel.values:
            return str(chosen)
    return ROLE_CHANNELS.get(staff.role, "")


def _with_keys(items: list[dict[str, object]], keys: dict[str, str]) -> list[dict[str, object]]:
    """Radios that can be chosen with one key. The page's script announces and shows the key
    and listens for it; without the script nothing claims a key works."""
    return [{**item, "attributes": {"data-key": keys[str(item["value"])]}} for item in items]


def _contact_form_errors(form: dict[str, str], open_cases: list) -> dict[str, str]:
    errors: dict[str, str] = {}
    if form["channel"] not in Channel.values:
        errors["channel"] = "Select how the customer got in touch"
    if form["reason"] not in ContactReason.values:
        errors["reason"] = "Select why the customer got in touch"
    if form["outcome"] not in dict(CONTACT_OUTCOMES):
        errors["outcome"] = "Select the outcome of the contact"
    elif form["outcome"] == ContactOutcome.LINKED_TO_CASE and form["case"] not in {
        case.reference for case in open_cases
    }:
        errors["case"] = "Select the case the customer is contacting us about"
    elif form["outcome"] == ContactOutcome.SIGNPOSTED and not form["signposted_to"]:
        errors["signposted_to"] = "Enter where the customer was signposted to"
    return errors


@require_POST
@staff_required
def customer_merge_view(request: HttpRequest, staff: StaffMember, customer_id: int) -> HttpResponse:
    survivor = customer_or_404(staff, customer_id)
    duplicate_id = whole_number(request.POST.get("duplicate", ""))
    if duplicate_id is None:
        raise Http404("There is no such customer.")
    duplicate = customer_or_404(staff, duplicate_id)
    if any(cases_hidden_from(staff=staff, customer=record) for record in (survivor, duplicate)):
        # A merge moves contact details and online accounts between the records, so it could
        # open cases this member of staff may not see to an account they can sign in to.
        return _customer_with_error(
            request,
            staff,
            survivor.pk,
            "One of these records has cases you cannot see. Ask the team that handles those "
            "cases to merge the records.",
        )
    if request.POST.get("confirm") != "yes":
        return _merge_confirm_page(request, staff, survivor, duplicate)
    keep = {
        name.removeprefix("keep-"): str(request.POST.get(name, ""))
        for name in request.POST
        if name.startswith("keep-")
    }
    try:
        with transaction.atomic():
            merged = customer_merge(
                duplicate=duplicate, into=survivor, actor=Actor.for_user(staff.user), keep=keep
            )
            # One person's contacts, once on two records, are now compared with each other.
            contact_repeats_rejudge(customer=merged)
    except ValidationFailed as problem:
        errors = {f"keep-{key}": message for key, message in problem.fields.items()}
        return _merge_confirm_page(
            request,
            staff,
            survivor,
            duplicate,
            keep=keep,
            errors=errors or {"merge": problem.message},
        )
    except DomainError as problem:
        return _customer_with_error(request, staff, survivor.pk, problem.message)
    return redirect("workspace:customer", merged.pk)


def _merge_confirm_page(
    request: HttpRequest,
    staff: StaffMember,
    survivor: Customer,
    duplicate: Customer,
    *,
    keep: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HttpResponse:
    """The two records side by side, and a choice for every value they differ on, the
    suggested one (or the adviser's earlier choice) selected."""
    keep = keep or {}
    return render_staff_page(
        request,
        "workspace/customer_merge.html",
        title=f"Merge {duplicate.display_name} into {survivor.display_name}?",
        staff=staff,
        errors=errors,
        status=400 if errors else 200,
        survivor=survivor,
        duplicate=duplicate,
        details={
            record.pk: [detail.value for detail in record.details.all()]
            for record in (survivor, duplicate)
        },
        differences=[
            {
                "key": difference.key,
                "label": difference.label,
                "items": [
                    {
                        "value": value,
                        "text": f"{_merge_value_shown(difference.key, value)} ({whose})",
                        "checked": value == keep.get(difference.key, difference.suggested),
                    }
                    for value, whose in (
                        (difference.survivor, "the record that stays"),
                        (difference.duplicate, "the record merged into it"),
                    )
                ],
            }
            for difference in merge_differences(survivor=survivor, duplicate=duplicate)
        ],
    )


def _merge_value_shown(key: str, value: str) -> str:
    if not value:
        return "Not recorded"
    return uk_date(date.fromisoformat(value)) if key == "date_of_birth" else value


@require_POST
@staff_required
def account_assisted(request: HttpRequest, staff: StaffMember, customer_id: int) -> HttpResponse:
    """Set up "my account" with a resident who is on the phone or at reception."""
    found = customer_or_404(staff, customer_id)
    email = request.POST.get("email", "").strip()
    channel = request.POST.get("channel", "")
    try:
        account_sign_up_assisted(
            staff=staff,
            email=email,
            first_name=found.first_name or found.display_name,
            last_name=found.last_name,
            link_for=lambda token: public_page_link(
                "portal:account-link", staff.organisation.slug, token
            ),
            customer=found,
            channel=channel if channel in ASSISTED_CHANNELS else Channel.PHONE,
        )
    except ValidationFailed as problem:
        message = next(iter(problem.fields.values()), problem.message)
        return _customer_with_error(request, staff, found.pk, message, field="email")
    return redirect(reverse("workspace:customer", args=[found.pk]) + "#timeline")


@require_POST
@staff_required
def account_confirm(request: HttpRequest, staff: StaffMember, customer_id: int) -> HttpResponse:
    """Confirm a customer's online account after seeing proof of who they are, in person."""
    found = customer_or_404(staff, customer_id)
    try:
        account_confirm_at_desk(
            staff=staff, customer=found, evidence=request.POST.get("evidence", "")
        )
    except DomainError as problem:
        message = next(iter(problem.fields.values()), problem.message)
        status = 403 if isinstance(problem, NotPermitted) else 400
        return _customer_with_error(
            request, staff, found.pk, message, field="evidence", status=status
        )
    return redirect(reverse("workspace:customer", args=[found.pk]) + "#timeline")


def _customer_with_error(
    request: HttpRequest,
    staff: StaffMember,
    customer_id: int,
    message: str,
    field: str = "merge",
    status: int = 400,
) -> HttpResponse:
    view = customer_view(staff=staff, customer_id=customer_id)
    return render_staff_page(
        request,
        "workspace/customer.html",
        title=view.customer.display_name or "Customer",
        staff=staff,
        errors={field: message},
        view=view,
        desk_evidence=DESK_EVIDENCE,
        status=status,
    )


def customer_or_404(staff: StaffMember, customer_id: int) -> Customer:
    try:
        return access_customer(staff=staff, customer_id=customer_id)
    except NotFound as problem:
        raise Http404(problem.message) from problem
