"""Finding the street in what a resident typed, when it is not just a street's name.

"Outside the library on Station Road", "stn rd wellington", "Staton Road": the street is in
there, but not every word is part of its name. ``places_match`` first tries the strict search
(every word in a street's name or town, ``places_find``); when that finds nothing it reads the
words loosely: a street's whole name anywhere in the text, a landmark the council has named, the
town to tell apart streets of the same name, and a close spelling for a typo. Each match says
how it was found, and the search says whether it is sure: one street, found by its whole name
or by a landmark on a street the resident also named. When it is not sure, the resident chooses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

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

    @property
    def found(self) -> bool:
        return bool(self.matches)


def _words(text: str) -> list[str]:
    words = _WORD.findall(text.lower().replace("\u2019", "'"))[:MAX_TEXT_WORDS]
    return [_ABBREVIATIONS.get(word, word) for word in words]


def _phrase_in(phrase: list[str], words: list[str]) -> bool:
    size = len(phrase)
    return size > 0 and any(words[i : i + size] == phrase for i in range(len(words) - size + 1))


def _closest_spelling(phrase: list[str], words: list[str]) -> float:
    """How closely some run of the text's words spells ``phrase`` (1.0 is exactly)."""
    size = len(phrase)
    target = " ".join(phrase)
    best = 0.0
    for i in range(max(len(words) - size + 1, 0)):
        candidate = " ".join(words[i : i + size])
        # A typo keeps the first letter: it is how residents and gazetteers both start a name.
        if candidate[:1] == target[:1]:
            best = max(best, SequenceMatcher(None, candidate, target).ratio())
    return best


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
    """The places ``text`` may mean, each with how it was found; see the module notes."""
    strict = places_find(organisation=organisation, text=text, limit=limit)
    if strict:
        return PlaceSearch([replace(match, reason="") for match in strict], sure=False)
    words = _words(text)
    if not words:
        return PlaceSearch([], sure=False)
    streets = list(Street.objects.filter(organisation=organisation).order_by("name", "locality"))
    towns = {
        street.locality.lower()
        for street in streets
        if street.locality and _phrase_in(_words(street.locality), words)
    }
    named = [street for street in streets if _phrase_in(_words(street.name), words)]
    in_town = [street for street in named if not towns or street.locality.lower() in towns]
    named = in_town or named
    landmarks = _landmarks_named(organisation, words, named, towns)
    if landmarks:
        on_named_street = [item for item in landmarks if item.street in named]
        chosen = on_named_street or landmarks
        places = [
            _landmark_place(item, f"“{item.name}” is a place we know" + _on(item))
            for item in chosen[:limit]
        ]
        return PlaceSearch(places, sure=len(chosen) == 1 and (bool(on_named_street) or not named))
    if named:
        places = _unique(
            [
                _street_place(street, f"“{street.name}” is in what you typed")
                for street in named[:limit]
            ]
        )
        return PlaceSearch(places, sure=len(places) == 1)
    close = _close_spellings(streets, words, towns)
    places = _unique(
        [
            _street_place(street, f"a street with a name spelt like “{street.name}”")
            for street in close[:limit]
        ]
    )
    return PlaceSearch(places, sure=False)


def _on(landmark: Landmark) -> str:
    return f", on {landmark.street.name}" if landmark.street is not None else ""


def _landmarks_named(
    organisation: Organisation, words: list[str], named: list[Street], towns: set[str]
) -> list[Landmark]:
    """Landmarks whose name or another name is in the words, narrowed to the street or town the
    resident named when several match (every town has a library)."""
    found = [
        landmark
        for landmark in Landmark.objects.filter(organisation=organisation).select_related("street")
        if any(
            _phrase_in(_words(name), words)
            for name in [landmark.name, *landmark.also_known_as.split(",")]
            if name.strip()
        )
    ]
    if len(found) > 1 and named:
        found = [item for item in found if item.street in named] or found
    if len(found) > 1 and towns:
        in_town = [
            item
            for item in found
            if item.street is not None and item.street.locality.lower() in towns
        ]
        found = in_town or found
    return found


def _close_spellings(streets: list[Street], words: list[str], towns: set[str]) -> list[Street]:
    """Streets whose whole name is spelt closely by some of the words: typos."""
    scored = [
        (score, street)
        for street in streets
        if (score := _closest_spelling(_words(street.name), words)) >= CLOSE_SPELLING
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
