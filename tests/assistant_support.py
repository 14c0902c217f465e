"""Fixtures the assistant's tests share: a council with the whole catalogue, and the clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from civicdesk.catalogue.importing import catalogue_import, catalogue_rows_read
from civicdesk.core.calendar import LONDON
from civicdesk.demo.catalogue_spec import SPEC
from civicdesk.organisations.models import Organisation

from . import factories

# A Monday morning (advisers at work) and a Sunday (nobody in).
OPEN = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
CLOSED = datetime(2026, 11, 22, 10, 0, tzinfo=LONDON)


@pytest.fixture
def full_council(settings) -> Organisation:
    settings.ASSISTANT_ENGINE = "baseline"
    council = factories.OrganisationFactory(
        name="Wrekin Council", slug="wrekin", phone="01632 960100"
    )
    catalogue_import(organisation=council, rows=catalogue_rows_read(), spec=SPEC)
    return council


def clock_at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


@pytest.fixture
def advisers_in(monkeypatch: pytest.MonkeyPatch) -> None:
    clock_at(monkeypatch, OPEN)


@pytest.fixture
def advisers_away(monkeypatch: pytest.MonkeyPatch) -> None:
    clock_at(monkeypatch, CLOSED)
