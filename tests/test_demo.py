"""The demo councils: what someone trying CivicDesk sees, and the catalogue importer behind it.

A small demo is loaded once for the module, at a fixed moment, and rolled back at the end.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import asdict
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.validators import validate_email
from django.db import transaction

from civicdesk.cases.choices import OPEN_STATUSES, CaseStatus, ClockState
from civicdesk.cases.clock import charter_deadlines
from civicdesk.cases.models import Case
from civicdesk.catalogue.importing import (
    QuestionSpec,
    RequestTypeSpec,
    TargetSpec,
    catalogue_import,
    catalogue_rows_read,
    catalogue_spec_read,
)
from civicdesk.catalogue.models import CharterTarget, Question, RequestType, ServiceArea
from civicdesk.catalogue.selectors import charter_target_for
from civicdesk.complaints.models import Complaint
from civicdesk.complaints.services import stage_working_days
from civicdesk.contacts.choices import ContactOutcome, ContactReason
from civicdesk.contacts.models import Contact
from civicdesk.core.calendar import LONDON, TimeUnit
from civicdesk.core.errors import ValidationFailed
from civicdesk.core.models import AuditEvent
from civicdesk.core.references import reference_normalise
from civicdesk.customers.models import AccountSignIn, ContactDetail, Customer
from civicdesk.customers.selectors import customer_duplicates
from civicdesk.demo import datafiles
from civicdesk.demo.catalogue_spec import SPEC
from civicdesk.demo.datafiles import DemoDataError
from civicdesk.demo.demand import demand_read
from civicdesk.demo.loader import COUNCILS, DEMO_PASSWORD, DemoSummary, demo_load
from civicdesk.demo.phrasings import phrasings_read
from civicdesk.insight.selectors.common import Filters
from civicdesk.insight.selectors.complaints import complaints_by_month
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import Organisation, StaffMember, Team
from civicdesk.organisations.selectors import organisations_at
from civicdesk.planning.selectors import rostered

from . import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 11, 0, tzinfo=LONDON)
SCALE = 0.05


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        summary = demo_load(scale=SCALE, now=NOW)
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def telford(demo: DemoSummary) -> Organisation:
    return Organisation.objects.get(slug="telford-wrekin")


def _target(organisation: Organisation, key: str, priority: str = "", channel: str = ""):
    return CharterTarget.objects.get(
        request_type__organisation=organisation,
        request_type__key=key,
        priority=priority,
        channel=channel,
    )


def test_every_council_offers_the_whole_catalogue_with_charter_targets(demo):
    """The unitaries and both councils of the two-tier pair: residents can report anything on
    any council's pages (the two-tier pair's own tests show who takes each case)."""
    councils = Organisation.objects.filter(slug__in=[council.slug for council in COUNCILS])
    assert councils.count() == len(COUNCILS) == 4
    for council in councils:
        assert RequestType.objects.filter(organisation=council, active=True).count() == 40
        missed_bin = _target(council, "missed-bin")
        assert (missed_bin.amount, missed_bin.unit, missed_bin.summary) == (
            2,
            TimeUnit.WORKING_DAYS,
            "collect your bin",
        )
        pothole = _target(council, "pothole", priority="emergency")
        assert (pothole.amount, pothole.unit) == (24, TimeUnit.CALENDAR_HOURS)
        assert _target(council, "pothole").amount == 10
        assert _target(council, "blue-badge").amount == 84
        assert _target(council, "council-tax-move", channel="email").amount == 5
        assert not CharterTarget.objects.filter(request_type__key="bin-day").exists()
        sensitive = RequestType.objects.filter(organisation=council, sensitive=True)
        assert set(sensitive.values_list("key", flat=True)) == {
            "homelessness",
            "child-concern",
            "adult-care",
        }
        assert RequestType.objects.get(organisation=council, key="fallen-tree").emergency


def test_each_council_loads_the_catalogue_its_spec_describes(demo):
    specified = (
        len(SPEC),
        sum(len(spec.questions) for spec in SPEC.values()),
        sum(len(spec.targets) for spec in SPEC.values()),
    )
    assert specified == (40, 139, 46)  # services, questions, charter targets
    for council in Organisation.objects.filter(slug__in=[council.slug for council in COUNCILS]):
        loaded = (
            RequestType.objects.filter(organisation=council).count(),
            Question.objects.filter(request_type__organisation=council).count(),
            CharterTarget.objects.filter(request_type__organisation=council).count(),
        )
        assert loaded == specified, council.slug


def test_every_service_asks_questions_and_routes_to_a_team(demo):
    for request_type in RequestType.objects.select_related("service_area"):
        assert request_type.questions.exists(), request_type.key
        assert request_type.service_area.team_id is not None, request_type.key


def test_the_boundaries_put_each_town_in_the_right_council(demo):
    telford = organisations_at(longitude=-2.4454, latitude=52.6766)
    shrewsbury = organisations_at(longitude=-2.7527, latitude=52.7073)
    assert [council.slug for council in telford] == ["telford-wrekin"]
    assert [council.slug for council in shrewsbury] == ["shropshire"]
    assert "Open Government Licence" in telford[0].boundary_attribution


def test_loading_again_changes_nothing(demo):
    models = (Organisation, Team, User, StaffMember, RequestType, Question, CharterTarget)
    models += (ServiceArea, Customer, ContactDetail, Case, Contact)
    before = {model: model.objects.count() for model in models}
    assert demo_load(scale=SCALE, now=NOW) is None
    out = StringIO()
    call_command("load_demo", "--force", stdout=out)
    assert "already loaded" in out.getvalue()
    assert {model: model.objects.count() for model in models} == before


def test_every_team_has_a_lead_and_every_role_can_sign_in(demo):
    for team in Team.objects.all():
        assert team.members.filter(role=Role.TEAM_LEAD).exists(), team.name
    assert Team.objects.filter(handles_out_of_hours=True).count() == len(COUNCILS)
    for council in (council.handle for council in COUNCILS):
        roles = set(
            StaffMember.objects.filter(user__username__endswith=f"@{council}").values_list(
                "role", flat=True
            )
        )
        assert roles == set(Role.values)
    admin = User.objects.get(username="admin@telford")
    assert admin.is_staff and not admin.is_superuser
    assert admin.check_password(DEMO_PASSWORD)
    assert admin.has_perm("catalogue.change_chartertarget")
    assert admin.has_perm("cases.view_case") and not admin.has_perm("cases.change_case")
    assert User.objects.get(username="platform").is_superuser


def test_cases_have_valid_references_and_charter_due_dates(demo, telford):
    cases = list(Case.objects.filter(organisation=telford).select_related("request_type"))
    # The summary counts the cases each council's load wrote, not those opened later by
    # accepting a referral (the trust's and the two-tier pair's).
    written_elsewhere = Case.objects.filter(
        organisation__slug__in=[council.slug for council in COUNCILS[1:]], referred_from=None
    )
    assert len(cases) == demo.cases - written_elsewhere.count()
    assert all(reference_normalise(case.reference) == case.reference for case in cases)
    timed = [case for case in cases if case.target_amount is not None]
    assert timed
    escalated = set(
        Complaint.objects.filter(organisation=telford, stage=2).values_list("case_id", flat=True)
    )
    assert escalated, "some demo complaints went to stage 2"
    for case in timed:
        if case.pk in escalated:
            # A complaint's stage 2 review runs on its own timescale, not the service's.
            expected = (stage_working_days(organisation_id=telford.pk, stage=2), "working_days")
        else:
            target = charter_target_for(
                request_type=case.request_type, priority=case.priority, channel=case.channel
            )
            assert target is not None
            expected = (target.amount, target.unit)
        assert (case.target_amount, case.target_unit) == expected
        assert (case.due_at, case.due_soon_at) == charter_deadlines(
            organisation=telford,
            amount=case.target_amount,
            unit=TimeUnit(case.target_unit),
            start=case.clock_started_at,
        )


def test_the_queues_hold_overdue_waiting_and_finished_cases(demo, telford):
    cases = Case.objects.filter(organisation=telford)
    overdue = cases.filter(status__in=OPEN_STATUSES, clock_state=ClockState.OVERDUE)
    assert overdue.exists()
    assert all(case.due_at < NOW for case in overdue)
    waiting = cases.filter(status=CaseStatus.WAITING)
    assert waiting.exists()
    assert all(case.clock_state == ClockState.PAUSED and case.paused_at for case in waiting)
    closed = cases.filter(status=CaseStatus.CLOSED)
    assert closed.count() > cases.count() / 2
    assert not closed.filter(closed_at=None).exists()
    assert (
        not cases.filter(status__in=OPEN_STATUSES, assigned_to=None)
        .exclude(status=CaseStatus.NEW)
        .exists()
    )


def test_contacts_peak_on_mondays_and_include_repeats_and_signposting(demo, telford):
    contacts = Contact.objects.filter(organisation=telford)
    weekdays = Counter(contact.started_at.astimezone(LONDON).weekday() for contact in contacts)
    assert weekdays[0] > weekdays[2]
    chasers = contacts.filter(reason=ContactReason.PROGRESS_CHASING)
    assert chasers.exists()
    assert not chasers.filter(case=None).exists()
    assert not chasers.filter(is_repeat=False).exists()
    assert contacts.filter(reason=ContactReason.FAILURE_DEMAND).exists()
    assert contacts.filter(outcome=ContactOutcome.RESOLVED_FIRST_CONTACT).exists()
    signposted = contacts.filter(outcome=ContactOutcome.SIGNPOSTED)
    assert signposted.exists() and not signposted.filter(signposted_to="").exists()
    assert contacts.filter(outcome=ContactOutcome.CASE_CREATED).count() == telford.cases.count()
    assert not contacts.filter(started_at__gt=NOW).exists()


def test_the_contact_centre_rota_has_extra_help_on_the_phones_at_the_weekly_peaks(demo, telford):
    half_past_nine = 19  # half hours from midnight
    phones = rostered(organisation=telford, channel="phone")
    monday, tuesday, friday = phones[0], phones[1], phones[4]
    assert monday[half_past_nine] == friday[half_past_nine] == tuesday[half_past_nine] + 1
    # The extra help ends at 11:30, before the Monday rush does.
    assert monday[23] == tuesday[23]
    assert phones[5:].sum() == 0
    assert rostered(organisation=telford, channel="chat")[:5, half_past_nine].min() >= 1
    assert rostered(organisation=telford, channel="face_to_face")[:5, half_past_nine].min() == 2


def test_residents_include_likely_duplicates_and_only_reserved_details(demo, telford):
    residents = Customer.objects.filter(organisation=telford)
    assert residents.filter(town="Wellington").exists()
    assert any(customer_duplicates(customer=customer) for customer in residents)
    for detail in ContactDetail.objects.filter(customer__organisation=telford):
        if detail.kind == "email":
            validate_email(detail.value)
            assert detail.value.split("@")[1].endswith(
                ("example.com", "example.org", "example.net")
            )
        else:
            assert detail.normalised.startswith("07700900") or "4960" in detail.normalised


def test_reception_has_people_booked_tomorrow_and_waiting_today(demo, telford):
    from civicdesk.appointments.models import Visit

    visits = Visit.objects.filter(organisation=telford)
    assert visits.filter(status="booked").count() == 3
    assert visits.filter(status="waiting").count() == 2
    assert telford.venues.filter(kind="community_hub").count() == 2


def test_the_welcome_lists_the_addresses_and_sign_ins(demo):
    out = StringIO()
    call_command("demo_welcome", "--url", "http://127.0.0.1:8000", stdout=out)
    text = out.getvalue()
    expected_lines = ("http://127.0.0.1:8000/admin/", "/healthz", "admin@telford", DEMO_PASSWORD)
    for expected in (*expected_lines, "officer.highways@staffs", "adviser@southstaffs"):
        assert expected in text


def test_load_demo_refuses_when_debug_is_off():
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("load_demo", "--scale", "0.01")


# The importer


MISSED_BIN_ROW = {
    "key": "missed-bin",
    "name": "Report a missed bin collection",
    "service_area": "Waste and recycling",
    "provider_tier": "district",
    "kind": "report",
    "charter_target": "2 working days to collect",
    "emergency": "no",
    "description": "Your bin was not emptied.",
}


def _spec(unit: str = "working_days", amount: int = 2, questions: int = 2) -> RequestTypeSpec:
    asked = (
        QuestionSpec("bin", "Which bin was missed?", "choice", choices=("Recycling", "General")),
        QuestionSpec("address", "Where was the bin left out?", "location"),
    )
    return RequestTypeSpec(
        questions=asked[:questions], targets=(TargetSpec(amount, unit, "collect your bin"),)
    )


def test_catalogue_import_refuses_an_unknown_unit_and_writes_nothing():
    council = factories.OrganisationFactory()
    with pytest.raises(ValidationFailed) as refused:
        catalogue_import(
            organisation=council, rows=[MISSED_BIN_ROW], spec={"missed-bin": _spec("fortnights")}
        )
    assert "'fortnights' is not a unit of time" in refused.value.message
    assert not RequestType.objects.filter(organisation=council).exists()


def test_catalogue_import_refuses_an_unknown_kind():
    council = factories.OrganisationFactory()
    with pytest.raises(ValidationFailed, match="not a kind of request"):
        catalogue_import(
            organisation=council,
            rows=[{**MISSED_BIN_ROW, "kind": "wish"}],
            spec={"missed-bin": _spec()},
        )


def test_catalogue_import_twice_updates_in_place():
    council = factories.OrganisationFactory()
    team = factories.TeamFactory(organisation=council)
    catalogue_import(
        organisation=council,
        rows=[MISSED_BIN_ROW],
        spec={"missed-bin": _spec()},
        teams={"Waste and recycling": team},
    )
    request_type = RequestType.objects.get(organisation=council, key="missed-bin")
    target = request_type.charter_targets.get()

    result = catalogue_import(
        organisation=council,
        rows=[MISSED_BIN_ROW],
        spec={"missed-bin": _spec(amount=3, questions=1)},
    )

    assert (result.request_types_created, result.request_types_updated) == (0, 1)
    assert RequestType.objects.filter(organisation=council).get().pk == request_type.pk
    assert ServiceArea.objects.get(organisation=council).team == team
    assert list(request_type.questions.values_list("key", flat=True)) == ["bin"]
    assert request_type.charter_targets.get().pk == target.pk
    assert request_type.charter_targets.get().amount == 3


def test_the_demo_spec_covers_every_service_in_the_catalogue():
    assert {row["key"] for row in catalogue_rows_read()} == set(SPEC)


def test_a_catalogue_spec_written_out_in_full_reads_back_the_same(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({key: asdict(spec) for key, spec in SPEC.items()}))
    assert catalogue_spec_read(path) == SPEC


BIN_QUESTION = {"key": "bin", "label": "Which bin?", "kind": "choice", "choices": ["Recycling"]}


@pytest.mark.parametrize(
    ("service", "problem"),
    [
        (
            {"questions": [{**BIN_QUESTION, "required": "yes"}]},
            'missed-bin.questions.1.required: it must be true or false, not "yes"',
        ),
        (
            {"questions": [{**BIN_QUESTION, "colour": "red"}]},
            "missed-bin.questions.1.colour: 'colour' is not a field here",
        ),
        (
            {"questions": [{**BIN_QUESTION, "kind": "wish"}]},
            "missed-bin.questions.bin: 'wish' is not a kind of question",
        ),
        (
            {"targets": [{"amount": "2", "unit": "working_days", "summary": "collect your bin"}]},
            'missed-bin.targets.1.amount: it must be a whole number, not "2"',
        ),
        (
            {"targets": [{"amount": 2, "unit": "fortnights", "summary": "collect your bin"}]},
            "'fortnights' is not a unit of time",
        ),
    ],
)
def test_catalogue_spec_read_names_the_file_and_the_value_to_fix(tmp_path, service, problem):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"missed-bin": service}))
    with pytest.raises(ValidationFailed) as refused:
        catalogue_spec_read(path)
    assert refused.value.message.startswith("spec.json cannot be read: 1 problem, the first in ")
    assert problem in refused.value.message


# The demo's data files


@pytest.fixture
def demo_data(tmp_path, monkeypatch):
    """A copy of the demo's data files to spoil, read in place of the real ones."""
    copy = tmp_path / "data"
    shutil.copytree(datafiles.DATA, copy, ignore=shutil.ignore_patterns("boundaries"))
    monkeypatch.setattr(datafiles, "DATA", copy)
    demand_read.cache_clear()
    phrasings_read.cache_clear()
    yield copy
    demand_read.cache_clear()
    phrasings_read.cache_clear()


def test_the_demo_data_files_read_as_they_are(demo_data):
    demand, phrasings = demand_read(), phrasings_read()
    assert list(demand.services) == list(SPEC)
    assert demand.online_channels == {"web", "app", "email", "social", "sms"}
    assert demand.talk_seconds["phone"] == (90, 900)
    assert phrasings.answers_by_urgency["pothole", "danger"] == ("Yes", "No")


@pytest.mark.parametrize(
    ("name", "before", "after", "problem"),
    [
        (
            "service-demand.csv",
            "missed-bin,18,",
            "missed-bin,lots,",
            "service-demand.csv, line 2: cases must be a number of 0 or more, not 'lots'.",
        ),
        (
            "service-demand.csv",
            "bin-day,0,12,0.02,no\n",
            "",
            "service-demand.csv: add a line for bin-day.",
        ),
        (
            "seasons.csv",
            "garden-waste,",
            "garden-bins,",
            "seasons.csv, line 4: 'garden-bins' is not a service in the catalogue.",
        ),
        (
            "channels.csv",
            "email,0.11,0.09,yes,yes",
            "email,0.11,0.09,yes,maybe",
            "channels.csv, line 5: staffed must be yes or no, not 'maybe'.",
        ),
        (
            "priority-mix.csv",
            "service,emergency,",
            "service,emergancy,",
            "priority-mix.csv, line 1: the columns must be service, emergency, urgent, standard, "
            "each once (missing: emergency; not known: emergancy).",
        ),
        (
            "demand.json",
            '"Sunday": 0.25',
            '"Sunday": -1',
            "demand.json, day_factors.Sunday: it must be a number of 0 or more, not -1.",
        ),
        (
            "answers-by-urgency.csv",
            "Tonight,",
            "Next week,",
            "answers-by-urgency.csv, line 4: 'Next week' is not one of the choices for when.",
        ),
        (
            "phrasings.json",
            '"make": [',
            '"model": [',
            "phrasings.json, text_answers.model: no service asks this question.",
        ),
    ],
)
def test_a_wrong_value_in_the_demo_data_names_the_file_and_line(
    demo_data, name, before, after, problem
):
    path = demo_data / name
    text = path.read_text(encoding="utf-8")
    assert before in text
    path.write_text(text.replace(before, after, 1), encoding="utf-8")
    with pytest.raises(DemoDataError) as refused:
        demand_read()
        phrasings_read()
    assert str(refused.value) == problem


def test_complaints_went_through_the_procedure_and_residents_have_accounts(demo, telford):
    """The complaint trends and the active accounts figure have real records behind them,
    made by the complaints and accounts services."""
    complaints = Complaint.objects.filter(organisation=telford)
    complaint_cases = Case.objects.filter(organisation=telford, kind="complaint")
    assert complaints.count() == complaint_cases.count() > 0
    assert complaints.exclude(stage1_responded_at=None).exists()
    assert (
        AuditEvent.objects.filter(organisation=telford, action="complaint_responded").count()
        == complaints.exclude(stage1_responded_at=None).count()
        + complaints.exclude(stage2_responded_at=None).count()
    )
    accounts = Customer.objects.filter(organisation=telford).exclude(user=None)
    assert accounts.exists()
    assert AccountSignIn.objects.filter(customer__in=accounts).exists()


def test_complaints_answered_in_time_agrees_with_a_recount_of_every_stage(demo, telford):
    """Each month's "answered in time" on the complaints dashboard, worked out again from the
    complaint records: every stage's answer judged against that stage's own due date."""
    answers: dict[str, list[bool]] = {}
    for complaint in Complaint.objects.filter(organisation=telford).select_related("case"):
        judged = answers.setdefault(f"{complaint.case.opened_at.astimezone(LONDON):%B %Y}", [])
        if complaint.stage1_responded_at is not None:
            judged.append(complaint.stage1_responded_at <= complaint.stage1_due_at)
        if complaint.stage2_responded_at is not None:
            judged.append(complaint.stage2_responded_at <= complaint.stage_due_at)
    year = Filters(organisation=telford, start=NOW.date() - timedelta(days=400), end=NOW.date())
    shown = {row[0]: row[-1] for row in complaints_by_month(year).rows}
    assert shown == {
        month: round(100 * sum(judged) / len(judged), 1) if judged else None
        for month, judged in answers.items()
    }
    assert any(answers.values())


def test_the_data_protection_officer_has_a_request_of_each_kind_to_answer(demo, telford):
    officer = StaffMember.objects.get(user__username="dpo@telford")
    assert officer.role == Role.DATA_PROTECTION
    requests = Case.objects.filter(
        organisation=telford, request_type__key__in=["subject-access", "erasure"]
    )
    assert sorted(requests.values_list("request_type__key", flat=True)) == [
        "erasure",
        "subject-access",
    ]
    assert {case.team_id for case in requests} == set(officer.teams.values_list("pk", flat=True))
    assert all(case.customer.user_id for case in requests)  # asked from their accounts
