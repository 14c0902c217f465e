"""Reading a council's boundary from a GeoJSON file, checked before anything is stored.

A boundary is a Polygon or MultiPolygon in WGS84 longitude and latitude (GeoJSON's own order),
inside the United Kingdom. Files straight from the ONS Open Geography Portal or Ordnance Survey
often come in British National Grid eastings and northings, or at full resolution with hundreds
of thousands of points; the first is refused with what to do about it, the second simplified
(a look-up of where a resident's pin falls does not need centimetres).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import shapely
from shapely import MultiPolygon, Polygon
from shapely.errors import GEOSException, ShapelyError
from shapely.geometry import mapping, shape
from shapely.validation import explain_validity

from civicdesk.core.errors import ValidationFailed

# Great Britain and Northern Ireland with a margin, as (west, south, east, north).
UK_BOUNDS = (-8.7, 49.8, 1.9, 60.9)
# British National Grid covers Great Britain in metres: eastings 0 to 700 km, northings to 1,300.
BNG_BOUNDS = (0.0, 0.0, 700_000.0, 1_300_000.0)
# More points than this and the boundary is simplified. Checking a pin against a polygon costs
# time in proportion to its points, and every report checks one or two boundaries.
MOST_POINTS = 20_000
# Tolerances tried in turn, in degrees: about 5, 10, 25 and 50 metres.
TOLERANCES = (0.00005, 0.0001, 0.00025, 0.0005)
DECIMALS = 6  # about 10 centimetres
METRES_PER_DEGREE = 111_195.0


@dataclass(frozen=True)
class Boundary:
    geometry: dict[str, Any]
    points_read: int
    points_kept: int
    simplified_metres: int  # 0 when kept as it was
    square_kilometres: float
    name_in_file: str = ""
    code_in_file: str = ""

    @property
    def summary(self) -> str:
        area = f"about {self.square_kilometres:,.0f} km²"
        if not self.simplified_metres:
            return f"a {self.geometry['type']} of {self.points_kept:,} points, {area}"
        return (
            f"a {self.geometry['type']} simplified from {self.points_read:,} points to "
            f"{self.points_kept:,} (no point moved more than about {self.simplified_metres} "
            f"metres), {area}"
        )


def boundary_read(text: str, *, file_name: str = "the boundary file") -> Boundary:
    """The boundary in a GeoJSON document, or ValidationFailed saying what is wrong with it."""

    def refuse(problem: str) -> ValidationFailed:
        return ValidationFailed(f"{file_name} {problem}", fields={"boundary": problem})

    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise refuse(f"is not GeoJSON: {error.msg} on line {error.lineno}.") from None
    geometry, properties = _geometry_of(document, refuse)
    if _has_crs(document, "27700"):
        raise refuse(_BNG_ADVICE)
    try:
        polygon = shape(geometry)
    except (ShapelyError, GEOSException, ValueError, TypeError, IndexError, KeyError):
        raise refuse("has coordinates that do not make a polygon.") from None
    if not isinstance(polygon, Polygon | MultiPolygon) or polygon.is_empty:
        raise refuse("has no area: the polygon is empty.")
    west, south, east, north = polygon.bounds
    if _within((west, south, east, north), BNG_BOUNDS) and max(east, north) > 1_000:
        raise refuse(_BNG_ADVICE)
    if _within((south, west, north, east), UK_BOUNDS):
        raise refuse(
            "has latitude before longitude. GeoJSON puts longitude first, e.g. [-2.45, 52.68]."
        )
    if not _within((west, south, east, north), UK_BOUNDS):
        raise refuse(
            f"is not in the United Kingdom: its points run from longitude {west:.4f} to "
            f"{east:.4f} and latitude {south:.4f} to {north:.4f}. Give WGS84 longitude and "
            "latitude (EPSG:4326)."
        )
    if not polygon.is_valid:
        raise refuse(
            f"is not a valid polygon ({explain_validity(polygon)}). Repair it in your GIS "
            "(in QGIS: Vector, Geometry Tools, Fix Geometries) and try again."
        )
    points_read = int(shapely.get_num_coordinates(polygon))
    kept, metres = _simplified(polygon)
    geometry = _rounded(mapping(kept))
    if not shape(geometry).is_valid:
        geometry = {"type": kept.geom_type, "coordinates": mapping(kept)["coordinates"]}
    latitude = (south + north) / 2
    square_degrees_to_km = (METRES_PER_DEGREE / 1000) ** 2 * math.cos(math.radians(latitude))
    return Boundary(
        geometry=json.loads(json.dumps(geometry)),
        points_read=points_read,
        points_kept=int(shapely.get_num_coordinates(kept)),
        simplified_metres=metres,
        square_kilometres=kept.area * square_degrees_to_km,
        name_in_file=_property(properties, ("LAD24NM", "LAD23NM", "LAD21NM", "LAD_NM", "name")),
        code_in_file=_property(properties, ("LAD24CD", "LAD23CD", "LAD21CD", "LAD_CD", "code")),
    )


_BNG_ADVICE = (
    "is in British National Grid eastings and northings (EPSG:27700), not longitude and "
    "latitude. Convert it to WGS84 (EPSG:4326) first, for example with "
    "'ogr2ogr -t_srs EPSG:4326 boundary-wgs84.geojson boundary.geojson', or in QGIS with "
    "Export, Save Features As, CRS EPSG:4326."
)


def _geometry_of(document: Any, refuse: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The one geometry in a Geometry, Feature or FeatureCollection, and its properties."""
    if not isinstance(document, dict):
        raise refuse("must hold a GeoJSON object.")
    kind = document.get("type")
    properties: dict[str, Any] = {}
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list) or len(features) != 1:
            count = len(features) if isinstance(features, list) else 0
            raise refuse(
                f"must hold one feature, the council's area; it holds {count}. Dissolve the "
                "areas into one (in QGIS: Vector, Geoprocessing Tools, Dissolve)."
            )
        document = features[0]
        kind = document.get("type") if isinstance(document, dict) else None
    if kind == "Feature":
        properties = document.get("properties") or {}
        document = document.get("geometry")
        kind = document.get("type") if isinstance(document, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        raise refuse(f"must hold a Polygon or MultiPolygon, not {kind or 'nothing'}.")
    return document, properties if isinstance(properties, dict) else {}


def _has_crs(document: Any, code: str) -> bool:
    crs = document.get("crs") if isinstance(document, dict) else None
    return code in json.dumps(crs) if crs else False


def _within(bounds: tuple[float, ...], limits: tuple[float, ...]) -> bool:
    west, south, east, north = bounds
    return limits[0] <= west and limits[1] <= south and east <= limits[2] and north <= limits[3]


def _simplified(polygon: Polygon | MultiPolygon) -> tuple[Polygon | MultiPolygon, int]:
    if shapely.get_num_coordinates(polygon) <= MOST_POINTS:
        return polygon, 0
    for tolerance in TOLERANCES:
        simplified = polygon.simplify(tolerance, preserve_topology=True)
        if simplified.is_valid and shapely.get_num_coordinates(simplified) <= MOST_POINTS:
            return simplified, round(tolerance * METRES_PER_DEGREE)
    if simplified.is_valid:
        return simplified, round(TOLERANCES[-1] * METRES_PER_DEGREE)
    return polygon, 0


def _rounded(geometry: Any) -> dict[str, Any]:
    def walk(value: Any) -> Any:
        if isinstance(value, list | tuple):
            if value and isinstance(value[0], int | float):
                return [round(float(number), DECIMALS) for number in value]
            return [walk(item) for item in value]
        return value

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def _property(properties: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        value = properties.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
