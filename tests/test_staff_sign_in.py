"""Staff sign in to the workspace with a password and a code from an authenticator app."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import StaffMember
from civicdesk.workspace.sign_in import ADDRESS_NAMES_LIMIT

from . import factories
from .conftest import sign_in_with_both_factors

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-staff-password"


@pytest.fixture
def adviser(council) -> StaffMember:
    staff = factories.StaffFactory(organisation=council, role=Role.ADVISER)
    staff.user.set_password(PASSWORD)
    staff.user.save()
    return staff


def enrolled(staff: StaffMember) -> pyotp.TOTP:
    staff.totp_secret = pyotp.random_base32()
    staff.totp_confirmed_at = timezone.now()
    staff.save()
    return pyotp.TOTP(staff.totp_secret)


def password_step(client, staff: StaffMember, password: str = PASSWORD, next_path: str = ""):
    return client.post(
        "/staff/sign-in/",
        {"username": staff.user.username, "password": password, "next": next_path},
    )


def test_workspace_pages_send_strangers_to_the_sign_in_and_back(client):
    response = client.get("/staff/?q=smith")
    assert response.status_code == 302
    assert response["Location"] == "/staff/sign-in/?next=%2Fstaff%2F%3Fq%3Dsmith"


def test_a_password_alone_does_not_sign_in(client, adviser):
    enrolled(adviser)
    response = password_step(client, adviser)
    assert response["Location"] == "/staff/sign-in/code/"
    assert client.get("/staff/")["Location"].startswith("/staff/sign-in/")


def test_password_then_code_signs_in_and_returns_to_the_page_asked_for(client, adviser):
    totp = enrolled(adviser)
    password_step(client, adviser, next_path="/staff/?q=smith")
    response = client.post("/staff/sign-in/code/", {"code": totp.now()})
    assert response["Location"] == "/staff/?q=smith"
    page = client.get("/staff/")
    assert page.status_code == 200
    assert adviser.user.get_full_name() in page.content.decode()


def test_the_first_sign_in_enrols_an_authenticator_with_a_qr_code_and_the_key(client, adviser):
    response = password_step(client, adviser)
    assert response["Location"] == "/staff/sign-in/set-up/"
    page = client.get("/staff/sign-in/set-up/").content.decode()
    assert "<svg" in page and "<title>" in page
    adviser.refresh_from_db()
    shown = re.search(r'civicdesk-secret">([A-Z2-7 ]+)<', page)
    assert shown is not None and shown.group(1).replace(" ", "") == adviser.totp_secret
    wrong = client.post("/staff/sign-in/set-up/", {"code": "000000"})
    assert wrong.status_code == 400
    assert "The code is wrong" in wrong.content.decode()
    code = pyotp.TOTP(adviser.totp_secret).now()
    assert client.post("/staff/sign-in/set-up/", {"code": code})["Location"] == "/staff/"
    adviser.refresh_from_db()
    assert adviser.totp_confirmed_at is not None


def test_a_code_works_only_once(client, adviser):
    totp = enrolled(adviser)
    code = totp.now()
    password_step(client, adviser)
    client.post("/staff/sign-in/code/", {"code": code})
    client.post("/staff/sign-out/")
    password_step(client, adviser)
    replayed = client.post("/staff/sign-in/code/", {"code": code})
    assert replayed.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_repeated_wrong_passwords_lock_the_name_out_even_with_the_right_one(client, adviser):
    enrolled(adviser)
    for _ in range(5):
        assert password_step(client, adviser, password="wrong").status_code == 400
    locked = password_step(client, adviser)
    assert locked.status_code == 400
    assert "Too many tries" in locked.content.decode()


def test_repeated_wrong_codes_lock_out_and_end_the_half_sign_in(client, adviser):
    totp = enrolled(adviser)
    password_step(client, adviser)
    for _ in range(5):
        assert client.post("/staff/sign-in/code/", {"code": "123456"}).status_code == 400
    locked = client.post("/staff/sign-in/code/", {"code": totp.now()})
    assert "Too many tries" in locked.content.decode()
    assert client.get("/staff/").status_code == 302
    assert client.get("/staff/sign-in/code/")["Location"] == "/staff/sign-in/"


def test_people_who_are_not_active_staff_cannot_sign_in(client, council, adviser):
    enrolled(adviser)
    adviser.active = False
    adviser.save()
    assert password_step(client, adviser).status_code == 400
    resident = factories.UserFactory()
    resident.set_password(PASSWORD)
    resident.save()
    response = client.post("/staff/sign-in/", {"username": resident.username, "password": PASSWORD})
    assert response.status_code == 400


def test_an_admin_site_session_without_the_second_factor_is_not_enough(client, adviser):
    client.force_login(adviser.user)
    assert client.get("/staff/")["Location"].startswith("/staff/sign-in/")


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:x"]
)
def test_sign_in_never_sends_people_to_another_site(client, adviser, next_path):
    totp = enrolled(adviser)
    password_step(client, adviser, next_path=next_path)
    assert client.post("/staff/sign-in/code/", {"code": totp.now()})["Location"] == "/staff/"


def test_knowing_the_password_is_not_enough_to_enrol_another_authenticator(client, adviser):
    totp = enrolled(adviser)
    secret = adviser.totp_secret
    password_step(client, adviser)
    assert client.get("/staff/sign-in/set-up/")["Location"] == "/staff/sign-in/code/"
    own = pyotp.TOTP(pyotp.random_base32()).now()
    assert client.post("/staff/sign-in/set-up/", {"code": own})["Location"] == (
        "/staff/sign-in/code/"
    )
    adviser.refresh_from_db()
    assert adviser.totp_secret == secret
    assert client.get("/staff/").status_code == 302
    assert client.post("/staff/sign-in/code/", {"code": totp.now()})["Location"] == "/staff/"


def test_signing_in_gives_a_new_session_so_a_planted_one_is_worthless(client, adviser):
    totp = enrolled(adviser)
    client.get("/staff/sign-in/")
    client.cookies["sessionid"] = "planted-session-key-0123456789ab"
    password_step(client, adviser)
    after_password = client.cookies["sessionid"].value
    client.post("/staff/sign-in/code/", {"code": totp.now()})
    after_code = client.cookies["sessionid"].value
    assert "planted-session-key-0123456789ab" not in (after_password, after_code)
    assert after_password != after_code


def test_the_staff_client_helper_is_signed_in_with_both_factors(staff_client, adviser):
    assert staff_client(adviser).get("/staff/").status_code == 200


def test_demo_staff_can_print_a_current_code_but_only_with_debug_on(settings, adviser):
    from io import StringIO

    from django.core.management import CommandError, call_command

    settings.DEBUG = True
    with pytest.raises(CommandError, match="Sign in at /staff/sign-in/"):
        call_command("demo_staff_code", adviser.user.username)
    totp = enrolled(adviser)
    out = StringIO()
    call_command("demo_staff_code", adviser.user.username, stdout=out)
    assert totp.verify(out.getvalue().strip())
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("demo_staff_code", adviser.user.username)


def test_an_administrator_resets_a_lost_authenticator_and_the_next_sign_in_enrols_again(
    client, council, adviser
):
    from django.contrib.auth.models import Permission

    enrolled(adviser)
    administrator = factories.StaffFactory(organisation=council, role=Role.ADMIN)
    administrator.user.is_staff = True
    administrator.user.save()
    administrator.user.user_permissions.set(
        Permission.objects.filter(codename__in=["change_staffmember", "view_staffmember"])
    )
    sign_in_with_both_factors(client, administrator.user)
    client.post(
        "/admin/organisations/staffmember/",
        {"action": "reset_authenticator", "_selected_action": [adviser.pk]},
    )
    adviser.refresh_from_db()
    assert (adviser.totp_secret, adviser.totp_confirmed_at) == ("", None)
    client.logout()
    assert password_step(client, adviser)["Location"] == "/staff/sign-in/set-up/"


def test_a_staff_sign_in_left_unused_for_an_hour_asks_for_both_factors_again(
    client, adviser, monkeypatch
):
    totp = enrolled(adviser)
    password_step(client, adviser)
    client.post("/staff/sign-in/code/", {"code": totp.now()})
    signed_in_at = time.time()
    # Busy for two hours, never an hour apart: still signed in.
    for minutes in (30, 80, 120):
        monkeypatch.setattr(time, "time", lambda minutes=minutes: signed_in_at + minutes * 60)
        assert client.get("/staff/").status_code == 200, minutes
    monkeypatch.setattr(time, "time", lambda: signed_in_at + 181 * 60 + 1)
    assert client.get("/staff/")["Location"].startswith("/staff/sign-in/")
    # Signed out altogether: the password alone does not bring the session back.
    monkeypatch.undo()
    assert "_auth_user_id" not in client.session


@pytest.fixture
def administrator(council) -> StaffMember:
    staff = factories.StaffFactory(organisation=council, role=Role.ADMIN)
    staff.user.is_staff = True
    staff.user.set_password(PASSWORD)
    staff.user.save()
    return staff


def test_the_admin_site_asks_council_staff_for_the_code_too(client, administrator):
    totp = enrolled(administrator)
    # A session with the password alone is sent for the code, not let in.
    client.force_login(administrator.user)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert client.get("/admin/login/?next=/admin/")["Location"] == (
        "/staff/sign-in/?next=%2Fadmin%2F"
    )
    client.logout()
    # The admin's own sign-in form goes on to the code, then to the admin.
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": administrator.user.username, "password": PASSWORD, "next": "/admin/"},
    )
    assert response["Location"] == "/staff/sign-in/code/"
    assert client.get("/admin/").status_code == 302
    assert client.post("/staff/sign-in/code/", {"code": totp.now()})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_wrong_passwords_on_the_admin_site_count_towards_the_lock_out(client, administrator):
    for _ in range(5):
        client.post("/admin/login/", {"username": administrator.user.username, "password": "x"})
    locked = client.post(
        "/admin/login/", {"username": administrator.user.username, "password": PASSWORD}
    )
    assert locked.status_code == 400
    assert "Too many tries" in locked.content.decode()
    assert password_step(client, administrator).status_code == 400


def test_the_installations_operator_signs_in_to_the_admin_with_a_password(
    client, django_user_model
):
    django_user_model.objects.create_superuser("operator", "", PASSWORD)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "operator", "password": PASSWORD, "next": "/admin/"},
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def wrong_try(client, name: str):
    return client.post("/staff/sign-in/", {"username": name, "password": "not-the-password"})


def test_an_office_behind_one_address_is_not_locked_out_by_its_own_typos(client, adviser):
    # Six colleagues mistype their passwords four times each: 24 failures from one address.
    for colleague in range(6):
        for _ in range(4):
            wrong_try(Client(), f"colleague{colleague}")
    assert password_step(client, adviser)["Location"] == "/staff/sign-in/set-up/"


def test_trying_many_names_from_one_address_locks_the_address(adviser):
    for number in range(ADDRESS_NAMES_LIMIT - 1):
        # The same name twice counts once.
        wrong_try(Client(), f"guess{number}")
        wrong_try(Client(), f"guess{number}")
    assert password_step(Client(), adviser).status_code == 302
    wrong_try(Client(), "one-name-too-many")
    locked = password_step(Client(), adviser)
    assert locked.status_code == 400
    assert "Too many tries" in locked.content.decode()
    elsewhere = Client(REMOTE_ADDR="192.0.2.44")
    assert password_step(elsewhere, adviser).status_code == 302


def test_a_name_that_signs_in_no_longer_counts_against_the_address(
    client, council, adviser, monkeypatch
):
    monkeypatch.setattr("civicdesk.workspace.sign_in.ADDRESS_NAMES_LIMIT", 2)
    totp = enrolled(adviser)
    password_step(client, adviser, password="a typo")
    password_step(client, adviser)
    assert client.post("/staff/sign-in/code/", {"code": totp.now()})["Location"] == "/staff/"
    wrong_try(Client(), "someone-else")
    colleague = factories.StaffFactory(organisation=council, role=Role.ADVISER)
    colleague.user.set_password(PASSWORD)
    colleague.user.save()
    assert password_step(Client(), colleague).status_code == 302


@pytest.mark.parametrize("path", ["/staff/sign-in/", "/admin/login/"])
def test_a_locked_out_member_of_staff_is_told_who_to_call(client, adviser, settings, path):
    settings.STAFF_SIGN_IN_HELP = (
        "If you still cannot sign in, call the IT service desk on 01632 960999."
    )
    for _ in range(5):
        client.post(path, {"username": adviser.user.username, "password": "wrong"})
    locked = client.post(path, {"username": adviser.user.username, "password": PASSWORD})
    assert locked.status_code == 400
    page = locked.content.decode()
    assert "Wait 15 minutes, then try again" in page
    assert "call the IT service desk on 01632 960999" in page


def test_without_the_councils_own_words_the_lock_out_names_the_service_desk(client, adviser):
    for _ in range(5):
        wrong_try(client, adviser.user.username)
    page = password_step(client, adviser).content.decode()
    assert "IT service desk or ask your CivicDesk administrator" in page
