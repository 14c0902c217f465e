"""Fixed lists of choices in privacy: pages and commands import them without the models."""

from __future__ import annotations

from django.db import models


class RecordKind(models.TextChoices):
    """The kinds of record a council's retention schedule keeps for a set time."""

    CLOSED_CASES = "closed_cases", "Closed cases"
    CONTACTS = "contacts", "Contacts, and emails and texts received"
    DOCUMENTS = "documents", "Documents and photos"
    NOTIFICATIONS = "notifications", "Messages sent to residents"
    CHATS = "chats", "Chats with Ask"
    PAGE_FEEDBACK = "page_feedback", "Page feedback comments"
    AUDIT = "audit", "Audit trail and the log of who read what"


# The defaults, until a council saves a schedule of its own (docs/retention.md gives the
# reasons). Every period is in months but the chats', which is in days.
DEFAULT_CLOSED_CASES_MONTHS = 72
DEFAULT_CONTACTS_MONTHS = 24
DEFAULT_DOCUMENTS_MONTHS = 24
DEFAULT_NOTIFICATIONS_MONTHS = 12
DEFAULT_CHATS_DAYS = 90
DEFAULT_PAGE_FEEDBACK_MONTHS = 12
DEFAULT_AUDIT_MONTHS = 72


class AccessKind(models.TextChoices):
    """What a member of staff opened, for the log of who read what."""

    CUSTOMER = "customer", "Customer record"
    SUPPORT_NEEDS = "support_needs", "Customer record with support needs"
    SENSITIVE_CASE = "sensitive_case", "Case in a sensitive service"
    DOCUMENT = "document", "Document"


# The starter catalogue's services for the two requests UK GDPR gives residents (ADR 29). A
# council keeps these keys if it renames the services, as it keeps every service's key.
SUBJECT_ACCESS_SERVICE = "subject-access"
ERASURE_SERVICE = "erasure"
# A subject access request's month may be extended once, by up to two further months, when
# the request is complex or one of many (UK GDPR article 12(3)).
MOST_EXTRA_MONTHS = 2
