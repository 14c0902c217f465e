"""The council, service and journey behind every page of "report or apply", shared by the
journey's pages (report_views) and its location pages (report_location_views)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from civicdesk.catalogue.selectors import request_type_get
from civicdesk.catalogue.urgency import request_type_can_be_dangerous
from civicdesk.core.errors import NotFound
from civicdesk.customers.selectors import resident_account
from civicdesk.organisations.selectors import organisation_get
from civicdesk.web.councils import council_for
from civicdesk.web.pages import render_page

from .report_journey import (
    Journey,
    first_unanswered,
    journey_end,
    journey_load,
    journey_save,
    question_after,
)

if TYPE_CHECKING:
    from civicdesk.catalogue.models import Question
    from civicdesk.customers.models import Customer
    from civicdesk.organisations.models import Organisation

NOTICE_KEY = "report_notice"


class ReportStep:
    """The council, service and journey behind every page of the journey."""

    def __init__(self, request: HttpRequest, council: str, key: str) -> None:
        self.request = request
        self.organisation = council_for(council)
        try:
            self.request_type = request_type_get(organisation_id=self.organisation.pk, key=key)
        except NotFound:
            raise Http404("No such service") from None
        if not self.request_type.opens_cases:
            raise Http404("This service is information only")
        self.journey: Journey | None = journey_load(request.session, council, key)

    @property
    def slug(self) -> str:
        return self.organisation.slug

    @property
    def key(self) -> str:
        return self.request_type.key

    def url(self, name: str, *args: str) -> str:
        return reverse(f"portal:report-{name}", args=[self.slug, self.key, *args])

    def save(self) -> None:
        assert self.journey is not None
        journey_save(self.request.session, self.slug, self.key, self.journey)

    def render(
        self,
        template: str,
        *,
        title: str,
        errors: dict[str, str] | None = None,
        back: str = "",
        **context: Any,
    ) -> HttpResponse:
        notices = dict(self.request.session.get(NOTICE_KEY, {}))
        notice = notices.pop(f"{self.slug}/{self.key}", "")
        if notice:
            self.request.session[NOTICE_KEY] = notices
        return render_page(
            self.request,
            f"portal/report/{template}",
            notice=notice,
            council=self.organisation,
            title=title,
            errors=errors,
            status=400 if errors else 200,
            service=self.request_type,
            dangerous=request_type_can_be_dangerous(self.request_type),
            back=back,
            **context,
        )

    def after(self, question: Question) -> HttpResponseRedirect:
        """Where to go once a question is answered: back to check answers when changing one."""
        if self.request.POST.get("return_to") == "check" and self._ready_to_check():
            return HttpResponseRedirect(self.url("check"))
        following = question_after(self.request_type, question.key)
        if following is not None:
            return HttpResponseRedirect(self.url("question", following.key))
        return HttpResponseRedirect(self.url("details"))

    def _ready_to_check(self) -> bool:
        assert self.journey is not None
        return first_unanswered(self.request_type, self.journey) is None and (
            self.journey.details is not None or self.journey.anonymous
        )

    def back_from(self, question: Question | None) -> str:
        """The previous step: the question before, or the service page."""
        questions = list(self.request_type.questions.all())
        if question is None:
            return (
                self.url("question", questions[-1].key)
                if questions
                else reverse("portal:service", args=[self.slug, self.key])
            )
        position = [q.key for q in questions].index(question.key)
        if position == 0:
            return reverse("portal:service", args=[self.slug, self.key])
        return self.url("question", questions[position - 1].key)

    def return_to(self) -> str:
        """Where to go once this page is answered: "check" when the resident came from the
        check page to change an answer, otherwise the next step as usual (empty)."""
        wanted = self.request.GET.get("change") or self.request.POST.get("return_to")
        return "check" if wanted in ("1", "check") else ""

    def restart(self, notice: str = "") -> HttpResponseRedirect:
        """Back to the start; with a ``notice``, the journey so far is dropped and the first
        page says why."""
        if notice:
            journey_end(self.request.session, self.slug, self.key)
            notices = dict(self.request.session.get(NOTICE_KEY, {}))
            notices[f"{self.slug}/{self.key}"] = notice
            self.request.session[NOTICE_KEY] = notices
        return HttpResponseRedirect(self.url("start"))

    def account(self, organisation: Organisation) -> Customer | None:
        """The signed-in resident's own customer record at ``organisation``, if any."""
        return resident_account(user=self.request.user, organisation_id=organisation.pk)

    def provider(self) -> Organisation:
        assert self.journey is not None
        if self.journey.provider_id and self.journey.provider_id != self.organisation.pk:
            return organisation_get(self.journey.provider_id)
        return self.organisation
