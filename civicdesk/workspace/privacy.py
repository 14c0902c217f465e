"""A data protection officer's pages (ADR 29): producing a subject access disclosure and
downloading it once, erasing a person after checking what erasure will do, and extending a
subject access request's month. Every other role is refused.

These pages cover everything held about the person, sensitive services included: a disclosure
or an erasure that left some of it out would break the law it answers to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from civicdesk.cases.selectors import access_case
from civicdesk.cases.time_limits import time_limit_extended_at
from civicdesk.core.audit import Actor
from civicdesk.core.errors import DomainError, EditConflict, NotFound, NotPermitted
from civicdesk.core.numbers import whole_number
from civicdesk.customers.selectors import access_customer
from civicdesk.privacy.choices import MOST_EXTRA_MONTHS, SUBJECT_ACCESS_SERVICE
from civicdesk.privacy.disclosures import (
    access_disclosure,
    disclosure_download,
    disclosure_produce,
    disclosure_redactions,
    disclosures_of_customer,
)
from civicdesk.privacy.registry import erase_description
from civicdesk.privacy.requests import subject_access_extend
from civicdesk.privacy.selectors import customer_as_recorded, erasure_review
from civicdesk.privacy.services import AlreadyDownloaded, customer_erase
from civicdesk.web.pages import render_not_allowed, render_staff_page
from civicdesk.web.staff import require_data_protection_officer, staff_required

from .forms import choices, posted, posted_version

if TYPE_CHECKING:
    from civicdesk.cases.models import Case
    from civicdesk.customers.models import Customer
    from civicdesk.organisations.models import StaffMember
    from civicdesk.privacy.models import Disclosure
    from civicdesk.privacy.selectors import ErasureReview


def _refused(request: HttpRequest, staff: StaffMember) -> HttpResponse | None:
    try:
        require_data_protection_officer(staff)
    except NotPermitted as refused:
        return render_not_allowed(request, staff=staff, message=refused.message)
    return None


def _customer(staff: StaffMember, customer_id: int) -> Customer:
    try:
        return access_customer(staff=staff, customer_id=customer_id)
    except NotFound as problem:
        raise Http404(problem.message) from problem


# Subject access


@staff_required
def disclosure_new(request: HttpRequest, staff: StaffMember, customer_id: int) -> HttpResponse:
    if refused := _refused(request, staff):
        return refused
    customer = _customer(staff, customer_id)
    if customer.pk != customer_id:
        return redirect("workspace:privacy-disclosure-new", customer.pk)
    reference = (request.POST.get("case") or request.GET.get("case", "")).strip()[:20]
    errors: dict[str, str] = {}
    case = _request_of(staff, customer, reference) if reference else None
    if reference and case is None:
        errors["case"] = (
            f"{reference} is not a subject access request of {customer.display_name}. "
            "Produce the disclosure from the customer's page instead."
        )
    elif request.method == "POST":
        disclosure = disclosure_produce(customer=customer, officer=staff.user, case=case)
        return redirect("workspace:privacy-disclosure", disclosure.pk)
    return render_staff_page(
        request,
        "workspace/privacy_disclosure_new.html",
        title=f"Produce a subject access disclosure for {customer.display_name or 'the customer'}",
        staff=staff,
        errors=errors,
        customer=customer,
        case=case,
        earlier=disclosures_of_customer(customer=customer),
        status=400 if errors else 200,
    )


def _request_of(staff: StaffMember, customer: Customer, reference: str) -> Case | None:
    """The customer's subject access request with this reference, if it is one."""
    try:
        case = access_case(staff=staff, reference=reference)
    except NotFound:
        return None
    if case.customer_id != customer.pk or case.request_type.key != SUBJECT_ACCESS_SERVICE:
        return None
    return case


@staff_required
def disclosure(request: HttpRequest, staff: StaffMember, disclosure_id: int) -> HttpResponse:
    if refused := _refused(request, staff):
        return refused
    return _render_disclosure(request, staff, _disclosure(staff, disclosure_id))


@require_POST
@staff_required
def disclosure_file(
    request: HttpRequest, staff: StaffMember, disclosure_id: int
) -> HttpResponse | FileResponse:
    """The bundle, once. A POST, so that nothing that merely follows links (a browser
    fetching ahead, a link checker) can use up the one download."""
    if refused := _refused(request, staff):
        return refused
    found = _disclosure(staff, disclosure_id)
    try:
        bundle = disclosure_download(disclosure=found, officer=staff.user)
    except (AlreadyDownloaded, NotFound) as problem:
        fresh = _disclosure(staff, disclosure_id)
        return _render_disclosure(request, staff, fresh, refusal=problem.message, status=410)
    produced = timezone.localtime(found.produced_at)
    response = FileResponse(
        bundle,
        as_attachment=True,
        filename=f"subject-access-{found.customer_id}-{produced:%Y-%m-%d}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _disclosure(staff: StaffMember, disclosure_id: int) -> Disclosure:
    try:
        return access_disclosure(staff=staff, disclosure_id=disclosure_id)
    except NotFound as problem:
        raise Http404(problem.message) from problem


def _render_disclosure(
    request: HttpRequest,
    staff: StaffMember,
    found: Disclosure,
    *,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    return render_staff_page(
        request,
        "workspace/privacy_disclosure.html",
        title="Subject access disclosure",
        staff=staff,
        errors={"download": refusal} if refusal else None,
        disclosure=found,
        redactions=disclosure_redactions(found),
        status=status,
    )


# Erasure


@staff_required
def erase(request: HttpRequest, staff: StaffMember, customer_id: int) -> HttpResponse:
    if refused := _refused(request, staff):
        return refused
    if request.method != "POST":
        customer = _customer(staff, customer_id)
        if customer.pk != customer_id:
            return redirect("workspace:privacy-erase", customer.pk)
        return _render_erase(request, staff, erasure_review(customer))
    # The record asked for, not the one it may have been merged into since the page was shown:
    # erasing someone other than the officer checked is refused, not done.
    try:
        customer = customer_as_recorded(
            organisation_id=staff.organisation_id, customer_id=customer_id
        )
    except NotFound as problem:
        raise Http404(problem.message) from problem
    shown = {
        record
        for record in (whole_number(part) for part in request.POST.get("records", "").split(","))
        if record is not None
    }
    try:
        if not shown:
            raise DomainError(
                "Check what erasure will do, below, then confirm. Nothing was changed."
            )
        result = customer_erase(
            customer=customer, actor=Actor.for_user(staff.user), expected_records=shown
        )
    except DomainError as problem:
        current = _customer(staff, customer_id)
        return _render_erase(
            request, staff, erasure_review(current), refusal=problem.message, status=400
        )
    erased = sum(result.counts.values())
    messages.success(
        request,
        f"The personal data of customer {customer.pk} was erased: {erased} records changed or "
        "deleted. Counts and dates were kept.",
    )
    return redirect("workspace:privacy-erase", customer.pk)


def _render_erase(
    request: HttpRequest,
    staff: StaffMember,
    review: ErasureReview,
    *,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    return render_staff_page(
        request,
        "workspace/privacy_erase.html",
        title="Erase a person's personal data",
        staff=staff,
        errors={"erase": refusal} if refusal else None,
        review=review,
        records=",".join(str(record) for record in sorted(review.records)),
        changed=[
            (item, erase_description(item.kind))
            for item in review.plan
            if item.rows and item.kind.personal
        ],
        kept=[item for item in review.plan if item.rows and not item.kind.personal],
        status=status,
    )


# Extending a subject access request's month


@staff_required
def extend(request: HttpRequest, staff: StaffMember, reference: str) -> HttpResponse:
    if refused := _refused(request, staff):
        return refused
    try:
        case = access_case(staff=staff, reference=reference)
    except NotFound as problem:
        raise Http404(problem.message) from problem
    if case.request_type.key != SUBJECT_ACCESS_SERVICE:
        raise Http404("There is no subject access request with that reference.")
    form = posted(request, "months", "reason")
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            subject_access_extend(
                case=case,
                months=whole_number(form["months"]),
                reason=form["reason"],
                actor=Actor.for_user(staff.user),
                expected_version=posted_version(request),
            )
        except EditConflict as problem:
            case = access_case(staff=staff, reference=reference)
            errors, status = {"reason": problem.message}, 409
        except DomainError as problem:
            errors, status = problem.fields or {"months": problem.message}, 400
        else:
            messages.success(request, "The time limit was extended and the resident told why.")
            return redirect(reverse("workspace:case", args=[case.reference]) + "#updated")
    return render_staff_page(
        request,
        "workspace/privacy_extend.html",
        title=f"Extend the time limit of {case.reference}",
        staff=staff,
        errors=errors,
        case=case,
        form=form,
        extended_at=time_limit_extended_at(case),
        months=choices(
            [
                (str(number), f"{number} more month{'s' if number > 1 else ''}")
                for number in range(1, MOST_EXTRA_MONTHS + 1)
            ],
            form["months"],
        ),
        status=status,
    )
