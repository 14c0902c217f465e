"""What a service's page ends in: something the resident can do there and then.

A service that opens a request starts its form (or booking). An information service answers
the question itself where we can (bin days from the postcode), or names a place and a time to
go: the digital help drop-ins, the libraries and their hours, or the places that help with it.
Every page also says how else to do it: the phone line for that service, and the places (with
their hours) where staff help with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from civicdesk.appointments.choices import VenueKind
from civicdesk.appointments.selectors import DropIn, PlaceToGo, drop_ins, places_to_go

if TYPE_CHECKING:
    from civicdesk.catalogue.models import RequestType
    from civicdesk.organisations.models import Organisation

BIN_DAY = "bin-day"
DIGITAL_HELP = "digital-help"
LIBRARIES = "libraries"


class Action:
    START = "start"  # the service's form or booking
    BIN_DAY = "bin_day"  # the answer: bin days from the postcode
    DROP_IN = "drop_in"  # a named place and time: the digital help sessions
    PLACES = "places"  # a named place and its hours
    PHONE = "phone"  # when the council has set up no places: the phone line and its hours


@dataclass(frozen=True)
class ServiceEnding:
    action: str
    places: list[PlaceToGo] = field(default_factory=list)  # where to go for the action
    drop_ins: list[DropIn] = field(default_factory=list)
    helped_at: list[PlaceToGo] = field(default_factory=list)  # the assisted route, in person
    phone: str = ""
    phone_hours: str = ""
    around_the_clock: bool = False


def _phone(organisation: Organisation, service: RequestType) -> tuple[str, str, bool]:
    """The line for this service: the 24-hour one for emergencies, otherwise the main line."""
    if service.emergency and organisation.emergency_phone:
        return organisation.emergency_phone, "24 hours a day, every day", True
    if not organisation.phone:
        return "", "", False
    opens = organisation.opens.strftime("%-I:%M%p").replace(":00", "").lower()
    closes = organisation.closes.strftime("%-I:%M%p").replace(":00", "").lower()
    return organisation.phone, f"Monday to Friday, {opens} to {closes}", False


def service_ending(*, organisation: Organisation, service: RequestType) -> ServiceEnding:
    """The action the page ends in, and the assisted route for this service."""
    phone, hours, around_the_clock = _phone(organisation, service)
    helped_at = places_to_go(organisation_id=organisation.pk, service_key=service.key)
    sessions = drop_ins(organisation_id=organisation.pk)
    ending = ServiceEnding(
        action=Action.PHONE,
        drop_ins=sessions,
        helped_at=helped_at,
        phone=phone,
        phone_hours=hours,
        around_the_clock=around_the_clock,
    )
    if service.opens_cases:
        return replace(ending, action=Action.START)
    if service.key == BIN_DAY:
        return replace(ending, action=Action.BIN_DAY)
    if service.key == DIGITAL_HELP and sessions:
        return replace(ending, action=Action.DROP_IN)
    if service.key == LIBRARIES:
        libraries = places_to_go(organisation_id=organisation.pk, kinds=(VenueKind.LIBRARY,))
        if libraries:
            return replace(ending, action=Action.PLACES, places=libraries)
    if helped_at:
        return replace(ending, action=Action.PLACES, places=helped_at)
    return ending
