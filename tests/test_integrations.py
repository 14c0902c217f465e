"""Staff registering API clients and webhooks in the admin, scoped to their council, and the
demo's published Open311 door."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.core.audit import Actor
from civicdesk.demo.integrations import demo_doors_create
from civicdesk.integrations.choices import DeliveryStatus
from civicdesk.integrations.models import ApiClient, WebhookDelivery, WebhookSubscription
from civicdesk.integrations.services import (
    ReportedUpdate,
    api_client_authenticate,
    api_client_create,
    external_update_record,
)
from civicdesk.integrations.webhooks import webhook_subscribe
from civicdesk.organisations.choices import Role

from . import factories
from .conftest import sign_in_with_both_factors

pytestmark = pytest.mark.django_db


def council_admin(organisation):
    staff = factories.StaffFactory(organisation=organisation, role=Role.ADMIN)
    staff.user.is_staff = True
    staff.user.save()
    staff.user.user_permissions.set(
        Permission.objects.filter(
            codename__in=[
                "add_apiclient",
                "view_apiclient",
                "change_apiclient",
                "view_webhookdelivery",
                "view_externalupdate",
            ]
        )
    )
    return staff.user


def test_an_admin_registers_a_client_and_sees_its_key_once(client, council):
    sign_in_with_both_factors(client, council_admin(council))
    page = client.post(
        "/admin/integrations/apiclient/add/",
        {
            "organisation": council.pk,
            "name": "Grounds contractor",
            "scopes": ["cases:read", "cases:update"],
            "requests_per_minute": 120,
        },
        follow=True,
    )
    assert page.status_code == 200
    shown = re.search(r"cd_[0-9a-f]{8}_[\w-]+", page.content.decode())
    assert shown is not None
    registered = ApiClient.objects.get()
    assert registered.scopes == ["cases:read", "cases:update"]
    assert shown.group(0) not in registered.key_digest
    assert api_client_authenticate(shown.group(0)) == registered
    listing = client.get("/admin/integrations/apiclient/")
    assert shown.group(0) not in listing.content.decode()


def test_an_admin_sees_neither_another_councils_clients_nor_its_failed_deliveries(client, council):
    elsewhere = factories.OrganisationFactory()
    api_client_create(organisation=elsewhere, name="Their app", scopes=["cases:read"])
    request_type = factories.RequestTypeFactory(organisation=elsewhere, key="pothole")
    case = case_open(
        organisation=elsewhere,
        request=CaseRequest(request_type_key="pothole", channel="phone"),
        actor=Actor(label="adviser"),
    )
    subscription = webhook_subscribe(
        organisation=elsewhere,
        name="Their rounds",
        url="https://example.invalid/h",
        events=["case.created"],
    )
    WebhookDelivery.objects.create(
        subscription=subscription,
        event_id="audit-1",
        event="case.created",
        case=case,
        payload={},
        status=DeliveryStatus.FAILED,
        next_attempt_at=case.opened_at,
        last_error="The receiver answered 500.",
    )
    assert request_type.organisation == elsewhere
    sign_in_with_both_factors(client, council_admin(council))
    assert list(client.get("/admin/integrations/apiclient/").context["cl"].result_list) == []
    deliveries = client.get("/admin/integrations/webhookdelivery/?status__exact=failed")
    assert list(deliveries.context["cl"].result_list) == []


def test_the_demo_prints_an_open311_key_that_works(client, council, missed_bin):
    demo_doors_create(organisation=council, handle="wrekin", domain="wrekin.example")
    out = StringIO()
    call_command("demo_welcome", "--url", "http://127.0.0.1:8000", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/open311/v2/discovery.xml" in text
    found = re.search(r"jurisdiction_id=(\S+)\s+api_key=(\S+)", text)
    assert found is not None
    jurisdiction, key = found.groups()
    assert jurisdiction == "wrekin.example"
    answer = client.get(
        "/open311/v2/requests.xml", {"jurisdiction_id": jurisdiction, "api_key": key}
    )
    assert answer.status_code == 200
    assert "contact@wrekin.example" in text


def test_staff_see_back_office_updates_with_their_source(client, council, missed_bin):
    integration, _ = api_client_create(
        organisation=council, name="Waste rounds", scopes=["cases:update"]
    )
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin", channel="phone", answers={"bin": "Recycling"}
        ),
        actor=Actor(label="adviser"),
    )
    external_update_record(
        client=integration,
        case=case,
        update=ReportedUpdate(external_id="R-1", status="completed", description="Emptied"),
    )
    sign_in_with_both_factors(client, council_admin(council))
    page = client.get("/admin/integrations/externalupdate/")
    assert page.status_code == 200
    [row] = page.context["cl"].result_list
    assert (row.source, row.case, row.status) == ("Waste rounds", case, "resolved")
    sign_in_with_both_factors(client, council_admin(factories.OrganisationFactory()))
    assert list(client.get("/admin/integrations/externalupdate/").context["cl"].result_list) == []


def test_an_admin_subscribes_a_system_sees_the_secret_once_and_revokes_a_key(client, council):
    user = council_admin(council)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_webhooksubscription", "view_webhooksubscription"]
        )
    )
    sign_in_with_both_factors(client, user)
    page = client.post(
        "/admin/integrations/webhooksubscription/add/",
        {
            "organisation": council.pk,
            "name": "Waste rounds",
            "url": "https://rounds.example/hooks",
            "events": ["case.created", "case.closed"],
            "active": "on",
        },
        follow=True,
    )
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret in page.content.decode()
    assert subscription.events == ["case.closed", "case.created"]
    assert (
        subscription.secret
        not in client.get("/admin/integrations/webhooksubscription/").content.decode()
    )

    registered, key = api_client_create(organisation=council, name="Old app", scopes=["cases:read"])
    client.post(
        "/admin/integrations/apiclient/",
        {"action": "revoke", "_selected_action": [registered.pk]},
        follow=True,
    )
    assert ApiClient.objects.get(pk=registered.pk).revoked_at is not None
    assert (
        client.get("/api/v1/cases", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    )
