"""How urgent a report is: answers that set the priority and its charter target, answers that
mean danger to life, and what residents are told about reports already made nearby."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.models import Case
from civicdesk.cases.selectors import case_public_progress, open_cases_in_order
from civicdesk.catalogue.exchange import catalogue_export
from civicdesk.catalogue.importing import (
    CATALOGUE_JSON,
    catalogue_spec_parse,
    catalogue_spec_read,
)
from civicdesk.catalogue.models import Question
from civicdesk.core.audit import SYSTEM, Actor
from civicdesk.core.errors import ValidationFailed
from civicdesk.core.models import AuditEvent
from civicdesk.core.text import describe_deadline
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.models import Open311Jurisdiction
from civicdesk.integrations.services import api_client_create
from civicdesk.organisations.choices import Role

from . import factories
from .conftest import london, sign_in_with_both_factors
from .report_setup import STATION_ROAD, Councils, councils

pytestmark = pytest.mark.django_db

POTHOLE = "/wrekin/report/pothole"
TREE = "/wrekin/report/fallen-tree"
DETAILS = {
    "full_name": "Sam Patel",
    "email": "sam@example.com",
    "phone": "",
    "preferred_channel": "email",
}


def dangerous_pothole_questions(places: Councils) -> None:
    """The starter catalogue's way: "Is it dangerous?" Yes makes it an emergency, timed
    against the 24-hour target; someone trapped under a tree means 999 first."""
    factories.QuestionFactory(
        request_type=places.pothole,
        key="surface",
        label="Where is the defect?",
        kind="choice",
        choices=["Road", "Pavement"],
        public=True,
        position=5,
    )
    factories.QuestionFactory(
        request_type=places.pothole,
        key="danger",
        label="Is it dangerous to people or vehicles right now?",
        kind="choice",
        choices=["Yes", "No"],
        priorities={"Yes": "emergency"},
        position=6,
    )
    factories.CharterTargetFactory(
        request_type=places.pothole,
        priority="emergency",
        amount=24,
        unit="calendar_hours",
        summary="make it safe",
    )
    factories.QuestionFactory(
        request_type=places.fallen_tree,
        key="injured",
        label="Is anyone hurt or trapped?",
        kind="choice",
        choices=["Yes", "No"],
        danger_to_life=["Yes"],
        position=2,
    )
    factories.CharterTargetFactory(
        request_type=places.fallen_tree, amount=2, unit="calendar_hours", summary="make it safe"
    )


@pytest.fixture
def places() -> Councils:
    made = councils()
    dangerous_pothole_questions(made)
    return made


def pothole_answers(*, danger: str, surface: str = "Road", where: str = "Park Lane") -> dict:
    return {
        "where": {"description": where},
        "depth": 8,
        "noticed": "2026-11-20",
        "surface": surface,
        "danger": danger,
    }


def text(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


def go(client: Client, path: str, data: dict | None = None):
    if data is None:
        return client.get(path, follow=True)
    return client.post(path, data, follow=True)


# The rule, in the one service every intake path uses


def test_a_dangerous_answer_makes_the_case_an_emergency_timed_against_its_target(places):
    monday_ten = london(2026, 11, 23, 10)
    dangerous = case_open(
        organisation=places.wrekin,
        request=CaseRequest(
            request_type_key="pothole", channel="phone", answers=pothole_answers(danger="Yes")
        ),
        actor=SYSTEM,
        now=monday_ten,
    )
    assert dangerous.priority == "emergency"
    assert dangerous.target_summary == "make it safe"
    assert dangerous.due_at == monday_ten + timedelta(hours=24)
    routine = case_open(
        organisation=places.wrekin,
        request=CaseRequest(
            request_type_key="pothole", channel="phone", answers=pothole_answers(danger="No")
        ),
        actor=SYSTEM,
        now=monday_ten,
    )
    assert (routine.priority, routine.target_summary) == ("standard", "inspect it")
    opened = AuditEvent.objects.get(subject_id=dangerous.pk, action="opened")
    assert opened.after["priority_from_answers"] == ["danger"]


def test_a_stated_priority_never_hides_a_dangerous_answer(places):
    stated_standard = case_open(
        organisation=places.wrekin,
        request=CaseRequest(
            request_type_key="pothole",
            channel="phone",
            priority="standard",
            answers=pothole_answers(danger="Yes"),
        ),
        actor=SYSTEM,
    )
    assert stated_standard.priority == "emergency"
    stated_urgent = case_open(
        organisation=places.wrekin,
        request=CaseRequest(
            request_type_key="pothole",
            channel="phone",
            priority="urgent",
            answers=pothole_answers(danger="No"),
        ),
        actor=SYSTEM,
    )
    assert stated_urgent.priority == "urgent"


def test_answers_can_say_an_emergency_service_report_is_routine(council, actor):
    flooding = factories.RequestTypeFactory(organisation=council, key="flooding", emergency=True)
    factories.QuestionFactory(
        request_type=flooding,
        key="problem",
        kind="choice",
        choices=["Road flooded", "Blocked gully or drain"],
        priorities={"Road flooded": "emergency", "Blocked gully or drain": "standard"},
    )
    factories.CharterTargetFactory(
        request_type=flooding, priority="emergency", amount=2, unit="calendar_hours"
    )
    factories.CharterTargetFactory(request_type=flooding, amount=5, unit="working_days")

    def opened(problem: str) -> Case:
        return case_open(
            organisation=council,
            request=CaseRequest(
                request_type_key="flooding", channel="phone", answers={"problem": problem}
            ),
            actor=actor,
        )

    assert opened("Blocked gully or drain").priority == "standard"
    assert opened("Blocked gully or drain").target_unit == "working_days"
    assert opened("Road flooded").priority == "emergency"
    assert opened("Road flooded").target_unit == "calendar_hours"


def test_a_dangerous_report_out_of_hours_goes_to_the_on_call_team(places):
    on_call = factories.TeamFactory(organisation=places.wrekin, handles_out_of_hours=True)
    saturday_night = london(2026, 11, 28, 23)
    dangerous = case_open(
        organisation=places.wrekin,
        request=CaseRequest(
            request_type_key="pothole", channel="phone", answers=pothole_answers(danger="Yes")
        ),
        actor=SYSTEM,
        now=saturday_night,
    )
    routine = case_open(
        organisation=places.wrekin,
        request=CaseRequest(
            request_type_key="pothole", channel="phone", answers=pothole_answers(danger="No")
        ),
        actor=SYSTEM,
        now=saturday_night,
    )
    assert dangerous.team == on_call
    assert routine.team == places.pothole.service_area.team


def test_the_rest_api_and_open311_get_the_same_priority(client, places):
    _, key = api_client_create(
        organisation=places.wrekin, name="Highways app", scopes=[Scope.CASES_CREATE]
    )
    response = client.post(
        "/api/v1/cases",
        data=json.dumps(
            {"service": "pothole", "priority": "standard", "answers": pothole_answers(danger="Yes")}
        ),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["priority"] == "emergency"

    Open311Jurisdiction.objects.create(organisation=places.wrekin, jurisdiction_id="wrekin.test")
    _, open311_key = api_client_create(
        organisation=places.wrekin, name="FixMyStreet", scopes=[Scope.OPEN311]
    )
    response = client.post(
        "/open311/v2/requests.xml",
        {
            "jurisdiction_id": "wrekin.test",
            "api_key": open311_key,
            "service_code": "pothole",
            "lat": str(STATION_ROAD[0]),
            "long": str(STATION_ROAD[1]),
            "description": "Deep hole by the bus stop",
            "email": "reporter@example.com",
            "attribute[depth]": "8",
            "attribute[noticed]": "2026-11-20",
            "attribute[surface]": "Road",
            "attribute[danger]": "Yes",
        },
    )
    assert response.status_code == 200, response.content
    reference = ET.fromstring(response.content).findtext("request/service_request_id")  # noqa: S314
    assert Case.objects.get(reference=reference).priority == "emergency"


def test_the_adviser_case_form_gets_the_same_priority(staff_client, places):
    adviser = factories.StaffFactory(
        organisation=places.wrekin, role=Role.ADVISER, teams=[places.pothole.service_area.team]
    )
    as_adviser = staff_client(adviser)
    resident = factories.CustomerFactory(organisation=places.wrekin)
    as_adviser.post(
        f"/staff/customers/{resident.pk}/contacts/new/",
        {"channel": "phone", "reason": "new_request", "outcome": "case", "summary": "Pothole"},
    )
    as_adviser.post(
        f"/staff/customers/{resident.pk}/cases/new/",
        {
            "service": "pothole",
            "answer-where": "Park Lane",
            "answer-depth": "8",
            "answer-noticed": "2026-11-20",
            "answer-surface": "Road",
            "answer-danger": "Yes",
        },
    )
    assert Case.objects.get().priority == "emergency"


# The catalogue format and its editing


def test_the_starter_catalogue_declares_what_makes_reports_urgent():
    spec = catalogue_spec_read(CATALOGUE_JSON)

    def question(service: str, key: str):
        return next(q for q in spec[service].questions if q.key == key)

    assert question("pothole", "danger").priorities == {"Yes": "emergency"}
    assert question("fallen-tree", "injured").danger_to_life == ("Yes",)
    assert question("child-concern", "danger").danger_to_life == ("Yes",)
    assert question("flooding", "passable").priorities == {"No": "emergency"}
    assert question("pothole", "size").public


@pytest.mark.parametrize(
    ("question", "problem"),
    [
        (
            {"priorities": {"Maybe": "emergency"}},
            "'Maybe' is not one of the choices, so it cannot set a priority",
        ),
        ({"priorities": {"Yes": "soon"}}, "'soon' is not a priority"),
        ({"danger_to_life": ["Perhaps"]}, "'Perhaps' is not one of the choices"),
        ({"priorities": ["Yes"]}, "it must be an object of choices and priorities"),
        (
            {"kind": "text", "choices": [], "danger_to_life": ["Yes"]},
            "only a choice question can set the priority or mean danger to life",
        ),
    ],
)
def test_a_catalogue_file_with_wrong_urgency_is_refused_with_the_reason(question, problem):
    spec = {
        "pothole": {
            "questions": [
                {
                    "key": "danger",
                    "label": "Is it dangerous?",
                    "kind": "choice",
                    "choices": ["Yes", "No"],
                    **question,
                }
            ]
        }
    }
    with pytest.raises(ValidationFailed) as refused:
        catalogue_spec_parse(json.dumps(spec), name="catalogue.json")
    assert problem in " ".join(refused.value.fields.values())


def test_urgency_goes_out_in_an_export_and_comes_back(places):
    _, exported = catalogue_export(organisation=places.wrekin)
    spec = json.loads(exported)
    danger = next(q for q in spec["pothole"]["questions"] if q["key"] == "danger")
    assert danger["priorities"] == {"Yes": "emergency"}
    injured = next(q for q in spec["fallen-tree"]["questions"] if q["key"] == "injured")
    assert injured["danger_to_life"] == ["Yes"]
    read = catalogue_spec_parse(exported, name="catalogue.json")
    assert next(q for q in read["pothole"].questions if q.key == "surface").public


def admin_form_data(page) -> dict[str, object]:
    """What the admin's change form would post back as it stands."""
    data: dict[str, object] = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(n): v for n, v in management.initial.items()})
        forms += list(inline.formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


def test_an_administrator_edits_what_a_choice_means_in_the_admin(client, places):
    staff = factories.StaffFactory(organisation=places.wrekin, role=Role.ADMIN)
    staff.user.is_staff = True
    staff.user.save()
    staff.user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_requesttype", "change_requesttype", "change_question"]
        )
    )
    sign_in_with_both_factors(client, staff.user)
    url = f"/admin/catalogue/requesttype/{places.pothole.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    data = admin_form_data(page)
    position = next(
        n for n, v in data.items() if n.endswith("-key") and v == "danger"
    ).removesuffix("-key")
    data[f"{position}-priorities"] = '{"Yes": "urgent", "Sometimes": "emergency"}'
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "'Sometimes' is not one of the choices" in text(refused), re.findall(
        r'class="errorlist[^>]*>(.*?)</ul>', text(refused)
    )
    data[f"{position}-priorities"] = '{"Yes": "urgent"}'
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    assert Question.objects.get(request_type=places.pothole, key="danger").priorities == {
        "Yes": "urgent"
    }


# The resident's journey


def test_someone_trapped_stops_the_journey_with_999_before_anything_else(client, places):
    go(client, f"{TREE}/")
    go(client, f"{TREE}/question/where/", {"where-description": "Park Lane"})
    stop = go(client, f"{TREE}/question/injured/", {"injured": "Yes"})
    assert stop.redirect_chain[-1][0] == f"{TREE}/call-999/injured/"
    page = text(stop)
    assert "Phone 999 now" in page
    assert "01632 960199" in page
    assert f'href="{TREE}/question/injured/"' in page
    # The journey goes no further with that answer.
    onwards = go(client, f"{TREE}/check/")
    assert onwards.redirect_chain[-1][0] == f"{TREE}/question/injured/"
    assert not Case.objects.exists()
    carry_on = go(client, f"{TREE}/question/injured/", {"injured": "No"})
    assert carry_on.redirect_chain[-1][0] == f"{TREE}/your-details/"


def test_a_question_that_means_no_danger_has_no_999_page(client, places):
    go(client, f"{POTHOLE}/")
    assert client.get(f"{POTHOLE}/call-999/danger/").status_code == 404
    assert client.get(f"{POTHOLE}/call-999/nothing/").status_code == 404


def test_the_service_page_gives_the_24_hour_number_where_answers_can_make_an_emergency(
    client, places
):
    page = text(client.get("/wrekin/services/pothole/"))
    assert "phone our 24-hour line on 01632 960199" in page
    assert "phone our 24-hour line" not in text(client.get("/wrekin/services/missed-bin/"))


def finish_pothole(client: Client, *, danger: str):
    go(client, f"{POTHOLE}/")
    go(client, f"{POTHOLE}/question/where/", {"where-description": "Park Lane"})
    go(client, f"{POTHOLE}/question/depth/", {"depth": "8"})
    go(
        client,
        f"{POTHOLE}/question/noticed/",
        {"noticed-day": "20", "noticed-month": "11", "noticed-year": "2026"},
    )
    go(client, f"{POTHOLE}/question/photo/", {})
    go(client, f"{POTHOLE}/question/surface/", {"surface": "Road"})
    go(client, f"{POTHOLE}/question/danger/", {"danger": danger})
    check = go(client, f"{POTHOLE}/your-details/", DETAILS)
    token = re.search(r'name="token" value="([^"]+)"', check.content.decode()).group(1)
    return client.post(f"{POTHOLE}/check/", {"token": token}, follow=True)


def test_the_confirmation_says_why_it_is_an_emergency_and_what_happens_now(client, places):
    done = text(finish_pothole(client, danger="Yes"))
    case = Case.objects.get()
    assert case.priority == "emergency"
    assert "We are treating this as an emergency because you told us:" in done
    assert "Is it dangerous to people or vehicles right now? Yes" in done
    assert f"We aim to make it safe by {describe_deadline(case.due_at)}" in done
    assert "phone our 24-hour line on 01632 960199" in done
    assert "If someone's life is in danger, phone 999" in done


def test_a_routine_report_is_not_called_an_emergency(client, places):
    done = text(finish_pothole(client, danger="No"))
    assert "treating this as" not in done
    assert "We aim to inspect it by" in done


# Reports already made nearby


def nearby_report(places: Councils, *, opened_at, danger: str = "No") -> Case:
    latitude, longitude = STATION_ROAD
    answers = pothole_answers(danger=danger, surface="Pavement")
    answers["where"] = {
        "latitude": latitude,
        "longitude": longitude + 0.0005,
        "description": "Outside number 12, by Mrs Jones's drive",
    }
    return case_open(
        organisation=places.wrekin,
        request=CaseRequest(
            request_type_key="pothole",
            channel="phone",
            answers=answers,
            description="My neighbour Mrs Jones tripped",
        ),
        actor=Actor(label="Contact centre"),
        now=opened_at,
    )


def test_a_late_report_nearby_says_it_is_late_and_what_happens_next(client, places):
    existing = nearby_report(places, opened_at=timezone.now() - timedelta(days=300))
    go(client, f"{POTHOLE}/")
    latitude, longitude = STATION_ROAD
    nearby = go(
        client,
        f"{POTHOLE}/question/where/",
        {"where-latitude": latitude, "where-longitude": longitude},
    )
    assert nearby.redirect_chain[-1][0] == f"{POTHOLE}/reported-already/where/"
    shown = text(nearby)
    assert "Status: Reported, not yet looked at" in shown
    assert "Where is the defect? Pavement" in shown
    assert f"This is late: we aimed to inspect it by {describe_deadline(existing.due_at)}" in shown
    assert "The team's managers have been told" in shown
    # Never what the reporter typed, nor answers the catalogue does not make public.
    assert "Mrs Jones" not in shown and "Is it dangerous" not in shown
    details = go(client, f"{POTHOLE}/reported-already/where/", {"nearby": "0"})
    followed = text(go(client, f"{POTHOLE}/your-details/", DETAILS))
    assert "You are following this report" in text(details) or "You are following" in followed
    assert existing.reference in followed
    assert "This is late: we aimed to inspect it by" in followed
    assert "We aim to inspect" not in followed
    assert "Mrs Jones" not in followed


def test_a_report_on_time_nearby_gives_its_date(client, places):
    existing = nearby_report(places, opened_at=timezone.now() - timedelta(hours=1), danger="Yes")
    go(client, f"{POTHOLE}/")
    latitude, longitude = STATION_ROAD
    shown = text(
        go(
            client,
            f"{POTHOLE}/question/where/",
            {"where-latitude": latitude, "where-longitude": longitude},
        )
    )
    assert f"We aim to make it safe by {describe_deadline(existing.due_at)}" in shown
    assert "This is late" not in shown


def test_describing_nearby_reports_reads_nothing_more_for_each_report(
    places, django_assert_num_queries
):
    made = [nearby_report(places, opened_at=timezone.now()) for _ in range(3)]
    loaded = open_cases_in_order([case.pk for case in made])
    with django_assert_num_queries(0):
        described = [case_public_progress(case) for case in loaded]
    assert [progress.answers for progress in described] == [
        (("Where is the defect?", "Pavement"),)
    ] * 3
