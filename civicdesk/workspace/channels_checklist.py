"""The channels checklist in the admin (ADR 32): a council's administrators, and the
installation's superusers, see what the council's channels need, whether each is set and
whether it works, send themselves a test message and run the checks.

The page is the admin's own (a Django template extending the admin's layout), reached from the
admin's index; the admin site lets in only staff who passed both sign-in factors, and the page
only those who administer the council named in its address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from civicdesk.channels.checklist import (
    ChecklistItem,
    Verdict,
    channels_checklist,
    channels_test_message_send,
    channels_test_messages,
)
from civicdesk.channels.checks import channels_checks_run
from civicdesk.core.errors import ValidationFailed

from .council_admin_pages import administered_council_or_404, council_choice

TEMPLATE = "admin/channels_checklist.html"
# The last checks' results, shown once on the page the checks redirect to.
CHECKS_KEY = "civicdesk_channels_checks"
SEND_TEST = "send-test-message"
RUN_CHECKS = "run-checks"


def channels_checklist_index(request: HttpRequest) -> HttpResponse:
    """An administrator's own council's checklist; for a superuser, the councils to choose."""
    return council_choice(
        request, template=TEMPLATE, title="Channels checklist", url_for=channels_checklist_url
    )


def channels_checklist_page(request: HttpRequest, council: str) -> HttpResponse:
    organisation = administered_council_or_404(request, council)
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.POST.get("action")
        if action == RUN_CHECKS:
            verdicts = channels_checks_run()
            request.session[CHECKS_KEY] = {
                "organisation": organisation.pk,
                "at": timezone.now().isoformat(),
                "verdicts": {key: [v.outcome, v.message] for key, v in verdicts.items()},
            }
            return HttpResponseRedirect(request.path)
        if action == SEND_TEST:
            try:
                message = channels_test_message_send(
                    organisation=organisation,
                    email=getattr(request.user, "email", ""),
                    name=request.user.get_full_name(),  # type: ignore[union-attr]
                )
            except ValidationFailed as refused:
                errors = {"send-test": refused.message}
            else:
                messages.success(
                    request,
                    f"A test message to {message.recipient} is in the outbox. The worker sends "
                    "it within a few seconds: refresh this page to see what happened to it.",
                )
                return HttpResponseRedirect(request.path)
        else:
            errors = {"send-test": "Choose one of the buttons on the page."}
    checks, checked_at = _checks_shown(request, organisation.pk)
    items = channels_checklist(organisation=organisation, checks=checks)
    return render(
        request,
        TEMPLATE,
        {
            **admin.site.each_context(request),
            "title": f"Channels checklist: {organisation.name}",
            "organisation": organisation,
            "rows": [_row(request, item) for item in items],
            "checked_at": checked_at,
            "test_messages": channels_test_messages(organisation=organisation),
            "errors": errors,
            "send_test": SEND_TEST,
            "run_checks": RUN_CHECKS,
        },
        status=400 if errors else 200,
    )


def channels_checklist_url(slug: str) -> str:
    return reverse("admin:channels-checklist", kwargs={"council": slug})


def _checks_shown(
    request: HttpRequest, organisation_id: int
) -> tuple[dict[str, Verdict], datetime | None]:
    saved = request.session.pop(CHECKS_KEY, None)
    if not isinstance(saved, dict) or saved.get("organisation") != organisation_id:
        return {}, None
    verdicts = {
        key: Verdict(outcome, message) for key, (outcome, message) in saved["verdicts"].items()
    }
    return verdicts, datetime.fromisoformat(saved["at"])


def _row(request: HttpRequest, item: ChecklistItem) -> dict[str, Any]:
    """The item, with links to the admin pages it is set in that this user may open."""
    links = []
    for label, model in item.admin_pages:
        app_label, model_name = model.split(".")
        if request.user.has_perm(f"{app_label}.view_{model_name}") or request.user.has_perm(
            f"{app_label}.change_{model_name}"
        ):
            links.append((label, reverse(f"admin:{app_label}_{model_name}_changelist")))
    return {"item": item, "links": links}
