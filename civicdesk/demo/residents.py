"""Demo residents and businesses: names, addresses, ways to reach them, and a few complications.

A small share are likely duplicates (the same name at the same postcode, or the same email
address under a shortened name), some have support needs recorded with their consent, and some
have a relative, carer or councillor acting for them.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.utils.text import slugify
from shapely import Point
from shapely.prepared import PreparedGeometry

from civicdesk.customers.choices import (
    CustomerKind,
    DetailKind,
    PreferredChannel,
    Relationship,
    SupportNeedKind,
)
from civicdesk.customers.models import ContactDetail, Customer, Representative, SupportNeed
from civicdesk.customers.normalise import normalise_email, normalise_phone, normalise_postcode
from civicdesk.customers.services import customer_search_name
from civicdesk.organisations.models import Organisation

from . import places
from .places import Town

BATCH = 1000
DUPLICATE_SHARE = 0.012
BUSINESS_SHARE = 0.05
SUPPORT_NEED_SHARE = 0.03
REPRESENTED_SHARE = 0.006

SUPPORT_NEEDS: dict[str, tuple[float, str]] = {
    SupportNeedKind.HEARING: (20, "Uses a hearing aid; prefers email or text message to calls."),
    SupportNeedKind.SIGHT: (12, "Needs letters in large print (18 point)."),
    SupportNeedKind.MOBILITY: (25, "Cannot take the bins to the kerb; assisted collection agreed."),
    SupportNeedKind.MENTAL_HEALTH: (
        15,
        "Finds phone calls stressful; explain next steps in writing as well.",
    ),
    SupportNeedKind.LEARNING: (
        8,
        "Use simple words and check understanding; a support worker may call for them.",
    ),
    SupportNeedKind.LANGUAGE: (8, "Book an interpreter for calls and visits."),
    SupportNeedKind.DIGITAL: (20, "No internet at home; send everything by post."),
    SupportNeedKind.OTHER: (5, "Prefers appointments in the morning."),
}
LANGUAGES = ("Polish", "Punjabi", "Urdu", "Romanian", "Lithuanian")

AUTHORITIES: dict[str, tuple[float, str]] = {
    Relationship.FAMILY: (40, "Customer agreed by phone that their relative can act for them."),
    Relationship.CARER: (25, "Carer for the customer; consent given at a home visit."),
    Relationship.COUNCILLOR: (10, "Ward councillor enquiry, with the resident's written consent."),
    Relationship.LANDLORD: (10, "Letting agent for the property, for council tax matters only."),
    Relationship.ADVOCATE: (10, "Independent advocate; signed authority form on file."),
    Relationship.SOLICITOR: (5, "Lasting power of attorney seen and copied."),
}


@dataclass(frozen=True)
class Home:
    latitude: float
    longitude: float
    street: str
    town: str
    postcode: str


class NumberPool:
    """Ofcom drama numbers, each handed out once across the whole demo."""

    def __init__(self, rng: random.Random) -> None:
        self._mobiles = list(places.MOBILE_NUMBERS)
        self._landlines = list(places.LANDLINE_NUMBERS)
        rng.shuffle(self._mobiles)
        rng.shuffle(self._landlines)

    def mobile(self) -> str | None:
        return self._mobiles.pop() if self._mobiles else None

    def landline(self) -> str | None:
        return self._landlines.pop() if self._landlines else None


class Area:
    """A council's towns, with random points that are always inside its boundary."""

    def __init__(self, towns: tuple[Town, ...], boundary: PreparedGeometry) -> None:
        self.towns = towns
        self._boundary = boundary
        self._cumulative = list(itertools.accumulate(town.weight for town in towns))

    def town(self, rng: random.Random) -> Town:
        return rng.choices(self.towns, cum_weights=self._cumulative)[0]

    def point_near(
        self, rng: random.Random, latitude: float, longitude: float, spread: float
    ) -> tuple[float, float]:
        for _ in range(20):
            lat = latitude + rng.uniform(-spread, spread)
            lon = longitude + rng.uniform(-spread, spread) * 1.6
            if self._boundary.covers(Point(lon, lat)):
                return round(lat, 6), round(lon, 6)
        return latitude, longitude

    def home(self, rng: random.Random, town: Town | None = None) -> Home:
        town = town or self.town(rng)
        latitude, longitude = self.point_near(rng, town.latitude, town.longitude, 0.008)
        inward = f"{rng.randint(1, 9)}{rng.choice(places.POSTCODE_LETTERS)}"
        inward += rng.choice(places.POSTCODE_LETTERS)
        return Home(
            latitude=latitude,
            longitude=longitude,
            street=rng.choice(places.STREETS),
            town=town.name,
            postcode=normalise_postcode(f"{rng.choice(town.districts)} {inward}"),
        )


@dataclass
class Residents:
    """The customers of one council, with where they live and how often they get in touch."""

    customers: list[Customer]
    homes: list[Home]
    emails: list[str]
    businesses: list[int] = field(default_factory=list)
    _cumulative: list[float] = field(default_factory=list)

    def pick(self, rng: random.Random) -> int:
        """A customer's position, the more active ones more often."""
        return bisect.bisect_left(self._cumulative, rng.random() * self._cumulative[-1])

    def pick_business(self, rng: random.Random) -> int:
        return rng.choice(self.businesses) if self.businesses else self.pick(rng)


@dataclass
class _Draft:
    customer: Customer
    home: Home
    emails: list[str]
    phones: list[tuple[str, str]]


def residents_create(
    *,
    organisation: Organisation,
    area: Area,
    business_parks: tuple[str, ...],
    count: int,
    numbers: NumberPool,
    recorders: list[User],
    now: datetime,
    rng: random.Random,
) -> Residents:
    """Create ``count`` customers of ``organisation`` with bulk inserts, and return them."""
    used_emails: set[str] = set()
    drafts: list[_Draft] = []
    for _ in range(count):
        if rng.random() < BUSINESS_SHARE:
            drafts.append(_business(organisation, area, business_parks, numbers, used_emails, rng))
        else:
            drafts.append(_person(organisation, area, numbers, used_emails, now, rng))
    people = [draft for draft in drafts if draft.customer.kind == CustomerKind.PERSON]
    for original in rng.sample(people, k=int(len(people) * DUPLICATE_SHARE)):
        drafts.append(_duplicate(original, rng))
    for draft in drafts:
        draft.customer.search_name = customer_search_name(draft.customer)
    customers = Customer.objects.bulk_create([d.customer for d in drafts], batch_size=BATCH)
    if customers and customers[0].pk is None:
        raise RuntimeError("The demo needs a database that returns ids from bulk inserts.")
    ContactDetail.objects.bulk_create(_details(drafts), batch_size=BATCH)
    SupportNeed.objects.bulk_create(_support_needs(people, recorders, now, rng), batch_size=BATCH)
    Representative.objects.bulk_create(_representatives(people, rng), batch_size=BATCH)
    return Residents(
        customers=customers,
        homes=[draft.home for draft in drafts],
        emails=[draft.emails[0] if draft.emails else "" for draft in drafts],
        businesses=[
            position
            for position, draft in enumerate(drafts)
            if draft.customer.kind == CustomerKind.BUSINESS
        ],
        _cumulative=list(itertools.accumulate(rng.lognormvariate(0, 1) for _ in drafts)),
    )


def _person(
    organisation: Organisation,
    area: Area,
    numbers: NumberPool,
    used_emails: set[str],
    now: datetime,
    rng: random.Random,
) -> _Draft:
    female = rng.random() < 0.52
    first = rng.choice(places.FEMALE_NAMES if female else places.MALE_NAMES)
    last = rng.choice(places.SURNAMES)
    age = int(rng.triangular(18, 95, 42))
    home = area.home(rng)
    flat = rng.random() < 0.08
    preferred = _preferred_channel(age, rng)
    customer = Customer(
        organisation=organisation,
        kind=CustomerKind.PERSON,
        title=_title(female, rng),
        first_name=first,
        last_name=last,
        date_of_birth=_birthday(now.date(), age, rng) if rng.random() < 0.85 else None,
        address_line_1=f"Flat {rng.randint(1, 12)}" if flat else _street_address(home, rng),
        address_line_2=_street_address(home, rng) if flat else "",
        town=home.town,
        postcode=home.postcode,
        preferred_channel=preferred,
    )
    emails: list[str] = []
    if preferred == PreferredChannel.EMAIL or rng.random() < 0.55:
        emails.append(_unique_email(first, last, used_emails, rng))
    phones: list[tuple[str, str]] = []
    wants_mobile = preferred == PreferredChannel.SMS or rng.random() < 0.5
    wants_phone = preferred in (PreferredChannel.SMS, PreferredChannel.PHONE)
    if wants_phone or rng.random() < 0.55:
        number = numbers.mobile() if wants_mobile else None
        if number is not None:
            phones.append((number, "Mobile"))
        elif (landline := numbers.landline()) is not None:
            phones.append((landline, "Home"))
    if not phones and preferred in (PreferredChannel.SMS, PreferredChannel.PHONE):
        customer.preferred_channel = PreferredChannel.LETTER
    if not emails and customer.preferred_channel == PreferredChannel.EMAIL:
        customer.preferred_channel = PreferredChannel.LETTER
    return _Draft(customer=customer, home=home, emails=emails, phones=phones)


def _business(
    organisation: Organisation,
    area: Area,
    business_parks: tuple[str, ...],
    numbers: NumberPool,
    used_emails: set[str],
    rng: random.Random,
) -> _Draft:
    home = area.home(rng)
    name = f"{home.town} {rng.choice(places.BUSINESS_WORDS)}"
    if rng.random() < 0.4:
        name += " Ltd"
    on_park = business_parks and rng.random() < 0.5
    address = (
        f"Unit {rng.randint(1, 40)}, {rng.choice(business_parks)}"
        if on_park
        else f"{rng.randint(1, 120)} High Street"
    )
    slug = slugify(name.removesuffix(" Ltd"))
    email = f"enquiries@{slug}.example.com"
    if email in used_emails:
        email = f"office{rng.randint(2, 99)}@{slug}.example.com"
    used_emails.add(email)
    phone = numbers.landline()
    return _Draft(
        customer=Customer(
            organisation=organisation,
            kind=CustomerKind.BUSINESS,
            business_name=name,
            address_line_1=address,
            town=home.town,
            postcode=home.postcode,
            preferred_channel=PreferredChannel.EMAIL,
        ),
        home=home,
        emails=[email],
        phones=[(phone, "Work")] if phone else [],
    )


def _duplicate(original: _Draft, rng: random.Random) -> _Draft:
    """A second record for the same person: same name and postcode, or same email."""
    source = original.customer
    copy = Customer(
        organisation=source.organisation,
        kind=CustomerKind.PERSON,
        first_name=source.first_name,
        last_name=source.last_name,
        address_line_1=source.address_line_1,
        address_line_2=source.address_line_2,
        town=source.town,
        postcode=source.postcode,
        preferred_channel=PreferredChannel.LETTER,
    )
    if original.emails and rng.random() < 0.5:
        copy.first_name = source.first_name[0]
        copy.postcode = ""
        copy.preferred_channel = PreferredChannel.EMAIL
        return _Draft(customer=copy, home=original.home, emails=original.emails[:1], phones=[])
    copy.address_line_1 = copy.address_line_1.replace("Street", "St").replace("Road", "Rd")
    return _Draft(customer=copy, home=original.home, emails=[], phones=[])


def _details(drafts: list[_Draft]) -> list[ContactDetail]:
    details: list[ContactDetail] = []
    for draft in drafts:
        for position, email in enumerate(draft.emails):
            details.append(
                ContactDetail(
                    customer=draft.customer,
                    kind=DetailKind.EMAIL,
                    value=email,
                    normalised=normalise_email(email),
                    is_primary=position == 0,
                )
            )
        for position, (phone, label) in enumerate(draft.phones):
            details.append(
                ContactDetail(
                    customer=draft.customer,
                    kind=DetailKind.PHONE,
                    value=phone,
                    normalised=normalise_phone(phone),
                    label=label,
                    is_primary=position == 0,
                )
            )
    return details


def _support_needs(
    people: list[_Draft], recorders: list[User], now: datetime, rng: random.Random
) -> list[SupportNeed]:
    kinds = list(SUPPORT_NEEDS)
    weights = [SUPPORT_NEEDS[kind][0] for kind in kinds]
    needs: list[SupportNeed] = []
    for draft in rng.sample(people, k=int(len(people) * SUPPORT_NEED_SHARE)):
        kind = rng.choices(kinds, weights=weights)[0]
        details = SUPPORT_NEEDS[kind][1]
        if kind == SupportNeedKind.LANGUAGE:
            details = f"Speaks {rng.choice(LANGUAGES)}. {details}"
        needs.append(
            SupportNeed(
                customer=draft.customer,
                kind=kind,
                details=details,
                consent_given_at=now - timedelta(days=rng.randint(1, 700)),
                consent_recorded_by=rng.choice(recorders) if recorders else None,
            )
        )
    return needs


def _representatives(people: list[_Draft], rng: random.Random) -> list[Representative]:
    relationships = list(AUTHORITIES)
    weights = [AUTHORITIES[relationship][0] for relationship in relationships]
    links: list[Representative] = []
    count = max(1, int(len(people) * REPRESENTED_SHARE)) if len(people) > 1 else 0
    for _ in range(count):
        customer, representative = rng.sample(people, k=2)
        relationship = rng.choices(relationships, weights=weights)[0]
        links.append(
            Representative(
                customer=customer.customer,
                representative=representative.customer,
                relationship=relationship,
                authority=AUTHORITIES[relationship][1],
            )
        )
    return links


def _preferred_channel(age: int, rng: random.Random) -> str:
    options = [
        PreferredChannel.EMAIL,
        PreferredChannel.SMS,
        PreferredChannel.LETTER,
        PreferredChannel.PHONE,
    ]
    weights = (15, 10, 40, 35) if age >= 75 else (45, 22, 13, 20)
    return rng.choices(options, weights=weights)[0]


def _title(female: bool, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.02:
        return "Dr"
    if roll < 0.03:
        return "Mx"
    if female:
        return rng.choices(("Mrs", "Ms", "Miss", ""), weights=(35, 25, 15, 25))[0]
    return rng.choices(("Mr", ""), weights=(75, 25))[0]


def _birthday(today: date, age: int, rng: random.Random) -> date:
    return today - timedelta(days=age * 365 + rng.randint(0, 364))


def _street_address(home: Home, rng: random.Random) -> str:
    return f"{rng.randint(1, 150)} {home.street}"


def _unique_email(first: str, last: str, used: set[str], rng: random.Random) -> str:
    patterns: list[Callable[[], str]] = [
        lambda: f"{first}.{last}",
        lambda: f"{first[0]}{last}{rng.randint(50, 99)}",
        lambda: f"{first}{rng.randint(1, 999)}",
        lambda: f"{last}.{first}{rng.randint(1, 99)}",
    ]
    while True:
        local = rng.choice(patterns)().lower().replace("'", "")
        email = f"{local}@{rng.choice(places.EMAIL_DOMAINS)}"
        if email not in used:
            used.add(email)
            return email
