"""What every insight figure shares. Every figure is a ``Table``: the chart draws it, the page
shows it as an accessible table and the CSV export writes it. ``Filters`` are the period,
channel and service a figure is counted over."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet

from civicdesk.catalogue.selectors import service_areas_of
from civicdesk.core.choices import Channel
from civicdesk.organisations.models import Organisation

NO_SERVICE = "No service recorded"

Cell = str | int | float | None


@dataclass(frozen=True)
class Filters:
    organisation: Organisation
    start: date
    end: date
    channel: str = ""
    service_area_id: int | None = None

    def applied_to(self, queryset: QuerySet, *, dated: bool = True) -> QuerySet:
        queryset = queryset.filter(organisation=self.organisation)
        if dated:
            queryset = queryset.filter(day__gte=self.start, day__lte=self.end)
        if self.channel:
            queryset = queryset.filter(channel=self.channel)
        if self.service_area_id:
            queryset = queryset.filter(service_area_id=self.service_area_id)
        return queryset


@dataclass
class Table:
    """A figure: a caption, column headings and rows; ``chart`` names the column to draw."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    chart: int | None = 1
    definition: str = ""
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.definition = self.definition or self.key


def percent(part: int | float, whole: int | float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _channel_label(value: str) -> str:
    return Channel(value).label if value in Channel.values else value


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _service_names(organisation: Organisation) -> dict[int | None, str]:
    names: dict[int | None, str] = {None: NO_SERVICE}
    names.update(service_area_choices(organisation))
    return names


def service_area_choices(organisation: Organisation) -> list[tuple[int, str]]:
    """(id, name) of the organisation's service areas, for the filters."""
    return list(service_areas_of(organisation_id=organisation.pk).values_list("pk", "name"))
