"""Webhook deliveries are now written in the transaction that audits the change (ADR 12), so
the dispatcher's cursor over the audit trail goes. Entries the dispatcher had not reached yet
are turned into deliveries here first, as it would have done, so that none is lost on the way.
The mapping and payload are copied as they stood when the cursor was removed."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

CURSOR_NAME = "case-webhooks"
SAFE_AFTER = {"status", "team", "due_at", "priority", "visibility", "clock_state"}
UPDATES = ("status_changed", "note_added", "priority_changed", "document_added")


def _kind(event):
    if event.action == "opened":
        return "case.created"
    if event.action == "assigned":
        return "case.assigned"
    if event.action == "status_changed" and event.after.get("status") == "closed":
        return "case.closed"
    if event.action in UPDATES:
        return "case.updated"
    return None


def _payload(event, kind, case):
    return {
        "id": f"audit-{event.pk}",
        "type": kind,
        "occurred_at": event.at.isoformat(),
        "case": {
            "reference": case.reference,
            "service": case.request_type.key,
            "status": case.status,
            "priority": case.priority,
            "team": case.team.slug if case.team else None,
            "due_at": case.due_at.isoformat() if case.due_at else None,
            "latitude": case.latitude,
            "longitude": case.longitude,
            "location": case.location_text,
        },
        "change": {
            "action": event.action,
            "after": {key: value for key, value in event.after.items() if key in SAFE_AFTER},
        },
    }


def deliver_entries_after_the_cursor(apps, schema_editor):
    cursor = apps.get_model("integrations", "DispatchCursor").objects.filter(name=CURSOR_NAME)
    last_event_id = cursor.values_list("last_event_id", flat=True).first()
    if last_event_id is None:
        return
    subscriptions = {}
    for subscription in apps.get_model("integrations", "WebhookSubscription").objects.filter(
        active=True
    ):
        subscriptions.setdefault(subscription.organisation_id, []).append(subscription)
    if not subscriptions:
        return
    Case = apps.get_model("cases", "Case")
    WebhookDelivery = apps.get_model("integrations", "WebhookDelivery")
    now = timezone.now()
    events = apps.get_model("core", "AuditEvent").objects.filter(
        subject_type="case", id__gt=last_event_id, organisation_id__in=subscriptions
    )
    for event in events.order_by("id").iterator():
        kind = _kind(event)
        if kind is None:
            continue
        wanted = [s for s in subscriptions[event.organisation_id] if kind in s.events]
        if not wanted:
            continue
        case = (
            Case.objects.select_related("request_type", "team").filter(pk=event.subject_id).first()
        )
        if case is None or case.request_type.sensitive:
            continue
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    subscription=subscription,
                    event_id=f"audit-{event.pk}",
                    event=kind,
                    case=case,
                    payload=_payload(event, kind, case),
                    next_attempt_at=now,
                    max_attempts=getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 8),
                )
                for subscription in wanted
            ],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("core", "0001_initial"),
        ("cases", "0002_casefollower"),
    ]

    operations = [
        migrations.RunPython(deliver_entries_after_the_cursor, migrations.RunPython.noop),
        migrations.DeleteModel(name="DispatchCursor"),
    ]
