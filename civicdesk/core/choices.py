"""Vocabularies shared by several domain apps."""

from django.db import models


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    WEB = "web", "Website"
    APP = "app", "App"
    CHAT = "chat", "Live chat"
    SOCIAL = "social", "Social media"
    SMS = "sms", "Text message"
    LETTER = "letter", "Letter"
    FACE_TO_FACE = "face_to_face", "Face to face"


class Priority(models.TextChoices):
    EMERGENCY = "emergency", "Emergency"
    URGENT = "urgent", "Urgent"
    STANDARD = "standard", "Standard"
