"""Opening and working cases through the case services."""

from __future__ import annotations

import pytest

from civicdesk.cases.choices import CaseStatus, ClockState
from civicdesk.cases.lifecycle import (
    CaseRequest,
    case_add_note,
    case_assign,
    case_link_duplicate,
    case_open,
    case_set_priority,
    case_transition,
)
from civicdesk.cases.models import Case
from civicdesk.cases.selectors import case_timeline
from civicdesk.contacts.models import Contact
from civicdesk.core.audit import Actor
from civicdesk.core.errors import (
    DomainError,
    EditConflict,
    NotFound,
    TransitionNotAllowed,
    ValidationFailed,
)
from civicdesk.core.models import AuditEvent
from civicdesk.core.references import reference_normalise
from civicdesk.notifications.models import OutboxMessage

from . import factories
from .conftest import london
from .sample_files import PNG

pytestmark = pytest.mark.django_db


def open_missed_bin(council, resident, actor, **overrides) -> Case:
    request = CaseRequest(
        request_type_key="missed-bin",
        channel=overrides.pop("channel", "web"),
        customer=resident,
        answers=overrides.pop("answers", {"bin": "Recycling"}),
        **overrides,
    )
    return case_open(
        organisation=council, request=request, actor=actor, now=london(2026, 11, 23, 10)
    )


def test_opening_a_case_acknowledges_it_with_reference_and_due_date(
    council, missed_bin, resident, actor
):
    case = open_missed_bin(council, resident, actor)

    assert reference_normalise(case.reference) == case.reference
    assert case.status == CaseStatus.NEW
    assert case.team == missed_bin.service_area.team
    # Monday 10:00 plus 2 working days is close of business on Wednesday.
    assert case.due_at == london(2026, 11, 25, 17)
    assert case.clock_state == ClockState.ON_TRACK
    message = OutboxMessage.objects.get(case=case)
    assert message.channel == "email"
    assert message.recipient == "ann.smith@example.com"
    assert case.reference in message.subject
    assert "by 5pm on Wednesday 25 November 2026" in message.body
    contact = Contact.objects.get(case=case)
    assert (contact.channel, contact.outcome, contact.customer) == ("web", "case_created", resident)


def test_unknown_request_type_is_refused_and_nothing_is_written(
    council, missed_bin, resident, actor
):
    with pytest.raises(NotFound, match="no service called 'missed-bins'"):
        case_open(
            organisation=council,
            request=CaseRequest(request_type_key="missed-bins", channel="web", customer=resident),
            actor=actor,
        )
    assert Case.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    assert Contact.objects.count() == 0


def test_answers_that_fail_validation_are_refused_with_a_message_per_question(
    council, missed_bin, resident, actor
):
    with pytest.raises(ValidationFailed) as refused:
        open_missed_bin(council, resident, actor, answers={"bin": "Blue", "colour": "red"})
    assert refused.value.fields == {
        "colour": "'colour' is not a question for report a missed bin collection",
        "bin": "Choose one of the listed options for which bin was missed",
    }
    assert Case.objects.count() == 0


def test_missing_required_answer_says_what_to_do(council, missed_bin, resident, actor):
    with pytest.raises(ValidationFailed) as refused:
        open_missed_bin(council, resident, actor, answers={})
    assert refused.value.fields == {"bin": "Select which bin was missed"}


def test_the_lifecycle_refuses_a_move_it_does_not_allow(council, missed_bin, resident, actor):
    case = open_missed_bin(council, resident, actor)
    with pytest.raises(
        TransitionNotAllowed, match="A case that is new cannot be moved to reopened"
    ):
        case_transition(case=case, to_status=CaseStatus.REOPENED, actor=actor)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW
    assert not AuditEvent.objects.filter(subject_id=case.pk, action="status_changed").exists()


def test_every_status_change_is_audited_and_the_customer_told(council, missed_bin, resident, actor):
    case = open_missed_bin(council, resident, actor)
    case = case_transition(
        case=case, to_status=CaseStatus.IN_PROGRESS, actor=actor, now=london(2026, 11, 23, 11)
    )
    case = case_transition(
        case=case,
        to_status=CaseStatus.RESOLVED,
        actor=actor,
        note="We collected your recycling this morning.",
        now=london(2026, 11, 24, 9),
    )

    event = AuditEvent.objects.filter(subject_id=case.pk, action="status_changed").last()
    assert event is not None
    assert (event.before["status"], event.after["status"]) == ("in_progress", "resolved")
    assert event.actor_label == actor.label
    assert case.clock_state == ClockState.STOPPED
    assert case.resolved_at == london(2026, 11, 24, 9)
    last = OutboxMessage.objects.filter(case=case).order_by("id").last()
    assert last is not None
    assert "We collected your recycling this morning." in last.body


def test_waiting_for_the_customer_pauses_the_clock(council, missed_bin, resident, actor):
    case = open_missed_bin(council, resident, actor)
    case = case_transition(
        case=case,
        to_status=CaseStatus.WAITING,
        actor=actor,
        note="Which side of the road is your bin on?",
        now=london(2026, 11, 23, 12),
    )
    assert case.clock_state == ClockState.PAUSED
    # The customer answers on Thursday: three working days of waiting push Wednesday to Monday.
    case = case_transition(
        case=case, to_status=CaseStatus.IN_PROGRESS, actor=actor, now=london(2026, 11, 26, 9, 30)
    )
    assert case.due_at == london(2026, 11, 30, 17)
    assert case.clock_state == ClockState.ON_TRACK


def test_waiting_needs_a_note_saying_what_is_needed(council, missed_bin, resident, actor):
    case = open_missed_bin(council, resident, actor)
    with pytest.raises(ValidationFailed):
        case_transition(case=case, to_status=CaseStatus.WAITING, actor=actor)


def test_reopening_starts_a_fresh_charter_window(council, missed_bin, resident, actor):
    case = open_missed_bin(council, resident, actor)
    case = case_transition(
        case=case, to_status=CaseStatus.RESOLVED, actor=actor, now=london(2026, 11, 24, 10)
    )
    case = case_transition(
        case=case, to_status=CaseStatus.REOPENED, actor=actor, now=london(2026, 11, 27, 10)
    )
    assert case.due_at == london(2026, 12, 1, 17)
    assert case.resolved_at is None
    assert case.clock_state == ClockState.ON_TRACK


def test_a_stale_edit_is_refused_instead_of_overwriting(council, missed_bin, resident, actor):
    case = open_missed_bin(council, resident, actor)
    seen_version = case.version
    case_add_note(case=case, body="Crew informed", visibility="internal", actor=actor)
    with pytest.raises(EditConflict, match="Someone else changed case"):
        case_transition(
            case=case,
            to_status=CaseStatus.IN_PROGRESS,
            actor=actor,
            expected_version=seen_version,
        )


def test_internal_notes_do_not_reach_the_customer_but_public_updates_do(
    council, missed_bin, resident, actor
):
    case = open_missed_bin(council, resident, actor)
    before = OutboxMessage.objects.count()
    case_add_note(case=case, body="Driver says bin was blocked", visibility="internal", actor=actor)
    assert OutboxMessage.objects.count() == before
    case_add_note(
        case=case, body="The crew will return tomorrow.", visibility="public", actor=actor
    )
    assert OutboxMessage.objects.count() == before + 1
    assert "The crew will return tomorrow." in OutboxMessage.objects.latest("id").body


def test_assigning_to_an_officer_outside_the_team_is_refused(council, missed_bin, resident, actor):
    case = open_missed_bin(council, resident, actor)
    outsider = factories.StaffFactory(
        organisation=council, teams=[factories.TeamFactory(organisation=council)]
    )
    with pytest.raises(DomainError, match="not in the"):
        case_assign(case=case, officer=outsider.user, actor=actor)
    member = factories.StaffFactory(organisation=council, teams=[missed_bin.service_area.team])
    case = case_assign(case=case, officer=member.user, actor=actor)
    assert case.assigned_to == member.user
    assert case.status == CaseStatus.ASSIGNED


def test_a_duplicate_is_linked_to_the_original_and_closed(council, missed_bin, resident, actor):
    original = open_missed_bin(council, resident, actor)
    duplicate = open_missed_bin(council, resident, actor)
    with pytest.raises(DomainError, match="itself"):
        case_link_duplicate(case=original, original=original, actor=actor)
    duplicate = case_link_duplicate(case=duplicate, original=original, actor=actor)
    assert duplicate.duplicate_of == original
    assert duplicate.status == CaseStatus.CLOSED
    with pytest.raises(DomainError, match="other way round"):
        case_link_duplicate(case=original, original=duplicate, actor=actor)


def test_information_services_do_not_open_cases(council, actor):
    factories.RequestTypeFactory(organisation=council, key="bin-day", kind="information")
    with pytest.raises(DomainError, match="information only"):
        case_open(
            organisation=council,
            request=CaseRequest(request_type_key="bin-day", channel="phone"),
            actor=actor,
        )


def test_emergency_out_of_hours_goes_to_the_on_call_team(council, actor):
    on_call = factories.TeamFactory(organisation=council, handles_out_of_hours=True)
    fallen_tree = factories.RequestTypeFactory(
        organisation=council, key="fallen-tree", emergency=True
    )
    saturday_night = london(2026, 11, 28, 23)
    case = case_open(
        organisation=council,
        request=CaseRequest(request_type_key="fallen-tree", channel="phone"),
        actor=Actor(label="Out-of-hours line"),
        now=saturday_night,
    )
    assert case.team == on_call
    assert case.priority == "emergency"
    weekday = case_open(
        organisation=council,
        request=CaseRequest(request_type_key="fallen-tree", channel="phone"),
        actor=Actor(label="Contact centre"),
        now=london(2026, 11, 30, 11),
    )
    assert weekday.team == fallen_tree.service_area.team


def test_the_residents_timeline_leaves_out_internal_notes(council, missed_bin, resident, actor):
    case = open_missed_bin(council, resident, actor)
    case_add_note(
        case=case, body="Crew says the lane was blocked", visibility="internal", actor=actor
    )
    case_add_note(case=case, body="We will come back on Friday.", visibility="public", actor=actor)

    public = [entry.summary for entry in case_timeline(case, include_internal=False)]
    staff = [entry.summary for entry in case_timeline(case, include_internal=True)]

    assert "We will come back on Friday." in public
    assert "Crew says the lane was blocked" not in public
    assert "Crew says the lane was blocked" in staff
    assert public[0] == "Case opened"


def test_documents_are_checked_by_content_not_by_name(council, missed_bin, resident, actor):
    from civicdesk.cases.attachments import case_attach
    from civicdesk.cases.documents import Upload

    case = open_missed_bin(council, resident, actor)
    with pytest.raises(ValidationFailed, match="not a PDF, JPG or PNG"):
        case_attach(case=case, upload=Upload("photo.jpg", b"MZ\x90\x00 not an image"), actor=actor)
    photo = case_attach(
        case=case,
        upload=Upload("../../bin photo.png", PNG),
        actor=actor,
    )
    assert (photo.original_name, photo.content_type) == ("bin photo.png", "image/png")
    assert photo.file.name.startswith(f"cases/{council.pk}/{case.pk}/")
    assert "bin photo" not in photo.file.name
    assert photo.file.read().startswith(b"\x89PNG")


def test_raising_the_priority_brings_the_due_date_forward_from_when_it_was_reported(council, actor):
    pothole = factories.RequestTypeFactory(organisation=council, key="pothole")
    factories.CharterTargetFactory(request_type=pothole, amount=10, unit="working_days")
    factories.CharterTargetFactory(
        request_type=pothole, priority="emergency", amount=24, unit="calendar_hours"
    )
    case = case_open(
        organisation=council,
        request=CaseRequest(request_type_key="pothole", channel="phone"),
        actor=actor,
        now=london(2026, 11, 23, 10),
    )
    assert case.due_at == london(2026, 12, 7, 17)
    with pytest.raises(ValidationFailed):
        case_set_priority(case=case, priority="emergency", actor=actor, reason=" ")
    case = case_set_priority(
        case=case,
        priority="emergency",
        actor=actor,
        reason="Caller says a cyclist has already come off",
        now=london(2026, 11, 23, 11),
    )
    assert case.due_at == london(2026, 11, 24, 10)
    assert case.clock_state == ClockState.ON_TRACK
    event = AuditEvent.objects.get(subject_id=case.pk, action="priority_changed")
    assert event.before["priority"] == "standard"
    assert event.after["reason"] == "Caller says a cyclist has already come off"


def test_a_priority_change_keeps_the_time_spent_waiting_for_the_customer(
    council, missed_bin, resident, actor
):
    case = open_missed_bin(council, resident, actor)
    case = case_transition(
        case=case,
        to_status=CaseStatus.WAITING,
        actor=actor,
        note="Which side of the road?",
        now=london(2026, 11, 23, 12),
    )
    case = case_transition(
        case=case, to_status=CaseStatus.IN_PROGRESS, actor=actor, now=london(2026, 11, 26, 9, 30)
    )
    assert case.due_at == london(2026, 11, 30, 17)

    case = case_set_priority(
        case=case,
        priority="urgent",
        actor=actor,
        reason="Resident is housebound",
        now=london(2026, 11, 26, 10),
    )

    assert case.due_at == london(2026, 11, 30, 17)
    assert case.clock_state == ClockState.ON_TRACK


def test_a_case_found_overdue_on_resuming_is_left_for_the_sweep_so_the_lead_is_told(
    council, missed_bin, resident, actor
):
    from civicdesk.cases.charter_sweep import charter_sweep
    from civicdesk.cases.selectors import clock_state_now

    factories.StaffFactory(
        organisation=council, role="team_lead", teams=[missed_bin.service_area.team]
    )
    case = open_missed_bin(council, resident, actor)  # due Wednesday 25th at 5pm
    case = case_transition(
        case=case,
        to_status=CaseStatus.WAITING,
        actor=actor,
        note="Send us a photo",
        now=london(2026, 11, 26, 10),
    )
    case = case_transition(
        case=case, to_status=CaseStatus.IN_PROGRESS, actor=actor, now=london(2026, 11, 27, 10)
    )
    assert clock_state_now(case, london(2026, 11, 27, 10)) == ClockState.OVERDUE
    assert case.clock_state == ClockState.ON_TRACK

    result = charter_sweep(london(2026, 11, 27, 10, 5))

    assert (result.overdue, result.alerts) == (1, 1)


def test_a_refused_case_leaves_no_document_on_disk(council, missed_bin, resident, actor, settings):
    from pathlib import Path

    from civicdesk.cases.documents import Upload
    from civicdesk.contacts.services import ContactDetails, contact_log

    elsewhere = factories.OrganisationFactory()
    their_call = contact_log(
        organisation=elsewhere,
        details=ContactDetails(channel="phone", reason="new_request", outcome="case_created"),
    )
    uploads = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    with pytest.raises(DomainError, match="another organisation"):
        case_open(
            organisation=council,
            request=CaseRequest(
                request_type_key="missed-bin",
                channel="phone",
                customer=resident,
                answers={"bin": "Recycling"},
                documents=[Upload("bin.png", PNG)],
            ),
            actor=actor,
            contact=their_call,
        )
    assert not Case.objects.exists()
    assert not uploads.exists() or not any(path.is_file() for path in uploads.rglob("*"))


def test_a_failed_transaction_removes_the_documents_it_stored(
    council, missed_bin, resident, actor, settings, monkeypatch
):
    from pathlib import Path

    from civicdesk.cases import editing
    from civicdesk.cases.documents import Upload

    def broken_audit(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(editing, "audit_record_of", broken_audit)
    uploads = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    with pytest.raises(RuntimeError):
        open_missed_bin(
            council,
            resident,
            actor,
            documents=[Upload("bin.png", PNG)],
        )
    assert not Case.objects.exists()
    assert uploads.exists()
    assert not any(path.is_file() for path in uploads.rglob("*"))


def test_timeline_wording_uses_status_names_not_codes(council, missed_bin, resident, actor):
    case = open_missed_bin(council, resident, actor)
    case = case_transition(case=case, to_status=CaseStatus.IN_PROGRESS, actor=actor)
    summaries = [entry.summary for entry in case_timeline(case, include_internal=False)]
    assert summaries == ["Case opened", "Status changed from new to in progress"]


def test_residents_following_a_case_hear_about_its_progress(council, missed_bin, resident, actor):
    from civicdesk.cases.resident_actions import case_follow
    from civicdesk.customers.services import CustomerDetails, customer_create

    case = open_missed_bin(council, resident, actor)
    neighbour = customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Raj", last_name="Patel", emails=["raj@example.com"]),
        actor=actor,
    )
    case_follow(case=case, customer=neighbour, actor=actor)
    case_add_note(case=case, body="The crew is on its way.", visibility="public", actor=actor)
    case_add_note(case=case, body="Van broke down", visibility="internal", actor=actor)
    case_transition(case=case, to_status=CaseStatus.RESOLVED, actor=actor)

    to_neighbour = OutboxMessage.objects.filter(customer=neighbour).order_by("id")
    assert [message.template for message in to_neighbour] == [
        "case_followed",
        "case_public_update",
        "case_status_changed",
    ]
    assert all(message.recipient == "raj@example.com" for message in to_neighbour)
    assert "Van broke down" not in " ".join(message.body for message in to_neighbour)
