"""Subject access and erasure, proved with canaries: a unique marker in every personal field of
every kind of record the registry knows, for two customers. The export of the first must show
every one of theirs and none of the second's; after erasure none of the first's may be left
anywhere in the database or in stored files, the second's are untouched, and the council's
figures are the same."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.test.utils import isolate_apps
from django.utils import timezone

from civicdesk.appointments.models import Venue, Visit
from civicdesk.assistant.models import Conversation, Message
from civicdesk.cases.models import Attachment, Case, CaseFollower, CaseNote, LegacyCustomer
from civicdesk.channels.models import HeldAttachment, InboundMessage
from civicdesk.complaints.models import Complaint
from civicdesk.core.audit import SYSTEM, audit_record
from civicdesk.customers.models import (
    AccountSignIn,
    ContactDetail,
    Customer,
    Representative,
    SupportNeed,
)
from civicdesk.feedback.models import ContactRating, RatingInvitation
from civicdesk.insight.models import CaseResolvedDaily, ContactDaily, RatingDaily
from civicdesk.insight.services import insight_refresh
from civicdesk.integrations.models import (
    ApiClient,
    ExternalUpdate,
    Open311Token,
    WebhookDelivery,
    WebhookSubscription,
)
from civicdesk.notifications.models import OutboxMessage
from civicdesk.privacy import services
from civicdesk.privacy.models import AccessEntry, Disclosure, Erasure
from civicdesk.privacy.registry import KINDS, Erase, coverage_problems, scope_for
from civicdesk.quality.models import QualityAssessment, QualityCriterion, QualityScore
from civicdesk.referrals.models import Referral

from . import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n"


# --- The registry covers every model --------------------------------------------------------


def test_every_model_that_could_hold_a_customers_data_is_in_the_registry():
    assert coverage_problems(apps.get_models()) == []


@isolate_apps("civicdesk.privacy")
def test_a_model_added_later_without_a_registry_entry_is_named():
    class Reminder(models.Model):  # noqa: DJ008
        case = models.ForeignKey(Case, on_delete=models.CASCADE)

        class Meta:
            app_label = "privacy"

    class Jotting(models.Model):  # noqa: DJ008
        words = models.TextField()

        class Meta:
            app_label = "privacy"

    assert coverage_problems([Reminder, Jotting]) == [
        "privacy.reminder is tied to a customer but not in the registry",
        "privacy.jotting may hold personal data (words)",
    ]


# --- The records of one customer, with a marker in every personal field -----------------------


class Canaries:
    """Builds one of every kind of record for a customer, then writes a unique marker into
    every personal field the registry names (and into the stored files)."""

    def __init__(self, council, request_type, staff_user, prefix: str) -> None:
        self.council, self.request_type, self.staff_user = council, request_type, staff_user
        self.prefix = prefix
        self.markers: list[str] = []  # every marker planted
        self.exported: list[str] = []  # those the export must show
        self.in_files: list[str] = []  # those inside stored files
        self.exported_files: list[str] = []  # those in stored files the export copies

    def marker(self) -> str:
        value = f"zq{self.prefix}{len(self.markers):04d}q"
        self.markers.append(value)
        return value

    def build(self) -> Customer:
        council, staff = self.council, self.staff_user
        past = timezone.now() - timedelta(days=20)
        customer = factories.CustomerFactory(organisation=council, date_of_birth=date(1980, 5, 1))
        duplicate = factories.CustomerFactory(
            organisation=council, merged_into=customer, merged_at=past
        )
        customer.user = factories.UserFactory()
        customer.save()
        ContactDetail.objects.create(customer=customer, kind="email", value="x", normalised="x")
        ContactDetail.objects.create(customer=duplicate, kind="phone", value="x", normalised="x")
        SupportNeed.objects.create(customer=customer, kind="hearing", consent_given_at=past)
        carer = factories.CustomerFactory(organisation=council, first_name="Carol")
        Representative.objects.create(customer=customer, representative=carer, relationship="carer")
        AccountSignIn.objects.create(customer=customer, method="password", at=past)
        LegacyCustomer.objects.create(
            organisation=council, legacy_id=f"C-{self.prefix}", customer=customer
        )

        def case(owner, **extra):
            return factories.CaseFactory(
                organisation=council,
                request_type=self.request_type,
                customer=owner,
                status="closed",
                opened_at=past,
                resolved_at=past + timedelta(days=1),
                closed_at=past + timedelta(days=2),
                latitude=52.7,
                longitude=-2.5,
                **extra,
            )

        report, older = case(customer), case(duplicate)
        complaint_case = case(customer, kind="complaint")
        Complaint.objects.create(
            case=complaint_case,
            organisation=council,
            stage_started_at=past,
            stage_due_at=past + timedelta(days=14),
            stage1_due_at=past + timedelta(days=14),
            responded_at=past + timedelta(days=3),
            stage1_outcome="upheld",
        )
        CaseNote.objects.create(case=report, visibility="internal", author=staff, author_label="")
        attachment = Attachment(
            case=report, content_type="application/pdf", size=10, uploaded_label="Sam Officer"
        )
        attachment.file.save("photo.pdf", ContentFile(PDF), save=True)
        someone_elses = factories.CaseFactory(organisation=council, request_type=self.request_type)
        CaseFollower.objects.create(case=someone_elses, customer=customer)
        contact = factories.ContactFactory(
            organisation=council,
            customer=customer,
            case=report,
            request_type=self.request_type,
            started_at=past,
            handled_by=staff,
        )
        for status in ("delivered", "queued"):
            OutboxMessage.objects.create(
                organisation=council,
                customer=customer,
                case=report,
                template="case_opened",
                channel="email",
                status=status,
                next_attempt_at=past,
            )
        message = InboundMessage.objects.create(
            organisation=council,
            channel="email",
            message_id=f"<{uuid.uuid4().hex}@mail.example>",
            received_at=past,
            outcome="threaded",
            case=report,
            customer=customer,
        )
        held = HeldAttachment(message=message, content_type="application/pdf", size=10)
        held.file.save("letter.pdf", ContentFile(PDF), save=True)
        conversation = Conversation.objects.create(
            organisation=council, token=uuid.uuid4().hex, customer=customer
        )
        Message.objects.create(conversation=conversation, speaker="resident")
        ContactRating.objects.create(
            organisation=council,
            case=report,
            channel="web",
            source="portal",
            rating="poor",
            created_at=past + timedelta(days=2),
        )
        RatingInvitation.objects.create(case=older, sent_at=past)
        assessment = QualityAssessment.objects.create(
            organisation=council,
            kind="spot_check",
            contact=contact,
            channel="phone",
            assessed_by=staff,
            percentage=80,
        )
        criterion, _ = QualityCriterion.objects.get_or_create(organisation=council, name="Tone")
        QualityScore.objects.create(assessment=assessment, criterion=criterion, score=2)
        venue, _ = Venue.objects.get_or_create(organisation=council, name="Civic Offices")
        Visit.objects.create(
            organisation=council, venue=venue, kind="walk_in", customer=customer, status="seen"
        )
        AccessEntry.objects.create(
            organisation=council,
            staff=staff.staff,
            customer=customer,
            case=report,
            document_id=attachment.pk,
            what="document",
            page="workspace:case-document",
            at=past,
        )
        audit_record(
            organisation=council,
            subject_type="customer",
            subject_id=customer.pk,
            action="changed",
            actor=SYSTEM,
        )
        audit_record(
            organisation=council,
            subject_type="case",
            subject_id=report.pk,
            action="x",
            actor=SYSTEM,
        )
        LogEntry.objects.create(
            user=staff,
            content_type=ContentType.objects.get_for_model(Customer),
            object_id=str(customer.pk),
            action_flag=CHANGE,
        )
        client, _ = ApiClient.objects.get_or_create(
            organisation=council, name="FixMyStreet", defaults={"key_prefix": self.prefix}
        )
        Open311Token.objects.create(
            client=client, token=uuid.uuid4().hex, submission={}, case=report
        )
        ExternalUpdate.objects.create(
            organisation=council,
            client=client,
            case=report,
            external_id=uuid.uuid4().hex,
            source="Waste rounds",
            reported_at=past,
        )
        subscription, _ = WebhookSubscription.objects.get_or_create(
            organisation=council, name="Rounds", url="https://example.com/hook"
        )
        WebhookDelivery.objects.create(
            subscription=subscription,
            event_id=uuid.uuid4().hex,
            event="case.closed",
            case=report,
            payload={},
            next_attempt_at=past,
        )
        Disclosure.objects.create(
            organisation=council,
            customer=customer,
            produced_by=staff,
            produced_at=past,
            bundle=default_storage.save("privacy/bundle.zip", ContentFile(b"PK")),
            redactions=default_storage.save("privacy/redactions.json", ContentFile(b"{}")),
        )
        Referral.objects.create(
            from_organisation=council,
            to_organisation=factories.OrganisationFactory(kind="partner"),
            to_team=factories.TeamFactory(accepts_referrals=True),
            case=report,
            customer=customer,
            service_name="Care and support",
            reason="Please assess",
            sent_by=staff,
            sent_at=past,
            # Decided: one still waiting holds erasure (see the legal hold test).
            status="declined",
            decline_reason="not_ours",
            decided_at=past,
        )
        self.plant(customer)
        return customer

    def plant(self, customer: Customer) -> None:
        scope = scope_for(customer)
        for kind in KINDS:
            rows = list(kind.rows(scope))
            assert rows, f"the canary builder makes no {kind.key}"
            for row in rows:
                changes: dict[str, Any] = {}
                for name in kind.personal:
                    model_field = kind.model._meta.get_field(name)
                    marker = self.marker()
                    if isinstance(model_field, models.FileField):
                        stored = getattr(row, name)
                        stored.storage.delete(stored.name)
                        stored.save(f"{marker}.pdf", ContentFile(PDF + marker.encode()), save=False)
                        changes[name] = stored.name
                        self.in_files.append(marker)
                        if name not in kind.withheld:
                            self.exported_files.append(marker)
                        continue
                    if isinstance(model_field, models.JSONField):
                        value: Any = [marker] if isinstance(model_field.get_default(), list) else {}
                        if isinstance(value, dict):
                            value = {"case": {"location": marker}, "note": marker}
                    elif isinstance(model_field, models.CharField | models.TextField):
                        value = marker
                    else:
                        self.markers.pop()
                        continue  # a date of birth or a map position: checked on its own
                    changes[name] = value
                    if name not in kind.withheld:
                        self.exported.append(marker)
                kind.model._default_manager.filter(pk=row.pk).update(**changes)


@pytest.fixture
def staff_user(council):
    return factories.StaffFactory(organisation=council).user


@pytest.fixture
def first(council, missed_bin, staff_user):
    canaries = Canaries(council, missed_bin, staff_user, "a")
    canaries.customer = canaries.build()
    return canaries


@pytest.fixture
def second(council, missed_bin, staff_user, first):
    canaries = Canaries(council, missed_bin, staff_user, "b")
    canaries.customer = canaries.build()
    return canaries


def markers_in_database(prefix: str) -> list[str]:
    """Every value in every column of every table (as text) that holds a marker."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
            ]
            for column in columns:
                text = f"LOWER(CAST({connection.ops.quote_name(column)} AS TEXT))"
                cursor.execute(
                    f"SELECT {text} FROM {connection.ops.quote_name(table)} "  # noqa: S608
                    f"WHERE {text} LIKE %s",
                    [f"%zq{prefix}%"],
                )
                found += [f"{table}.{column}: {value}" for (value,) in cursor.fetchall()]
    return found


def markers_in_files(directory: Path, prefix: str) -> list[str]:
    found = []
    for path in directory.rglob("*"):
        if path.is_file() and (
            f"zq{prefix}" in path.name or f"zq{prefix}".encode() in path.read_bytes()
        ):
            found.append(str(path))
    return found


def uploads() -> Path:
    return Path(settings.STORAGES["default"]["OPTIONS"]["location"])


def figures() -> list[tuple]:
    insight_refresh(full=True)
    return [
        tuple(row)
        for model in (ContactDaily, CaseResolvedDaily, RatingDaily)
        for row in model.objects.order_by("pk").values_list(
            *[f.attname for f in model._meta.concrete_fields if f.name != "id"]
        )
    ]


# --- Subject access ---------------------------------------------------------------------------


def test_the_export_shows_every_marker_of_the_customer_and_none_of_anyone_elses(
    first, second, tmp_path
):
    out = tmp_path / "sar"
    call_command("subject_access", customer=first.customer.pk, out=str(out))

    exported = (out / "subject-access.json").read_text()
    readable = (out / "subject-access.html").read_text()
    documents = b"".join(path.read_bytes() for path in (out / "documents").iterdir())
    missing_json = [marker for marker in first.exported if marker not in exported]
    missing_html = [marker for marker in first.exported if marker not in readable]
    missing_files = [marker for marker in first.exported_files if marker.encode() not in documents]
    assert (missing_json, missing_html, missing_files) == ([], [], [])
    assert markers_in_files(out, "b") == []
    records = json.loads(exported)["records"]
    assert {key: len(value["rows"]) > 0 for key, value in records.items()} == {
        kind.key: True for kind in KINDS
    }


def test_the_readable_copy_is_plain_accessible_html(first, tmp_path):
    call_command("subject_access", customer=first.customer.pk, out=str(tmp_path))
    page = (tmp_path / "subject-access.html").read_text()
    assert page.startswith('<!DOCTYPE html>\n<html lang="en-GB">')
    assert "<title>The personal information we hold about you</title>" in page
    assert '<h2 id="complaints">Your complaints</h2>' in page
    assert "<script" not in page
    assert 'href="documents/documents-' in page


def test_other_peoples_names_are_listed_for_the_officer_apart_from_the_export(
    first, staff_user, tmp_path
):
    call_command("subject_access", customer=first.customer.pk, out=str(tmp_path))
    redactions = json.loads((tmp_path / "redact-before-release.json").read_text())["values"]
    named = {(value["kind"], value["value"]) for value in redactions}
    assert ("representatives", "Carol " + Customer.objects.get(first_name="Carol").last_name) in (
        named
    )
    assert ("contacts", staff_user.get_full_name()) in named
    assert ("documents", "Sam Officer") in named


def test_an_export_is_in_the_audit_trail(first, tmp_path):
    from civicdesk.core.models import AuditEvent

    call_command("subject_access", customer=first.customer.pk, out=str(tmp_path))
    entry = AuditEvent.objects.filter(action="subject_access_exported").get()
    assert (entry.subject_type, entry.subject_id) == ("customer", first.customer.pk)
    assert entry.after["documents"] == 2


def test_a_merged_records_id_exports_the_record_it_joined(first, tmp_path, capsys):
    duplicate = Customer.objects.get(merged_into=first.customer)
    call_command("subject_access", customer=duplicate.pk, out=str(tmp_path))
    assert f"merged into customer {first.customer.pk}" in capsys.readouterr().out
    assert json.loads((tmp_path / "subject-access.json").read_text())["customer"] == (
        first.customer.pk
    )


# --- Erasure ----------------------------------------------------------------------------------


def test_erasure_leaves_no_marker_of_the_customer_and_every_figure_as_it_was(first, second):
    before = figures()
    second_before = sorted(markers_in_database("b"))
    assert markers_in_database("a") and markers_in_files(uploads(), "a")

    call_command("erase_customer", customer=first.customer.pk)

    assert markers_in_database("a") == []
    assert markers_in_files(uploads(), "a") == []
    assert sorted(markers_in_database("b")) == second_before
    assert len(markers_in_files(uploads(), "b")) == len(second.in_files)
    assert figures() == before
    customer = Customer.objects.get(pk=first.customer.pk)
    assert (customer.date_of_birth, customer.user_id, customer.last_name) == (
        None,
        None,
        "[erased]",
    )
    assert not Case.objects.filter(customer=customer, latitude__isnull=False).exists()
    assert Case.objects.filter(customer=customer).count() == 2
    assert not OutboxMessage.objects.filter(customer=customer, status="queued").exists()


def test_a_dry_run_says_what_would_go_and_changes_nothing(first, capsys):
    before = markers_in_database("a")
    call_command("erase_customer", customer=first.customer.pk, dry_run=True)
    out = capsys.readouterr().out
    assert "Would erase the personal data of customer" in out
    assert "Your requests, reports and applications (3 records): description, answers" in out
    assert "Documents and photos on your cases (1 record): deleted, with their stored" in out
    assert "Nothing was changed (dry run)." in out
    assert markers_in_database("a") == before
    assert not Erasure.objects.exists()


def test_erasing_twice_is_refused_with_a_clear_message(first):
    call_command("erase_customer", customer=first.customer.pk)
    with pytest.raises(CommandError, match=r"already erased on .*Nothing was changed"):
        call_command("erase_customer", customer=first.customer.pk)


@pytest.mark.parametrize(
    ("hold", "reason"),
    [
        ("open_case", r"Case \w+ is still open"),
        ("open_complaint", r"The complaint on case \w+ is still open"),
        ("ombudsman", r"referred to the Ombudsman on"),
        ("waiting_referral", r"A referral to .* is still waiting for them to decide"),
    ],
)
def test_a_legal_hold_blocks_erasure_and_changes_nothing(first, hold, reason):
    complaint = Complaint.objects.get(case__customer=first.customer)
    if hold == "open_case":
        Case.objects.filter(customer=first.customer).update(status="in_progress")
    elif hold == "open_complaint":
        Complaint.objects.filter(pk=complaint.pk).update(responded_at=None)
    elif hold == "waiting_referral":
        Referral.objects.filter(customer=first.customer).update(status="sent")
    else:
        Complaint.objects.filter(pk=complaint.pk).update(ombudsman_referred_at=timezone.now())
    before = markers_in_database("a")
    with pytest.raises(
        CommandError, match=f"cannot be erased yet. Nothing was changed. .*{reason}"
    ):
        call_command("erase_customer", customer=first.customer.pk)
    assert markers_in_database("a") == before
    assert not Erasure.objects.exists()


def test_an_erasure_that_stops_part_way_is_finished_by_running_it_again(first, monkeypatch):
    failing = next(kind for kind in KINDS if kind.key == "notifications")

    def broken(*, kind, scope):
        if kind is failing:
            raise RuntimeError("the database went away")
        return original(kind=kind, scope=scope)

    original = services.kind_erase
    monkeypatch.setattr(services, "kind_erase", broken)
    with pytest.raises(RuntimeError):
        call_command("erase_customer", customer=first.customer.pk)
    assert markers_in_database("a")  # the outbox still holds them
    assert Erasure.objects.get().finished_at is None

    monkeypatch.setattr(services, "kind_erase", original)
    call_command("erase_customer", customer=first.customer.pk)
    assert markers_in_database("a") == []
    assert Erasure.objects.get().finished_at is not None


def test_every_personal_field_is_erased_in_a_way_its_column_allows():
    for kind in KINDS:
        for name, erase in kind.personal.items():
            model_field = kind.model._meta.get_field(name)
            if erase == Erase.PLACEHOLDER:
                assert isinstance(model_field, models.CharField | models.TextField), name
            if erase == Erase.SCRUB:
                assert isinstance(model_field, models.JSONField), name
