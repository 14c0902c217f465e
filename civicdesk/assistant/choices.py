"""Fixed lists of choices in assistant: pages and other apps import them without the models."""

from __future__ import annotations

from django.db import models


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "Waiting for review"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ConversationState(models.TextChoices):
    ASSISTANT = "assistant", "With the assistant"
    WAITING = "waiting", "Waiting for an adviser"
    WITH_ADVISER = "with_adviser", "With an adviser"
    CALLBACK = "callback", "Callback requested"
    CLOSED = "closed", "Closed"


class Speaker(models.TextChoices):
    RESIDENT = "resident", "You"
    ASSISTANT = "assistant", "Assistant"
    ADVISER = "adviser", "Adviser"


class LogKind(models.TextChoices):
    UNANSWERED = "unanswered", "Not sure what was asked"
    ELSEWHERE = "elsewhere", "Not the council"
    HAND_OVER = "hand_over", "Handed to an adviser"
    CALLBACK = "callback", "Callback asked for"
    HELPFUL = "helpful", "Marked helpful"
    UNHELPFUL = "unhelpful", "Marked not helpful"
