"""The retention schedule: councils set it in the admin site, the worker applies it (removing
or anonymising what is past its time, holding what a legal hold keeps), and data protection
officers see what will go next week and what went, on a staff page and from the command line.

Records are made through the services that make them in real life, at moments in the past,
and each test looks for a marker written into them: after the job, no marker of a record past
its time is left anywhere in the database, while the council's figures are the same."""

from __future__ import annotations

import dataclasses
import io
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

from civicdesk.assistant.models import Conversation
from civicdesk.cases.documents import Upload
from civicdesk.cases.lifecycle import CaseRequest, case_add_note, case_open, case_transition
from civicdesk.cases.models import Attachment, Case
from civicdesk.channels.models import HeldAttachment, InboundMessage
from civicdesk.complaints.models import Complaint, ComplaintReason
from civicdesk.complaints.services import complaint_record
from civicdesk.contacts.models import Contact
from civicdesk.core.audit import audit_record
from civicdesk.core.jobs import job_lease
from civicdesk.core.models import AuditEvent
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.feedback.models import PageFeedback
from civicdesk.insight.models import CaseResolvedDaily, ContactDaily, RatingDaily
from civicdesk.insight.services import insight_refresh
from civicdesk.notifications.management.commands.run_worker import periodic_job_run
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role
from civicdesk.organisations.services import administrators_group
from civicdesk.privacy import retention
from civicdesk.privacy.models import (
    AccessEntry,
    AnonymisedCase,
    RetentionRun,
    RetentionSchedule,
    ServiceAreaRetention,
)
from civicdesk.privacy.retention import retention_periods

from . import factories
from .conftest import sign_in_with_both_factors
from .sample_files import PNG

pytestmark = pytest.mark.django_db

JOB = "civicdesk.privacy.retention.retention_apply"


def run_the_retention_job() -> None:
    """The job as the worker runs it: from PERIODIC_JOBS, under the worker's lease."""
    assert JOB in dict(django_settings.PERIODIC_JOBS)
    periodic_job_run(JOB, import_string(JOB))


def ago(*, days: int = 0, years: int = 0):
    return timezone.now() - timedelta(days=days + 366 * years)


def markers_in_database(marker: str) -> list[str]:
    """Every value in every column of every table (as text) that holds ``marker``."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                text = f"LOWER(CAST({connection.ops.quote_name(column.name)} AS TEXT))"
                cursor.execute(
                    f"SELECT {text} FROM {connection.ops.quote_name(table)} "  # noqa: S608
                    f"WHERE {text} LIKE %s",
                    [f"%{marker}%"],
                )
                found += [f"{table}.{column.name}" for _ in cursor.fetchall()]
    return found


def figures() -> list[tuple]:
    """Every summary the insight dashboard draws, recounted from the raw records."""
    insight_refresh(full=True)
    return [
        tuple(row)
        for model in (ContactDaily, CaseResolvedDaily, RatingDaily)
        for row in model.objects.order_by("pk").values_list(
            *[f.attname for f in model._meta.concrete_fields if f.name != "id"]
        )
    ]


def closed_case(council, customer, actor, *, closed_at, marker: str) -> Case:
    """A missed bin reported on the phone with a photo, a note and the messages it sent, closed
    at ``closed_at``: everything dated as it was then."""
    opened = closed_at - timedelta(days=3)
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            customer=customer,
            description=f"Bin left behind at {marker}",
            answers={"bin": "Recycling"},
            location_text=f"Outside {marker}",
            documents=[Upload(name=f"{marker}.png", content=PNG)],
        ),
        actor=actor,
        now=opened,
    )
    case_add_note(case=case, body=f"Called {marker} back", visibility="internal", actor=actor)
    case = case_transition(
        case=Case.objects.get(pk=case.pk),
        to_status="resolved",
        actor=actor,
        now=closed_at - timedelta(days=1),
    )
    case_transition(case=case, to_status="closed", actor=actor, now=closed_at)
    OutboxMessage.objects.filter(case=case).update(created_at=opened, status="delivered")
    AuditEvent.objects.filter(subject_type="case", subject_id=case.pk).update(at=opened)
    Contact.objects.filter(case=case).update(started_at=opened, summary=f"Rang about {marker}")
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def customer(council, actor):
    return customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Ann", last_name="Smith", emails=["ann@example.com"]),
        actor=actor,
    )


# --- Closed cases -----------------------------------------------------------------------------


def test_the_worker_anonymises_closed_cases_past_their_time_and_the_figures_stay(
    council, missed_bin, actor, customer
):
    old = closed_case(council, customer, actor, closed_at=ago(years=7), marker="zqold")
    recent = closed_case(council, customer, actor, closed_at=ago(years=1), marker="zqrecent")
    stored = Attachment.objects.get(case=old).file.name
    assert markers_in_database("zqold")
    before, cases = figures(), Case.objects.count()

    run_the_retention_job()

    assert markers_in_database("zqold") == []
    assert not Attachment.objects.get(case=recent).file.storage.exists(stored)
    assert "zqrecent" in Case.objects.get(pk=recent.pk).description
    assert Attachment.objects.filter(case=recent).count() == 1
    kept = Case.objects.get(pk=old.pk)
    assert (kept.status, kept.closed_at, kept.customer_id) == ("closed", old.closed_at, customer.pk)
    assert (Case.objects.count(), figures()) == (cases, before)
    run = RetentionRun.objects.get()
    assert run.finished_at is not None
    assert run.done["closed_cases"] == 1
    assert run.done["documents"] == 1  # the recent case's photo is within its 2 years


def test_a_second_run_leaves_anonymised_cases_alone(council, missed_bin, actor, customer):
    closed_case(council, customer, actor, closed_at=ago(years=7), marker="zqold")
    run_the_retention_job()
    run_the_retention_job()
    first, second = RetentionRun.objects.order_by("started_at")
    assert (first.done["closed_cases"], second.done["closed_cases"]) == (1, 0)
    assert AnonymisedCase.objects.count() == 1


def test_a_service_area_can_keep_its_closed_cases_for_a_period_of_its_own(
    council, missed_bin, actor, customer
):
    potholes = factories.RequestTypeFactory(organisation=council, key="pothole")
    other = case_open(
        organisation=council,
        request=CaseRequest(request_type_key="pothole", channel="web", description="zqpothole"),
        actor=actor,
        now=ago(years=3),
    )
    Case.objects.filter(pk=other.pk).update(status="closed", closed_at=ago(years=3))
    closed_case(council, customer, actor, closed_at=ago(years=3), marker="zqbins")
    schedule = RetentionSchedule.objects.create(organisation=council)
    ServiceAreaRetention.objects.create(
        schedule=schedule, service_area=missed_bin.service_area, closed_cases_months=24
    )
    assert potholes.service_area != missed_bin.service_area

    run_the_retention_job()

    assert markers_in_database("zqbins") == []
    assert markers_in_database("zqpothole")  # its service keeps closed cases for 6 years


# --- Legal holds ------------------------------------------------------------------------------


@pytest.fixture
def complaint(council, actor, customer):
    factories.RequestTypeFactory(organisation=council, key="complaint", kind="complaint")
    case = case_open(
        organisation=council,
        request=CaseRequest(request_type_key="complaint", channel="email", customer=customer),
        actor=actor,
    )
    return complaint_record(
        case=case,
        reasons=[ComplaintReason.objects.create(organisation=council, name="Delay")],
        about_service_area=None,
        actor=actor,
    )


@pytest.mark.parametrize("hold", ["open complaint", "Ombudsman referral"])
def test_a_legal_hold_keeps_a_customers_records_until_it_ends(
    council, missed_bin, actor, customer, complaint, hold
):
    old = closed_case(council, customer, actor, closed_at=ago(years=7), marker="zqold")
    if hold == "Ombudsman referral":
        Complaint.objects.filter(pk=complaint.pk).update(
            responded_at=timezone.now(), ombudsman_referred_at=timezone.now()
        )
        Case.objects.filter(pk=complaint.case_id).update(status="closed", closed_at=ago(days=1))

    run_the_retention_job()

    assert markers_in_database("zqold")
    assert not AnonymisedCase.objects.filter(case=old).exists()
    held = RetentionRun.objects.get().held
    assert (held["closed_cases"], held["documents"], held["contacts"]) == (1, 1, 1)

    # The complaint is answered and closed, and the Ombudsman's part is over.
    Complaint.objects.filter(pk=complaint.pk).update(
        responded_at=timezone.now(), ombudsman_referred_at=None
    )
    Case.objects.filter(pk=complaint.case_id).update(status="closed", closed_at=ago(days=1))
    run_the_retention_job()
    assert markers_in_database("zqold") == []


def test_a_hold_on_a_customer_covers_the_records_merged_into_theirs(
    council, missed_bin, actor, customer, complaint
):
    duplicate = customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Ann", last_name="Smith"),
        actor=actor,
    )
    closed_case(council, duplicate, actor, closed_at=ago(years=7), marker="zqduplicate")
    duplicate.merged_into = customer
    duplicate.save()
    run_the_retention_job()
    assert markers_in_database("zqduplicate")


def test_records_on_a_case_still_open_are_kept(council, missed_bin, actor, customer):
    case = closed_case(council, customer, actor, closed_at=ago(years=3), marker="zqreopened")
    Case.objects.filter(pk=case.pk).update(status="reopened", closed_at=None)
    run_the_retention_job()
    assert Contact.objects.get(case=case).summary == "Rang about zqreopened"
    assert RetentionRun.objects.get().held["contacts"] == 1


# --- Every other kind of record ---------------------------------------------------------------


def test_contacts_messages_chats_feedback_and_the_trail_go_when_their_time_is_up(
    council, missed_bin, actor, customer, officer
):
    def contact(started_at, summary):
        return factories.ContactFactory(
            organisation=council, customer=customer, started_at=started_at, summary=summary
        )

    contact(ago(years=3), "zqcontact said her bin was stolen")
    contact(ago(days=30), "zqrecent contact")

    def received(when, marker, outcome="triaged"):
        message = InboundMessage.objects.create(
            organisation=council,
            channel="email",
            message_id=f"<{uuid.uuid4().hex}@mail.example>",
            sender=f"{marker}@example.com",
            subject=marker,
            body=f"My bin, {marker}",
            received_at=when,
            outcome=outcome,
        )
        held = HeldAttachment(message=message, content_type="image/png", size=len(PNG))
        held.file.save(f"{marker}.png", ContentFile(PNG), save=True)
        return message

    received(ago(years=3), "zqreceived")
    waiting = received(ago(years=3), "zqtriage", outcome="triage")
    received(ago(days=5), "zqnewmail")

    def sent(when, status, marker):
        message = OutboxMessage.objects.create(
            organisation=council,
            customer=customer,
            template="case_opened",
            channel="email",
            recipient=f"{marker}@example.com",
            body=marker,
            status=status,
            next_attempt_at=when,
        )
        OutboxMessage.objects.filter(pk=message.pk).update(created_at=when)

    sent(ago(years=2), "delivered", "zqsent")
    sent(ago(years=2), "queued", "zqwaiting")
    sent(ago(days=3), "delivered", "zqfresh")

    def chat(days, state):
        conversation = Conversation.objects.create(
            organisation=council, token=uuid.uuid4().hex, customer=customer, state=state
        )
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=ago(days=days))
        return conversation

    old_chat, with_adviser, new_chat = chat(100, "closed"), chat(100, "waiting"), chat(10, "closed")

    def feedback(when, comment):
        row = PageFeedback.objects.create(
            organisation=council, path="/wrekin/bins/", found=False, comment=comment
        )
        PageFeedback.objects.filter(pk=row.pk).update(created_at=when)

    feedback(ago(years=2), "zqfeedback could not find it")
    feedback(ago(days=2), "zqnewfeedback")

    def trail(when):
        entry = audit_record(
            organisation=council,
            subject_type="customer",
            subject_id=customer.pk,
            action="changed",
            actor=actor,
            after={"first_name": "Ann"},
        )
        AuditEvent.objects.filter(pk=entry.pk).update(at=when)
        return AccessEntry.objects.create(
            organisation=council,
            staff=officer,
            customer=customer,
            what="customer",
            page="workspace:customer",
            at=when,
        )

    old_entry, new_entry = trail(ago(years=7)), trail(ago(days=1))
    before = (figures(), Contact.objects.count(), PageFeedback.objects.count())

    run_the_retention_job()

    for marker in ("zqcontact", "zqreceived", "zqsent", "zqfeedback"):
        assert markers_in_database(marker) == [], marker
    for marker in ("zqrecent", "zqtriage", "zqnewmail", "zqwaiting", "zqfresh", "zqnewfeedback"):
        assert markers_in_database(marker), marker
    assert InboundMessage.objects.get(pk=waiting.pk).held.count() == 1
    assert HeldAttachment.objects.count() == 2  # the unsorted message's and the new one's
    assert set(Conversation.objects.all()) == {with_adviser, new_chat}
    assert not Conversation.objects.filter(pk=old_chat.pk).exists()
    assert list(AccessEntry.objects.all()) == [new_entry]
    assert not AccessEntry.objects.filter(pk=old_entry.pk).exists()
    assert AuditEvent.objects.filter(at__lt=ago(years=6)).count() == 0
    assert (figures(), Contact.objects.count(), PageFeedback.objects.count()) == before
    done = RetentionRun.objects.get().done
    assert (done["contacts"], done["notifications"], done["chats"], done["page_feedback"]) == (
        2,  # the contact and the email received
        1,
        1,
        1,
    )


def test_a_run_that_stops_part_way_is_finished_by_the_next(
    council, missed_bin, customer, monkeypatch
):
    for number in range(3):
        factories.ContactFactory(
            organisation=council,
            customer=customer,
            started_at=ago(years=3),
            summary=f"zqpart{number}",
        )
    monkeypatch.setattr(
        retention,
        "STEPS",
        tuple(dataclasses.replace(step, batch=1) for step in retention.STEPS),
    )
    erase = retention.kind_erase
    erased: list[int] = []

    def failing_on_the_second_contact(*, kind, scope):
        if kind.key == "contacts" and scope.contact_ids:
            erased.append(min(scope.contact_ids))
            if len(erased) == 2:
                raise RuntimeError("the database went away")
        return erase(kind=kind, scope=scope)

    monkeypatch.setattr(retention, "kind_erase", failing_on_the_second_contact)
    run_the_retention_job()
    assert Contact.objects.exclude(summary="").count() == 2
    stopped = RetentionRun.objects.get()
    assert (stopped.finished_at, stopped.done["contacts"]) == (None, 1)

    monkeypatch.setattr(retention, "kind_erase", erase)
    run_the_retention_job()
    assert Contact.objects.exclude(summary="").count() == 0
    assert RetentionRun.objects.filter(finished_at__isnull=False).get().done["contacts"] == 2


def test_while_another_worker_applies_the_schedule_this_one_does_nothing(council, customer):
    factories.ContactFactory(
        organisation=council, customer=customer, started_at=ago(years=3), summary="zqbusy"
    )
    with job_lease(retention.RETENTION_LEASE_NAME, seconds=60) as lease:
        assert lease is not None
        run_the_retention_job()
    assert markers_in_database("zqbusy")
    assert not RetentionRun.objects.exists()


# --- The schedule in the admin site -----------------------------------------------------------


@pytest.fixture
def council_admin(council):
    staff = factories.StaffFactory(organisation=council, role=Role.ADMIN)
    staff.user.is_staff = True
    staff.user.save()
    staff.user.groups.add(administrators_group())
    return staff


def schedule_form(council, **changes):
    data = {
        "organisation": str(council.pk),
        "closed_cases_months": "72",
        "contacts_months": "24",
        "documents_months": "24",
        "notifications_months": "12",
        "chats_days": "90",
        "page_feedback_months": "12",
        "audit_months": "72",
        "service_areas-TOTAL_FORMS": "0",
        "service_areas-INITIAL_FORMS": "0",
        "service_areas-MIN_NUM_FORMS": "0",
        "service_areas-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_a_council_administrator_sets_the_schedule_starting_from_the_defaults(
    client, council, missed_bin, council_admin
):
    theirs = factories.ServiceAreaFactory(organisation=factories.OrganisationFactory())
    sign_in_with_both_factors(client, council_admin.user)
    page = client.get("/admin/privacy/retentionschedule/add/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert [form[name].value() for name in ("closed_cases_months", "chats_days")] == [72, 90]
    inline = page.context["inline_admin_formsets"][0].formset.empty_form
    assert list(inline.fields["service_area"].queryset) == [missed_bin.service_area]
    assert theirs not in inline.fields["service_area"].queryset
    assert retention_periods(organisation_id=council.pk).set_by_council is False

    saved = client.post(
        "/admin/privacy/retentionschedule/add/",
        schedule_form(
            council,
            chats_days="30",
            **{
                "service_areas-TOTAL_FORMS": "1",
                "service_areas-0-service_area": str(missed_bin.service_area.pk),
                "service_areas-0-closed_cases_months": "24",
            },
        ),
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    periods = retention_periods(organisation_id=council.pk)
    assert (periods.chats_days, periods.closed_cases_months, periods.set_by_council) == (
        30,
        72,
        True,
    )
    assert periods.service_areas == {missed_bin.service_area.pk: 24}


def test_a_period_of_nothing_or_another_councils_service_area_is_refused(
    client, council, missed_bin, council_admin
):
    theirs = factories.ServiceAreaFactory(organisation=factories.OrganisationFactory())
    sign_in_with_both_factors(client, council_admin.user)
    for changes in (
        {"contacts_months": "0"},
        {
            "service_areas-TOTAL_FORMS": "1",
            "service_areas-0-service_area": str(theirs.pk),
            "service_areas-0-closed_cases_months": "24",
        },
    ):
        page = client.post(
            "/admin/privacy/retentionschedule/add/", schedule_form(council, **changes)
        )
        assert page.status_code == 200
        assert b"errornote" in page.content
    assert not RetentionSchedule.objects.exists()


def test_administrators_may_change_the_schedule_but_not_delete_it():
    codenames = set(administrators_group().permissions.values_list("codename", flat=True))
    assert {"add_retentionschedule", "change_retentionschedule"} <= codenames
    assert "delete_retentionschedule" not in codenames


# --- The report -------------------------------------------------------------------------------


def test_the_report_says_what_goes_next_week_and_what_went(council, missed_bin, actor, customer):
    # Closed 6 years ago less three days: its time is up within the week.
    closed_case(
        council,
        customer,
        actor,
        closed_at=retention.months_before(timezone.now(), 72) + timedelta(days=3),
        marker="zqsoon",
    )
    factories.ContactFactory(
        organisation=council, customer=customer, started_at=ago(years=3), summary="zqgone"
    )
    call_command("retention_report", council=council.slug, stdout=(before := io.StringIO()))
    assert "the default schedule: confirm it with your records manager" in before.getvalue()
    assert (
        "Closed cases: kept 6 years after the case was closed; then personal details removed; "
        "the case is still counted. Due: 1." in before.getvalue()
    )
    assert (
        "Contacts, and emails and texts received: kept 2 years after the contact"
        in before.getvalue()
    )
    assert "The job has not run." in before.getvalue()

    run_the_retention_job()
    call_command("retention_report", council=council.slug, stdout=(after := io.StringIO()))
    assert "Contacts, and emails and texts received: 2" in after.getvalue()  # this and the case's
    assert "Closed cases: kept 6 years after the case was closed" in after.getvalue()
    assert "zq" not in after.getvalue()


def test_the_report_command_refuses_a_council_it_does_not_know(council):
    with pytest.raises(CommandError, match="There is no council with the short name nowhere"):
        call_command("retention_report", council="nowhere")
    with pytest.raises(CommandError, match="--days must be 1 or more"):
        call_command("retention_report", days=0)


def test_the_retention_page_is_for_data_protection_officers_and_administrators(
    staff_client, council, missed_bin, actor, customer, council_admin
):
    closed_case(council, customer, actor, closed_at=ago(years=7), marker="zqold")
    officer = factories.StaffFactory(organisation=council, role=Role.DATA_PROTECTION)
    page = staff_client(officer).get("/staff/privacy/retention/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "These are the default periods" in text
    assert "Change the retention schedule" not in text
    assert "The worker has not applied the schedule in this time." in text

    run_the_retention_job()
    text = staff_client(council_admin).get("/staff/privacy/retention/").content.decode()
    assert "Change the retention schedule" in text
    assert "Closed cases: 1" in text
    assert "zqold" not in text

    adviser = factories.StaffFactory(organisation=council, role=Role.ADVISER)
    refused = staff_client(adviser).get("/staff/privacy/retention/")
    assert refused.status_code == 403
    assert "Only data protection officers and administrators" in refused.content.decode()
