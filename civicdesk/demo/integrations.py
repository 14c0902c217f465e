"""The demo councils' doors for other systems: an Open311 jurisdiction with a published key,
and the email address and text number residents write to."""

from __future__ import annotations

from dataclasses import dataclass

from civicdesk.channels.choices import InboundChannel
from civicdesk.channels.models import InboundAddress
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.models import ApiClient, Open311Jurisdiction
from civicdesk.integrations.services import api_client_create
from civicdesk.organisations.models import Organisation

OPEN311_CLIENT_NAME = "Open311 demo client"
# Emails and texts are answered within 5 working days, as the demo charter says.
EMAIL_REPLY_DAYS = 5
# The numbers residents text, as a Notify inbound number would be set up (Ofcom drama range).
TEXT_NUMBERS = {"telford": "07700900311", "shropshire": "07700900312"}


def demo_open311_key(handle: str) -> str:
    """Published on purpose, like the demo password: the demo refuses to load outside DEBUG."""
    return f"cd_{handle[:4]}0311_open311-demo-key-not-secret"


def demo_doors_create(*, organisation: Organisation, handle: str, domain: str) -> None:
    Open311Jurisdiction.objects.create(organisation=organisation, jurisdiction_id=domain)
    api_client_create(
        organisation=organisation,
        name=OPEN311_CLIENT_NAME,
        scopes=[Scope.OPEN311],
        published_key=demo_open311_key(handle),
    )
    InboundAddress.objects.create(
        organisation=organisation,
        channel=InboundChannel.EMAIL,
        address=f"contact@{domain}",
        reply_within_days=EMAIL_REPLY_DAYS,
    )
    if handle in TEXT_NUMBERS:
        InboundAddress.objects.create(
            organisation=organisation,
            channel=InboundChannel.SMS,
            address=TEXT_NUMBERS[handle],
            reply_within_days=EMAIL_REPLY_DAYS,
        )


@dataclass(frozen=True)
class DemoDoor:
    council: str
    jurisdiction_id: str
    api_key: str
    email: str


def demo_doors() -> list[DemoDoor]:
    """The demo councils' Open311 keys that are still active, with their jurisdiction."""
    doors = []
    for client in ApiClient.objects.filter(
        name=OPEN311_CLIENT_NAME, revoked_at__isnull=True
    ).select_related("organisation__open311"):
        jurisdiction = getattr(client.organisation, "open311", None)
        if jurisdiction is None:
            continue
        email = (
            InboundAddress.objects.filter(
                organisation=client.organisation, channel=InboundChannel.EMAIL
            )
            .values_list("address", flat=True)
            .first()
        )
        doors.append(
            DemoDoor(
                council=client.organisation.name,
                jurisdiction_id=jurisdiction.jurisdiction_id,
                api_key=f"cd_{client.key_prefix}_open311-demo-key-not-secret",
                email=email or "",
            )
        )
    return doors
