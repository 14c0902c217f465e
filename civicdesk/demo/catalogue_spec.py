"""The demo councils' catalogue: the questions each service asks and its charter targets.

They are in ``data/service-catalogue-spec.json``, in the format the catalogue importer reads, so
that with the importer's CSV they make a starter catalogue a council can edit and import. The
CSV states each charter timescale in words; the spec has it as targets the clock can run on.
"12 weeks" is 84 calendar days; "same working day" is 0 working days (close of business on the
day the clock starts); "instant (self-service)" and "published offer dates" have no target.
Emails and social media messages are answered in 3 to 5 working days where a service's own
timescale is not about the reply.
"""

from __future__ import annotations

from pathlib import Path

from civicdesk.catalogue.importing import RequestTypeSpec, catalogue_spec_read

CATALOGUE_SPEC_JSON = Path(__file__).resolve().parent / "data" / "service-catalogue-spec.json"

SPEC: dict[str, RequestTypeSpec] = catalogue_spec_read(CATALOGUE_SPEC_JSON)
