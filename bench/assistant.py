"""Benchmark: how well and how fast the assistant's engines understand residents' words.

Reads the labelled evaluation set (``bench/data/assistant-eval.csv``: text, expected catalogue
key or ``elsewhere:<place>``), written separately from the training phrasings in
``civicdesk/assistant/data/phrasings.txt``, and checks that no evaluation text is the same as,
or nearly the same as, a training phrasing (see ``near_duplicates``). For one engine it
reports top-1 and top-3 accuracy, accuracy per service, the pairs it confuses, how often it
is sure enough to answer (and how often it is right when it does), training time and the
time to read one question (median and p99), pinned to ``--cores`` CPU cores (2 by default).

    python bench/assistant.py --engine baseline
    /path/to/venv-with-the-embeddings-extra/bin/python bench/assistant.py --engine embeddings

Each run writes ``bench/results/assistant-<engine>.json`` and rewrites
``bench/results/assistant.md`` with every engine that has results, side by side.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from civicdesk.assistant.engine import (  # noqa: E402
    CLEAR_AHEAD,
    CONFIDENT,
    LEAD,
    decided,
    engine_build,
    normalise,
    training_examples,
)

EVAL = ROOT / "bench" / "data" / "assistant-eval.csv"
RESULTS = ROOT / "bench" / "results"
# An evaluation text this close to a training phrasing (by shared words, or by characters in
# order) tests memory, not understanding: "lost my blue badge" against "I have lost my blue
# badge" would flatter the engine. 0.8 catches those while letting ordinary topic words
# ("council tax", "bin") appear in both.
NEAR = 0.8


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", normalise(text)))


def similarity(first: str, second: str) -> float:
    """The larger of the shared-word proportion and the character-sequence likeness, 0 to 1."""
    words_a, words_b = set(first.split()), set(second.split())
    shared = len(words_a & words_b) / max(1, len(words_a | words_b))
    return max(shared, SequenceMatcher(None, first, second).ratio())


def near_duplicates(texts: list[str], trained: list[str]) -> list[tuple[str, str, float]]:
    """Evaluation texts at least ``NEAR`` alike to some training phrasing, with the closest."""
    plain_trained = [(_plain(text), text) for text in trained]
    found = []
    for text in texts:
        plain = _plain(text)
        score, closest = max((similarity(plain, p), original) for p, original in plain_trained)
        if score >= NEAR:
            found.append((text, closest, round(score, 2)))
    return found


def pin_cores(cores: int) -> str:
    """Run on ``cores`` CPU cores, as a small council server would."""
    if hasattr(os, "sched_setaffinity"):
        available = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, set(available[:cores]))
    try:
        import torch

        torch.set_num_threads(cores)
    except ImportError:
        pass
    return f"{min(cores, os.cpu_count() or cores)} of {os.cpu_count()}"


def evaluate(engine_name: str, cores: int, passes: int) -> dict[str, Any]:
    rows = list(csv.DictReader(EVAL.open(newline="")))
    trained = [text for _, text in training_examples()]
    trained_on = {normalise(text).strip() for text in trained}
    overlap = near_duplicates([row["text"] for row in rows], trained)
    if overlap:
        listed = "\n".join(
            f"  {text!r} is like {closest!r} ({score})" for text, closest, score in overlap
        )
        raise SystemExit(f"Evaluation texts too like the training phrasings:\n{listed}")
    pinned = pin_cores(cores)
    started = time.perf_counter()
    engine = engine_build(engine_name)
    training_seconds = time.perf_counter() - started
    engine.rank("warm up")

    top1 = top3 = answered = answered_right = 0
    per_service: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confusions: Counter[tuple[str, str]] = Counter()
    for row in rows:
        guesses = engine.rank(row["text"])
        keys = [guess.key for guess in guesses[:3]]
        right = bool(keys) and keys[0] == row["expected"]
        top1 += right
        top3 += row["expected"] in keys
        per_service[row["expected"]][0] += right
        per_service[row["expected"]][1] += 1
        if not right:
            confusions[(row["expected"], keys[0] if keys else "(nothing)")] += 1
        if decided(guesses):
            answered += 1
            answered_right += right

    timings = []
    for _ in range(passes):
        for row in rows:
            began = time.perf_counter()
            engine.rank(row["text"])
            timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return {
        "engine": engine.name,
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": (
            f"{platform.machine()}, Python {platform.python_version()}, cores {pinned}, "
            # Others' work on a shared machine shows in the p99 first; say how busy it was.
            f"load average {os.getloadavg()[0]:.1f} at the end"
        ),
        "questions": len(rows),
        "services": len(per_service),
        "training_phrasings": len(trained_on),
        "training_seconds": round(training_seconds, 2),
        "top1": round(top1 / len(rows), 4),
        "top3": round(top3 / len(rows), 4),
        "confident_threshold": CONFIDENT,
        "clear_lead": f"at least {LEAD:g} times the next and at least {CLEAR_AHEAD}",
        "answered": round(answered / len(rows), 4),
        "right_when_answered": round(answered_right / answered, 4) if answered else 0.0,
        "median_ms": round(statistics.median(timings), 2),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 2),
        "per_service": {
            key: {"right": right, "of": total}
            for key, (right, total) in sorted(per_service.items())
        },
        "confusions": [
            {"expected": expected, "got": got, "times": times}
            for (expected, got), times in confusions.most_common()
        ],
    }


def report(results: list[dict[str, Any]]) -> str:
    names = [r["engine"] for r in results]
    lines = [
        "# Assistant: understanding residents' words",
        "",
        "Written by `bench/assistant.py` (see bench/README.md). Evaluation set: "
        "`bench/data/assistant-eval.csv`, written separately from the training phrasings "
        f"(none at least {NEAR:.0%} alike by shared words or characters, checked on every run).",
        "",
        "| measure | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---" for _ in names) + " |",
    ]
    rows = [
        ("run", lambda r: r["when"]),
        ("machine", lambda r: r["machine"]),
        ("questions (services and other bodies)", lambda r: f"{r['questions']} ({r['services']})"),
        ("training phrasings", lambda r: str(r["training_phrasings"])),
        ("training time", lambda r: f"{r['training_seconds']} s"),
        ("top-1 accuracy", lambda r: f"{r['top1']:.1%}"),
        ("top-3 accuracy", lambda r: f"{r['top3']:.1%}"),
        (
            "sure enough to answer (confidence at least the threshold, or clearly ahead)",
            lambda r: (
                f"{r['answered']:.1%} (threshold {r['confident_threshold']}"
                + (f"; or {r['clear_lead']}" if r.get("clear_lead") else "")
                + ")"
            ),
        ),
        ("right when sure", lambda r: f"{r['right_when_answered']:.1%}"),
        ("time per question, median", lambda r: f"{r['median_ms']} ms"),
        ("time per question, p99", lambda r: f"{r['p99_ms']} ms"),
    ]
    lines += [f"| {label} | " + " | ".join(get(r) for r in results) + " |" for label, get in rows]
    lines += ["", "## Per service (right of total)", ""]
    lines += [
        "| service | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---" for _ in names) + " |",
    ]
    keys = sorted({key for r in results for key in r["per_service"]})
    for key in keys:
        cells = []
        for r in results:
            found = r["per_service"].get(key)
            cells.append(f"{found['right']}/{found['of']}" if found else "")
        lines.append(f"| `{key}` | " + " | ".join(cells) + " |")
    for r in results:
        lines += [
            "",
            f"## Confusions: {r['engine']}",
            "",
            "| expected | got | times |",
            "| --- | --- | --- |",
        ]
        lines += [f"| `{c['expected']}` | `{c['got']}` | {c['times']} |" for c in r["confusions"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--engine", choices=["baseline", "embeddings"], default="baseline")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the set")
    options = parser.parse_args()
    result = evaluate(options.engine, options.cores, options.passes)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"assistant-{options.engine}.json").write_text(json.dumps(result, indent=2) + "\n")
    results = [
        json.loads((RESULTS / f"assistant-{name}.json").read_text())
        for name in ("baseline", "embeddings")
        if (RESULTS / f"assistant-{name}.json").exists()
    ]
    (RESULTS / "assistant.md").write_text(report(results))
    print(
        f"{result['engine']}: top-1 {result['top1']:.1%}, top-3 {result['top3']:.1%}, "
        f"sure {result['answered']:.1%} (right {result['right_when_answered']:.1%}), "
        f"median {result['median_ms']} ms, p99 {result['p99_ms']} ms"
    )


if __name__ == "__main__":
    main()
