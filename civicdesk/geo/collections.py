"""Bin collection days: which rounds serve a postcode or a town, and their next dates.

A round repeats every week or every few weeks from a known collection day. A collection that
falls on a bank holiday is made the day after (and the day after that if both are holidays),
which is how residents are told it in the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from civicdesk.core.calendar import Nation, bank_holidays
from civicdesk.core.errors import ValidationFailed
from civicdesk.organisations.models import Organisation

from .choices import BinType
from .models import CollectionRound

# An outward code (TF1, SW1A), optionally with the sector digit (TF1 4), or a whole postcode.
_AREA = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)(?: ([0-9])([A-Z]{2})?)?$")
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
NEXT_DATES = 3
# The order bins are listed in on the answer page.
BIN_ORDER = [BinType.GENERAL, BinType.RECYCLING, BinType.FOOD, BinType.GARDEN]


@dataclass(frozen=True)
class Collection:
    day: date
    moved_from: date | None  # the usual day, when a bank holiday moved it


@dataclass(frozen=True)
class BinDay:
    bin_type: str
    bin_label: str
    every_weeks: int
    collections: list[Collection]

    @property
    def frequency(self) -> str:
        return "every week" if self.every_weeks == 1 else f"every {self.every_weeks} weeks"


@dataclass(frozen=True)
class BinDays:
    days: list[BinDay]
    unsure: list[str]  # the bins more than one round could serve, which we do not guess

    @property
    def found(self) -> bool:
        return bool(self.days or self.unsure)


def postcode_normalise(text: str) -> str | None:
    """'tf1 1aa' -> 'TF1 1AA'; None when it is not the shape of a full UK postcode."""
    squeezed = re.sub(r"\s+", "", text).upper()
    found = _POSTCODE.match(squeezed)
    return f"{found.group(1)} {found.group(2)}" if found else None


def postcode_areas_parse(text: str) -> list[str]:
    """The postcode districts and sectors a round covers, tidied ('tf1, Tf2 6' -> ['TF1',
    'TF2 6']). ValidationFailed naming the first one that is not a district or sector."""
    areas: list[str] = []
    for item in text.split(","):
        area = re.sub(r"\s+", " ", item.strip().upper())
        if not area:
            continue
        squeezed = area.replace(" ", "")
        whole = _POSTCODE.match(squeezed)
        if whole:
            area = f"{whole.group(1)} {whole.group(2)}"
        elif not _AREA.match(area):
            raise ValidationFailed(
                "Check the postcode areas.",
                fields={
                    "postcode_areas": f"“{item.strip()}” is not a postcode district (like TF1) "
                    "or sector (like TF1 4). Separate them with commas"
                },
            )
        areas.append(area)
    return list(dict.fromkeys(areas))


def names_parse(text: str) -> list[str]:
    return [name for name in (part.strip() for part in text.split(",")) if name]


def _area_covers(area: str, postcode: str) -> bool:
    if " " not in area:
        return postcode.split(" ")[0] == area
    return postcode.startswith(area)


def next_collections(
    *, first: date, every_weeks: int, today: date, holidays: frozenset[date], count: int
) -> list[Collection]:
    """The next ``count`` collections on or after ``today``, moved past bank holidays."""
    period = 7 * max(every_weeks, 1)
    # From the usual day before today, so that one moved past today by a holiday still shows.
    behind = (today - first).days
    steps = max(0, -(-behind // period) - 1)
    usual = first + timedelta(days=period * steps)
    found: list[Collection] = []
    while len(found) < count:
        day = usual
        while day in holidays:
            day += timedelta(days=1)
        if day >= today:
            found.append(Collection(day=day, moved_from=usual if day != usual else None))
        usual += timedelta(days=period)
    return found


def _bin_days(
    rounds: Iterable[CollectionRound], organisation: Organisation, today: date, count: int
) -> list[BinDay]:
    holidays = bank_holidays(Nation(organisation.nation))
    order = {value: index for index, value in enumerate(BIN_ORDER)}
    return sorted(
        (
            BinDay(
                bin_type=found.bin_type,
                bin_label=BinType(found.bin_type).label,
                every_weeks=found.every_weeks,
                collections=next_collections(
                    first=found.first_collection,
                    every_weeks=found.every_weeks,
                    today=today,
                    holidays=holidays,
                    count=count,
                ),
            )
            for found in rounds
        ),
        key=lambda day: order.get(BinType(day.bin_type), len(order)),
    )


def _rounds(organisation: Organisation) -> list[CollectionRound]:
    return list(CollectionRound.objects.filter(organisation=organisation, active=True))


def _schedule(found: CollectionRound) -> tuple[int, int]:
    """Two rounds with the same schedule collect on the same days, whatever their names."""
    period = 7 * max(found.every_weeks, 1)
    return found.every_weeks, found.first_collection.toordinal() % period


def _answer(
    candidates: dict[str, list[CollectionRound]],
    organisation: Organisation,
    today: date,
    count: int,
) -> BinDays:
    """The bin days of the bin types one schedule serves; the others are unsure, never guessed."""
    served: list[CollectionRound] = []
    unsure: list[str] = []
    for bin_type, rounds in candidates.items():
        if len({_schedule(found) for found in rounds}) == 1:
            served.append(rounds[0])
        else:
            unsure.append(bin_type)
    order = {value: index for index, value in enumerate(BIN_ORDER)}
    unsure.sort(key=lambda value: order.get(BinType(value), len(order)))
    return BinDays(
        days=_bin_days(served, organisation, today, count),
        unsure=[BinType(value).label for value in unsure],
    )


def bin_days_for_postcode(
    *, organisation: Organisation, postcode: str, today: date, count: int = NEXT_DATES
) -> BinDays:
    """Each bin's next collections at ``postcode`` (already normalised): for each bin type, the
    round whose postcode area is the most specific one that covers it. Rounds on different days
    covering it equally leave that bin unsure. One query."""
    best: dict[str, tuple[int, list[CollectionRound]]] = {}
    for found in _rounds(organisation):
        for area in postcode_areas_parse(found.postcode_areas):
            if _area_covers(area, postcode):
                held = best.get(found.bin_type)
                if held is None or len(area) > held[0]:
                    best[found.bin_type] = (len(area), [found])
                elif len(area) == held[0] and found not in held[1]:
                    held[1].append(found)
    candidates = {bin_type: rounds for bin_type, (_, rounds) in best.items()}
    return _answer(candidates, organisation, today, count)


def bin_days_for_locality(
    *, organisation: Organisation, locality: str, today: date, count: int = NEXT_DATES
) -> BinDays:
    """Each bin's next collections in a town or village, for a resident who chose their street.
    A town served by rounds on different days for a bin (a large town split between postcode
    districts) leaves that bin unsure: only the postcode tells. One query."""
    wanted = locality.strip().casefold()
    candidates: dict[str, list[CollectionRound]] = {}
    for found in _rounds(organisation):
        if wanted and wanted in {name.casefold() for name in names_parse(found.localities)}:
            candidates.setdefault(found.bin_type, []).append(found)
    return _answer(candidates, organisation, today, count)


def collections_known(*, organisation: Organisation) -> bool:
    return CollectionRound.objects.filter(organisation=organisation, active=True).exists()
