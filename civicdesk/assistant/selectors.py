"""Reading for the assistant: what a resident means, answers, the hand-over queue.

``suggest_services`` is the narrow interface other apps call (the API and channels classify
inbound emails and free-text contacts with it); keep its signature stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from statistics import median
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from civicdesk.catalogue.models import RequestType
from civicdesk.core.errors import NotFound
from civicdesk.core.readability import readability
from civicdesk.organisations.models import Organisation, StaffMember
from civicdesk.organisations.selectors import team_ids_for

from .choices import ArticleStatus, ConversationState, Speaker
from .elsewhere import PLACES, Elsewhere, is_elsewhere
from .engine import CONFIDENT, Engine, answers_rank, decided, engine_for
from .models import Article, Conversation, LogEntry, Message
from .prefill import Asked, answers_from_words

# Minutes an adviser takes to reach each person waiting, until there is history to go on.
DEFAULT_MINUTES_EACH = 4
WAIT_HISTORY = 50
MAX_TAKE_GAP_MINUTES = 30


@dataclass(frozen=True)
class Suggestion:
    """A catalogue service the words probably mean, and how sure the engine is (0 to 1)."""

    key: str
    name: str
    confidence: float


@dataclass(frozen=True)
class Understanding:
    """Everything the assistant makes of one message."""

    suggestions: list[Suggestion]
    elsewhere: Elsewhere | None
    confidence: float
    articles: list[Article] = field(default_factory=list)
    # The top guess is clearly ahead of the next, though below CONFIDENT (engine.decided).
    clear_lead: bool = False

    @property
    def sure(self) -> bool:
        return self.clear_lead or self.confidence >= CONFIDENT

    @property
    def best(self) -> Suggestion | None:
        return self.suggestions[0] if self.suggestions and not self.elsewhere else None


def assistant_engine() -> Engine:
    return engine_for(settings.ASSISTANT_ENGINE)


def _services_of(organisation: Organisation) -> dict[str, str]:
    return dict(
        RequestType.objects.filter(organisation=organisation, active=True).values_list(
            "key", "name"
        )
    )


def suggest_services(*, organisation: Organisation, text: str, limit: int = 3) -> list[Suggestion]:
    """The council's catalogue services that ``text`` most likely asks for, best first.

    Services other bodies provide are left out (see ``understand`` for those); an empty list
    means the words gave nothing to go on."""
    services = _services_of(organisation)
    guesses = assistant_engine().rank(text, allowed=frozenset(services))
    return [
        Suggestion(key=guess.key, name=services[guess.key], confidence=guess.confidence)
        for guess in guesses
        if guess.key in services
    ][:limit]


def understand(*, organisation: Organisation, text: str) -> Understanding:
    services = _services_of(organisation)
    guesses = assistant_engine().rank(text, allowed=frozenset(services))
    if not guesses:
        return Understanding(suggestions=[], elsewhere=None, confidence=0.0)
    top = guesses[0]
    suggestions = [
        Suggestion(key=guess.key, name=services[guess.key], confidence=guess.confidence)
        for guess in guesses
        if guess.key in services
    ][:3]
    elsewhere = PLACES.get(top.key) if is_elsewhere(top.key) else None
    articles = articles_find(
        organisation=organisation,
        text=text,
        service_keys=[s.key for s in suggestions[:1]] if not elsewhere else [],
    )
    return Understanding(
        suggestions=suggestions,
        elsewhere=elsewhere,
        confidence=top.confidence,
        articles=articles,
        clear_lead=decided(guesses),
    )


def answers_said(
    *, conversation: Conversation, request_type: RequestType, today: date
) -> dict[str, Any]:
    """Answers to ``request_type``'s questions that the resident gave in this chat (see
    ``prefill``). Messages the engine places firmly on another service or body are left out,
    so an earlier question about council tax does not describe a missed bin."""
    engine = assistant_engine()
    said = [
        text
        for text in conversation.messages.filter(speaker=Speaker.RESIDENT)
        .order_by("id")
        .values_list("text", flat=True)
        if _about(engine, text, request_type.key)
    ]
    questions = [
        Asked(key=q.key, kind=q.kind, label=q.label, choices=tuple(q.choices or ()))
        for q in request_type.questions.all()
    ]
    return answers_from_words(said=said, questions=questions, today=today)


def _about(engine: Engine, text: str, key: str) -> bool:
    guesses = engine.rank(text)
    return not decided(guesses) or guesses[0].key == key


def articles_published(*, organisation: Organisation) -> QuerySet[Article]:
    return Article.objects.filter(
        organisation=organisation, status=ArticleStatus.PUBLISHED
    ).prefetch_related("services")


def articles_find(
    *, organisation: Organisation, text: str, service_keys: list[str], limit: int = 2
) -> list[Article]:
    return answers_rank(
        text=text,
        candidates=[
            (article, f"{article.title} {article.body}", [s.key for s in article.services.all()])
            for article in articles_published(organisation=organisation)
        ],
        service_keys=service_keys,
        limit=limit,
    )


def article_reading_age(article: Article) -> int:
    return readability(f"{article.title}.\n\n{article.body}").reading_age


# Conversations and the hand-over queue.


def conversation_for_token(*, organisation: Organisation, token: str) -> Conversation | None:
    if not token:
        return None
    return (
        Conversation.objects.filter(organisation=organisation, token=token)
        .select_related("service", "customer")
        .first()
    )


@dataclass(frozen=True)
class ShownMessage:
    """A message with what it offers: published answers, a service, choices, another body."""

    message: Message
    articles: list[Article]
    service: RequestType | None
    choices: list[RequestType]
    elsewhere: Elsewhere | None
    latest: bool


def conversation_messages(conversation: Conversation, *, after: int = 0) -> list[ShownMessage]:
    """The conversation's messages after the one with id ``after``, oldest first. Answers
    withdrawn since they were offered are left out."""
    messages = list(conversation.messages.filter(pk__gt=after))
    organisation = conversation.organisation
    article_ids = {pk for m in messages for pk in m.offers.get("articles", [])}
    articles = {
        a.pk: a for a in articles_published(organisation=organisation).filter(pk__in=article_ids)
    }
    keys = {m.offers["service"] for m in messages if m.offers.get("service")}
    keys |= {key for m in messages for key in m.offers.get("choices", [])}
    services = {
        s.key: s for s in RequestType.objects.filter(organisation=organisation, key__in=keys)
    }
    last_id = messages[-1].pk if messages else 0
    return [
        ShownMessage(
            message=m,
            articles=[articles[pk] for pk in m.offers.get("articles", []) if pk in articles],
            service=services.get(m.offers.get("service", "")),
            choices=[services[k] for k in m.offers.get("choices", []) if k in services],
            elsewhere=PLACES.get(m.offers.get("elsewhere", "")),
            latest=m.pk == last_id,
        )
        for m in messages
    ]


def waiting_conversations(*, organisation: Organisation) -> QuerySet[Conversation]:
    return Conversation.objects.filter(
        organisation=organisation, state=ConversationState.WAITING
    ).order_by("waiting_since", "pk")


def queue_positions(*, organisation: Organisation) -> dict[int, int]:
    """Every waiting conversation's place in the organisation's queue, from one query: the
    staff queue shows the places of chats it may list among all the council's waiting."""
    ids = waiting_conversations(organisation=organisation).values_list("pk", flat=True)
    return {conversation_id: place for place, conversation_id in enumerate(ids, start=1)}


def queue_position(conversation: Conversation) -> int | None:
    """1 for the next person an adviser will take; None when not waiting."""
    if conversation.state != ConversationState.WAITING or conversation.waiting_since is None:
        return None
    ahead = waiting_conversations(organisation=conversation.organisation).filter(
        Q(waiting_since__lt=conversation.waiting_since)
        | Q(waiting_since=conversation.waiting_since, pk__lt=conversation.pk)
    )
    return ahead.count() + 1


def wait_estimate(*, organisation: Organisation, position: int) -> int:
    """Minutes until an adviser reaches the person at ``position``: how often advisers have
    been taking the next person (the median time between recent takes of chats and calls),
    times the place in the queue, or a default until there is history.

    A gap of more than MAX_TAKE_GAP_MINUTES means nobody was waiting, not a slow queue, and is
    left out; so are callbacks, which an adviser takes when they ring back, often the next day.
    """
    takes = [
        taken
        for taken in Conversation.objects.filter(
            organisation=organisation,
            taken_at__isnull=False,
            waiting_since__isnull=False,
            callback_phone="",
        )
        .order_by("-taken_at")
        .values_list("taken_at", flat=True)[:WAIT_HISTORY]
        if taken is not None
    ]
    gaps = [
        (later - earlier).total_seconds() / 60
        for later, earlier in pairwise(takes)
        if later - earlier <= timedelta(minutes=MAX_TAKE_GAP_MINUTES)
    ]
    each = max(1.0, median(gaps)) if gaps else DEFAULT_MINUTES_EACH
    return max(1, round(each * position))


def advisers_open(organisation: Organisation, now: datetime | None = None) -> bool:
    """Advisers answer chats and calls in the council's working hours, while the queue is not
    longer than ``ASSISTANT_MAX_QUEUE``; otherwise the resident is offered a callback or a form."""
    moment = now or timezone.now()
    if not organisation.calendar.is_working_moment(moment):
        return False
    return waiting_conversations(organisation=organisation).count() < settings.ASSISTANT_MAX_QUEUE


def handovers_visible_to(staff: StaffMember) -> QuerySet[Conversation]:
    """Hand-overs and callbacks for the adviser's organisation. A sensitive service's
    (homelessness, a child at risk, adult care) are only for the team that handles it."""
    teams = team_ids_for(staff)
    return (
        Conversation.objects.filter(organisation=staff.organisation)
        .exclude(state=ConversationState.ASSISTANT)
        .filter(
            Q(service__isnull=True)
            | Q(service__sensitive=False)
            | Q(service__service_area__team_id__in=teams)
        )
        .select_related("service", "customer", "adviser__user")
    )


def handover_queue(staff: StaffMember) -> QuerySet[Conversation]:
    return (
        handovers_visible_to(staff)
        .filter(
            state__in=[
                ConversationState.WAITING,
                ConversationState.WITH_ADVISER,
                ConversationState.CALLBACK,
            ]
        )
        .order_by("waiting_since", "pk")
    )


def access_handover(*, staff: StaffMember, conversation_id: int) -> Conversation:
    found = handovers_visible_to(staff).filter(pk=conversation_id).first()
    if found is None:
        raise NotFound("There is no such conversation.")
    return found


def articles_visible_to(staff: StaffMember) -> QuerySet[Article]:
    return Article.objects.filter(organisation=staff.organisation).prefetch_related("services")


def access_article(*, staff: StaffMember, article_id: int) -> Article:
    found = articles_visible_to(staff).filter(pk=article_id).first()
    if found is None:
        raise NotFound("There is no such answer.")
    return found


def articles_due_review(*, organisation: Organisation, within: timedelta) -> QuerySet[Article]:
    today = timezone.localdate()
    return articles_published(organisation=organisation).filter(review_by__lte=today + within)


def improvement_log(*, staff: StaffMember, limit: int = 200) -> list[LogEntry]:
    """The newest log entries of the adviser's organisation (already free of personal data).
    What was said about a sensitive service is for its team only, as the chats are: redaction
    cannot take out everything that identifies a family."""
    others_sensitive = (
        RequestType.objects.filter(organisation=staff.organisation, sensitive=True)
        .exclude(service_area__team_id__in=team_ids_for(staff))
        .values_list("key", flat=True)
    )
    return list(
        LogEntry.objects.filter(organisation=staff.organisation).exclude(
            service_key__in=others_sensitive
        )[:limit]
    )


def last_conversation_started_at(*, organisation_id: int, channel: str) -> datetime | None:
    """When the organisation's newest chat or call on ``channel`` ("chat" or "phone") began."""
    return (
        Conversation.objects.filter(organisation_id=organisation_id, channel=channel)
        .order_by("-id")
        .values_list("created_at", flat=True)
        .first()
    )
