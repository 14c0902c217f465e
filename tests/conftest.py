from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from civicdesk.core.audit import Actor
from civicdesk.core.calendar import LONDON
from civicdesk.customers.models import Customer
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import Organisation, StaffMember

from . import factories

# No test may depend on how fast the machine is: hypothesis's per-example deadline is off for
# every test, not only those that remembered to turn it off.
hypothesis_settings.register_profile("civicdesk", deadline=None)
hypothesis_settings.load_profile("civicdesk")

EVERY_TEMPLATE_CHECK = "test_every_page_template_was_checked_with_axe"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The browser tests share one record of the templates axe has checked, so they run in one
    process (``make test`` runs them apart from the rest, which spread over every core). The
    check that every template was seen runs after every other browser test, wherever its file
    sorts."""
    last = [item for item in items if item.name == EVERY_TEMPLATE_CHECK]
    items[:] = [item for item in items if item.name != EVERY_TEMPLATE_CHECK] + last


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many requests the schema tests (test_api_schema.py) generated, summed over every
    test process, and what tests measured."""
    made = sum(
        value
        for report in terminalreporter.getreports("passed") + terminalreporter.getreports("failed")
        if report.when == "call"
        for name, value in report.user_properties
        if name == "schemathesis_cases"
    )
    if made:
        terminalreporter.write_line(f"schemathesis: {made} generated requests")
    # What tests measured as users meet it (never asserted as timings), for the record.
    for report in terminalreporter.getreports("passed"):
        for name, value in report.user_properties:
            if report.when == "call" and str(name).startswith("measured: "):
                terminalreporter.write_line(f"{name}: {value}")


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # WhiteNoise expects the collected static directory to exist.
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Attempt counters and other cached values never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def uploads_in_a_temporary_directory(settings, tmp_path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads"), "base_url": None},
        },
    }


@pytest.fixture
def council() -> Organisation:
    return factories.OrganisationFactory(name="Wrekin Council", slug="wrekin")


@pytest.fixture
def missed_bin(council: Organisation):
    """A request type like the demo's: a choice question and a 2 working day target."""
    request_type = factories.RequestTypeFactory(
        organisation=council, key="missed-bin", name="Report a missed bin collection"
    )
    factories.QuestionFactory(
        request_type=request_type,
        key="bin",
        label="Which bin was missed?",
        kind="choice",
        choices=["General waste", "Recycling", "Garden waste"],
    )
    factories.CharterTargetFactory(
        request_type=request_type, amount=2, unit="working_days", summary="collect your bin"
    )
    return request_type


@pytest.fixture
def officer(council: Organisation, missed_bin) -> StaffMember:
    return factories.StaffFactory(
        organisation=council, role=Role.OFFICER, teams=[missed_bin.service_area.team]
    )


@pytest.fixture
def actor(officer: StaffMember) -> Actor:
    return Actor.for_user(officer.user)


@pytest.fixture
def resident(council: Organisation, actor: Actor) -> Customer:
    return customer_create(
        organisation=council,
        details=CustomerDetails(
            first_name="Ann",
            last_name="Smith",
            emails=["ann.smith@example.com"],
            phones=["07700 900123"],
            address_line_1="4 Holyhead Road",
            town="Wellington",
            postcode="tf1 1aa",
        ),
        actor=actor,
    )


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def sign_in_with_both_factors(client: Any, user: Any) -> None:
    """Sign the test client in as ``user`` as if they had given their password and the code
    from their authenticator app (the sign-in tests go through the pages themselves)."""
    from civicdesk.web.staff import mark_two_factors_passed

    client.force_login(user)
    session = client.session
    mark_two_factors_passed(session, user)
    session.save()


@pytest.fixture
def staff_client():
    """Make a test client signed in as a member of staff who has passed both sign-in factors,
    without going through the code pages: ``staff_client(staff)``."""
    from django.test import Client

    def signed_in(staff: StaffMember) -> Client:
        client = Client()
        sign_in_with_both_factors(client, staff.user)
        return client

    return signed_in
