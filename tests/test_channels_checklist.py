"""The channels checklist in the admin: what a council's channels need, whether each is set and
whether it works, with a test message through the real outbox and worker, and checks of Notify,
the email receiver and the virus scanner. Secrets are never shown, and only the council's own
administrators (and the installation's superusers) see it."""

from __future__ import annotations

import re
import socket
from html import unescape

import pytest
from django.test import Client

from civicdesk.assistant.services import conversation_start
from civicdesk.channels.management.commands.receive_email import inbound_controller
from civicdesk.channels.models import InboundAddress
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.models import Open311Jurisdiction
from civicdesk.integrations.services import api_client_authenticate, api_client_create
from civicdesk.notifications.gateways import gateway_for_settings
from civicdesk.notifications.models import OutboxMessage
from civicdesk.notifications.standin import NotifyStandin, StandinTemplate
from civicdesk.notifications.worker import outbox_run_once
from civicdesk.organisations.choices import Role

from . import factories
from .clamav import clamd_socket  # noqa: F401 (a fixture)
from .conftest import sign_in_with_both_factors

pytestmark = pytest.mark.django_db

PAGE = "/admin/channels-checklist/wrekin/"
API_KEY = (
    "civicdesk-checklist-7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f-5f6e7d8c-9b0a-4c1d-8e2f-3a4b5c6d9f2a"
)
EMAIL_TEMPLATE = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c01"
SMS_TEMPLATE = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c02"
LETTER_TEMPLATE = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c03"
TEMPLATES = {
    EMAIL_TEMPLATE: StandinTemplate("email"),
    SMS_TEMPLATE: StandinTemplate("sms"),
    LETTER_TEMPLATE: StandinTemplate("letter"),
}
CALLBACK_TOKEN = "receipts-token-0f9e8d7c6b5a49382716a5b4"
TELEPHONY_SECRET = "phone-platform-secret-6c5b4a39281706f5e4d3c2b1a0"


def staff_user(council, role: str, *, email: str = "edith.jones@wrekin.example", admin=True):
    staff = factories.StaffFactory(organisation=council, role=role)
    staff.user.is_staff = admin
    staff.user.email = email
    staff.user.first_name, staff.user.last_name = "Edith", "Jones"
    staff.user.save()
    return staff.user


@pytest.fixture
def administrator(council):
    return staff_user(council, Role.ADMIN)


@pytest.fixture
def admin_client(administrator):
    client = Client()
    sign_in_with_both_factors(client, administrator)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def row(response, key: str) -> str:
    """One channel's row of the checklist, as words."""
    found = re.search(rf'<tr id="{key}">(.*?)</tr>', response.content.decode(), re.DOTALL)
    assert found, f"no row {key}"
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", found.group(1)))).strip()


def deliver() -> None:
    """One pass of the worker's deliveries, through the gateway the settings choose."""
    outbox_run_once(gateway_for_settings())


@pytest.fixture
def notify(settings):
    with NotifyStandin(API_KEY, templates=TEMPLATES) as standin:
        settings.NOTIFY_API_KEY = API_KEY
        settings.NOTIFY_BASE_URL = standin.base_url
        settings.NOTIFY_EMAIL_TEMPLATE_ID = EMAIL_TEMPLATE
        settings.NOTIFY_SMS_TEMPLATE_ID = SMS_TEMPLATE
        settings.NOTIFY_LETTER_TEMPLATE_ID = LETTER_TEMPLATE
        settings.NOTIFY_CALLBACK_TOKEN = CALLBACK_TOKEN
        settings.NOTIFICATION_GATEWAY = "notify"
        yield standin


# Who sees it


def test_only_the_councils_administrators_and_the_installations_superusers_see_it(
    council, administrator, admin_client
):
    other = factories.OrganisationFactory(name="Severn Council", slug="severn")
    assert admin_client.get(PAGE).status_code == 200
    assert admin_client.get("/admin/channels-checklist/").url == PAGE
    assert admin_client.get("/admin/channels-checklist/severn/").status_code == 404
    assert 'href="/admin/channels-checklist/"' in admin_client.get("/admin/").content.decode()

    manager = Client()
    sign_in_with_both_factors(manager, staff_user(council, Role.MANAGER, email="m@wrekin.example"))
    assert manager.get(PAGE).status_code == 404
    assert "Channels checklist" not in text(manager.get("/admin/"))
    their_admin = Client()
    sign_in_with_both_factors(their_admin, staff_user(other, Role.ADMIN, email="a@severn.example"))
    assert their_admin.get(PAGE).status_code == 404
    assert their_admin.get("/admin/channels-checklist/").url == "/admin/channels-checklist/severn/"

    officer = Client()
    sign_in_with_both_factors(officer, staff_user(council, Role.OFFICER, admin=False))
    assert officer.get(PAGE).status_code == 302
    assert Client().get(PAGE).status_code == 302
    password_only = Client()
    password_only.force_login(administrator)
    assert password_only.get(PAGE).status_code == 302

    superuser = Client()
    superuser.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    choose = text(superuser.get("/admin/channels-checklist/"))
    assert "Choose a council: Severn Council Wrekin Council" in choose
    assert superuser.get("/admin/channels-checklist/severn/").status_code == 200


# Set or not set


def test_with_nothing_set_it_says_what_is_missing(admin_client):
    page = admin_client.get(PAGE)
    assert "Channels checklist: Wrekin Council" in text(page)
    assert "Set Problem It is still the development address" in row(page, "public_address")
    assert "Problem Nothing is sent to anyone" in row(page, "sending")
    assert "Not set Not known yet Not set. Only needed to send through GOV.UK" in row(
        page, "notify"
    )
    assert "Partly set Not known yet Not set. Only needed to take email in" in row(page, "email_in")
    assert "Not set Not known yet Not set. Only needed for FixMyStreet" in row(page, "open311")
    assert "refuses every call" in row(page, "telephony")
    assert "Problem Not set: uploads are not scanned for viruses" in row(page, "virus_scanner")


def test_secrets_show_as_set_with_at_most_their_last_four_characters(admin_client, settings):
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_CALLBACK_TOKEN = CALLBACK_TOKEN
    settings.TELEPHONY_SECRET = TELEPHONY_SECRET
    settings.NOTIFICATION_GATEWAY = "smtp"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "mail.wrekin.example", 587
    settings.EMAIL_HOST_PASSWORD = "mail-server-password-81726354"
    page = admin_client.get(PAGE)
    content = page.content.decode()
    for secret in (API_KEY, CALLBACK_TOKEN, TELEPHONY_SECRET, settings.EMAIL_HOST_PASSWORD):
        assert secret[:-4] not in content
    assert "NOTIFY_API_KEY Set (ends in 9f2a)" in row(page, "notify")
    assert "NOTIFY_CALLBACK_TOKEN Set (ends in a5b4)" in row(page, "notify")
    assert "NOTIFY_SMS_TEMPLATE_ID Not set" in row(page, "notify")
    assert "Partly set" in row(page, "notify")
    assert "TELEPHONY_SECRET Set (ends in b1a0)" in row(page, "telephony")
    assert "Webhook (give this to the provider) http://localhost:8000/telephony/wrekin/ask" in (
        row(page, "telephony")
    )
    assert "Mail server mail.wrekin.example:587" in row(page, "sending")


def test_a_short_telephony_secret_or_a_key_not_from_notify_is_a_problem(admin_client, settings):
    settings.TELEPHONY_SECRET = "letmein"
    settings.NOTIFY_API_KEY = "not-a-notify-key"
    page = admin_client.get(PAGE)
    assert "TELEPHONY_SECRET Set " in row(page, "telephony")
    assert "Problem The secret is too short to be safe" in row(page, "telephony")
    assert "Problem The API key is not in Notify's form" in row(page, "notify")


# Working


def test_a_test_message_goes_out_through_notify_and_the_checklist_says_it_works(
    admin_client, notify
):
    sent = admin_client.post(PAGE, {"action": "send-test-message"}, follow=True)
    assert "A test message to edith.jones@wrekin.example is in the outbox" in text(sent)
    assert "is waiting for the worker" in row(sent, "sending")
    message = OutboxMessage.objects.get(template="channels_test_message")
    assert message.recipient == "edith.jones@wrekin.example"
    assert "Hello Edith Jones" in message.body and "through GOV.UK Notify" in message.body

    deliver()

    [accepted] = notify.accepted()
    assert accepted.recipient == "edith.jones@wrekin.example"
    assert accepted.personalisation["subject"] == "Test message from CivicDesk for Wrekin Council"
    page = admin_client.get(PAGE)
    assert re.search(
        r"Works The test message of .* went out through GOV.UK Notify", row(page, "sending")
    )
    assert "Set Works The test message of" in row(page, "notify")


def test_a_key_notify_refuses_shows_as_a_problem_with_notifys_reason(
    admin_client, notify, settings
):
    settings.NOTIFY_API_KEY = (
        "revoked-7d1e5c3a-9b8f-4e2d-a1c0-b9e8d7c6f5a4-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    )
    admin_client.post(PAGE, {"action": "send-test-message"})
    deliver()
    page = admin_client.get(PAGE)
    assert "failed: Notify refused the message (403: AuthError)." in row(page, "sending")
    assert "Notify refused the message (403: AuthError)" in text(page)  # the messages table

    checked = admin_client.post(PAGE, {"action": "run-checks"}, follow=True)
    assert "Checked at" in text(checked)
    assert "Problem Notify refused the API key" in row(checked, "notify")
    assert "Checked at" not in text(admin_client.get(PAGE))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_checks_find_the_notify_templates_and_the_email_receiver(
    admin_client, council, notify, settings
):
    InboundAddress.objects.create(
        organisation=council, channel="email", address="help@wrekin.example"
    )
    settings.INBOUND_EMAIL_HOST, settings.INBOUND_EMAIL_PORT = "127.0.0.1", free_port()
    stopped = admin_client.post(PAGE, {"action": "run-checks"}, follow=True)
    assert "Inbound email addresses help@wrekin.example" in row(stopped, "email_in")
    assert f"Problem Nothing answered at 127.0.0.1:{settings.INBOUND_EMAIL_PORT}" in row(
        stopped, "email_in"
    )
    assert "Set Works Notify accepted the API key, and the email, text message and letter" in (
        row(stopped, "notify")
    )

    receiver = inbound_controller("127.0.0.1", settings.INBOUND_EMAIL_PORT)
    receiver.start()
    try:
        checked = admin_client.post(PAGE, {"action": "run-checks"}, follow=True)
    finally:
        receiver.stop()
    assert f"Works The email receiver answered at 127.0.0.1:{settings.INBOUND_EMAIL_PORT}" in (
        row(checked, "email_in")
    )

    settings.NOTIFY_SMS_TEMPLATE_ID = EMAIL_TEMPLATE
    settings.NOTIFY_LETTER_TEMPLATE_ID = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c99"
    wrong = admin_client.post(PAGE, {"action": "run-checks"}, follow=True)
    assert "NOTIFY_SMS_TEMPLATE_ID is a email template, not a text message template" in row(
        wrong, "notify"
    )
    assert "Notify has no template 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c99" in row(wrong, "notify")


def test_the_public_address_check_says_when_the_server_cannot_reach_it(admin_client, settings):
    settings.PUBLIC_BASE_URL = f"https://127.0.0.1:{free_port()}"
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    page = admin_client.get(PAGE)
    assert "Set Not known yet Run the checks to try it." in row(page, "public_address")
    checked = admin_client.post(PAGE, {"action": "run-checks"}, follow=True)
    assert "Problem This server could not reach https://127.0.0.1:" in row(
        checked, "public_address"
    )
    settings.PUBLIC_BASE_URL = "https://civicdesk.wrekin.example"
    assert "is not in ALLOWED_HOSTS" in row(admin_client.get(PAGE), "public_address")


def test_the_scanner_check_sends_the_antivirus_test_file_to_a_real_clamd(
    admin_client,
    settings,
    clamd_socket,  # noqa: F811
    tmp_path,
):
    settings.CLAMD_SOCKET = str(tmp_path / "no-clamd.sock")
    down = admin_client.post(PAGE, {"action": "run-checks"}, follow=True)
    assert "Problem It could not be reached at" in row(down, "virus_scanner")
    assert "uploads are held for staff until it is" in row(down, "virus_scanner")

    settings.CLAMD_SOCKET = clamd_socket
    assert "Set Not known yet Run the checks" in row(admin_client.get(PAGE), "virus_scanner")
    checked = admin_client.post(PAGE, {"action": "run-checks"}, follow=True)
    assert "Works It found the anti-virus test file (CivicDesk.Test.EICAR" in row(
        checked, "virus_scanner"
    )


def test_calls_and_open311_use_show_the_channels_work(admin_client, council, settings):
    settings.TELEPHONY_SECRET = TELEPHONY_SECRET
    Open311Jurisdiction.objects.create(organisation=council, jurisdiction_id="wrekin.example")
    _, key = api_client_create(organisation=council, name="FixMyStreet", scopes=[Scope.OPEN311])
    page = admin_client.get(PAGE)
    assert "Set; no call has come in yet" in row(page, "telephony")
    assert "Set Not known yet Set; no app has used its key yet" in row(page, "open311")
    assert "API keys with Open311 FixMyStreet" in row(page, "open311")

    conversation_start(organisation=council, channel="phone", token="call-1")
    api_client_authenticate(key)
    page = admin_client.get(PAGE)
    assert "Works The last call reached the assistant at" in row(page, "telephony")
    assert "Works FixMyStreet last used its key at" in row(page, "open311")


def test_someone_whose_sign_in_has_no_email_address_is_told_so(council):
    client = Client()
    sign_in_with_both_factors(client, staff_user(council, Role.ADMIN, email=""))
    refused = client.post(PAGE, {"action": "send-test-message"})
    assert refused.status_code == 400
    assert "There is a problem Your sign-in has no email address" in text(refused)
    assert not OutboxMessage.objects.exists()
