"""The council around the demo councils that is not on this installation: Powys County Council,
Shropshire's neighbour in Wales. A resident who chooses a place in Powys on either demo
council's pages is sent to a report page that takes the place (ADR 0048).

The report page is FixMyStreet's: it takes ``latitude`` and ``longitude`` on ``/report/new`` and
passes the report to the council responsible there. The phone number is one of Ofcom's numbers
reserved for drama, like every number in the demo.
"""

from __future__ import annotations

import json
from pathlib import Path

from civicdesk.geo.models import NeighbouringCouncil
from civicdesk.geo.services import neighbouring_council_save

BOUNDARIES = Path(__file__).resolve().parent / "data" / "boundaries"
POWYS_NAME = "Powys County Council"
POWYS_REPORT_URL = (
    "https://www.fixmystreet.com/report/new?latitude={latitude}&longitude={longitude}"
)
# The notice the Office for National Statistics asks for with its boundaries (boundaries README).
POWYS_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right 2021."
)


def demo_neighbours_create() -> list[NeighbouringCouncil]:
    """The demo's councils that are not on this installation (updated if they exist)."""
    collection = json.loads((BOUNDARIES / "W06000023-powys.geojson").read_text(encoding="utf-8"))
    powys = neighbouring_council_save(
        name=POWYS_NAME,
        code="W06000023",
        boundary=collection,
        website="https://www.powys.gov.uk",
        phone="01632 960700",
        report_url=POWYS_REPORT_URL,
        boundary_attribution=POWYS_ATTRIBUTION,
    )
    return [powys]
