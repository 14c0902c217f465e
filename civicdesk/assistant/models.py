"""The knowledge base and the assistant's conversations, hand-overs and improvement log."""

from __future__ import annotations

from django.db import models

from civicdesk.catalogue.models import RequestType
from civicdesk.core.models import TimeStampedModel
from civicdesk.customers.models import Customer
from civicdesk.organisations.models import Organisation, StaffMember

from .choices import ArticleStatus, ConversationState, LogKind, Speaker


class Article(TimeStampedModel):
    """A plain-English answer written by staff, checked by a second person, then published."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="articles"
    )
    title = models.CharField(max_length=120, help_text="The question, as a resident asks it.")
    body = models.TextField(help_text="The answer. Short paragraphs, separated by blank lines.")
    services = models.ManyToManyField(RequestType, blank=True, related_name="articles")
    status = models.CharField(
        max_length=20, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    review_by = models.DateField(help_text="When the answer must be checked again.")
    written_by = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return self.title


class Conversation(TimeStampedModel):
    """One resident's chat or call. Found by a random token kept in their session."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="conversations"
    )
    token = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=20, default="chat")
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    state = models.CharField(
        max_length=20, choices=ConversationState.choices, default=ConversationState.ASSISTANT
    )
    service = models.ForeignKey(
        RequestType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confidence = models.FloatField(default=0.0)
    # Resident turns since the last answer the assistant was sure of (for "never a dead end").
    unsure_turns = models.PositiveSmallIntegerField(default=0)
    adviser = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    waiting_since = models.DateTimeField(null=True, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    callback_phone = models.CharField(max_length=40, blank=True)
    callback_name = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "state", "waiting_since"])]


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    speaker = models.CharField(max_length=20, choices=Speaker.choices)
    text = models.TextField()
    # What the assistant offered with this message: {"service": key, "articles": [ids], ...}
    offers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_speaker_display()} in conversation {self.conversation_id}"


class LogEntry(models.Model):
    """What the team reads to improve the assistant. Personal data is removed before saving."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="assistant_log"
    )
    kind = models.CharField(max_length=20, choices=LogKind.choices)
    text = models.TextField(blank=True)
    service_key = models.CharField(max_length=60, blank=True)
    confidence = models.FloatField(default=0.0)
    channel = models.CharField(max_length=20, default="chat")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "log entries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d})"
