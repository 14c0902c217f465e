"""Resident pages for feedback: "how did we do?" from the link in a message, and the short
survey a QR code at a place opens. Neither needs an account; neither asks for personal details.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache

from civicdesk.core.errors import NotFound
from civicdesk.feedback.choices import RATING_REASONS, Rating, RatingSource
from civicdesk.feedback.selectors import (
    FROM_THE_WEBSITE,
    case_already_rated,
    case_for_rating,
    micro_survey_by_code,
)
from civicdesk.feedback.services import (
    DEVICE_WINDOW_SECONDS,
    contact_rating_record,
    micro_survey_answer,
)
from civicdesk.web.councils import council_for
from civicdesk.web.form_pages import form_page
from civicdesk.web.http import client_address
from civicdesk.web.pages import render_page

DEVICE_COOKIE = "civicdesk_survey_device"
DEVICE_SALT = "civicdesk.feedback.device"


@never_cache
def rate(request: HttpRequest, council: str, token: str) -> HttpResponse:
    organisation = council_for(council)
    try:
        case = case_for_rating(organisation=organisation, token=token)
    except NotFound:
        raise Http404("No such rating link") from None
    if case_already_rated(case):
        return redirect("portal:feedback-thanks", organisation.slug)

    def record() -> HttpResponse:
        contact_rating_record(
            organisation=organisation,
            case=case,
            rating=request.POST.get("rating", ""),
            reasons=request.POST.getlist("reasons"),
            comment=request.POST.get("comment", ""),
            source=(
                RatingSource.PORTAL
                if request.GET.urlencode() == FROM_THE_WEBSITE
                else RatingSource.NOTIFICATION_LINK
            ),
        )
        return redirect("portal:feedback-thanks", organisation.slug)

    return form_page(
        request,
        "portal/feedback/rate.html",
        render=render_page,
        submit=record,
        council=organisation,
        title="How did we do?",
        service=case.request_type.name,
        reference=case.reference,
        reason_items=[
            {"value": key, "text": label, "checked": key in request.POST.getlist("reasons")}
            for key, label in RATING_REASONS.items()
        ],
        rating_items=_rating_items(request.POST.get("rating", "")),
        comment=request.POST.get("comment", ""),
    )


@never_cache
def place_survey(request: HttpRequest, council: str, code: str) -> HttpResponse:
    organisation = council_for(council)
    try:
        survey = micro_survey_by_code(organisation=organisation, code=code)
    except NotFound:
        raise Http404("No such survey") from None

    def answer() -> HttpResponse:
        kept = request.get_signed_cookie(DEVICE_COOKIE, default="", salt=DEVICE_SALT)
        device = kept or secrets.token_urlsafe(16)
        micro_survey_answer(
            survey=survey,
            rating=request.POST.get("rating", ""),
            comment=request.POST.get("comment", ""),
            device=device,
            address=client_address(request),
        )
        response = redirect("portal:feedback-thanks", organisation.slug)
        # A random value, signed so it cannot be forged, that lives only as long as the
        # one-answer window: it says nothing about the person holding the phone.
        response.set_signed_cookie(
            DEVICE_COOKIE,
            device,
            salt=DEVICE_SALT,
            max_age=DEVICE_WINDOW_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response

    return form_page(
        request,
        "portal/feedback/place.html",
        render=render_page,
        submit=answer,
        council=organisation,
        title=survey.question,
        survey=survey,
        rating_items=_rating_items(request.POST.get("rating", "")),
        comment=request.POST.get("comment", ""),
    )


def thanks(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    return render_page(
        request, "portal/feedback/thanks.html", council=organisation, title="Thank you"
    )


def _rating_items(chosen: str) -> list[dict[str, object]]:
    return [
        {"value": value, "text": label, "checked": value == chosen}
        for value, label in Rating.choices
    ]
