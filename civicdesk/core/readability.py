"""How hard a piece of text is to read, as a UK reading age.

We use the Flesch-Kincaid grade level (US school grade) and add 5 to turn it into a reading
age. It is a rough measure: it counts words per sentence and syllables per word, and says
nothing about whether the words are familiar. We aim for a reading age of 9 or below on
resident pages, as GOV.UK does, and note where the subject makes that impossible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)|\n\s*\n|:\s*\n")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


@dataclass(frozen=True)
class Readability:
    words: int
    sentences: int
    syllables: int

    @property
    def grade(self) -> float:
        if not self.words:
            return 0.0
        return 0.39 * (self.words / self.sentences) + 11.8 * (self.syllables / self.words) - 15.59

    @property
    def reading_age(self) -> int:
        """The age by which most children can read it, rounded to a whole year (5 at least)."""
        return max(5, round(self.grade + 5))


def syllables(word: str) -> int:
    """An estimate good enough for averages over a text: groups of vowels, less a silent e."""
    word = word.lower().rstrip("'s")
    count = len(_VOWEL_GROUPS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    elif word.endswith("ed") and len(word) > 3 and word[-3] not in "td" and count > 1:
        count -= 1  # "happened" has two syllables, "needed" keeps its two
    return max(1, count)


def readability(text: str) -> Readability:
    words = _WORD.findall(text)
    sentences = max(1, len([part for part in _SENTENCE_END.split(text.strip()) if part.strip()]))
    return Readability(
        words=len(words), sentences=sentences, syllables=sum(syllables(w) for w in words)
    )
