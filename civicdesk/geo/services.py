"""Importing a council's published list of streets; saving landmarks, bin collection rounds
and the councils around ours that are not on this installation.

Each row names a street by its USRN (Unique Street Reference Number), with its name, locality,
who maintains it and its line. Importing is idempotent: streets are matched by USRN, so running
it again updates them in place; streets missing from the rows are left alone.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from string import Formatter
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from shapely.geometry import shape

from civicdesk.core.audit import SYSTEM, Actor, audit_record
from civicdesk.core.errors import ValidationFailed
from civicdesk.organisations.boundaries import boundary_read
from civicdesk.organisations.models import Organisation

from .choices import Adoption, BinType
from .collections import names_parse, postcode_areas_parse
from .geometry import Coordinates, GeometryError, lines_geojson, lines_parse
from .models import CollectionRound, Landmark, NeighbouringCouncil, Street

STREETS_DATA = Path(__file__).resolve().parent / "data"
COLUMNS = ("usrn", "name", "locality", "adoption", "maintainer", "geometry")
REQUIRED_COLUMNS = ("usrn", "name", "adoption", "geometry")
_USRN = re.compile(r"^\d{1,12}$")
_FIELDS = (
    "name",
    "locality",
    "adoption",
    "maintainer",
    "geometry",
    "min_latitude",
    "max_latitude",
    "min_longitude",
    "max_longitude",
)


@dataclass(frozen=True)
class StreetImportResult:
    created: int
    updated: int
    unchanged: int


def street_rows_read(path: Path) -> list[dict[str, str]]:
    """The rows of a streets CSV, as column name -> text."""
    with path.open(encoding="utf-8-sig", newline="") as source:
        return [dict(row) for row in csv.DictReader(source)]


def street_lines_read(path: Path) -> dict[str, str]:
    """Streets' lines by USRN, from a CSV with a ``usrn`` column and the line as WKT in a
    ``wkt`` column (as ogr2ogr writes it) or a ``geometry`` one: OS Open USRN, converted to
    longitude and latitude (docs/streets.md). ValidationFailed if it has neither column."""
    with path.open(encoding="utf-8-sig", newline="") as source:
        reader = csv.DictReader(source)
        columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
        usrn, line = columns.get("usrn"), columns.get("wkt") or columns.get("geometry")
        if usrn is None or line is None:
            raise ValidationFailed(
                f"{path.name} needs a usrn column and the line in a WKT (or geometry) column."
            )
        return {
            (row[usrn] or "").strip(): (row[line] or "").strip()
            for row in reader
            if (row[usrn] or "").strip()
        }


def street_rows_with_lines(
    rows: Iterable[Mapping[str, str | None]], lines: Mapping[str, str]
) -> list[dict[str, str | None]]:
    """The rows of a list of streets, each that has no line of its own given the one ``lines``
    holds for its USRN."""
    return [
        {**row, "geometry": row.get("geometry") or lines.get((row.get("usrn") or "").strip(), "")}
        for row in rows
    ]


def streets_import(
    *,
    organisation: Organisation,
    rows: Iterable[Mapping[str, str | None]],
    actor: Actor = SYSTEM,
) -> StreetImportResult:
    """Create or update an organisation's streets from rows of the published list.

    Rows are numbered from 1, the first row after the headings. Raises ValidationFailed, and
    changes nothing, if any row is not valid; ``fields`` holds every problem by row and column.
    """
    values, problems = _rows_check(rows)
    if problems:
        count = len(problems)
        first_field, first = next(iter(problems.items()))
        raise ValidationFailed(
            f"The streets cannot be imported: {count} problem{'s' if count > 1 else ''}, "
            f"the first in {first_field}: {first}.",
            fields=problems,
        )
    with transaction.atomic():
        result = _streets_sync(organisation, values)
        audit_record(
            organisation=organisation,
            subject_type="organisation",
            subject_id=organisation.pk,
            action="streets_imported",
            actor=actor,
            after=asdict(result),
        )
    return result


# Validation


# How councils' lists of streets and gazetteers word who maintains a street.
_ADOPTION_WORDS = {
    "maintainable_at_public_expense": Adoption.ADOPTED,
    "highway_maintainable_at_public_expense": Adoption.ADOPTED,
    "prospectively_maintainable_at_public_expense": Adoption.UNADOPTED,
    "not_adopted": Adoption.UNADOPTED,
    "private_street": Adoption.PRIVATE,
    "private_road": Adoption.PRIVATE,
    "trunk_road": Adoption.NATIONAL_HIGHWAYS,
    "highways_england": Adoption.NATIONAL_HIGHWAYS,
}


def adoption_parse(text: str) -> str | None:
    """An adoption status from its value, a label-like spelling ("National Highways") or the
    words of a council's list of streets ("Maintainable at public expense")."""
    value = re.sub(r"[\s-]+", "_", text.strip().lower())
    value = _ADOPTION_WORDS.get(value, value)
    return value if value in Adoption.values else None


def _rows_check(
    rows: Iterable[Mapping[str, str | None]],
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    values: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        text = {column: (row.get(column) or "").strip() for column in COLUMNS}
        row_problems, row_values = _row_check(text)
        for column, message in row_problems.items():
            problems[f"row {number}.{column}"] = message
        usrn = text["usrn"]
        if usrn in values:
            problems[f"row {number}.usrn"] = f"USRN {usrn} appears more than once"
        if not row_problems and usrn not in values:
            values[usrn] = row_values
    if not values and not problems:
        problems["rows"] = "there are no streets to import"
    return values, problems


def _row_check(text: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    problems: dict[str, str] = {}
    for column in REQUIRED_COLUMNS:
        if not text[column]:
            problems[column] = f"the {column} is missing"
    if not text["geometry"]:
        problems["geometry"] = "the line is missing: give it here, or in a file of lines"
    if text["usrn"] and not _USRN.match(text["usrn"]):
        problems["usrn"] = "a USRN is a number of up to 12 digits"
    adoption = adoption_parse(text["adoption"])
    if text["adoption"] and adoption is None:
        problems["adoption"] = (
            f"'{text['adoption']}' is not an adoption status (use {', '.join(Adoption.values)})"
        )
    for column, limit in (("name", 200), ("locality", 120), ("maintainer", 200)):
        if len(text[column]) > limit:
            problems[column] = f"the {column} is longer than {limit} characters"
    lines: list[Coordinates] = []
    if text["geometry"]:
        try:
            lines = lines_parse(text["geometry"])
        except GeometryError as error:
            problems["geometry"] = str(error)
    if problems:
        return problems, {}
    longitudes = [lon for line in lines for lon, _ in line]
    latitudes = [lat for line in lines for _, lat in line]
    geometry = lines_geojson(lines)
    return {}, {
        "name": text["name"],
        "locality": text["locality"],
        "adoption": adoption,
        "maintainer": text["maintainer"],
        "geometry": geometry,
        "min_latitude": min(latitudes),
        "max_latitude": max(latitudes),
        "min_longitude": min(longitudes),
        "max_longitude": max(longitudes),
    }


# Writing


def _streets_sync(
    organisation: Organisation, values: dict[str, dict[str, Any]]
) -> StreetImportResult:
    existing = {
        street.usrn: street
        for street in Street.objects.filter(organisation=organisation, usrn__in=list(values))
    }
    new: list[Street] = []
    changed: list[Street] = []
    now = timezone.now()
    for usrn, wanted in values.items():
        street = existing.get(usrn)
        if street is None:
            new.append(Street(organisation=organisation, usrn=usrn, **wanted))
            continue
        if any(getattr(street, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(street, name, value)
            street.updated_at = now
            changed.append(street)
    Street.objects.bulk_create(new, batch_size=500)
    if changed:
        Street.objects.bulk_update(changed, [*_FIELDS, "updated_at"], batch_size=500)
    return StreetImportResult(
        created=len(new),
        updated=len(changed),
        unchanged=len(values) - len(new) - len(changed),
    )


# Landmarks and collection rounds


def landmark_check(
    *,
    organisation: Organisation,
    name: str,
    latitude: float,
    longitude: float,
    street: Street | None,
) -> None:
    """ValidationFailed, by field, if the landmark cannot be saved."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Enter the landmark's name"
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        errors["latitude"] = "Enter a latitude and longitude on the map"
    if street is not None and street.organisation_id != organisation.pk:
        errors["street"] = "Choose one of the council's own streets"
    if errors:
        raise ValidationFailed("Check the landmark.", fields=errors)


def landmark_save(
    *,
    organisation: Organisation,
    name: str,
    latitude: float,
    longitude: float,
    street: Street | None = None,
    also_known_as: str = "",
    existing: Landmark | None = None,
    actor: Actor = SYSTEM,
) -> Landmark:
    """Add a landmark, or update the one of that name (or ``existing``, which may be renamed)."""
    name = name.strip()
    landmark_check(
        organisation=organisation, name=name, latitude=latitude, longitude=longitude, street=street
    )
    values = {
        "name": name,
        "latitude": latitude,
        "longitude": longitude,
        "street": street,
        "also_known_as": ", ".join(names_parse(also_known_as)),
    }
    with transaction.atomic():
        landmark = _named_row_saved(
            Landmark, existing=existing, values={"organisation": organisation, **values}
        )
        audit_record(
            organisation=organisation,
            subject_type="landmark",
            subject_id=landmark.pk,
            action="landmark_saved",
            actor=actor,
            after={"name": name},
        )
    return landmark


@dataclass(frozen=True)
class RoundCovers:
    postcode_areas: list[str]
    localities: list[str]


def collection_round_check(
    *,
    name: str,
    bin_type: str,
    every_weeks: int,
    postcode_areas: str,
    localities: str,
) -> RoundCovers:
    """The postcode areas and towns a round covers, tidied. A round must cover at least one,
    or no resident would ever be told about it. ValidationFailed, by field, otherwise."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Enter a name for the round"
    if bin_type not in BinType.values:
        errors["bin_type"] = "Choose the bin the round collects"
    if not 1 <= every_weeks <= 4:
        errors["every_weeks"] = "A round repeats every 1, 2, 3 or 4 weeks"
    try:
        areas = postcode_areas_parse(postcode_areas)
    except ValidationFailed as problem:
        errors.update(problem.fields)
        areas = []
    towns = names_parse(localities)
    if not areas and not towns and "postcode_areas" not in errors:
        errors["postcode_areas"] = "Enter the postcode areas or the towns the round covers"
    if errors:
        raise ValidationFailed("Check the collection round.", fields=errors)
    return RoundCovers(postcode_areas=areas, localities=towns)


def collection_round_save(
    *,
    organisation: Organisation,
    name: str,
    bin_type: str,
    first_collection: date,
    every_weeks: int = 1,
    postcode_areas: str = "",
    localities: str = "",
    active: bool = True,
    existing: CollectionRound | None = None,
    actor: Actor = SYSTEM,
) -> CollectionRound:
    """Add a bin collection round, or update the one of that name (or ``existing``, which may
    be renamed); see collection_round_check."""
    name = name.strip()
    covers = collection_round_check(
        name=name,
        bin_type=bin_type,
        every_weeks=every_weeks,
        postcode_areas=postcode_areas,
        localities=localities,
    )
    values = {
        "name": name,
        "bin_type": bin_type,
        "first_collection": first_collection,
        "every_weeks": every_weeks,
        "postcode_areas": ", ".join(covers.postcode_areas),
        "localities": ", ".join(covers.localities),
        "active": active,
    }
    with transaction.atomic():
        found = _named_row_saved(
            CollectionRound, existing=existing, values={"organisation": organisation, **values}
        )
        audit_record(
            organisation=organisation,
            subject_type="collection_round",
            subject_id=found.pk,
            action="collection_round_saved",
            actor=actor,
            after={
                "name": name,
                "bin_type": bin_type,
                "postcode_areas": values["postcode_areas"],
                "localities": values["localities"],
                "active": active,
            },
        )
    return found


# Councils around ours that are not on this installation

# What a report page address may ask to be filled in with, from the place the resident chose.
REPORT_PLACEHOLDERS = ("latitude", "longitude")
_PLACEHOLDERS_SHOWN = "{latitude} or {longitude}"
MAX_REPORT_URL = 500


def https_address_problem(address: str) -> str:
    """What is wrong with a web address residents are sent to, or "" when there is nothing."""
    if any(character.isspace() or ord(character) < 32 for character in address):
        return "The address must not have spaces in it"
    parts = urlsplit(address)
    if parts.scheme.lower() != "https" or not parts.hostname:
        return "The address must start with https:// and the name of the website"
    if parts.username or parts.password:
        return "The address must not hold a user name or password"
    return ""


def report_url_problem(address: str) -> str:
    """What is wrong with a report page address, or "" when it can be used. It may hold
    {latitude} and {longitude}, in its path or query, and nothing else in braces."""
    if len(address) > MAX_REPORT_URL:
        return f"The address must be {MAX_REPORT_URL} characters or fewer"
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in Formatter().parse(address)
            if name is not None
        ]
    except ValueError:
        return f"Check the braces: each {{ needs its }}, as in {_PLACEHOLDERS_SHOWN}"
    for name, spec, conversion in fields:
        if name not in REPORT_PLACEHOLDERS or spec or conversion:
            shown = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            return f"{shown} is not part of the place we can fill in: use {_PLACEHOLDERS_SHOWN}"
    if "{" in urlsplit(address).netloc:
        return "The place can go in the path or the query of the address, not the website's name"
    return https_address_problem(address.format(latitude="0", longitude="0"))


@dataclass(frozen=True)
class NeighbourChecked:
    boundary: dict[str, Any]
    bounds: tuple[float, float, float, float]  # west, south, east, north


def neighbouring_council_check(
    *, name: str, boundary: Any, website: str, phone: str, report_url: str
) -> NeighbourChecked:
    """The council's boundary, checked as a council's own is (organisations.boundaries), or
    ValidationFailed by field: a name, a boundary and https addresses are needed."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Enter the council's name"
    elif len(name.strip()) > 200:
        errors["name"] = "The name must be 200 characters or fewer"
    geometry: dict[str, Any] = {}
    if not boundary:
        errors["boundary"] = "Give the council's boundary, a GeoJSON Polygon or MultiPolygon"
    else:
        try:
            text = boundary if isinstance(boundary, str) else json.dumps(boundary)
            geometry = boundary_read(text, file_name="The boundary").geometry
        except ValidationFailed as problem:
            errors["boundary"] = problem.message
    if website and (problem_text := https_address_problem(website)):
        errors["website"] = problem_text
    if report_url and (problem_text := report_url_problem(report_url)):
        errors["report_url"] = problem_text
    if len(phone.strip()) > 40:
        errors["phone"] = "The phone number must be 40 characters or fewer"
    if errors:
        raise ValidationFailed("Check the council.", fields=errors)
    west, south, east, north = shape(geometry).bounds
    return NeighbourChecked(boundary=geometry, bounds=(west, south, east, north))


def neighbouring_council_save(
    *,
    name: str,
    boundary: Any,
    website: str = "",
    phone: str = "",
    report_url: str = "",
    code: str = "",
    boundary_attribution: str = "",
    existing: NeighbouringCouncil | None = None,
) -> NeighbouringCouncil:
    """Add a council that is not on this installation, or update the one of that name (or
    ``existing``, which may be renamed). ``boundary`` is a GeoJSON geometry, Feature or
    FeatureCollection, as a dict or as text; see neighbouring_council_check."""
    name, website, phone, report_url = (
        name.strip(),
        website.strip(),
        phone.strip(),
        report_url.strip(),
    )
    checked = neighbouring_council_check(
        name=name, boundary=boundary, website=website, phone=phone, report_url=report_url
    )
    west, south, east, north = checked.bounds
    values = {
        "name": name,
        "code": code.strip(),
        "boundary": checked.boundary,
        "boundary_attribution": boundary_attribution.strip(),
        "website": website,
        "phone": phone,
        "report_url": report_url,
        "min_latitude": south,
        "max_latitude": north,
        "min_longitude": west,
        "max_longitude": east,
    }
    with transaction.atomic():
        return _named_row_saved(NeighbouringCouncil, existing=existing, values=values)


_Named = TypeVar("_Named", Landmark, CollectionRound, NeighbouringCouncil)


def _named_row_saved(
    model: type[_Named], *, existing: _Named | None, values: dict[str, Any]
) -> _Named:
    """``existing`` given ``values`` (it may be renamed), or else the row of that name (and
    organisation, where it has one) updated, or made. ``values`` holds the name."""
    if existing is not None:
        model.objects.filter(pk=existing.pk).update(**values, updated_at=timezone.now())
        return model.objects.get(pk=existing.pk)
    keys = {"name", "organisation"} & set(values)
    found, _ = model.objects.update_or_create(
        **{key: values[key] for key in keys},
        defaults={key: value for key, value in values.items() if key not in keys},
    )
    return found
