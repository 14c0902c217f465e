"""The customer's timeline on the single customer view, as an adviser pages and narrows it:
every item once, older pages older, filters by kind, case and dates, bad choices explained,
and the same number of queries however long the history."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicdesk.appointments.models import Venue, Visit
from civicdesk.contacts.models import Contact
from civicdesk.customers.services import customer_merge
from civicdesk.feedback.models import ContactRating
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role

from . import factories
from .conftest import london

pytestmark = pytest.mark.django_db

START = london(2026, 3, 20, 12, 0)
ITEM = re.compile(r'class="moj-timeline__item"')
CONTACT = re.compile(r"Contact number (\d+)\b")
MESSAGE = re.compile(r"Message number (\d+)\b")
OLDER = re.compile(r'href="([^"]+)" rel="next"')
NEWER = re.compile(r'href="([^"]+)" rel="prev"')
TIMELINE_PARAMETERS = {"kind", "case", "from", "to", "before", "after"}


@pytest.fixture
def adviser(council):
    return factories.StaffFactory(organisation=council, role=Role.ADVISER)


@pytest.fixture
def as_adviser(staff_client, adviser):
    return staff_client(adviser)


def history(customer, request_type, *, contacts: int, cases: int = 0, others: int = 0) -> dict:
    """A customer's history written straight to the tables, an hour apart from START back:
    contacts three to an hour (so several share a moment), then cases, messages, ratings and
    visits, some at the very moment of a contact. Returns what was made, by kind."""
    council = customer.organisation
    # Someone handled each contact and saw each visitor: the timeline names them.
    handler = factories.UserFactory(first_name="Sam", last_name="Adviser")
    made_cases = [
        factories.CaseFactory(
            organisation=council,
            customer=customer,
            request_type=request_type,
            reference=f"TL{customer.pk:03d}{number:04d}",
            opened_at=START - timedelta(hours=number * 2),
        )
        for number in range(cases)
    ]
    made_contacts = Contact.objects.bulk_create(
        Contact(
            organisation=council,
            customer=customer,
            case=made_cases[number // 4 % cases] if cases and number % 4 == 0 else None,
            channel="phone",
            started_at=START - timedelta(hours=number // 3),
            reason="information",
            outcome="resolved_first_contact",
            summary=f"Contact number {number}.",
            handled_by=handler,
        )
        for number in range(contacts)
    )
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(
            organisation=council,
            customer=customer,
            case=made_cases[number // 2 % cases] if cases and number % 2 == 0 else None,
            template="case_update",
            channel="email",
            recipient="someone@example.com",
            subject=f"Message number {number}",
            body="An update",
            next_attempt_at=START,
        )
        for number in range(others)
    )
    for number, message in enumerate(messages):
        # Created "now" by the database; put each at the moment of a contact.
        OutboxMessage.objects.filter(pk=message.pk).update(
            created_at=START - timedelta(hours=number)
        )
    ContactRating.objects.bulk_create(
        ContactRating(
            organisation=council,
            case=case,
            channel="web",
            source="portal",
            rating="good",
            created_at=START - timedelta(hours=number, minutes=30),
        )
        for number, case in enumerate(made_cases[:others])
    )
    venue, _ = Venue.objects.get_or_create(
        organisation=council, name="Civic Centre", defaults={"kind": "reception"}
    )
    Visit.objects.bulk_create(
        Visit(
            organisation=council,
            venue=venue,
            kind="appointment",
            customer=customer,
            reason="Council tax",
            starts_at=START - timedelta(hours=number * 3),
            status="seen",
            seen_by=handler,
        )
        for number in range(others)
    )
    return {"contacts": made_contacts, "cases": made_cases, "messages": messages}


def walk(client, address: str, *, direction: re.Pattern[str] = OLDER) -> list[str]:
    """Every page from ``address`` on, following one pagination link."""
    pages = []
    while address:
        response = client.get(address)
        assert response.status_code == 200
        page = response.content.decode()
        pages.append(page)
        link = direction.search(page)
        address = html.unescape(link[1]) if link else ""
        assert len(pages) < 50, "the pages never end"
    return pages


def numbers(pattern: re.Pattern[str], pages: list[str]) -> list[int]:
    return [int(found) for page in pages for found in pattern.findall(timeline_part(page))]


def timeline_part(page: str) -> str:
    return page[page.index('id="timeline"') :]


def test_older_pages_hold_older_items_and_every_item_shows_exactly_once(
    as_adviser, resident, missed_bin
):
    history(resident, missed_bin, contacts=101, cases=12, others=12)
    everything = 101 + 12 + 12 * 3
    pages = walk(as_adviser, f"/staff/customers/{resident.pk}/")
    assert len(pages) == -(-everything // 25)
    assert [len(ITEM.findall(page)) for page in pages[:-1]] == [25] * (len(pages) - 1)
    assert sum(len(ITEM.findall(page)) for page in pages) == everything
    contacts = numbers(CONTACT, pages)
    assert sorted(contacts) == list(range(101))  # none lost, none twice
    assert sorted(numbers(MESSAGE, pages)) == list(range(12))
    # Page 2 starts where page 1 stopped: its newest item is older than page 1's oldest.
    first, second = pages[0], pages[1]
    moments = re.compile(r'<time datetime="([^"]+)"')
    assert moments.findall(first) == sorted(moments.findall(first), reverse=True)
    assert max(moments.findall(second)) <= min(moments.findall(first))
    assert "Contact number 0." in first and "Contact number 100." in pages[-1]
    assert 'rel="prev"' not in first and 'rel="next"' not in pages[-1]
    # Walking back from the last page shows the same items, newest page last.
    back = walk(as_adviser, html.unescape(OLDER.findall(pages[-2])[0]), direction=NEWER)
    assert len(back) == len(pages)
    assert sorted(numbers(CONTACT, back)) == list(range(101))
    assert numbers(CONTACT, back[-1:]) == numbers(CONTACT, pages[:1])


def test_the_pages_addresses_hold_only_kinds_cases_dates_and_positions(
    as_adviser, resident, missed_bin
):
    history(resident, missed_bin, contacts=60, cases=3)
    page = as_adviser.get(
        f"/staff/customers/{resident.pk}/", {"kind": ["contacts", "cases"], "from": "1/1/2026"}
    ).content.decode()
    link = html.unescape(OLDER.search(page)[1])
    parameters = dict(parse_qsl(urlsplit(link).query))
    assert set(parameters) <= TIMELINE_PARAMETERS
    assert parameters["from"] == "2026-01-01"
    for personal in ("Ann", "Smith", "example.com", "07700", "TF1"):
        assert personal not in link


def test_the_number_of_queries_does_not_grow_with_the_history_or_the_page(
    as_adviser, council, missed_bin
):
    short = factories.CustomerFactory(organisation=council)
    long = factories.CustomerFactory(organisation=council)
    history(short, missed_bin, contacts=1, cases=1, others=1)  # 5 items, one of each kind
    history(long, missed_bin, contacts=240, cases=30, others=10)  # 300 items

    def queries(address: str, params: dict | None = None) -> int:
        as_adviser.get(address, params)  # the session is settled on a first request
        with CaptureQueriesContext(connection) as captured:
            assert as_adviser.get(address, params).status_code == 200
        return len(captured)

    first_short = queries(f"/staff/customers/{short.pk}/")
    first_long = queries(f"/staff/customers/{long.pk}/")
    assert first_short == first_long
    pages = walk(as_adviser, f"/staff/customers/{long.pk}/")
    assert len(pages) == 12
    deep = html.unescape(OLDER.findall(pages[-2])[0])
    assert queries(deep) == first_long
    filtered = {"kind": ["contacts", "messages"], "case": "TL" + f"{long.pk:03d}0003"}
    assert queries(f"/staff/customers/{long.pk}/", filtered) == queries(
        f"/staff/customers/{short.pk}/", {"kind": ["contacts", "messages"]}
    )


def test_narrowing_by_kind_by_case_and_by_dates(as_adviser, resident, missed_bin):
    made = history(resident, missed_bin, contacts=30, cases=4, others=4)
    address = f"/staff/customers/{resident.pk}/"

    contacts_only = timeline_part(as_adviser.get(address, {"kind": "contacts"}).content.decode())
    assert len(ITEM.findall(contacts_only)) == 25
    assert set(re.findall(r'moj-badge--grey">(\w+)<', contacts_only)) == {"Contact"}
    assert "by Sam Adviser" in contacts_only

    messages_and_visits = timeline_part(
        as_adviser.get(address, {"kind": ["messages", "visits"]}).content.decode()
    )
    assert set(re.findall(r'moj-badge--grey">(\w+)<', messages_and_visits)) == {
        "Notification",
        "Appointment",
    }
    assert len(ITEM.findall(messages_and_visits)) == 8

    case = made["cases"][1]
    about_case = timeline_part(as_adviser.get(address, {"case": case.reference}).content.decode())
    expected = (
        1  # the case itself
        + sum(1 for contact in made["contacts"] if contact.case_id == case.pk)
        + sum(1 for message in made["messages"] if message.case_id == case.pk)
        + 1  # its rating
    )
    assert len(ITEM.findall(about_case)) == expected
    assert set(re.findall(r"Case (TL\d+)</a>", about_case)) == {case.reference}

    # Contacts 0-2 are at noon on 20 March, 3-5 an hour before, ... 27-29 at 3am that day;
    # contacts on the 19th are out of this history, so the day holds all 30.
    on_the_day = timeline_part(
        as_adviser.get(
            address, {"kind": "contacts", "from": "20/3/2026", "to": "20/03/2026"}
        ).content.decode()
    )
    found = [int(number) for number in CONTACT.findall(on_the_day)]
    assert len(found) == 25 and 'rel="next"' in on_the_day
    before = timeline_part(
        as_adviser.get(address, {"kind": "contacts", "to": "2026-03-19"}).content.decode()
    )
    assert "Nothing matches these choices" in before
    since = timeline_part(
        as_adviser.get(address, {"kind": "cases", "from": "2026-03-20"}).content.decode()
    )
    assert len(ITEM.findall(since)) == 4


def test_a_case_the_adviser_may_not_see_is_no_choice_and_its_contacts_stay_hidden(
    as_adviser, resident, council
):
    sensitive = factories.RequestTypeFactory(
        organisation=council, key="homelessness", name="Homelessness advice", sensitive=True
    )
    history(resident, sensitive, contacts=8, cases=2)
    page = as_adviser.get(f"/staff/customers/{resident.pk}/").content.decode()
    assert "Homelessness advice" not in page
    assert len(CONTACT.findall(timeline_part(page))) == 6  # 2 of 8 are about the cases
    refused = as_adviser.get(
        f"/staff/customers/{resident.pk}/", {"case": f"TL{resident.pk:03d}0000"}
    )
    assert refused.status_code == 400
    assert "Select a case from the list" in refused.content.decode()
    assert "Contact number" not in timeline_part(refused.content.decode())


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "31/2/2026"}, "timeline-from", "The from date must be a real date"),
        ({"to": "tomorrow"}, "timeline-to", "The to date must be a real date"),
        ({"from": "1/1/0001"}, "timeline-from", "The from date must be a real date"),
        ({"from": "2/3/2026", "to": "1/3/2026"}, "timeline-to", "same as or after"),
        ({"kind": ["contacts", "gossip"]}, "timeline-kind", "Select what to show"),
        ({"case": "ZZ-NOT-A-CASE"}, "timeline-case", "Select a case from the list"),
    ],
)
def test_choices_that_cannot_be_read_are_explained_in_an_error_summary(
    as_adviser, resident, missed_bin, params, field, message
):
    history(resident, missed_bin, contacts=3)
    response = as_adviser.get(f"/staff/customers/{resident.pk}/", params)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert f'href="#{field}"' in page and f'id="{field}"' in page
    assert message in page


@pytest.mark.parametrize(
    "query",
    [
        "before=garbage",
        "after=1.contacts",
        "before=999999999999999999.contacts.1",
        "after=-999999999999999999.cases.1",
        "before=1.spies.1",
        "before=x&after=1.contacts.1",
        "before=" + "9" * 5000,
        "kind=&case=&from=&to=",
    ],
)
def test_a_position_that_cannot_be_read_shows_the_newest_page(
    as_adviser, resident, missed_bin, query
):
    history(resident, missed_bin, contacts=3)
    response = as_adviser.get(f"/staff/customers/{resident.pk}/?{query}")
    assert response.status_code == 200
    assert "Contact number 0." in response.content.decode()


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(
        st.sampled_from(sorted(TIMELINE_PARAMETERS | {"support"})),
        st.text(max_size=40),
        max_size=5,
    )
)
def test_no_query_string_makes_the_timeline_fail(as_adviser, resident, params):
    response = as_adviser.get(f"/staff/customers/{resident.pk}/", params)
    assert response.status_code in (200, 400)


def test_a_query_string_that_is_not_utf8_or_far_too_long_is_explained(as_adviser, resident):
    garbled = as_adviser.get(f"/staff/customers/{resident.pk}/?kind=%FF&from=%FF%FE&to=%00")
    assert garbled.status_code == 400
    assert "The from date must be a real date" in garbled.content.decode()
    long = as_adviser.get(f"/staff/customers/{resident.pk}/", {"from": "1" + " " * 4000 + "x"})
    assert long.status_code == 400


def test_a_merged_customers_history_still_shows_on_the_surviving_record(
    as_adviser, resident, council, missed_bin, actor
):
    duplicate = factories.CustomerFactory(organisation=council, first_name="A", last_name="Smith")
    history(resident, missed_bin, contacts=20)
    Contact.objects.bulk_create(
        Contact(
            organisation=council,
            customer=duplicate,
            channel="email",
            started_at=START - timedelta(hours=3, minutes=number),
            reason="information",
            outcome="resolved_first_contact",
            summary=f"Contact number {100 + number}.",
        )
        for number in range(15)
    )
    customer_merge(duplicate=duplicate, into=resident, actor=actor)
    moved = as_adviser.get(f"/staff/customers/{duplicate.pk}/")
    assert moved.status_code == 302 and moved["Location"] == f"/staff/customers/{resident.pk}/"
    pages = walk(as_adviser, moved["Location"])
    assert sorted(numbers(CONTACT, pages)) == [*range(20), *range(100, 115)]


def test_the_adviser_s_own_actions_still_come_back_to_the_newest_page(
    as_adviser, resident, missed_bin
):
    history(resident, missed_bin, contacts=40)
    logged = as_adviser.post(
        f"/staff/customers/{resident.pk}/contacts/new/",
        {
            "channel": "phone",
            "reason": "information",
            "outcome": "resolved_first_contact",
            "summary": "Asked about bulky waste",
        },
    )
    assert logged.status_code == 302
    page = as_adviser.get(logged["Location"]).content.decode()
    assert "Asked about bulky waste" in timeline_part(page)


def test_every_kind_reads_in_one_query_and_shows_what_happened(
    as_adviser, adviser, council, missed_bin
):
    from civicdesk.cases.selectors import customer_cases_for_staff
    from civicdesk.workspace.customer_timeline import TimelineFilter, timeline_page

    customer = factories.CustomerFactory(organisation=council)
    made = history(customer, missed_bin, contacts=1, cases=1, others=1)
    Contact.objects.filter(pk=made["contacts"][0].pk).update(is_repeat=True, assisted=True)
    case = made["cases"][0]
    cases = customer_cases_for_staff(staff=adviser, customer_id=customer.pk)

    # A first read settles what the database connection learns once (SQLite's JSON support).
    timeline_page(staff=adviser, customer=customer, cases=cases, asked=TimelineFilter())
    with CaptureQueriesContext(connection) as captured:
        page = timeline_page(staff=adviser, customer=customer, cases=cases, asked=TimelineFilter())

    assert len(captured) == 1
    shown = {item.kind: item for item in page.items}
    assert set(shown) == {"Contact", "Case", "Notification", "Feedback", "Appointment"}
    contact = shown["Contact"]
    assert contact.title == "Phone contact from the customer"
    assert contact.detail.endswith("Repeat contact. Assisted by staff. Contact number 0.")
    assert (contact.by, contact.reference) == ("Sam Adviser", case.reference)
    assert shown["Case"].title == f"{missed_bin.name} opened"
    assert shown["Case"].reference == case.reference
    assert shown["Notification"].title == "Email sent: Message number 0"
    assert shown["Notification"].reference == case.reference
    assert shown["Feedback"].title == "Rated the service good"
    assert shown["Appointment"].title == "Appointment at Civic Centre"
    assert shown["Appointment"].detail.endswith(". Council tax")
    assert shown["Appointment"].by == "Sam Adviser"
    keys = [item.key for item in page.items]
    assert keys == sorted(keys, reverse=True)
    assert page.case_choices == [(case.reference, f"{case.reference}: {missed_bin.name}")]


# The newest page's statement is kept per process once two customers' pages prove where their
# ids go (ADR 51): every later page must still show its own customer's history, and only
# what its reader may see.


def summaries(page: str) -> set[str]:
    return set(re.findall(r"About customer \d+", timeline_part(page)))


@pytest.fixture
def no_statements_kept():
    """Each process keeps statements for as long as it runs; these tests start from none, so
    that what they see learned is learned by them."""
    from civicdesk.core import timeline

    timeline._first_statements.clear()
    timeline._kept_statements.clear()
    return timeline


def test_once_the_statement_is_kept_each_page_shows_only_its_own_customer(
    as_adviser, adviser, council, missed_bin, no_statements_kept
):
    from civicdesk.core.timeline import TimelineWindow
    from civicdesk.workspace.customer_timeline import KINDS, PAGE_SIZE, timeline_shape

    customers = [factories.CustomerFactory(organisation=council) for _ in range(4)]
    for number, customer in enumerate(customers):
        factories.ContactFactory(
            organisation=council, customer=customer, summary=f"About customer {number}."
        )
        factories.CaseFactory(organisation=council, customer=customer, request_type=missed_bin)
    shape = timeline_shape(
        staff=adviser,
        customer=customers[0],
        kinds=frozenset(KINDS),
        window=TimelineWindow(limit=PAGE_SIZE + 1),
    )
    learned = []
    for round_ in range(2):
        for number, customer in enumerate(customers):
            with CaptureQueriesContext(connection) as captured:
                page = as_adviser.get(f"/staff/customers/{customer.pk}/").content.decode()
            assert summaries(page) == {f"About customer {number}"}, (round_, number)
            # The timeline is still one query whichever way its statement was made.
            assert len([q for q in captured if "UNION ALL" in q["sql"]]) == 1
            stores = no_statements_kept
            learned.append((shape in stores._first_statements, shape in stores._kept_statements))
    # The first page is compiled and remembered, the second proves the statement, and every
    # page after that reads from the kept statement.
    assert learned == [(True, False)] + [(False, True)] * 7


def test_a_kept_statement_still_hides_what_the_reader_may_not_see(
    staff_client, adviser, council, no_statements_kept
):
    sensitive = factories.RequestTypeFactory(
        organisation=council, key="homelessness", name="Homelessness advice", sensitive=True
    )
    housing = sensitive.service_area.team
    officer = factories.StaffFactory(organisation=council, role=Role.ADVISER, teams=[housing])
    customers = [factories.CustomerFactory(organisation=council) for _ in range(3)]
    for number, customer in enumerate(customers):
        case = factories.CaseFactory(
            organisation=council, customer=customer, request_type=sensitive, team=housing
        )
        factories.ContactFactory(
            organisation=council, customer=customer, case=case,
            summary=f"About customer {number}.",
        )  # fmt: skip

    as_adviser, as_officer = staff_client(adviser), staff_client(officer)
    for number, customer in enumerate(customers):
        address = f"/staff/customers/{customer.pk}/"
        assert summaries(as_adviser.get(address).content.decode()) == set()
        assert summaries(as_officer.get(address).content.decode()) == {f"About customer {number}"}
    # The third customer's pages came from kept statements, one for each reader's scope:
    # without them this test would say nothing about kept statements.
    assert len(no_statements_kept._kept_statements) == 2


def compiled(statement: str, params: list, customer: int):
    from civicdesk.core.timeline import _Compiled

    return _Compiled(
        alias="default", statement=statement, params=params, varying={"customer": customer}
    )


def test_two_statements_teach_where_the_customer_goes_and_nothing_else():
    from civicdesk.core.timeline import _learned

    # A constant that happens to equal the first customer's id stays a constant.
    kept = _learned(compiled("S", [7, 3, 26, True], 3), compiled("S", [7, 4, 26, True], 4))
    assert kept is not None and kept.places == {1: "customer"}
    assert kept.filled({"customer": 9}) == [7, 9, 26, True]
    # The places of a customer id that is also a constant are told apart the same way.
    kept = _learned(compiled("S", [3, 3], 3), compiled("S", [3, 5], 5))
    assert kept is not None and kept.filled({"customer": 8}) == [3, 8]


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        # The same customer twice proves nothing about where their id goes.
        (("S", [1, 3], 3), ("S", [1, 3], 3)),
        # Different statements: something besides the customer shaped them.
        (("S", [1, 3], 3), ("T", [1, 4], 4)),
        (("S", [1, 3], 3), ("S", [1, 4, 4], 4)),
        # A place that changed to something other than the customer's id.
        (("S", [1, 3], 3), ("S", [2, 4], 4)),
        (("S", ["3"], 3), ("S", ["4"], 4)),
    ],
)
def test_statements_that_do_not_prove_it_are_not_kept(earlier, later):
    from civicdesk.core.timeline import _learned

    assert _learned(compiled(*earlier), compiled(*later)) is None
