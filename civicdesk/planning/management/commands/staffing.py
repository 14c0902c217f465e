"""Advisers needed for one interval of calls, from the command line.

python manage.py staffing --calls 100 --interval-minutes 30 --aht-seconds 180 \
    --target-seconds 20 --service-level 80 --max-occupancy 85 --shrinkage 30 --json

Percentages are given and printed as percentages (80 means 80%). With --patience-seconds the
callers give up after that long on average (Erlang A); without it they wait (Erlang C). With
--agents it works out what that many advisers give instead of searching for the fewest.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.core.errors import ValidationFailed
from civicdesk.planning.erlang import (
    Demand,
    Staffing,
    Target,
    staffing_evaluate,
    staffing_needed,
)

# The command's option for each field a problem can be about.
OPTION_OF_FIELD = {
    "calls": "--calls",
    "interval": "--interval-minutes",
    "handle_seconds": "--aht-seconds",
    "patience_seconds": "--patience-seconds",
    "service_level": "--service-level",
    "answer_seconds": "--target-seconds",
    "max_occupancy": "--max-occupancy",
    "shrinkage": "--shrinkage",
    "agents": "--agents",
}


def staffing_json(result: Staffing) -> dict[str, Any]:
    """The result with every share as a percentage, rounded to two places."""
    answer: dict[str, Any] = {
        "agents": result.agents,
        "staff": result.staff,
        "service_level": _percent(result.service_level),
        "asa_seconds": None if result.asa_seconds is None else round(result.asa_seconds, 2),
        "p_wait": _percent(result.p_wait),
        "occupancy": _percent(result.occupancy),
    }
    if result.abandon_rate is not None:
        answer["abandon_rate"] = _percent(result.abandon_rate)
    return answer


def _percent(share: float) -> float:
    return round(100 * share, 2)


class Command(BaseCommand):
    help = "Advisers needed for one interval of calls (Erlang C, or Erlang A with patience)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--calls", type=float, required=True, help="Calls in the interval.")
        parser.add_argument("--interval-minutes", type=float, required=True)
        parser.add_argument(
            "--aht-seconds", type=float, required=True, help="Average handle time in seconds."
        )
        parser.add_argument(
            "--target-seconds", type=float, required=True, help="Answered within this long."
        )
        parser.add_argument(
            "--service-level",
            type=float,
            required=True,
            help="Per cent of calls to answer within the target time, e.g. 80.",
        )
        parser.add_argument(
            "--max-occupancy", type=float, help="Per cent of advisers' time on calls, at most."
        )
        parser.add_argument(
            "--shrinkage",
            type=float,
            default=0.0,
            help="Per cent of rostered time lost to breaks, training and sickness.",
        )
        parser.add_argument(
            "--patience-seconds", type=float, help="How long callers wait before giving up."
        )
        parser.add_argument(
            "--agents", type=int, help="Work out what this many advisers give instead."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        demand = Demand(
            calls=options["calls"],
            interval_seconds=options["interval_minutes"] * 60,
            handle_seconds=options["aht_seconds"],
            patience_seconds=options["patience_seconds"],
        )
        occupancy = options["max_occupancy"]
        target = Target(
            service_level=options["service_level"] / 100,
            answer_seconds=options["target_seconds"],
            max_occupancy=None if occupancy is None else occupancy / 100,
            shrinkage=options["shrinkage"] / 100,
        )
        try:
            if options["agents"] is None:
                result = staffing_needed(demand=demand, target=target)
            else:
                result = staffing_evaluate(demand=demand, target=target, agents=options["agents"])
        except ValidationFailed as problem:
            fields = {OPTION_OF_FIELD.get(key, key): text for key, text in problem.fields.items()}
            if options["json"]:
                error = {"code": problem.code, "message": problem.message, "fields": fields}
                self.stdout.write(json.dumps({"error": error}))
            raise CommandError(
                " ".join([problem.message, *(f"{key}: {text}." for key, text in fields.items())])
            ) from None
        answer = staffing_json(result)
        if options["json"]:
            self.stdout.write(json.dumps(answer))
            return
        for key, value in answer.items():
            self.stdout.write(f"{key}: {'-' if value is None else value}")
