"""Writing for the assistant: conversations, hand-overs, the knowledge base and the log."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from civicdesk.catalogue.models import RequestType
from civicdesk.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from civicdesk.core.jobs import delete_in_batches
from civicdesk.core.redaction import redact_personal_data
from civicdesk.customers.models import Customer
from civicdesk.customers.services import contact_detail_error
from civicdesk.organisations.models import Organisation, StaffMember

from .choices import ArticleStatus, ConversationState, LogKind, Speaker
from .models import Article, Conversation, LogEntry, Message
from .replies import (
    MAX_MESSAGE,
    Reply,
    empty_reply,
    greeting_reply,
    is_greeting,
    person_reply,
    sounds_upset,
    understood_reply,
    upset_reply,
    wants_person,
)
from .selectors import (
    advisers_open,
    articles_find,
    queue_position,
    understand,
    wait_estimate,
)

MAX_LOG_TEXT = 500
# Minutes to tell the person at a place in the advisers' queue (1 is next). The pages pass the
# planning app's estimate from the rota; without one, the estimate from how fast advisers take.
WaitMinutes = Callable[[int], int]

MAX_ARTICLE_TITLE = 120
MAX_ARTICLE_BODY = 5000


def log_add(
    *,
    organisation: Organisation,
    kind: str,
    text: str = "",
    service_key: str = "",
    confidence: float = 0.0,
    channel: str = "chat",
) -> LogEntry:
    """Record something to learn from, with personal data taken out first."""
    return LogEntry.objects.create(
        organisation=organisation,
        kind=kind,
        text=redact_personal_data(text[:MAX_LOG_TEXT]),
        service_key=service_key,
        confidence=confidence,
        channel=channel,
    )


def conversation_start(
    *,
    organisation: Organisation,
    channel: str = "chat",
    customer: Customer | None = None,
    token: str = "",
) -> Conversation:
    """A new conversation, found again by ``token``: random for a chat; for a call, derived
    from the telephony platform's call id."""
    return Conversation.objects.create(
        organisation=organisation,
        token=token or secrets.token_urlsafe(32),
        channel=channel,
        customer=customer if customer and customer.organisation_id == organisation.pk else None,
    )


def _say(conversation: Conversation, reply: Reply) -> Message:
    return Message.objects.create(
        conversation=conversation, speaker=Speaker.ASSISTANT, text=reply.text, offers=reply.offers
    )


@transaction.atomic
def conversation_say(
    *, conversation: Conversation, text: str, wait_minutes: WaitMinutes | None = None
) -> list[Message]:
    """Store what the resident wrote and the assistant's reply (or, with an adviser, just
    the resident's message). Returns the new messages, the resident's first. ``wait_minutes``
    tells a resident put through to a person their wait from their place in the queue."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    text = text.strip()
    if conversation.state == ConversationState.CLOSED:
        raise TransitionNotAllowed("This chat has ended. Start a new one to ask something else.")
    if not text:
        return [_say(conversation, empty_reply())]
    cut = len(text) > MAX_MESSAGE
    said = Message.objects.create(
        conversation=conversation, speaker=Speaker.RESIDENT, text=text[:MAX_MESSAGE]
    )
    if conversation.state in (ConversationState.WAITING, ConversationState.WITH_ADVISER):
        return [said]
    reply = _reply_to(conversation, text[:MAX_MESSAGE])
    if cut:
        reply = Reply(
            f"Your message was long, so I read the first {MAX_MESSAGE} characters. " + reply.text,
            reply.offers,
        )
    messages = [said, _say(conversation, reply)]
    if reply.offers.get("person") and wants_person(text):
        messages.append(_hand_over(conversation, wait_minutes))
    return messages


def _reply_to(conversation: Conversation, text: str) -> Reply:
    organisation = conversation.organisation
    if wants_person(text):
        return Reply("I can put you through to a person.", {"person": True})
    if is_greeting(text):
        return greeting_reply()
    understanding = understand(organisation=organisation, text=text)
    upset = sounds_upset(text)
    if upset and not understanding.sure:
        # Words about us, not about a service: nothing for the log to learn from.
        return upset_reply()
    reply = understood_reply(understanding, unsure_turns=conversation.unsure_turns)
    top = understanding.suggestions[0] if understanding.suggestions else None
    if understanding.elsewhere is not None and understanding.sure:
        log_add(
            organisation=organisation,
            kind=LogKind.ELSEWHERE,
            text=text,
            service_key=understanding.elsewhere.key,
            confidence=understanding.confidence,
            channel=conversation.channel,
        )
        conversation.unsure_turns = 0
    elif understanding.best is not None and understanding.sure:
        conversation.service = RequestType.objects.filter(
            organisation=organisation, key=understanding.best.key
        ).first()
        conversation.confidence = understanding.confidence
        conversation.unsure_turns = 0
    else:
        log_add(
            organisation=organisation,
            kind=LogKind.UNANSWERED,
            text=text,
            service_key=top.key if top else "",
            confidence=understanding.confidence,
            channel=conversation.channel,
        )
        conversation.unsure_turns += 1
    conversation.save(update_fields=["service", "confidence", "unsure_turns", "updated_at"])
    # "The bloody bin was not emptied again" still needs the bin form, with a kind word first.
    return upset_reply(reply) if upset else reply


@transaction.atomic
def conversation_choose(*, conversation: Conversation, key: str) -> Message:
    """The resident picked a service from the assistant's suggestions."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    service = RequestType.objects.filter(
        organisation=conversation.organisation, key=key, active=True
    ).first()
    if service is None:
        raise ValidationFailed("Choose one of the services shown.", fields={"key": "Choose one"})
    conversation.service = service
    conversation.confidence = 1.0
    conversation.unsure_turns = 0
    conversation.save(update_fields=["service", "confidence", "unsure_turns", "updated_at"])
    articles = articles_find(
        organisation=conversation.organisation, text=service.name, service_keys=[service.key]
    )
    return _say(
        conversation,
        Reply(
            f"You chose: {service.name}.",
            {"service": service.key, "articles": [article.pk for article in articles]},
        ),
    )


def _hand_over(conversation: Conversation, wait_minutes: WaitMinutes | None = None) -> Message:
    organisation = conversation.organisation
    open_now = advisers_open(organisation)
    if open_now:
        conversation.state = ConversationState.WAITING
        conversation.waiting_since = timezone.now()
        conversation.save(update_fields=["state", "waiting_since", "updated_at"])
    position = queue_position(conversation)
    if wait_minutes is None:
        wait_minutes = partial(_estimated_wait, organisation)
    minutes = wait_minutes(position) if position else None
    last = conversation.messages.filter(speaker=Speaker.RESIDENT).last()
    log_add(
        organisation=organisation,
        kind=LogKind.HAND_OVER,
        text=last.text if last else "",
        service_key=conversation.service.key if conversation.service else "",
        confidence=conversation.confidence,
        channel=conversation.channel,
    )
    return _say(conversation, person_reply(position=position, minutes=minutes, open_now=open_now))


@transaction.atomic
def conversation_hand_over(
    *, conversation: Conversation, wait_minutes: WaitMinutes | None = None
) -> Message:
    """Pass the conversation (and the customer and the suggested service it carries) to the
    advisers' queue, or, when nobody can take it, offer a callback or a form."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.state == ConversationState.CLOSED:
        raise TransitionNotAllowed("This chat has ended. Start a new one to ask something else.")
    if conversation.state in (ConversationState.WAITING, ConversationState.WITH_ADVISER):
        return conversation.messages.filter(speaker=Speaker.ASSISTANT).last() or _say(
            conversation, Reply("You are waiting for an adviser.", {"waiting": True})
        )
    return _hand_over(conversation, wait_minutes)


def _estimated_wait(organisation: Organisation, position: int) -> int:
    return wait_estimate(organisation=organisation, position=position)


@transaction.atomic
def conversation_callback(*, conversation: Conversation, name: str, phone: str) -> Conversation:
    """Ask for an adviser to phone the resident back; it joins the advisers' queue."""
    problems = {}
    name, phone = name.strip(), phone.strip()
    if not name:
        problems["name"] = "Enter your name"
    elif len(name) > 100:
        problems["name"] = "Name must be 100 characters or fewer"
    phone_problem = contact_detail_error("phone", phone) if phone else "Enter a phone number"
    if phone_problem:
        problems["phone"] = phone_problem
    if problems:
        raise ValidationFailed("Check your details.", fields=problems)
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.state == ConversationState.CLOSED:
        raise TransitionNotAllowed("This chat has ended. Start a new one to ask for a call.")
    conversation.state = ConversationState.CALLBACK
    conversation.callback_name = name
    conversation.callback_phone = phone
    # Asked for while an adviser had the chat: the call is for whoever takes it from the queue.
    conversation.adviser = None
    conversation.taken_at = None
    conversation.waiting_since = conversation.waiting_since or timezone.now()
    conversation.save()
    _say(conversation, Reply("Thank you. An adviser will call you back on the next working day."))
    log_add(
        organisation=conversation.organisation,
        kind=LogKind.CALLBACK,
        service_key=conversation.service.key if conversation.service else "",
        channel=conversation.channel,
    )
    return conversation


def conversation_rate(*, conversation: Conversation, helpful: bool) -> LogEntry:
    """Thumbs up or down on the assistant's last answer; logged with what was asked."""
    asked = conversation.messages.filter(speaker=Speaker.RESIDENT).last()
    return log_add(
        organisation=conversation.organisation,
        kind=LogKind.HELPFUL if helpful else LogKind.UNHELPFUL,
        text=asked.text if asked else "",
        service_key=conversation.service.key if conversation.service else "",
        confidence=conversation.confidence,
        channel=conversation.channel,
    )


def conversations_forget(now: datetime | None = None) -> int:
    """Delete chats and calls (with their messages) older than ``ASSISTANT_KEEP_DAYS`` since
    their last change, except those still waiting for or with an adviser. A periodic job of
    the worker; returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ASSISTANT_KEEP_DAYS)
    old = Conversation.objects.filter(updated_at__lt=cutoff).exclude(
        state__in=[ConversationState.WAITING, ConversationState.WITH_ADVISER]
    )
    # A few hundred conversations (and their messages, by cascade) per transaction.
    return delete_in_batches(old)


# Advisers.


def _same_organisation(staff: StaffMember, conversation: Conversation) -> None:
    if staff.organisation_id != conversation.organisation_id:
        raise NotPermitted("This conversation belongs to another organisation.")


@transaction.atomic
def handover_take(*, staff: StaffMember, conversation: Conversation) -> Conversation:
    _same_organisation(staff, conversation)
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    taken = conversation.adviser_id is not None
    if taken or conversation.state not in (ConversationState.WAITING, ConversationState.CALLBACK):
        raise TransitionNotAllowed("Another adviser has already taken this conversation.")
    conversation.adviser = staff
    conversation.taken_at = timezone.now()
    if conversation.state == ConversationState.WAITING:
        conversation.state = ConversationState.WITH_ADVISER
        name = staff.user.get_short_name() or "An adviser"
        _say(conversation, Reply(f"{name} from the council has joined the chat."))
    conversation.save()
    return conversation


@transaction.atomic
def adviser_reply(*, staff: StaffMember, conversation: Conversation, text: str) -> Message:
    _same_organisation(staff, conversation)
    text = text.strip()
    if not text:
        raise ValidationFailed("Type a message.", fields={"text": "Type a message"})
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.state != ConversationState.WITH_ADVISER or conversation.adviser != staff:
        raise TransitionNotAllowed("Take the conversation before you reply.")
    return Message.objects.create(
        conversation=conversation, speaker=Speaker.ADVISER, text=text[:MAX_MESSAGE]
    )


@transaction.atomic
def conversation_close(*, staff: StaffMember, conversation: Conversation) -> Conversation:
    _same_organisation(staff, conversation)
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.adviser_id != staff.pk:
        raise TransitionNotAllowed("Take the conversation before you end it.")
    was_callback = conversation.state == ConversationState.CALLBACK
    conversation.state = ConversationState.CLOSED
    conversation.save(update_fields=["state", "updated_at"])
    if was_callback:
        _say(conversation, Reply("An adviser called you back. Thank you for contacting us."))
    else:
        _say(conversation, Reply("The adviser has ended the chat. Thank you for contacting us."))
    return conversation


# The knowledge base.


def _article_problems(title: str, body: str, review_by: date | None) -> dict[str, str]:
    problems = {}
    if not title:
        problems["title"] = "Enter the question the answer is for"
    elif len(title) > MAX_ARTICLE_TITLE:
        problems["title"] = f"The question must be {MAX_ARTICLE_TITLE} characters or fewer"
    if not body:
        problems["body"] = "Enter the answer"
    elif len(body) > MAX_ARTICLE_BODY:
        problems["body"] = f"The answer must be {MAX_ARTICLE_BODY} characters or fewer"
    if review_by is None:
        problems["review_by"] = "Enter the date the answer must be checked again"
    elif review_by <= timezone.localdate():
        problems["review_by"] = "The review date must be in the future"
    return problems


@transaction.atomic
def article_save(
    *,
    staff: StaffMember,
    title: str,
    body: str,
    service_keys: list[str],
    review_by: date | None,
    article: Article | None = None,
) -> Article:
    """Write a new draft, or change one. Changing a published answer takes it back to draft
    until it is reviewed again."""
    title, body = title.strip(), body.strip()
    problems = _article_problems(title, body, review_by)
    services = list(
        RequestType.objects.filter(organisation=staff.organisation, key__in=service_keys)
    )
    if len(services) != len(set(service_keys)):
        problems["services"] = "Choose services from this council's list"
    if problems:
        raise ValidationFailed("The answer could not be saved.", fields=problems)
    assert review_by is not None
    if article is None:
        article = Article(organisation=staff.organisation)
    elif article.organisation_id != staff.organisation_id:
        raise NotPermitted("This answer belongs to another organisation.")
    else:
        article.version += 1
    article.title, article.body, article.review_by = title, body, review_by
    article.status = ArticleStatus.DRAFT
    article.written_by, article.reviewed_by = staff, None
    article.save()
    article.services.set(services)
    return article


_MOVES = {
    "submit": ({ArticleStatus.DRAFT, ArticleStatus.WITHDRAWN}, ArticleStatus.IN_REVIEW),
    "publish": ({ArticleStatus.IN_REVIEW}, ArticleStatus.PUBLISHED),
    "return": ({ArticleStatus.IN_REVIEW}, ArticleStatus.DRAFT),
    "withdraw": ({ArticleStatus.PUBLISHED}, ArticleStatus.WITHDRAWN),
}


@transaction.atomic
def article_move(*, staff: StaffMember, article: Article, move: str) -> Article:
    """Send for review, publish (by someone other than the writer), return or withdraw."""
    if article.organisation_id != staff.organisation_id:
        raise NotPermitted("This answer belongs to another organisation.")
    if move not in _MOVES:
        raise ValidationFailed("Choose what to do with the answer.")
    article = Article.objects.select_for_update().get(pk=article.pk)
    allowed, target = _MOVES[move]
    if article.status not in allowed:
        raise TransitionNotAllowed(
            f"An answer that is '{article.get_status_display().lower()}' cannot be moved that way."
        )
    if move == "publish":
        if article.written_by_id == staff.pk:
            raise NotPermitted("Someone other than the writer must review and publish an answer.")
        article.reviewed_by = staff
        article.published_at = timezone.now()
    article.status = target
    article.save()
    return article


KNOWLEDGE_BASE = Path(__file__).with_name("data") / "knowledge-base.json"
STARTER_REVIEW = timedelta(days=182)


@transaction.atomic
def knowledge_base_load(*, organisation: Organisation, path: Path = KNOWLEDGE_BASE) -> int:
    """Publish the starter answers a new council begins with (the demo councils' set), linked
    to its catalogue, each due for review in six months. Answers it already has (by question)
    are left alone. Returns how many were added."""
    added = 0
    review_by = timezone.localdate() + STARTER_REVIEW
    for entry in json.loads(path.read_text()):
        if Article.objects.filter(organisation=organisation, title=entry["title"]).exists():
            continue
        article = Article.objects.create(
            organisation=organisation,
            title=entry["title"],
            body=entry["body"],
            status=ArticleStatus.PUBLISHED,
            review_by=review_by,
            published_at=timezone.now(),
        )
        article.services.set(
            RequestType.objects.filter(organisation=organisation, key__in=entry["services"])
        )
        added += 1
    return added
