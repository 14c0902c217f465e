"""Fixed lists of choices in contacts: pages and other apps import them without the models."""

from __future__ import annotations

from django.db import models


class Direction(models.TextChoices):
    INBOUND = "inbound", "From the customer"
    OUTBOUND = "outbound", "To the customer"


class ContactReason(models.TextChoices):
    NEW_REQUEST = "new_request", "New request"
    INFORMATION = "information", "Asking for information"
    PROGRESS_CHASING = "progress_chasing", "Chasing progress"
    FAILURE_DEMAND = "failure_demand", "Something went wrong (failure demand)"
    COMPLAINT = "complaint", "Complaint"
    FEEDBACK = "feedback", "Compliment or feedback"
    OTHER = "other", "Other"


# Contacts that should not have been needed had the council got it right first time.
AVOIDABLE_REASONS = (ContactReason.PROGRESS_CHASING, ContactReason.FAILURE_DEMAND)


class ContactOutcome(models.TextChoices):
    RESOLVED_FIRST_CONTACT = "resolved_first_contact", "Resolved at first contact"
    CASE_CREATED = "case_created", "Case created"
    LINKED_TO_CASE = "linked_to_case", "Added to an existing case"
    SIGNPOSTED = "signposted", "Signposted elsewhere"
    TRANSFERRED = "transferred", "Transferred to a service"
    ABANDONED = "abandoned", "Customer left before an outcome"
    NOTIFICATION_SENT = "notification_sent", "Notification sent"
