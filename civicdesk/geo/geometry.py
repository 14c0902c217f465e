"""Small geometry on WGS84 lon/lat: parsing street lines and measuring in metres.

Distances are measured on a local equirectangular projection centred on the place asked
about. Over the few hundred metres a street look-up covers, the error is far below a metre.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import shapely.wkt
from shapely import LineString, MultiLineString, Point
from shapely.errors import ShapelyError
from shapely.ops import linemerge

EARTH_RADIUS_METRES = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_METRES * math.pi / 180
# Great Britain and Northern Ireland with a margin: a coordinate outside is a mistake.
UK_LONGITUDES = (-8.7, 1.9)
UK_LATITUDES = (49.8, 60.9)

Coordinates = list[tuple[float, float]]


class GeometryError(ValueError):
    """A line that cannot be read, with a message for the person who wrote it."""


def line_parse(text: str) -> Coordinates:
    """A line from WKT (``LINESTRING (lon lat, lon lat)``) or ``lon lat; lon lat; ...``."""
    text = text.strip()
    if not text:
        raise GeometryError("the geometry is missing")
    coordinates = _wkt_parse(text) if text[:1].isalpha() else _pairs_parse(text)
    if len(coordinates) < 2:
        raise GeometryError("a street needs at least two points")
    for longitude, latitude in coordinates:
        if not (UK_LONGITUDES[0] <= longitude <= UK_LONGITUDES[1]) or not (
            UK_LATITUDES[0] <= latitude <= UK_LATITUDES[1]
        ):
            raise GeometryError(
                f"the point {longitude} {latitude} is not in the UK (give longitude first)"
            )
    return coordinates


def lines_parse(text: str) -> list[Coordinates]:
    """A street's line, or its lines when it is in pieces: what ``line_parse`` reads, or a WKT
    ``MULTILINESTRING`` (as OS Open USRN gives every street). Pieces that meet end to end are
    joined into one line."""
    text = text.strip()
    if not text[:1].isalpha():
        return [line_parse(text)]
    try:
        shape = shapely.wkt.loads(text)
    except (ShapelyError, ValueError) as error:
        raise GeometryError("the geometry is not valid WKT") from error
    if isinstance(shape, LineString):
        return [line_parse(text)]
    if not isinstance(shape, MultiLineString) or shape.is_empty:
        raise GeometryError(
            f"the geometry is a {shape.geom_type}, not a LINESTRING or MULTILINESTRING"
        )
    merged = linemerge(shape)
    pieces = list(merged.geoms) if isinstance(merged, MultiLineString) else [merged]
    return [line_parse(piece.wkt) for piece in pieces]


def lines_geojson(lines: list[Coordinates]) -> dict[str, Any]:
    """A LineString, or a MultiLineString for a street in pieces."""
    if len(lines) == 1:
        return line_geojson(lines[0])
    return {
        "type": "MultiLineString",
        "coordinates": [line_geojson(line)["coordinates"] for line in lines],
    }


def geojson_lines(geometry: dict[str, Any]) -> list[Coordinates]:
    """The pieces of a street's line: one for a LineString, each of a MultiLineString's."""
    if geometry.get("type") == "MultiLineString":
        return [
            [(float(point[0]), float(point[1])) for point in piece]
            for piece in geometry.get("coordinates", [])
        ]
    return [geojson_coordinates(geometry)]


def longest_line(lines: Sequence[Coordinates]) -> Coordinates:
    """The longest piece of a street in pieces (where to put its label or its middle)."""

    def length(line: Coordinates) -> float:
        plane = LocalPlane(longitude=line[0][0], latitude=line[0][1])
        return float(plane.line(line).length)

    return max(lines, key=length)


def _wkt_parse(text: str) -> Coordinates:
    try:
        shape = shapely.wkt.loads(text)
    except (ShapelyError, ValueError) as error:
        raise GeometryError("the geometry is not valid WKT") from error
    if not isinstance(shape, LineString):
        raise GeometryError(f"the geometry is a {shape.geom_type}, not a LINESTRING")
    return [(float(x), float(y)) for x, y, *_ in shape.coords]


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _pairs_parse(text: str) -> Coordinates:
    coordinates: Coordinates = []
    for pair in text.split(";"):
        parts = pair.replace(",", " ").split()
        if not parts:
            continue
        if len(parts) != 2 or not all(_NUMBER.match(part) for part in parts):
            raise GeometryError(f"'{pair.strip()}' is not a longitude and latitude pair")
        coordinates.append((float(parts[0]), float(parts[1])))
    return coordinates


def line_geojson(coordinates: Coordinates) -> dict[str, Any]:
    return {
        "type": "LineString",
        "coordinates": [[round(lon, 6), round(lat, 6)] for lon, lat in coordinates],
    }


def geojson_coordinates(geometry: dict[str, Any]) -> Coordinates:
    return [(float(point[0]), float(point[1])) for point in geometry.get("coordinates", [])]


def degrees_around(*, latitude: float, metres: float) -> tuple[float, float]:
    """How many degrees of latitude and of longitude ``metres`` covers at ``latitude``."""
    latitude_degrees = metres / METRES_PER_DEGREE
    cosine = max(math.cos(math.radians(latitude)), 0.01)
    return latitude_degrees, latitude_degrees / cosine


class LocalPlane:
    """Metres east and north of an origin, for measuring near it."""

    def __init__(self, *, latitude: float, longitude: float) -> None:
        self.latitude = latitude
        self.longitude = longitude
        self.cosine = math.cos(math.radians(latitude))

    def to_metres(self, longitude: float, latitude: float) -> tuple[float, float]:
        return (
            (longitude - self.longitude) * self.cosine * METRES_PER_DEGREE,
            (latitude - self.latitude) * METRES_PER_DEGREE,
        )

    def to_degrees(self, east: float, north: float) -> tuple[float, float]:
        return (
            self.longitude + east / (self.cosine * METRES_PER_DEGREE),
            self.latitude + north / METRES_PER_DEGREE,
        )

    def line(self, coordinates: Sequence[tuple[float, float]]) -> LineString:
        return LineString([self.to_metres(lon, lat) for lon, lat in coordinates])

    def distance_to_line(self, coordinates: Sequence[tuple[float, float]]) -> float:
        """Metres from the origin to the nearest point of the line."""
        return float(self.line(coordinates).distance(Point(0.0, 0.0)))

    def distance_to_point(self, *, longitude: float, latitude: float) -> float:
        east, north = self.to_metres(longitude, latitude)
        return math.hypot(east, north)


def line_midpoint(coordinates: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """The point halfway along a line, by distance, as (lon, lat)."""
    longitudes = [lon for lon, _ in coordinates]
    latitudes = [lat for _, lat in coordinates]
    plane = LocalPlane(
        latitude=(min(latitudes) + max(latitudes)) / 2,
        longitude=(min(longitudes) + max(longitudes)) / 2,
    )
    middle = plane.line(coordinates).interpolate(0.5, normalized=True)
    return plane.to_degrees(float(middle.x), float(middle.y))
