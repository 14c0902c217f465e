"""What planning works with, per channel: pages and other apps import these without the models."""

from __future__ import annotations

from dataclasses import dataclass

from civicdesk.core.choices import Channel

# The channels planned: queues that advisers answer as they come, and written work.
QUEUE_CHANNELS = (Channel.PHONE, Channel.CHAT, Channel.FACE_TO_FACE)
WRITTEN_CHANNELS = (Channel.EMAIL, Channel.WEB)
PLANNED_CHANNELS = (*QUEUE_CHANNELS, *WRITTEN_CHANNELS)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HALF_HOURS_A_DAY = 48
HORIZON_WEEKS = 8


@dataclass(frozen=True)
class Standard:
    """A channel's service standard and the allowances that turn advisers into staff. The
    handle time is used only when no contact on the channel has a recorded duration."""

    service_level: float  # per cent answered within answer_seconds
    answer_seconds: int
    max_occupancy: float  # per cent
    shrinkage: float  # per cent
    handle_seconds: int
    patience_seconds: int | None = None


# How long callers hold on average before giving up, for the wait told to people in the queue.
# The staffing plan assumes nobody gives up unless the what-if gives a patience.
WAIT_PATIENCE_SECONDS = 180

STANDARDS: dict[str, Standard] = {
    Channel.PHONE: Standard(80, 20, 85, 30, 300),
    Channel.CHAT: Standard(80, 60, 85, 30, 600),
    Channel.FACE_TO_FACE: Standard(80, 600, 85, 30, 900),
}


@dataclass(frozen=True)
class WrittenStandard:
    """How long a written contact takes to deal with, and the charter's timescale for it."""

    minutes_each: float
    timescale_days: int  # working days
    hours_a_day: float = 7.4  # a full-time day, breaks aside
    shrinkage: float = 30  # per cent


# "Emails answered in 3 to 5 working days" (the council's charter): planned for the 5.
WRITTEN_STANDARDS: dict[str, WrittenStandard] = {
    Channel.EMAIL: WrittenStandard(minutes_each=8, timescale_days=5),
    Channel.WEB: WrittenStandard(minutes_each=6, timescale_days=5),
}
