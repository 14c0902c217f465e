"""Reception desks and community hubs: booking appointments, checking people in, and seeing
those with a support need first."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from civicdesk.appointments.models import Visit
from civicdesk.appointments.services import venue_create, walk_in_record
from civicdesk.contacts.models import Contact
from civicdesk.core.calendar import LONDON
from civicdesk.customers.services import (
    CustomerDetails,
    customer_create,
    customer_record_support_need,
)
from civicdesk.organisations.choices import Role

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(council):
    return venue_create(organisation=council, name="Civic Offices reception", kind="reception")


@pytest.fixture
def as_reception(staff_client, council):
    return staff_client(factories.StaffFactory(organisation=council, role=Role.ADVISER))


def next_working_day(council) -> date:
    return council.calendar.next_working_day(timezone.localdate())


def booking(desk, day: date, time: str = "10:30", reason: str = "Help with a housing form"):
    return {
        "venue": str(desk.pk),
        "reason": reason,
        "day": str(day.day),
        "month": str(day.month),
        "year": str(day.year),
        "time": time,
    }


def test_an_appointment_is_booked_for_an_open_time_and_shows_on_the_day(
    as_reception, council, desk, resident
):
    url = f"/staff/customers/{resident.pk}/appointments/new/"
    assert "Book an appointment or check in" in as_reception.get(url).content.decode()
    day = next_working_day(council)
    saturday = day + timedelta(days=(5 - day.weekday()) % 7)
    refusals = {
        "Enter what the visit is about": booking(desk, day, reason=""),
        "The appointment must be in the future": booking(desk, day - timedelta(days=7)),
        "Choose a time when the council is open, on a working day": booking(desk, saturday),
        "Enter the date and choose a time": {**booking(desk, day), "month": "13"},
        "Choose the place": {**booking(desk, day), "venue": ""},
    }
    for message, form in refusals.items():
        refused = as_reception.post(url, form)
        assert refused.status_code == 400, message
        assert message in refused.content.decode(), message
    assert not Visit.objects.exists()

    done = as_reception.post(url, booking(desk, day))
    assert done["Location"] == f"/staff/customers/{resident.pk}/"
    visit = Visit.objects.get()
    assert visit.starts_at == datetime(day.year, day.month, day.day, 10, 30, tzinfo=LONDON)
    assert visit.status == "booked"
    customer_page = as_reception.get(done["Location"]).content.decode()
    assert "Appointment booked at Civic Offices reception, 10:30am" in customer_page
    assert "Appointment at Civic Offices reception" in customer_page
    listing = as_reception.get("/staff/reception/", {"venue": desk.pk, "day": day.isoformat()})
    assert "Ann Smith" in listing.content.decode()
    assert "Help with a housing form" in listing.content.decode()


def test_people_waiting_with_a_support_need_are_seen_first(
    as_reception, council, desk, resident, actor
):
    early = customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Early", last_name="Bird"),
        actor=actor,
    )
    walk_in_record(venue=desk, customer=early, name_given="", reason="Parking permit", actor=actor)
    customer_record_support_need(
        customer=resident,
        kind="hearing",
        details="Uses a hearing loop",
        consent_given=True,
        actor=actor,
    )
    as_reception.post(
        f"/staff/customers/{resident.pk}/appointments/new/",
        {"venue": str(desk.pk), "reason": "Blue badge", "now": "yes"},
    )
    page = as_reception.get("/staff/reception/", {"venue": desk.pk}).content.decode()
    listing = page[page.index("2 waiting") :]
    assert listing.index("Ann Smith") < listing.index("Early Bird")
    assert "Priority" in listing[: listing.index("Early Bird")]
    # The list says who to see first, never what their need is.
    assert "hearing" not in page.lower()


def test_a_booked_visitor_arrives_is_seen_and_the_contact_is_logged_face_to_face(
    as_reception, council, desk, resident
):
    day = next_working_day(council)
    as_reception.post(f"/staff/customers/{resident.pk}/appointments/new/", booking(desk, day))
    visit = Visit.objects.get()
    arrived = as_reception.post(f"/staff/reception/visits/{visit.pk}/arrived/")
    assert arrived["Location"] == f"/staff/reception/?venue={desk.pk}&day={day.isoformat()}"
    visit.refresh_from_db()
    assert visit.status == "waiting" and visit.arrived_at is not None
    seen = as_reception.post(f"/staff/reception/visits/{visit.pk}/seen/")
    assert seen["Location"] == f"/staff/customers/{resident.pk}/contacts/new/?channel=face_to_face"
    form = as_reception.get(seen["Location"]).content.decode()
    assert "Log what you did for Ann Smith at Civic Offices reception" in form
    assert 'value="face_to_face" checked' in form
    # Seen once: seeing them again is refused with a message, not a server error.
    again = as_reception.post(f"/staff/reception/visits/{visit.pk}/seen/")
    assert again.status_code == 400
    assert "cannot change like that" in again.content.decode()
    visit.refresh_from_db()
    assert visit.status == "seen" and visit.seen_at is not None
    assert not Contact.objects.exists()  # the adviser logs what they did on the next page


def test_someone_with_no_record_walks_in(as_reception, desk):
    refused = as_reception.post(
        "/staff/reception/walk-in/", {"venue": str(desk.pk), "reason": "Lost property"}
    )
    assert refused.status_code == 400
    assert "Enter the name the visitor gave" in refused.content.decode()
    as_reception.post(
        "/staff/reception/walk-in/",
        {"venue": str(desk.pk), "name_given": "Mr Visitor", "reason": "Lost property"},
    )
    visit = Visit.objects.get()
    assert (visit.customer, visit.name_given, visit.status) == (None, "Mr Visitor", "waiting")
    assert "Mr Visitor" in as_reception.get("/staff/reception/").content.decode()


def test_another_councils_staff_cannot_see_or_move_a_visit(staff_client, council, desk, actor):
    visit = walk_in_record(
        venue=desk, customer=None, name_given="Ms Private", reason="Rent", actor=actor
    )
    other = factories.StaffFactory(organisation=factories.OrganisationFactory(), role=Role.ADVISER)
    client = staff_client(other)
    assert client.post(f"/staff/reception/visits/{visit.pk}/seen/").status_code == 404
    assert "Ms Private" not in client.get("/staff/reception/", {"venue": desk.pk}).content.decode()
    visit.refresh_from_db()
    assert visit.status == "waiting"
