"""Ask, for residents: a chat that is a plain form first, with live updates where JavaScript
runs. The conversation is found through a random token in the resident's session; nothing
they type goes into a URL."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicdesk.assistant.choices import ConversationState
from civicdesk.assistant.selectors import (
    ShownMessage,
    advisers_open,
    answers_said,
    articles_published,
    conversation_for_token,
    conversation_messages,
    queue_position,
)
from civicdesk.assistant.services import (
    conversation_callback,
    conversation_choose,
    conversation_hand_over,
    conversation_rate,
    conversation_say,
    conversation_start,
)
from civicdesk.catalogue.selectors import request_type_get
from civicdesk.core.errors import DomainError, NotFound
from civicdesk.core.ratelimit import window_add, window_count
from civicdesk.customers.selectors import resident_account
from civicdesk.planning.selectors import wait_teller, wait_told
from civicdesk.portal.report_journey import journey_save, journey_start
from civicdesk.web.councils import council_for
from civicdesk.web.http import client_address
from civicdesk.web.pages import render_page

if TYPE_CHECKING:
    from civicdesk.assistant.models import Article, Conversation
    from civicdesk.organisations.models import Organisation

SESSION_KEY = "assistant_conversations"
# The chats in this session that started while their network address was busy (see below).
BUSY_KEY = "assistant_busy_chats"
RATED_KEY = "assistant_rated"
# Limits on Ask slow a flood one chat at a time. None of them ever refuses the way to a person:
# "Talk to a person", the callback request and the council's phone number on the page always
# work, because the computers of a library or a community hub share one network address.
#
# Messages one chat may send in ten minutes: far more than a person types, few enough that a
# script cannot flood the advisers or the improvement log. Messages to an adviser are counted
# apart, so a chat that ran out of automatic answers can still write to the person it asked for.
RATE_KIND = "assistant-message"
ADVISER_RATE_KIND = "assistant-message-to-adviser"
MESSAGE_LIMIT = 60
MESSAGE_WINDOW_SECONDS = 600
# New chats one network address starts in an hour. A script that keeps no cookies gets a new
# chat with every request, so the per-chat limit alone would not slow it. Past NEW_CHAT_LIMIT a
# new chat still starts, with BUSY_MESSAGE_LIMIT automatic answers in ten minutes rather than
# MESSAGE_LIMIT. Past NEW_CHAT_CEILING (five new chats a minute for an hour: a script, not a
# room of people), the assistant starts no new chat to answer automatically until the hour
# is up; hand-overs and callbacks still start one.
NEW_CHAT_KIND = "assistant-new-chat"
NEW_CHAT_LIMIT = 60
BUSY_MESSAGE_LIMIT = 10
NEW_CHAT_CEILING = 300
NEW_CHAT_WINDOW_SECONDS = 3600
# What a resident is told when a limit applies, each followed by the ways to a person.
TOO_MANY = "You have sent a lot of messages. Ask will answer again within 10 minutes."
BUSY_CHAT_FULL = (
    "Lots of people on your network are using Ask, so each chat has fewer answers. You will "
    "get more within 10 minutes."
)
BUSY_NETWORK = (
    "Lots of new chats have come from your network this hour. Ask will answer new questions "
    "again within the hour."
)


def _current(request: HttpRequest, organisation: Organisation) -> Conversation | None:
    token = request.session.get(SESSION_KEY, {}).get(organisation.slug, "")
    return conversation_for_token(organisation=organisation, token=str(token))


def _current_or_new(request: HttpRequest, organisation: Organisation) -> Conversation:
    """The resident's open chat, or a new one. Every new chat is counted against the network
    address; one started past NEW_CHAT_LIMIT is marked busy, to have fewer automatic answers."""
    conversation = _current(request, organisation)
    if conversation is None or conversation.state == ConversationState.CLOSED:
        started = window_add(
            kind=NEW_CHAT_KIND,
            value=client_address(request),
            window_seconds=NEW_CHAT_WINDOW_SECONDS,
        )
        conversation = conversation_start(
            organisation=organisation,
            customer=resident_account(user=request.user, organisation_id=organisation.pk),
        )
        tokens = dict(request.session.get(SESSION_KEY, {}))
        tokens[organisation.slug] = conversation.token
        request.session[SESSION_KEY] = tokens
        busy = dict(request.session.get(BUSY_KEY, {}))
        busy.pop(organisation.slug, None)
        if started > NEW_CHAT_LIMIT:
            busy[organisation.slug] = conversation.token
        request.session[BUSY_KEY] = busy
    return conversation


def _no_new_chats(request: HttpRequest, organisation: Organisation) -> bool:
    """Whether the resident has no open chat and their address is past NEW_CHAT_CEILING."""
    conversation = _current(request, organisation)
    if conversation is not None and conversation.state != ConversationState.CLOSED:
        return False
    started = window_count(kind=NEW_CHAT_KIND, value=client_address(request))
    return started >= NEW_CHAT_CEILING


def _allowance(
    request: HttpRequest, organisation: Organisation, conversation: Conversation
) -> tuple[str, int, str]:
    """What counts this chat's messages, how many it may send in MESSAGE_WINDOW_SECONDS and
    what it is told past that. Waiting for or talking to an adviser, every chat has the full
    number, counted afresh: the way to a person is never cut short."""
    if conversation.state in (ConversationState.WAITING, ConversationState.WITH_ADVISER):
        return ADVISER_RATE_KIND, MESSAGE_LIMIT, TOO_MANY
    if request.session.get(BUSY_KEY, {}).get(organisation.slug) == conversation.token:
        return RATE_KIND, BUSY_MESSAGE_LIMIT, BUSY_CHAT_FULL
    return RATE_KIND, MESSAGE_LIMIT, TOO_MANY


def _still_a_person(organisation: Organisation) -> str:
    """The ways to a person, said after any limit."""
    if organisation.phone:
        return (
            " You can still talk to a person, ask us to call you back, or call us on "
            f"{organisation.phone}."
        )
    return " You can still talk to a person or ask us to call you back."


def _ask_url(organisation: Organisation, anchor: str = "latest") -> str:
    return reverse("assistant:ask", args=[organisation.slug]) + f"#{anchor}"


def _wait_told(conversation: Conversation) -> Callable[[int], int]:
    """The wait told at a place in the queue: the same estimate the waiting status shows."""
    return wait_teller(organisation=conversation.organisation, channel=conversation.channel)


def _status(conversation: Conversation | None) -> dict[str, Any]:
    if conversation is None:
        return {}
    position = queue_position(conversation)
    return {
        "state": conversation.state,
        "position": position,
        "minutes": wait_told(
            organisation=conversation.organisation,
            channel=conversation.channel,
            position=position,
        )
        if position
        else None,
    }


def _shown(conversation: Conversation | None, *, after: int = 0) -> list[ShownMessage]:
    return conversation_messages(conversation, after=after) if conversation else []


@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    errors: dict[str, str] = {}
    status = 200
    text = ""
    if request.method == "POST":
        text = request.POST.get("message", "")
        if not text.strip():
            errors["message"] = "Type your question"
            status = 400
        elif _no_new_chats(request, organisation):
            errors["message"] = BUSY_NETWORK + _still_a_person(organisation)
            status = 429
        else:
            conversation = _current_or_new(request, organisation)
            kind, limit, refusal = _allowance(request, organisation, conversation)
            if window_count(kind=kind, value=conversation.token) >= limit:
                errors["message"] = refusal + _still_a_person(organisation)
                status = 429
            else:
                window_add(
                    kind=kind,
                    value=conversation.token,
                    window_seconds=MESSAGE_WINDOW_SECONDS,
                )
                try:
                    conversation_say(
                        conversation=conversation,
                        text=text,
                        wait_minutes=_wait_told(conversation),
                    )
                except DomainError as problem:
                    errors["message"] = problem.message
                    status = 400
                else:
                    return HttpResponseRedirect(_ask_url(organisation))
    return _ask_page(request, organisation, errors=errors, status=status, message=text)


def _ask_page(
    request: HttpRequest,
    organisation: Organisation,
    *,
    errors: dict[str, str],
    status: int,
    message: str = "",
) -> HttpResponse:
    current = _current(request, organisation)
    return render_page(
        request,
        "assistant/ask.html",
        council=organisation,
        title="Ask us a question",
        errors=errors,
        status=status,
        shown=_shown(current),
        status_now=_status(current),
        conversation=current,
        # A refused message is given back to be sent again, never silently dropped.
        message=message if errors else "",
        rated=current is not None and request.session.get(RATED_KEY) == current.pk,
        suggested=[
            "When is my bin day?",
            "How do I pay my council tax?",
            "There is a pothole in my road",
        ],
    )


@require_GET
def ask_updates(request: HttpRequest, council: str) -> HttpResponse:
    """New messages after ``after``, as HTML for the page's script to add (live updates)."""
    organisation = council_for(council)
    conversation = _current(request, organisation)
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        after = 0
    shown = _shown(conversation, after=after)
    status_now = _status(conversation)
    context = {
        "council": organisation,
        "shown": shown,
        "status_now": status_now,
        "js": True,
    }
    response = JsonResponse(
        {
            "messages": render_to_string("assistant/_messages.html", context, request=request),
            "status": render_to_string("assistant/_status.html", context, request=request),
            "state": status_now.get("state", ""),
            "last": shown[-1].message.pk if shown else after,
        }
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def ask_choose(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    conversation = _current(request, organisation)
    if conversation is not None:
        # An out-of-date choice is ignored: the page shows the conversation as it is.
        with contextlib.suppress(DomainError):
            conversation_choose(conversation=conversation, key=request.POST.get("key", ""))
    return HttpResponseRedirect(_ask_url(organisation))


@require_POST
def ask_person(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    # Never limited: however busy the network, a resident can always ask for a person.
    conversation = _current_or_new(request, organisation)
    # A chat that has just ended is shown as it is; the resident can start a new one.
    with contextlib.suppress(DomainError):
        conversation_hand_over(conversation=conversation, wait_minutes=_wait_told(conversation))
    return HttpResponseRedirect(_ask_url(organisation))


@require_POST
def ask_rate(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    conversation = _current(request, organisation)
    # Once a chat: a second press (or a script) must not tip the log's counts.
    if conversation is not None and request.session.get(RATED_KEY) != conversation.pk:
        conversation_rate(conversation=conversation, helpful=request.POST.get("helpful") == "yes")
        request.session[RATED_KEY] = conversation.pk
    return HttpResponseRedirect(_ask_url(organisation))


@require_POST
def ask_new(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    for key in (SESSION_KEY, BUSY_KEY):
        kept = dict(request.session.get(key, {}))
        kept.pop(organisation.slug, None)
        request.session[key] = kept
    return HttpResponseRedirect(reverse("assistant:ask", args=[organisation.slug]))


@require_http_methods(["GET", "POST"])
def ask_callback(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    errors: dict[str, str] = {}
    values = {"name": "", "phone": ""}
    if request.method == "POST":
        values = {key: request.POST.get(key, "")[:200] for key in values}
        # Never limited, like the hand-over: the name and number are checked, nothing else.
        conversation = _current_or_new(request, organisation)
        try:
            conversation_callback(conversation=conversation, **values)
        except DomainError as problem:
            errors = problem.fields or {"name": problem.message}
        else:
            return HttpResponseRedirect(_ask_url(organisation))
    return render_page(
        request,
        "assistant/callback.html",
        council=organisation,
        title="Ask us to call you back",
        errors=errors,
        status=400 if errors else 200,
        values=values,
        open_now=advisers_open(organisation),
    )


@require_POST
def ask_start_form(request: HttpRequest, council: str) -> HttpResponse:
    """Start the service's form with what the resident told the assistant already filled in."""
    organisation = council_for(council)
    try:
        service = request_type_get(organisation_id=organisation.pk, key=request.POST.get("key", ""))
    except NotFound:
        raise Http404("No such service") from None
    if not service.opens_cases:
        return HttpResponseRedirect(
            reverse("portal:service", args=[organisation.slug, service.key])
        )
    conversation = _current(request, organisation)
    said = (
        answers_said(conversation=conversation, request_type=service, today=timezone.localdate())
        if conversation is not None
        else {}
    )
    journey = journey_start(request.session, organisation.slug, service.key)
    # Shown filled in on each question's page for the resident to check; an answer they have
    # already given in the form is never replaced.
    fresh = {key: value for key, value in said.items() if key not in journey.answers}
    if fresh:
        journey.suggested = {**journey.suggested, **fresh}
        journey_save(request.session, organisation.slug, service.key, journey)
    return HttpResponseRedirect(
        reverse("portal:report-start", args=[organisation.slug, service.key])
    )


@require_GET
def ask_answer(request: HttpRequest, council: str, article: int) -> HttpResponse:
    """One published answer on a page of its own (linked from the chat)."""
    organisation = council_for(council)
    found: Article | None = articles_published(organisation=organisation).filter(pk=article).first()
    if found is None:
        raise Http404("No such answer")
    return render_page(
        request, "assistant/answer.html", council=organisation, title=found.title, article=found
    )
