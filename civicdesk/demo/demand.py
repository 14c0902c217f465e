"""How demand for each service rises and falls, and how residents get in touch.

The shape follows what councils report: Mondays and Fridays are the busiest days, most calls
come in the morning, garden waste peaks in spring, gritting and flooding in winter and council
tax in March and April when the bills go out, and over the year phone calls fall while online
reports rise. Weights are relative, not counts.

The figures are in data files, described in ``data/README.md``; this module reads and checks
them. The random draws go through services, channels and hours in the order the files list
them, so reordering lines changes the demo's history, though not its shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property

from civicdesk.core.choices import Channel, Priority

from .catalogue_spec import SPEC
from .datafiles import DemoDataError, Document, Row, document_read, table_read, unique_rows

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass(frozen=True)
class ServiceDemand:
    cases: float  # relative to other services; 0 for a service that never opens a case
    enquiries: float  # contacts that need no case, relative to other services
    anonymous_share: float  # of cases reported without giving a name
    duplicate_prone: bool  # often reported again by someone else a few days later


@dataclass(frozen=True)
class ChannelUse:
    channel: Channel
    share_at_start: float  # of contacts, at the start of the year
    share_at_end: float
    online: bool  # open when the council is closed
    staffed: bool  # an adviser answers
    talk_seconds: tuple[int, int] | None  # shortest and longest conversation; None if no one talks


@dataclass(frozen=True)
class Demand:
    day_factors: tuple[float, ...]  # Monday to Sunday
    bank_holiday_factor: float
    services: Mapping[str, ServiceDemand]  # every service in the catalogue, in its order
    enquiries_about_other_things: float  # contacts about nothing in the catalogue
    seasons: Mapping[str, tuple[float, ...]]  # January to December, where a service has one
    channels: tuple[ChannelUse, ...]
    channel_affinity: Mapping[str, Mapping[str, float]]  # service -> channel -> times usual
    priority_mix: Mapping[str, Mapping[str, float]]  # service -> priority -> share
    online_hours: Mapping[int, float]  # hour of the day -> weight
    staffed_hours: Mapping[int, float]
    chasing_channels: Mapping[str, float]  # how residents chase a case, by weight

    @cached_property
    def online_channels(self) -> frozenset[str]:
        return frozenset(use.channel for use in self.channels if use.online)

    @cached_property
    def staffed_channels(self) -> frozenset[str]:
        return frozenset(use.channel for use in self.channels if use.staffed)

    @cached_property
    def talk_seconds(self) -> dict[str, tuple[int, int]]:
        return {use.channel: use.talk_seconds for use in self.channels if use.talk_seconds}

    @cached_property
    def spoken_channels(self) -> frozenset[str]:
        return frozenset(self.talk_seconds)


@cache
def demand_read() -> Demand:
    """The demo's demand, read from its data files once. Raises DemoDataError, naming the file
    and line, if a value is missing or wrong."""
    shape = document_read(
        name="demand.json",
        fields=(
            "day_factors",
            "bank_holiday_factor",
            "enquiries_about_other_things",
            "chasing_channels",
        ),
    )
    hours = _hours_read()
    return Demand(
        day_factors=_day_factors(shape),
        bank_holiday_factor=shape.number("bank_holiday_factor"),
        services=_services_read(),
        enquiries_about_other_things=shape.number("enquiries_about_other_things"),
        seasons=_seasons_read(),
        channels=_channels_read(),
        channel_affinity=_affinity_read(),
        priority_mix=_priority_mix_read(),
        online_hours={hour: online for hour, (online, _) in hours.items()},
        staffed_hours={
            hour: staffed for hour, (_, staffed) in hours.items() if staffed is not None
        },
        chasing_channels=_chasing_channels(shape),
    )


def _day_factors(shape: Document) -> tuple[float, ...]:
    factors = shape.numbers_by_name("day_factors")
    if tuple(factors) != WEEKDAYS:
        raise shape.problem("day_factors", f"give one for each day in turn, {', '.join(WEEKDAYS)}")
    return tuple(factors.values())


def _chasing_channels(shape: Document) -> dict[str, float]:
    weights = shape.numbers_by_name("chasing_channels")
    for channel in weights:
        if channel not in Channel.values:
            raise shape.problem(f"chasing_channels.{channel}", "this is not a channel")
    return {Channel(channel): weight for channel, weight in weights.items()}


def _services_read() -> dict[str, ServiceDemand]:
    columns = ("service", "cases", "enquiries", "anonymous_share", "duplicate_prone")
    rows = unique_rows(table_read(name="service-demand.csv", columns=columns), column="service")
    services = {
        _service(row): ServiceDemand(
            cases=row.number("cases"),
            enquiries=row.number("enquiries"),
            anonymous_share=row.share("anonymous_share"),
            duplicate_prone=row.flag("duplicate_prone"),
        )
        for row in rows
    }
    missing = [key for key in SPEC if key not in services]
    if missing:
        raise DemoDataError(f"service-demand.csv: add a line for {', '.join(missing)}.")
    return services


def _seasons_read() -> dict[str, tuple[float, ...]]:
    rows = table_read(name="seasons.csv", columns=("service", *MONTHS))
    return {
        _service(row): tuple(row.number(month) for month in MONTHS)
        for row in unique_rows(rows, column="service")
    }


def _channels_read() -> tuple[ChannelUse, ...]:
    columns = (
        "channel",
        "share_at_start",
        "share_at_end",
        "online",
        "staffed",
        "talk_seconds_min",
        "talk_seconds_max",
    )
    rows = unique_rows(table_read(name="channels.csv", columns=columns), column="channel")
    return tuple(
        ChannelUse(
            channel=Channel(row.one_of("channel", Channel.values)),
            share_at_start=row.share("share_at_start"),
            share_at_end=row.share("share_at_end"),
            online=row.flag("online"),
            staffed=row.flag("staffed"),
            talk_seconds=_talk_seconds(row),
        )
        for row in rows
    )


def _talk_seconds(row: Row) -> tuple[int, int] | None:
    shortest = row.whole_number_or_none("talk_seconds_min")
    longest = row.whole_number_or_none("talk_seconds_max")
    if shortest is None and longest is None:
        return None
    if shortest is None or longest is None or shortest > longest:
        raise row.problem("give both talk seconds, the min no more than the max, or neither")
    return shortest, longest


def _affinity_read() -> dict[str, dict[str, float]]:
    rows = table_read(name="channel-affinity.csv", columns=("service", *Channel.values))
    return {
        _service(row): _given(row, Channel.values) for row in unique_rows(rows, column="service")
    }


def _priority_mix_read() -> dict[str, dict[str, float]]:
    rows = table_read(name="priority-mix.csv", columns=("service", *Priority.values))
    mixes: dict[str, dict[str, float]] = {}
    for row in unique_rows(rows, column="service"):
        mix = _given(row, Priority.values)
        if not any(mix.values()):
            raise row.problem("give a share for at least one priority")
        mixes[_service(row)] = mix
    return mixes


def _hours_read() -> dict[int, tuple[float, float | None]]:
    """Hour of the day -> (weight online, weight on staffed channels or None when closed)."""
    rows = table_read(name="contact-hours.csv", columns=("hour", "online", "staffed"))
    hours: dict[int, tuple[float, float | None]] = {}
    for row in unique_rows(rows, column="hour"):
        hour = row.whole_number_or_none("hour")
        if hour is None or hour > 23:
            raise row.problem("hour must be a whole number from 0 to 23")
        hours[hour] = (row.number("online"), row.number_or_none("staffed"))
    return hours


def _given(row: Row, columns: list[str]) -> dict[str, float]:
    """The row's numbers by column, in the order of ``columns``, leaving out empty cells."""
    numbers = {column: row.number_or_none(column) for column in columns}
    return {column: number for column, number in numbers.items() if number is not None}


def _service(row: Row) -> str:
    key = row.text("service")
    if key not in SPEC:
        raise row.problem(f"'{key}' is not a service in the catalogue")
    return key
