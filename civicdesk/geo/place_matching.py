"""Finding the street in what a resident typed, when it is not just a street's name.

"Outside the library on Station Road", "stn rd wellington", "Staton Road": the street is in
there, but not every word is part of its name. ``places_match`` first tries the strict search
(every word in a street's name or town, ``places_find``); when that finds nothing it reads the
words loosely: a street's whole name anywhere in the text, a landmark the council has named, the
town to tell apart streets of the same name, and a close spelling for a typo. Each match says
how it was found, and the search says whether it is sure: one street, found by its whole name
or by a landmark: one on a street the resident also named, or the only landmark of its name when
they named no street. When it is not sure, the resident chooses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from django.db.models import Count, Max

from civicdesk.organisations.models import Organisation

from .geometry import geojson_lines, line_midpoint, longest_line
from .models import Landmark, Street
from .selectors import PlaceMatch, places_find

_WORD = re.compile(r"[a-z0-9']+")
# Short forms residents type, and the words they stand for in street names.
_ABBREVIATIONS = {
    "rd": "road",
    "st": "street",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "cl": "close",
    "dr": "drive",
    "cres": "crescent",
    "ct": "court",
    "pl": "place",
    "sq": "square",
    "gdns": "gardens",
    "hl": "hill",
    "stn": "station",
    "pk": "park",
    "wy": "way",
}
# How close a spelling must be to count as the same name (difflib's ratio).
CLOSE_SPELLING = 0.84
MAX_TEXT_WORDS = 40


@dataclass(frozen=True)
class PlaceSearch:
    matches: list[PlaceMatch]
    sure: bool  # one place, found by its whole name: no need to ask the resident


@dataclass(frozen=True)
class _StreetName:
    """What the loose search reads of a street: no geometry, which only the winners need."""

    pk: int
    name: str
    locality: str
    name_words: tuple[str, ...]
    locality_words: tuple[str, ...]
    spelt: str  # the name's words joined, as a typo is compared with


# Each council's street names, with the signature of the streets they were read from.
_NAMES: dict[int, tuple[tuple[int, int, str], list[_StreetName]]] = {}


def _words(text: str) -> list[str]:
    words = _WORD.findall(text.lower().replace("\u2019", "'"))[:MAX_TEXT_WORDS]
    return [_ABBREVIATIONS.get(word, word) for word in words]


def _runs(words: list[str], longest: int) -> set[tuple[str, ...]]:
    """Every run of up to ``longest`` consecutive words."""
    return {
        tuple(words[i : i + size])
        for size in range(1, longest + 1)
        for i in range(len(words) - size + 1)
    }


def _street_names(organisation: Organisation) -> list[_StreetName]:
    """The council's street names, read again only when its streets have changed: an import
    adds streets (a higher pk, a larger count) or updates them (a later updated_at)."""
    signature_row = Street.objects.filter(organisation=organisation).aggregate(
        count=Count("pk"), top=Max("pk"), changed=Max("updated_at")
    )
    signature = (signature_row["count"], signature_row["top"] or 0, str(signature_row["changed"]))
    held = _NAMES.get(organisation.pk)
    if held is not None and held[0] == signature:
        return held[1]
    names = []
    for pk, name, locality in (
        Street.objects.filter(organisation=organisation)
        .order_by("name", "locality", "pk")
        .values_list("pk", "name", "locality")
    ):
        name_words = tuple(_words(name))
        names.append(
            _StreetName(
                pk, name, locality, name_words, tuple(_words(locality)), " ".join(name_words)
            )
        )
    _NAMES[organisation.pk] = (signature, names)
    return names


def _close_enough(candidate: str, target: str) -> float:
    """difflib's ratio when it can reach CLOSE_SPELLING, else 0: the cheap upper bounds first."""
    shorter, longer = sorted((len(candidate), len(target)))
    if 2 * shorter / (shorter + longer) < CLOSE_SPELLING:
        return 0.0
    matcher = SequenceMatcher(None, candidate, target)
    if matcher.real_quick_ratio() < CLOSE_SPELLING or matcher.quick_ratio() < CLOSE_SPELLING:
        return 0.0
    return matcher.ratio()


def _closest_spelling(street: _StreetName, by_start: dict[tuple[int, str], list[str]]) -> float:
    """How closely some run of the text's words spells the street's name (1.0 is exactly).
    ``by_start`` holds the runs by their number of words and first letter: a typo keeps the
    first letter, as residents and gazetteers both start a name."""
    candidates = by_start.get((len(street.name_words), street.spelt[:1]), [])
    return max((_close_enough(candidate, street.spelt) for candidate in candidates), default=0.0)


def _street_place(street: Street, reason: str) -> PlaceMatch:
    longitude, latitude = line_midpoint(longest_line(geojson_lines(street.geometry)))
    return PlaceMatch(str(street), round(latitude, 6), round(longitude, 6), street, reason)


def _landmark_place(landmark: Landmark, reason: str) -> PlaceMatch:
    label = landmark.name
    if landmark.street is not None:
        label = f"{landmark.name}, {landmark.street}"
    return PlaceMatch(
        label, round(landmark.latitude, 6), round(landmark.longitude, 6), landmark.street, reason
    )


def places_match(*, organisation: Organisation, text: str, limit: int = 10) -> PlaceSearch:
    """The places ``text`` may mean, each with how it was found; see the module notes. A fixed
    number of queries however many streets the council has."""
    strict = places_find(organisation=organisation, text=text, limit=limit)
    if strict:
        return PlaceSearch([replace(match, reason="") for match in strict], sure=False)
    words = _words(text)
    if not words:
        return PlaceSearch([], sure=False)
    runs = _runs(words, len(words))
    streets = _street_names(organisation)
    towns = {street.locality.lower() for street in streets if street.locality_words in runs}
    named = [street for street in streets if street.name_words in runs]
    in_town = [street for street in named if not towns or street.locality.lower() in towns]
    named = in_town or named
    named_pks = {street.pk for street in named}
    landmarks = _landmarks_named(organisation, runs, named_pks, towns)
    if landmarks:
        on_named_street = [item for item in landmarks if item.street_id in named_pks]
        chosen = on_named_street or landmarks
        places = [
            _landmark_place(item, f"“{item.name}” is a place we know" + _on(item))
            for item in chosen[:limit]
        ]
        # Sure of one landmark on a street the resident named, or of the only landmark of that
        # name when they named no street: a council names a landmark so that it is found alone.
        return PlaceSearch(places, sure=len(chosen) == 1 and (bool(on_named_street) or not named))
    if named:
        places = _unique(
            [
                _street_place(street, f"“{street.name}” is in what you typed")
                for street in _streets_read([item.pk for item in named[:limit]])
            ]
        )
        return PlaceSearch(places, sure=len(places) == 1)
    close = _close_spellings(streets, words, towns)
    places = _unique(
        [
            _street_place(street, f"a street with a name spelt like “{street.name}”")
            for street in _streets_read([item.pk for item in close[:limit]])
        ]
    )
    return PlaceSearch(places, sure=False)


def _streets_read(pks: list[int]) -> list[Street]:
    """The streets, with their lines, in the order of ``pks``: one query."""
    found = Street.objects.in_bulk(pks)
    return [found[pk] for pk in pks if pk in found]


def _on(landmark: Landmark) -> str:
    return f", on {landmark.street.name}" if landmark.street is not None else ""


def _landmarks_named(
    organisation: Organisation,
    runs: set[tuple[str, ...]],
    named_pks: set[int],
    towns: set[str],
) -> list[Landmark]:
    """Landmarks whose name or another name is in the words, narrowed to the street or town the
    resident named when several match (every town has a library)."""
    found = [
        landmark
        for landmark in Landmark.objects.filter(organisation=organisation)
        .select_related("street")
        .defer("street__geometry")
        if any(
            tuple(_words(name)) in runs
            for name in [landmark.name, *landmark.also_known_as.split(",")]
            if name.strip()
        )
    ]
    if len(found) > 1 and named_pks:
        found = [item for item in found if item.street_id in named_pks] or found
    if len(found) > 1 and towns:
        in_town = [
            item
            for item in found
            if item.street is not None and item.street.locality.lower() in towns
        ]
        found = in_town or found
    return found


def _close_spellings(
    streets: list[_StreetName], words: list[str], towns: set[str]
) -> list[_StreetName]:
    """Streets whose whole name is spelt closely by some of the words: typos."""
    by_start: dict[tuple[int, str], list[str]] = {}
    for run in _runs(words, max((len(street.name_words) for street in streets), default=0)):
        by_start.setdefault((len(run), run[0][:1]), []).append(" ".join(run))
    scored = [
        (score, street)
        for street in streets
        if street.name_words and (score := _closest_spelling(street, by_start)) >= CLOSE_SPELLING
    ]
    if towns:
        scored = [item for item in scored if item[1].locality.lower() in towns] or scored
    scored.sort(key=lambda item: (-item[0], item[1].name, item[1].locality))
    return [street for _, street in scored]


def _unique(places: list[PlaceMatch]) -> list[PlaceMatch]:
    seen: dict[str, PlaceMatch] = {}
    for place in places:
        seen.setdefault(place.label, place)
    return list(seen.values())
