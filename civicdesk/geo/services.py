"""Importing a council's published list of streets; saving landmarks and bin collection rounds.

Each row names a street by its USRN (Unique Street Reference Number), with its name, locality,
who maintains it and its line. Importing is idempotent: streets are matched by USRN, so running
it again updates them in place; streets missing from the rows are left alone.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from civicdesk.core.audit import SYSTEM, Actor, audit_record
from civicdesk.core.errors import ValidationFailed
from civicdesk.organisations.models import Organisation

from .choices import Adoption, BinType
from .collections import names_parse, postcode_areas_parse
from .geometry import Coordinates, GeometryError, lines_geojson, lines_parse
from .models import CollectionRound, Landmark, Street

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
        if existing is not None:
            Landmark.objects.filter(pk=existing.pk).update(
                organisation=organisation, **values, updated_at=timezone.now()
            )
            landmark = Landmark.objects.get(pk=existing.pk)
        else:
            landmark, _ = Landmark.objects.update_or_create(
                organisation=organisation, name=name, defaults=values
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
        if existing is not None:
            CollectionRound.objects.filter(pk=existing.pk).update(
                organisation=organisation, **values, updated_at=timezone.now()
            )
            found = CollectionRound.objects.get(pk=existing.pk)
        else:
            found, _ = CollectionRound.objects.update_or_create(
                organisation=organisation, name=name, defaults=values
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
