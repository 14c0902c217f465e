"""Taking personal data out of free text that is kept for improvement, not for casework.

One set of rules serves every place that keeps or shows a resident's words apart from their
case: the assistant's improvement log, feedback comments and survey comments, and what the
Open311 API reads back. Each of these becomes ``[removed]``:

- email addresses;
- phone numbers and card, account or reference numbers: any run of five or more digits, also
  written in groups with spaces or dashes ("07700 900123", "+44 (0)7700 900123",
  "4111-1111-1111-1111"); short numbers ("999", "3 bags") stay;
- National Insurance numbers ("QQ 12 34 56 C", "qq123456c");
- dates of birth after "born", "DOB" or "date of birth" ("born 3/4/1985",
  "date of birth 3 April 1985"); the signal word stays;
- postcodes, and house-number-and-street addresses ("12b Orchard Close");
- names that come with a signal: the words after "my name is" (or "my name's", "I am
  called"); two or more capitalised words after "I am", "I'm" or "this is" ("I am John
  Smith"); capitalised words or initials after a title ("Mrs Jones", "Mr A Patel").

The words that introduced a name or a date stay, so the text still reads ("my name is
[removed]"). Ordinary words are left alone: "I am worried" and "I am at the park" have no
capitalised pair after "I am", and a run of capitalised common words ("I Am Very Worried")
is not taken for a name. A name given with no signal at all ("Ann rang me") cannot be told
from other words and stays; that is why the improvement log of a sensitive service is kept
to its team as well.
"""

from __future__ import annotations

import re

from .postcodes import UK_POSTCODE

REMOVED = "[removed]"

# A word of a name, in any alphabet: letters, with apostrophes and hyphens inside ("O'Brien",
# "Smith-Jones"), or an initial with a full stop ("A. J. Patel").
_LETTER = r"[^\W\d_]"
_WORD = rf"(?:{_LETTER}\.(?=\s)|{_LETTER}(?:{_LETTER}|['\u2019-](?={_LETTER}))*)"

# Words that follow "I am" or "my name is" in a sentence but are not part of a name. A name
# ends at the first of them: "my name is Ann and I live..." loses only "Ann".
_COMMON = frozenset(
    """
    about after again also am an and any are as at back be because been before being but by
    can cant can't could did do does dont don't for from get going got had has have having he
    her here hers him his how i i'd i'll i'm i've id if im in is isnt isn't it it's its ive
    just me mine my myself no not now of off on or our out please really she so sorry still
    than thank thanks that the their them then there these they this those to today too
    tomorrow trying unable up us very want wanting was we were what when where which who why
    will with worried would yes yesterday you your
    hi hello dear regarding re ref council resident tenant calling writing phoning ringing
    mr mrs ms mx miss dr
    monday tuesday wednesday thursday friday saturday sunday january february march april
    june july august september october november december
    """.split()  # noqa: SIM905 - a word list reads better as text
)

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# Two letters, six digits and a letter A to D, with or without spaces. Without the final
# letter only in capitals, so that "is 123456" is left to the number rule.
_NATIONAL_INSURANCE = re.compile(
    r"\b(?:[A-Za-z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?[A-Da-d]"
    r"|[A-Z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2})\b"
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE_OF_BIRTH = re.compile(
    r"\b(?P<lead>born(?:\s+on)?(?:\s+the)?|d\.?o\.?b\.?:?|date\s+of\s+birth(?:\s+is)?:?"
    r"|birthday(?:\s+is)?:?)\s*"
    r"(?:\d{1,2}[/.\- ]\d{1,2}[/.\- ](?:\d{4}|\d{2})"  # 3/4/1985, 03-04-85
    rf"|\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH}\.?(?:,?\s+\d{{2,4}})?"  # 3rd of April
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"  # April 3, 1985
    r"|(?:in\s+)?(?:19|20)\d{2})\b",  # born in 1985
    re.IGNORECASE,
)
_STREET_ADDRESS = re.compile(
    rf"\b\d+[a-z]?,?\s+(?P<middle>(?:{_LETTER}[\w'\u2019-]*\s+){{1,3}})"
    r"(?:road|rd|street|st|close|avenue|ave|lane|drive|way|court|crescent|place|grove|gardens|"
    r"terrace|view|walk|hill|square|row|mews|rise|parade|croft)\b",
    re.IGNORECASE,
)
# Each names pattern is a lead and up to four words after it; _names_out decides how many
# of the words are a name.
_INTRODUCTION = re.compile(
    r"\b(?P<lead>(?i:my\s+name\s+is|my\s+name['\u2019]?s|i\s+am\s+called|i['\u2019]?m\s+called"
    r"|name\s*:))"
    rf"(?P<names>(?:[ \t]+{_WORD}){{1,4}})"
)
_I_AM = re.compile(
    r"\b(?P<lead>(?i:i\s+am|i['\u2019]m|im|this\s+is|it['\u2019]s))"
    rf"(?P<names>(?:[ \t]+{_WORD}){{2,4}})"
)
_TITLE = re.compile(
    r"\b(?P<lead>(?:Mrs|Mr|Ms|Mx|Miss|Dr|MRS|MR|MS|MX|MISS|DR|mrs|mr)\.?)"
    rf"(?P<names>(?:[ \t]+{_WORD}){{1,4}})"
)
# Digits in groups, with an international or bracketed area code in front if there is one.
_NUMBER_RUN = re.compile(r"(?:\+\d{1,3}[ -]?(?:\(0\)[ -]?)?|\(\d{2,5}\)[ -]?|\b)\d(?:[ -]?\d)*\b")
_LONG_NUMBER = 5


def _names_out(pattern: re.Pattern[str], text: str, *, at_least: int, capitalised: bool) -> str:
    """Replace the words after each of the pattern's leads that make up a name. They stop at
    the first common word (or, when ``capitalised``, the first word without a capital), and
    fewer than ``at_least`` of them leave the text as it was. The search goes on straight
    after a lead that was not followed by a name, so "im so sorry this is John Smith" still
    finds the second lead."""
    kept: list[str] = []
    position = 0
    while (found := pattern.search(text, position)) is not None:
        names = found.group("names")
        taken, end = 0, 0
        for word in re.finditer(r"\S+", names):
            bare = word.group().rstrip(".")
            if bare.lower() in _COMMON or (capitalised and not bare[:1].isupper()):
                break
            taken, end = taken + 1, word.end()
        kept.append(text[position : found.end("lead")])
        if taken < at_least:
            position = found.end("lead")
        else:
            kept.append(f" {REMOVED}")
            position = found.start("names") + end
    kept.append(text[position:])
    return "".join(kept)


def _address_out(found: re.Match[str]) -> str:
    # "2 bins on the road" is not an address: the words between the number and the street
    # are a street's name, not "on the".
    middle = found.group("middle").split()
    if any(word.lower() in _COMMON for word in middle[1:]) or (
        middle[0].lower() in _COMMON and middle[0].lower() != "the"
    ):
        return found.group(0)
    return REMOVED


def _national_insurance_out(found: re.Match[str]) -> str:
    # "is 123456 a" is a word and a number (which the number rule takes), not an NI number.
    prefix = found.group(0)[:2]
    return found.group(0) if prefix.islower() and prefix in _COMMON else REMOVED


def _number_out(found: re.Match[str]) -> str:
    digits = sum(character.isdigit() for character in found.group(0))
    return REMOVED if digits >= _LONG_NUMBER else found.group(0)


def _date_of_birth_out(found: re.Match[str]) -> str:
    return f"{found.group('lead')} {REMOVED}"


def redact_personal_data(text: str) -> str:
    """The text with email addresses, phone, card and other long numbers, National Insurance
    numbers, dates of birth, postcodes, street addresses and introduced names replaced by
    ``[removed]`` (see the module's notes for what counts)."""
    text = _EMAIL.sub(REMOVED, text)
    text = _NATIONAL_INSURANCE.sub(_national_insurance_out, text)
    text = _DATE_OF_BIRTH.sub(_date_of_birth_out, text)
    text = UK_POSTCODE.sub(REMOVED, text)
    text = _STREET_ADDRESS.sub(_address_out, text)
    text = _names_out(_TITLE, text, at_least=1, capitalised=True)
    text = _names_out(_INTRODUCTION, text, at_least=1, capitalised=False)
    text = _names_out(_I_AM, text, at_least=2, capitalised=True)
    return _NUMBER_RUN.sub(_number_out, text)
