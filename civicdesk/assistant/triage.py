"""Triage residents' words from the command line, one line in, one JSON object out.

    python -m civicdesk.assistant.triage < questions.txt
    python manage.py triage --council telford < questions.txt

Each output line is ``{"text", "service", "confidence", "sure", "alternatives", "elsewhere",
"answers"}``. ``service`` is a catalogue key (those of the catalogue's
``service-catalogue.csv``), or null when the words are about something another body does; then
``elsewhere`` says where to go. ``sure`` is false when the confidence is too low to act on
(the chat would ask instead). ``answers`` are the best knowledge-base answers when sure: the
starter set shipped with CivicDesk (no database needed), or, through
``manage.py triage --council <slug>``, that council's published answers.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from .elsewhere import PLACES, is_elsewhere
from .engine import DATA, Engine, answers_rank, decided, engine_build

STARTER_ANSWERS = DATA / "knowledge-base.json"
MAX_ANSWERS = 2

Answers = list[tuple[dict[str, str], str, list[str]]]


class Writer(Protocol):
    def write(self, text: str) -> Any: ...

    def flush(self) -> Any: ...


def starter_answers() -> Answers:
    entries = json.loads(STARTER_ANSWERS.read_text())
    return [
        ({"title": e["title"], "text": e["body"]}, f"{e['title']} {e['body']}", e["services"])
        for e in entries
    ]


def council_answers(slug: str) -> Answers:
    """A council's published answers. Django must be set up (``manage.py triage``)."""
    from civicdesk.organisations.models import Organisation

    from .selectors import articles_published

    organisation = Organisation.objects.get(slug=slug)
    return [
        (
            {"title": article.title, "text": article.body},
            f"{article.title} {article.body}",
            [service.key for service in article.services.all()],
        )
        for article in articles_published(organisation=organisation)
    ]


def triage_lines(
    lines: Iterable[str], *, engine: Engine, answers: Answers
) -> Iterator[dict[str, Any]]:
    for line in lines:
        text = line.rstrip("\n")
        guesses = engine.rank(text)
        top = guesses[0] if guesses else None
        sure = decided(guesses)
        elsewhere = PLACES.get(top.key) if top and is_elsewhere(top.key) else None
        service = top.key if top and not elsewhere else None
        yield {
            "text": text,
            "service": service,
            "confidence": top.confidence if top else 0.0,
            "sure": sure,
            "alternatives": [
                {"service": g.key, "confidence": g.confidence}
                for g in guesses[1:4]
                if not is_elsewhere(g.key)
            ],
            "elsewhere": (
                {"who": elsewhere.who, "advice": elsewhere.advice, "link": elsewhere.link}
                if elsewhere
                else None
            ),
            "answers": answers_rank(
                text=text,
                candidates=answers,
                service_keys=[service] if service else [],
                limit=MAX_ANSWERS,
            )
            if sure
            else [],
        }


def triage_run(*, engine: Engine, answers: Answers, stdin: Iterable[str], stdout: Writer) -> None:
    for result in triage_lines(stdin, engine=engine, answers=answers):
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Triage residents' words, a line at a time.")
    parser.add_argument(
        "--engine", choices=["auto", "baseline", "embeddings"], default="auto", help="default: auto"
    )
    options = parser.parse_args(argv)
    triage_run(
        engine=engine_build(options.engine),
        answers=starter_answers(),
        stdin=sys.stdin,
        stdout=sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
