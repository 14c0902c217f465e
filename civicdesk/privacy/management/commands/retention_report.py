"""What the retention schedule will remove next week, and what it removed.

python manage.py retention_report                    # every council
python manage.py retention_report --council wrekin   # one council
python manage.py retention_report --days 90          # the job's runs of the last 90 days

For each kind of record: how long it is kept, what happens when its time is up, how many will
be past their time by this day next week (those the job held back before included), and how
many it held back at its last run. Then, run by run, how many it removed or anonymised.
Counts only: nothing in it names anyone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from civicdesk.organisations.models import Organisation
from civicdesk.privacy.retention import (
    FORECAST_DAYS,
    counts_in_words,
    retention_forecast,
    retention_periods,
    retention_runs,
)


def day(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}"


class Command(BaseCommand):
    help = "What the retention schedule will remove next week, and what it removed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--council", help="The council's short name (slug); all if left out.")
        parser.add_argument(
            "--days", type=int, default=30, help="How many days of the job's runs to list."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 1:
            raise CommandError("--days must be 1 or more.")
        councils = Organisation.objects.order_by("name")
        if options["council"]:
            councils = councils.filter(slug=options["council"])
            if not councils.exists():
                raise CommandError(f"There is no council with the short name {options['council']}.")
        now = timezone.now()
        for council in councils:
            self.report(council, now=now, days=options["days"])

    def report(self, council: Organisation, *, now: datetime, days: int) -> None:
        periods = retention_periods(organisation_id=council.pk)
        whose = (
            "the council's own schedule"
            if periods.set_by_council
            else "the default schedule: confirm it with your records manager"
        )
        self.stdout.write(f"{council.name}, {day(now)} ({whose})")
        self.stdout.write(f"  Past their time by {day(now + timedelta(days=FORECAST_DAYS))}:")
        for forecast in retention_forecast(organisation_id=council.pk, now=now):
            line = f"    {forecast.kind.label}: kept {forecast.period}"
            if forecast.by_service_area:
                areas = "; ".join(f"{area} {period}" for area, period in forecast.by_service_area)
                line += f" ({areas})"
            line += f"; then {forecast.action}. Due: {forecast.due}"
            if forecast.held_last_run:
                line += f" ({forecast.held_last_run} held back at the last run)"
            self.stdout.write(line + ".")
        runs = retention_runs(organisation_id=council.pk, since=now - timedelta(days=days))
        self.stdout.write(f"  Removed or anonymised in the last {days} days:")
        if not runs:
            self.stdout.write("    The job has not run.")
        for run in runs:
            state = "" if run.finished_at else " (did not finish; the next run carries on)"
            line = f"    {day(run.started_at)}: {counts_in_words(run.done)}{state}"
            if any(run.held.values()):
                line += f". Held back: {counts_in_words(run.held)}"
            self.stdout.write(line + ".")
