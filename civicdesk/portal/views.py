"""Resident pages: finding a service, what it involves, and page feedback."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.selectors import case_for_tracking, case_timeline, has_legacy_cases
from civicdesk.catalogue.selectors import (
    charter_promises,
    request_type_get,
    request_types_search,
)
from civicdesk.catalogue.urgency import request_type_can_be_dangerous
from civicdesk.core.errors import NotFound, ValidationFailed
from civicdesk.core.text import describe_deadline
from civicdesk.feedback.services import page_feedback_record
from civicdesk.organisations.selectors import (
    councils_listed,
)
from civicdesk.web.councils import council_for
from civicdesk.web.pages import FEEDBACK_THANKS, render_page
from civicdesk.web.staff import sign_in_url

from .service_actions import service_ending


def home(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    areas: dict[str, list[object]] = {}
    for request_type in organisation.request_types.filter(active=True).select_related(
        "service_area"
    ):
        areas.setdefault(request_type.service_area.name, []).append(request_type)
    return render_page(
        request,
        "portal/home.html",
        council=organisation,
        title="Council services",
        areas=sorted(areas.items()),
    )


def search(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    query = request.GET.get("q", "").strip()[:200]
    results = request_types_search(organisation_id=organisation.pk, query=query) if query else []
    return render_page(
        request,
        "portal/search.html",
        council=organisation,
        title=f"Search results for {query}" if query else "Find a service",
        query=query,
        results=results,
    )


def service(request: HttpRequest, council: str, key: str) -> HttpResponse:
    organisation = council_for(council)
    try:
        request_type = request_type_get(organisation_id=organisation.pk, key=key)
    except NotFound:
        raise Http404("No such service") from None
    return render_page(
        request,
        "portal/service.html",
        council=organisation,
        title=request_type.name,
        service=request_type,
        promises=charter_promises(request_type),
        questions=list(request_type.questions.all()),
        dangerous=request_type_can_be_dangerous(request_type),
        ending=service_ending(organisation=organisation, service=request_type),
    )


def contact(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    return render_page(
        request, "portal/contact.html", council=organisation, title="Other ways to contact us"
    )


def track(request: HttpRequest, council: str) -> HttpResponse:
    """Follow a request with its reference and the email address or phone number given."""
    organisation = council_for(council)
    reference = request.POST.get("reference", "").strip()[:60]
    detail = request.POST.get("email_or_phone", "").strip()[:254]
    errors: dict[str, str] = {}
    case = None
    if request.method == "POST":
        if not reference:
            errors["reference"] = "Enter your reference, like K7RM-4XQD"
        if not detail:
            errors["email_or_phone"] = "Enter the email address or phone number you gave us"
        if not errors:
            case = case_for_tracking(
                organisation_id=organisation.pk, reference=reference, email_or_phone=detail
            )
            if case is None:
                errors["reference"] = (
                    "We could not find a request with that reference and email address or "
                    "phone number. Check both and try again"
                )
    if case is not None:
        return render_page(
            request,
            "portal/track_result.html",
            council=organisation,
            title=f"Your request {case.reference}",
            case=case,
            status_label=CaseStatus(case.status).label,
            timeline=case_timeline(case, include_internal=False),
            due=describe_deadline(case.due_at) if case.due_at and case.is_open else "",
        )
    return render_page(
        request,
        "portal/track.html",
        council=organisation,
        title="Track a request",
        errors=errors,
        reference=reference,
        email_or_phone=detail,
        old_references=has_legacy_cases(organisation_id=organisation.pk),
        status=400 if errors else 200,
    )


@never_cache
def staff_sign_in(request: HttpRequest, council: str) -> HttpResponse:
    """Reception staff sign in through the workspace's sign-in, with both factors (ADR 9), and
    come back to the page they asked for: by default, setting up an account with a resident."""
    organisation = council_for(council)
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("portal:account-assisted", args=[organisation.slug])
    return redirect(sign_in_url(next_url))


@require_POST
def page_feedback(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    page = request.POST.get("page", "")
    if not url_has_allowed_host_and_scheme(page, allowed_hosts=None) or not page.startswith("/"):
        page = f"/{organisation.slug}/"
    try:
        page_feedback_record(
            organisation=organisation,
            path=page,
            found=request.POST.get("found", ""),
            comment=request.POST.get("comment", ""),
        )
    except ValidationFailed as problem:
        return render_page(
            request,
            "portal/feedback_problem.html",
            council=organisation,
            title="Did you find what you were looking for?",
            errors=problem.fields,
            page=page,
            comment=request.POST.get("comment", ""),
            status=400,
        )
    messages.info(request, FEEDBACK_THANKS)
    return HttpResponseRedirect(f"{page}#page-feedback-heading")


def index(request: HttpRequest) -> HttpResponse:
    """The installation's front page: each council's services, and the staff sign-in."""
    councils = list(councils_listed())
    if len(councils) == 1:
        return redirect("portal:home", councils[0].slug)
    template = "portal/index.html"
    shown = template if settings.SHOW_TEMPLATE_NAMES else ""
    return render(request, template, {"councils": councils, "page_template": shown})
