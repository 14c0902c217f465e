"""The words outside systems read (``Case.public_description``, ``CaseNote.public_body``) are
stored when a case or note is written, on every path that writes one, and are exactly what the
personal-data filter makes of the words staff and residents typed (ADR 42)."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.lifecycle import (
    CaseImport,
    CaseRequest,
    case_add_note,
    case_import,
    case_open,
    case_transition,
)
from civicdesk.cases.models import Case, CaseNote
from civicdesk.core.errors import ValidationFailed
from civicdesk.core.redaction import redact_personal_data
from civicdesk.core.text import storable
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.models import Open311Jurisdiction
from civicdesk.integrations.services import api_client_create

pytestmark = pytest.mark.django_db

JURISDICTION = "wrekin.gov.uk"
WITH_DETAILS = "Bin missed again. Call Ann on 07700 900123 or ann.smith@example.com."
FILTERED = redact_personal_data(WITH_DETAILS)
SETTINGS = settings(
    deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def stored_as_filtered() -> None:
    """Every case and note holds, for outside systems, what the filter makes of its words."""
    for description, public in Case.objects.values_list("description", "public_description"):
        assert public == (redact_personal_data(description) if description else "")
    for body, public in CaseNote.objects.values_list("body", "public_body"):
        assert public == (redact_personal_data(body) if body else "")


def test_the_filter_is_stored_apart_from_the_words_typed(council, actor, missed_bin):
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            answers={"bin": "Recycling"},
            description=WITH_DETAILS,
        ),
        actor=actor,
    )
    case_add_note(case=case, body="Ring 07700 900123 first.", visibility="internal", actor=actor)
    case_add_note(case=case, body="We will call 07700 900123.", visibility="public", actor=actor)
    case.refresh_from_db()
    assert case.description == WITH_DETAILS  # staff still see what was said
    assert "900123" not in case.public_description
    assert "ann.smith" not in case.public_description
    assert case.public_description == FILTERED
    assert [note.public_body for note in case.notes.order_by("pk")] == [
        "Ring [removed] first.",
        "We will call [removed].",
    ]
    stored_as_filtered()


@SETTINGS
@given(
    description=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"])),
    note=st.text(min_size=1, alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"])),
)
# PostgreSQL cannot store NUL; the words are kept without it on every database.
@example(description="Bin\x00 left out", note="\x00")
@example(description="\x00", note="Crew sent\x00 today")
def test_any_words_are_stored_as_the_filter_makes_them(
    council, actor, missed_bin, description, note
):
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="web",
            answers={"bin": "Recycling"},
            description=description,
        ),
        actor=actor,
    )
    if storable(note).strip():
        case_add_note(case=case, body=note, visibility="public", actor=actor)
        assert case.notes.get().body == storable(note).strip()
    case.refresh_from_db()
    assert case.description == storable(description).strip()
    stored_as_filtered()


def test_cases_from_outside_systems_and_the_old_system_are_filtered_too(council, actor, missed_bin):
    Open311Jurisdiction.objects.create(organisation=council, jurisdiction_id=JURISDICTION)
    _, open311_key = api_client_create(organisation=council, name="FMS", scopes=[Scope.OPEN311])
    _, rest_key = api_client_create(
        organisation=council, name="CRM", scopes=[Scope.CASES_READ, Scope.CASES_CREATE]
    )
    client = Client()
    posted = client.post(
        "/open311/v2/requests.json",
        {
            "jurisdiction_id": JURISDICTION,
            "api_key": open311_key,
            "service_code": "missed-bin",
            "description": WITH_DETAILS,
            "attribute[bin]": "Recycling",
            "lat": "52.700512",
            "long": "-2.516378",
        },
    )
    assert posted.status_code == 200, posted.content
    through_rest = client.post(
        "/api/v1/cases",
        {"service": "missed-bin", "description": WITH_DETAILS, "answers": {"bin": "Recycling"}},
        content_type="application/json",
        headers={"Authorization": f"Bearer {rest_key}"},
    )
    assert through_rest.status_code == 201, through_rest.content
    case_import(
        organisation=council,
        details=CaseImport(
            request_type_key="missed-bin",
            channel="phone",
            legacy_reference="OLD-1",
            received_at=timezone.now() - timedelta(days=3),
            description=WITH_DETAILS,
            notes="Called back on 07700 900123.",
        ),
        actor=actor,
    )
    assert Case.objects.filter(public_description=FILTERED).count() == 3
    stored_as_filtered()


def test_the_lists_outside_systems_read_show_the_stored_words(client, council, actor, missed_bin):
    Open311Jurisdiction.objects.create(organisation=council, jurisdiction_id=JURISDICTION)
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            answers={"bin": "Recycling"},
            description=WITH_DETAILS,
        ),
        actor=actor,
    )
    case_add_note(case=case, body="We will call 07700 900123.", visibility="public", actor=actor)
    listed = client.get("/open311/v2/requests.json", {"jurisdiction_id": JURISDICTION}).json()
    assert [(row["description"], row["status_notes"]) for row in listed] == [
        (FILTERED, "We will call [removed].")
    ]


def test_rows_written_before_the_field_existed_are_filled_in_batches(
    council, actor, missed_bin, monkeypatch
):
    for number in range(5):
        case = case_open(
            organisation=council,
            request=CaseRequest(
                request_type_key="missed-bin",
                channel="phone",
                answers={"bin": "Recycling"},
                description=f"{WITH_DETAILS} ({number})",
            ),
            actor=actor,
        )
        case_add_note(case=case, body="Ring 07700 900123.", visibility="public", actor=actor)
    Case.objects.update(public_description="")
    CaseNote.objects.update(public_body="")
    migration = importlib.import_module("civicdesk.cases.migrations.0008_public_words")
    monkeypatch.setattr(migration, "BATCH", 2)
    migration.public_words_fill(apps, None)
    stored_as_filtered()
    assert not Case.objects.filter(public_description="").exists()


def test_erasing_a_customer_erases_the_stored_words_too(council, actor, missed_bin, resident):
    case = case_import(
        organisation=council,
        details=CaseImport(
            request_type_key="missed-bin",
            channel="phone",
            legacy_reference="OLD-2",
            received_at=timezone.now() - timedelta(days=30),
            status=CaseStatus.CLOSED,
            closed_at=timezone.now() - timedelta(days=20),
            customer=resident,
            description=WITH_DETAILS,
            notes="Called back on 07700 900123.",
        ),
        actor=actor,
    )
    call_command("erase_customer", customer=resident.pk)
    case.refresh_from_db()
    assert case.public_description == ""
    assert set(case.notes.values_list("public_body", flat=True)) == {"[erased]"}
    stored_as_filtered()


def test_a_status_change_note_of_nothing_storable_is_asked_for_again(council, actor, missed_bin):
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin", channel="phone", answers={"bin": "Recycling"}
        ),
        actor=actor,
    )
    with pytest.raises(ValidationFailed):
        case_transition(case=case, to_status=CaseStatus.WAITING, note="\x00 ", actor=actor)
    case_transition(
        case=case, to_status=CaseStatus.WAITING, note="A photo\x00 of the bin", actor=actor
    )
    assert case.notes.get().body == "A photo of the bin"
    stored_as_filtered()
