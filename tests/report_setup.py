"""Councils, services and streets for the report journey tests (Django client and browser)."""

from __future__ import annotations

from dataclasses import dataclass

from civicdesk.catalogue.models import RequestType
from civicdesk.geo.models import Street
from civicdesk.organisations.models import Organisation

from . import factories
from .sample_files import PNG  # noqa: F401 (the report tests import it from here)

# Inside Wrekin, on Station Road; inside Shropshire; on a private road in Wrekin.
STATION_ROAD = (52.70, -2.51)
IN_SHROPSHIRE = (52.70, -2.70)
PRIVATE_LANE = (52.65, -2.445)


def square(west: float, south: float, east: float, north: float) -> dict[str, object]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def street(council: Organisation, usrn: str, name: str, line: list[list[float]], **extra) -> Street:
    longitudes = [point[0] for point in line]
    latitudes = [point[1] for point in line]
    return Street.objects.create(
        organisation=council,
        usrn=usrn,
        name=name,
        geometry={"type": "LineString", "coordinates": line},
        min_latitude=min(latitudes),
        max_latitude=max(latitudes),
        min_longitude=min(longitudes),
        max_longitude=max(longitudes),
        **{"adoption": "adopted", **extra},
    )


@dataclass
class Councils:
    wrekin: Organisation
    shropshire: Organisation
    missed_bin: RequestType
    pothole: RequestType
    fallen_tree: RequestType


def councils() -> Councils:
    wrekin = factories.OrganisationFactory(
        name="Wrekin Council",
        slug="wrekin",
        phone="01632 960100",
        emergency_phone="01632 960199",
        boundary=square(-2.6, 52.6, -2.4, 52.8),
    )
    shropshire = factories.OrganisationFactory(
        name="Shropshire Council",
        slug="shropshire",
        website="https://shropshire.example/",
        boundary=square(-2.8, 52.6, -2.6, 52.8),
    )
    missed_bin = factories.RequestTypeFactory(
        organisation=wrekin, key="missed-bin", name="Report a missed bin collection"
    )
    factories.QuestionFactory(
        request_type=missed_bin,
        key="bin",
        label="Which bin was missed?",
        kind="choice",
        choices=["General waste", "Recycling"],
        position=1,
    )
    factories.QuestionFactory(
        request_type=missed_bin,
        key="details",
        label="Anything else we should know?",
        kind="text",
        required=False,
        position=2,
    )
    factories.CharterTargetFactory(
        request_type=missed_bin, amount=2, unit="working_days", summary="collect your bin"
    )
    pothole = factories.RequestTypeFactory(
        organisation=wrekin, key="pothole", name="Report a pothole"
    )
    for position, (key, label, kind, required) in enumerate(
        [
            ("where", "Where is the pothole?", "location", True),
            ("depth", "How deep is it, in centimetres?", "number", True),
            ("noticed", "When did you first notice it?", "date", True),
            ("photo", "Add a photo", "file", False),
        ]
    ):
        factories.QuestionFactory(
            request_type=pothole,
            key=key,
            label=label,
            kind=kind,
            required=required,
            position=position,
            maximum=100 if kind == "number" else None,
        )
    factories.CharterTargetFactory(
        request_type=pothole, amount=5, unit="working_days", summary="inspect it"
    )
    fallen_tree = factories.RequestTypeFactory(
        organisation=wrekin, key="fallen-tree", name="Report a fallen tree", emergency=True
    )
    factories.QuestionFactory(
        request_type=fallen_tree, key="where", label="Where is the tree?", kind="location"
    )
    street(wrekin, "1001", "Station Road", [[-2.52, 52.70], [-2.50, 52.70]], locality="Wellington")
    street(wrekin, "1002", "Station Close", [[-2.48, 52.72], [-2.47, 52.72]], locality="Hadley")
    street(
        wrekin,
        "1003",
        "Private Lane",
        [[-2.45, 52.65], [-2.44, 52.65]],
        adoption="private",
        maintainer="Lane Residents Ltd",
    )
    return Councils(wrekin, shropshire, missed_bin, pothole, fallen_tree)
