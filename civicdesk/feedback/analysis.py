"""Reading free text on the council's own machine: a word-list sentiment score and themes.

Nothing leaves the server and nothing is downloaded. The sentiment score is the balance of
positive and negative words (with "not", "never" and the like flipping the next words and
"very" strengthening them), scaled to -1..1. Themes are the words that stand out across the
comments (TF-IDF): each comment joins the theme of its strongest such word.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from civicdesk.core.words import TfIdf, stem, words


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


POSITIVE = _word_set(
    """
    good great excellent helpful friendly kind polite quick fast easy clear brilliant lovely
    fantastic amazing thanks thank thankful pleased happy resolved sorted fixed efficient
    professional patient useful simple smooth prompt perfect nice wonderful love loved
    reassuring understanding caring courteous clean tidy safe well responsive impressed
    superb outstanding best welcoming informative straightforward quickly promptly
    """
)
NEGATIVE = _word_set(
    """
    bad poor terrible awful rude slow unhelpful difficult hard confusing confused unclear
    broken dirty unsafe ignored waiting waited wait late delay delayed delays never nothing
    useless angry annoyed frustrated frustrating disappointed disappointing worse worst
    complicated lost missed missing wrong failed fail failure problem problems issue issues
    hopeless rubbish horrible disgusting unacceptable chasing chase queue smelly cold
    overflowing messy filthy littered damaged impossible stuck
    """
)
NEGATIONS = frozenset({"not", "no", "never", "nobody", "nothing", "hardly", "without", "cannot"})
INTENSIFIERS = {"very": 1.5, "really": 1.5, "extremely": 2.0, "so": 1.3, "too": 1.3}
# A negation changes the meaning of the next few words only.
NEGATION_REACH = 3
NEUTRAL_BAND = 0.05

STOPWORDS = _word_set(
    """
    a about above after again all also am an and any are as at be because been before being
    but by can could did do does doing done for from get got had has have having he her here
    him his how i if in into is it its just me more most my myself of off on once only or other
    our out over own same she should so some such than that the their them then there these
    they this those through to too under until up very was we were what when where which while
    who why will with would you your yours us went go going one two still even really much
    many lot lots bit back day days time week weeks removed council
    """
)
_WORD = re.compile(r"[a-z][a-z']+")
# A light stem so that 'bins' and 'bin', 'collections' and 'collection' group together.
_ENDINGS = {"ings": "", "ing": "", "ies": "y", "es": "", "s": "", "ed": ""}


def words_of(text: str) -> list[str]:
    return words(text, pattern=_WORD)


def sentiment_score(text: str) -> float | None:
    """-1 (all negative) to 1 (all positive); None when there is no text to read."""
    words = words_of(text)
    if not words:
        return None
    total = 0.0
    negated_for = 0
    weight = 1.0
    for word in words:
        if word in NEGATIONS:
            negated_for = NEGATION_REACH
            # "never" and "nothing" are complaints on their own as well as negations.
            if word in NEGATIVE:
                total -= 1.0
            continue
        if word in INTENSIFIERS:
            weight = INTENSIFIERS[word]
            continue
        polarity = 1.0 if word in POSITIVE else -1.0 if word in NEGATIVE else 0.0
        if polarity:
            total += polarity * weight * (-1.0 if negated_for else 1.0)
        weight = 1.0
        negated_for = max(negated_for - 1, 0)
    # Scaled by the square root of the length, so one "good" in a long comment counts for less.
    return max(-1.0, min(1.0, total / math.sqrt(len(words))))


def sentiment_label(score: float | None) -> str:
    if score is None:
        return "none"
    if score > NEUTRAL_BAND:
        return "positive"
    if score < -NEUTRAL_BAND:
        return "negative"
    return "neutral"


@dataclass(frozen=True)
class Theme:
    key: str
    words: list[str]
    members: list[int]  # positions in the comments given to ``themes_find``

    @property
    def size(self) -> int:
        return len(self.members)


def terms_of(text: str) -> list[str]:
    return [
        stem(word, endings=_ENDINGS)
        for word in words(text, pattern=_WORD, stop=STOPWORDS, shortest=3)
    ]


def themes_find(comments: Sequence[str], *, limit: int = 8, min_size: int = 2) -> list[Theme]:
    """Group comments under the words that stand out (at most ``limit`` themes, largest first).

    Each comment is a TF-IDF vector of its terms, scaled to length 1, held sparsely (a comment
    has a few terms; a year of comments has thousands). Candidate themes are the terms with the
    highest total weight that occur in at least ``min_size`` comments; each comment joins the
    candidate it weighs most. A theme is described by its key term and the terms that weigh
    most across its comments.
    """
    documents = [Counter(terms_of(text)) for text in comments]
    tfidf = TfIdf.fit(documents)
    vectors = [tfidf.vector(terms) for terms in documents]
    totals: Counter[str] = Counter()
    for vector in vectors:
        totals.update(vector)
    eligible = sorted(
        (term for term, frequency in tfidf.frequency.items() if frequency >= min_size),
        key=lambda term: (-totals[term], term),
    )
    candidates = eligible[:limit]
    if not candidates:
        return []
    members: dict[str, list[int]] = {term: [] for term in candidates}
    for row, vector in enumerate(vectors):
        # The candidate this comment weighs most; on a tie, the higher-ranked one.
        best = max(range(len(candidates)), key=lambda i: (vector.get(candidates[i], 0.0), -i))
        if vector.get(candidates[best], 0.0) > 0:
            members[candidates[best]].append(row)
    themes = []
    for key, rows in members.items():
        if len(rows) < min_size:
            continue
        profile: Counter[str] = Counter()
        for row in rows:
            profile.update(vectors[row])
        top = [term for term, _ in sorted(profile.items(), key=lambda item: (-item[1], item[0]))]
        themes.append(
            Theme(key=key, words=[key, *[t for t in top[:4] if t != key]][:4], members=rows)
        )
    return sorted(themes, key=lambda theme: (-theme.size, theme.key))
