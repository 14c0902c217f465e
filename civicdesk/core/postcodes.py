"""The shape of a UK postcode, written once for every layer that recognises one."""

from __future__ import annotations

import re

# The outward code: the area and district, such as TF1, B33 or SW1A.
OUTWARD_CODE = r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]?"
# The inward code: the sector and unit, such as 4JA.
INWARD_CODE = r"[0-9][A-Za-z]{2}"

# A whole postcode, with or without its space, in either case. ASCII classes rather than \d
# and IGNORECASE, which would also take digits from other scripts and the long s (U+017F).
# The look-arounds stop a match starting or ending inside a longer word or number when
# postcodes are searched for in free text; a full match of a field is unaffected by them.
UK_POSTCODE = re.compile(rf"(?<![A-Za-z0-9]){OUTWARD_CODE}\s*{INWARD_CODE}(?![A-Za-z0-9])")
