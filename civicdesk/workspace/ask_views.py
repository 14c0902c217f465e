"""Ask, for staff: the hand-over queue advisers take chats from, the knowledge base (draft,
review, publish) and the improvement log. Every fetch is scoped by an ``access_*`` function."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from civicdesk.assistant.selectors import (
    access_article,
    access_handover,
    article_reading_age,
    articles_due_review,
    articles_visible_to,
    handover_queue,
    improvement_log,
    queue_positions,
)
from civicdesk.assistant.services import (
    adviser_reply,
    article_move,
    article_save,
    conversation_close,
    handover_take,
)
from civicdesk.catalogue.selectors import request_types_active
from civicdesk.core.errors import DomainError, NotFound
from civicdesk.web.pages import render_staff_page
from civicdesk.web.staff import staff_required

if TYPE_CHECKING:
    from civicdesk.assistant.models import Article
    from civicdesk.organisations.models import StaffMember

READING_AGE_TARGET = 9
REVIEW_SOON = timedelta(days=30)


@staff_required
def queue(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    waiting = list(handover_queue(staff))
    places = queue_positions(organisation=staff.organisation)
    return render_staff_page(
        request,
        "assistant/staff/queue.html",
        title="Chats and callbacks",
        staff=staff,
        waiting=[(conversation, places.get(conversation.pk)) for conversation in waiting],
    )


@staff_required
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, staff: StaffMember, conversation: int) -> HttpResponse:
    try:
        found = access_handover(staff=staff, conversation_id=conversation)
    except NotFound:
        raise Http404("No such conversation") from None
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "take":
                handover_take(staff=staff, conversation=found)
            elif action == "reply":
                adviser_reply(staff=staff, conversation=found, text=request.POST.get("text", ""))
            elif action == "close":
                conversation_close(staff=staff, conversation=found)
        except DomainError as problem:
            errors = problem.fields or {"text": problem.message}
        else:
            return HttpResponseRedirect(request.path)
        found.refresh_from_db()
    return render_staff_page(
        request,
        "assistant/staff/conversation.html",
        title="Conversation",
        staff=staff,
        errors=errors,
        status=400 if errors else 200,
        conversation=found,
        messages=list(found.messages.all()),
    )


@staff_required
def articles(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    listed = list(articles_visible_to(staff))
    due = set(
        articles_due_review(organisation=staff.organisation, within=REVIEW_SOON).values_list(
            "pk", flat=True
        )
    )
    return render_staff_page(
        request,
        "assistant/staff/articles.html",
        title="Answers",
        staff=staff,
        rows=[(article, article_reading_age(article), article.pk in due) for article in listed],
        target=READING_AGE_TARGET,
    )


def _review_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _article_values(article: Article | None) -> dict[str, Any]:
    return {
        "title": article.title if article else "",
        "body": article.body if article else "",
        "review_by": article.review_by.isoformat() if article else "",
        "services": [s.key for s in article.services.all()] if article else [],
    }


def _article_page(
    request: HttpRequest,
    staff: StaffMember,
    article: Article | None,
    values: dict[str, Any],
    errors: dict[str, str],
) -> HttpResponse:
    return render_staff_page(
        request,
        "assistant/staff/article.html",
        title=article.title if article else "Write an answer",
        staff=staff,
        errors=errors,
        status=400 if errors else 200,
        article=article,
        values=values,
        reading_age=article_reading_age(article) if article else None,
        target=READING_AGE_TARGET,
        services=request_types_active(organisation_id=staff.organisation_id),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def article_edit(
    request: HttpRequest, staff: StaffMember, article: int | None = None
) -> HttpResponse:
    found: Article | None = None
    if article is not None:
        try:
            found = access_article(staff=staff, article_id=article)
        except NotFound:
            raise Http404("No such answer") from None
    errors: dict[str, str] = {}
    values = _article_values(found)
    if request.method == "POST":
        values = {
            "title": request.POST.get("title", ""),
            "body": request.POST.get("body", ""),
            "review_by": request.POST.get("review_by", ""),
            "services": request.POST.getlist("services"),
        }
        try:
            saved = article_save(
                staff=staff,
                title=str(values["title"]),
                body=str(values["body"]),
                service_keys=list(values["services"]),
                review_by=_review_date(str(values["review_by"])),
                article=found,
            )
        except DomainError as problem:
            errors = problem.fields or {"title": problem.message}
        else:
            return HttpResponseRedirect(reverse("workspace:ask-article", args=[saved.pk]))
    return _article_page(request, staff, found, values, errors)


@require_POST
@staff_required
def article_move_view(request: HttpRequest, staff: StaffMember, article: int) -> HttpResponse:
    try:
        found = access_article(staff=staff, article_id=article)
    except NotFound:
        raise Http404("No such answer") from None
    try:
        article_move(staff=staff, article=found, move=request.POST.get("move", ""))
    except DomainError as problem:
        return _article_page(
            request, staff, found, _article_values(found), {"move": problem.message}
        )
    return HttpResponseRedirect(reverse("workspace:ask-article", args=[found.pk]))


@staff_required
def log(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    entries = improvement_log(staff=staff)
    return render_staff_page(
        request,
        "assistant/staff/log.html",
        title="What the assistant could not answer",
        staff=staff,
        entries=entries,
    )
