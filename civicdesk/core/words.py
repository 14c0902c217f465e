"""Free text as numbers, read on the council's own machine: words, light stems, TF-IDF weights
and how alike two weighted texts are. Each caller brings its own word pattern, stop words and
endings, since what counts as a word differs between, say, a resident's question and a comment.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def words(
    text: str, *, pattern: re.Pattern[str], stop: frozenset[str] = frozenset(), shortest: int = 1
) -> list[str]:
    """The lower-case words ``pattern`` finds, without edge apostrophes, stop words or words
    shorter than ``shortest`` letters."""
    found = (word.strip("'") for word in pattern.findall(text.lower()))
    return [word for word in found if word not in stop and len(word) >= shortest]


def stem(word: str, *, endings: Mapping[str, str], shortest: int = 3) -> str:
    """The word with the first of ``endings`` it has (tried in order) replaced by that ending's
    replacement, as long as ``shortest`` letters are left before it."""
    for ending, replacement in endings.items():
        if word.endswith(ending) and len(word) - len(ending) >= shortest:
            return word[: -len(ending)] + replacement
    return word


def inverse_document_frequency(*, documents: int, frequency: int) -> float:
    """Smoothed, so that a term in every document still counts for something and a term in
    none (``frequency`` 0) counts the most."""
    return math.log((documents + 1) / (frequency + 1)) + 1


@dataclass(frozen=True)
class TfIdf:
    """Term weights learnt from a set of documents, each given as the count of its terms.

    With ``sublinear`` a term's count counts as 1 + log(count), so that a term said five times
    does not outweigh everything else said once.
    """

    frequency: Counter[str]
    idf: dict[str, float]
    # The weight of a term none of the documents had.
    unseen_idf: float
    sublinear: bool = False

    @classmethod
    def fit(cls, documents: Sequence[Mapping[str, int]], *, sublinear: bool = False) -> TfIdf:
        frequency: Counter[str] = Counter()
        for terms in documents:
            frequency.update(terms.keys())
        idf = {
            term: inverse_document_frequency(documents=len(documents), frequency=count)
            for term, count in frequency.items()
        }
        unseen_idf = inverse_document_frequency(documents=len(documents), frequency=0)
        return cls(frequency=frequency, idf=idf, unseen_idf=unseen_idf, sublinear=sublinear)

    def weights(self, terms: Mapping[str, int]) -> dict[str, float]:
        """Each term's TF-IDF weight, in the order given."""
        return {
            term: (1 + math.log(count) if self.sublinear else count)
            * self.idf.get(term, self.unseen_idf)
            for term, count in terms.items()
        }

    def vector(self, terms: Mapping[str, int]) -> dict[str, float]:
        """The weights scaled to length 1 (empty when there are none)."""
        return unit_vector(self.weights(terms))


def unit_vector(weights: Mapping[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(weight * weight for weight in weights.values()))
    return {term: weight / norm for term, weight in weights.items()} if norm else {}


def cosine(first: Mapping[str, float], second: Mapping[str, float]) -> float:
    """How alike two weighted texts are: 0 (nothing shared) to 1 (the same direction)."""
    shared = sum(weight * second[term] for term, weight in first.items() if term in second)
    norms = math.sqrt(
        sum(weight * weight for weight in first.values())
        * sum(weight * weight for weight in second.values())
    )
    return shared / norms if norms else 0.0
