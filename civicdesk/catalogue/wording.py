"""A request type named as a resident would say it in a sentence.

Catalogue names are calls to action ("Report a pothole or road defect"), right for a link on a
page but wrong inside a message: "your request about report a pothole" reads badly. The
subject of the request is what follows the opening verb: "a pothole or road defect".
"""

from __future__ import annotations

import re

# Opening words of a call to action, longest first, with what replaces them (nothing, mostly).
# "Apply to join the housing register" is about "joining the housing register".
_OPENINGS: tuple[tuple[str, str], ...] = (
    ("tell us that you are ", ""),
    ("tell us you are ", ""),
    ("tell us about ", ""),
    ("ask us to delete ", "deleting "),
    ("apply to join ", "joining "),
    ("pay or challenge ", ""),
    ("get help with ", ""),
    ("get help to ", "help to "),
    ("get help if ", "help if "),
    ("ask for ", ""),
    ("apply for ", ""),
    ("register ", "registering "),
    ("request ", ""),
    ("report ", ""),
    ("book ", ""),
    ("make ", ""),
    ("check ", ""),
    ("pay ", ""),
    ("find ", ""),
    ("get ", ""),
)
# A word written in capitals (an acronym such as PCN) or with a capital inside it keeps its
# case; any other first word starts with a small letter in the middle of a sentence.
_KEEPS_CASE = re.compile(r"^(?:[A-Z]{2,}|[A-Za-z]+[A-Z][A-Za-z]*)\b")


def request_subject(name: str) -> str:
    """'Report a pothole or road defect' -> 'a pothole or road defect'; 'Libraries' ->
    'libraries'. A name that is not a call to action is kept, starting with a small letter."""
    name = " ".join(name.split())
    lowered = name.lower()
    for opening, replacement in _OPENINGS:
        rest = name[len(opening) :]
        if lowered.startswith(opening) and rest:
            return replacement + _sentence_case(rest)
    return _sentence_case(name)


def _sentence_case(text: str) -> str:
    if not text or _KEEPS_CASE.match(text):
        return text
    return text[0].lower() + text[1:]
