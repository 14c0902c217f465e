"""The demo councils' catalogue: the questions each service asks and its charter targets.

They are the starter catalogue's (``civicdesk/catalogue/data/service-catalogue.json``, beside its
CSV), in the format the catalogue importer reads, which a council can edit and import. The
CSV states each charter timescale in words; the spec has it as targets the clock can run on.
"12 weeks" is 84 calendar days; "same working day" is 0 working days (close of business on the
day the clock starts); "instant (self-service)" and "published offer dates" have no target.
Emails and social media messages are answered in 3 to 5 working days where a service's own
timescale is not about the reply.
"""

from __future__ import annotations

from pathlib import Path

from civicdesk.catalogue.importing import CATALOGUE_JSON, RequestTypeSpec, catalogue_spec_read

CATALOGUE_SPEC_JSON: Path = CATALOGUE_JSON

SPEC: dict[str, RequestTypeSpec] = catalogue_spec_read(CATALOGUE_SPEC_JSON)
