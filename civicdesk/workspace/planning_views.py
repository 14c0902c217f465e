"""Contact-centre planning pages for team leads, managers and administrators: the staffing plan
per half hour with a what-if, the forecast per channel with its backtest, the rota, CSV exports
and how the figures are worked out."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import wraps
from typing import TYPE_CHECKING, Concatenate, ParamSpec

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from markupsafe import Markup

from civicdesk.core.choices import Channel
from civicdesk.core.errors import NotPermitted, ValidationFailed
from civicdesk.core.numbers import whole_number
from civicdesk.insight.charts import bar_chart
from civicdesk.insight.definitions import Definition
from civicdesk.insight.selectors.common import Table
from civicdesk.planning.choices import (
    HORIZON_WEEKS,
    PLANNED_CHANNELS,
    QUEUE_CHANNELS,
    STANDARDS,
    WEEKDAYS,
    WRITTEN_CHANNELS,
    WRITTEN_STANDARDS,
    WrittenStandard,
)
from civicdesk.planning.forecasting import INTERVAL, METHOD_NAMES
from civicdesk.planning.plans import Assumptions, DayPlan, WhatIf, assumptions_for, plans_for
from civicdesk.planning.selectors import (
    access_planning,
    daily_volumes,
    forecast_run_latest,
    forecasts_kept,
    rota_entry_of,
    rota_of,
)
from civicdesk.planning.services import (
    RotaLine,
    forecast_make,
    rota_entry_add,
    rota_entry_remove,
    rota_import,
)
from civicdesk.planning.written import WrittenDay, written_plan
from civicdesk.web.pages import render_not_allowed, render_staff_page
from civicdesk.web.staff import staff_required
from civicdesk.web.templating import uk_date

from .insight_views import table_csv

if TYPE_CHECKING:
    from civicdesk.organisations.models import Organisation, StaffMember
    from civicdesk.planning.models import ForecastRun

P = ParamSpec("P")
# A figure on a page: the table, its chart and where to download it (None: no download).
Figure = tuple[Table, Markup, str | None]
MAX_UPLOAD_BYTES = 1024 * 1024
CHANNEL_WORDS = {Channel(value).value: Channel(value).label for value in PLANNED_CHANNELS}


def planner_required(
    view: Callable[Concatenate[HttpRequest, StaffMember, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Signed-in staff with two factors (staff_required) who may plan: team leads, managers
    and administrators."""

    @staff_required
    @wraps(view)
    def wrapped(
        request: HttpRequest, staff: StaffMember, *args: P.args, **kwargs: P.kwargs
    ) -> HttpResponse:
        try:
            access_planning(staff)
        except NotPermitted as refused:
            return render_not_allowed(request, staff=staff, message=refused.message)
        return view(request, staff, *args, **kwargs)

    return wrapped


# The forecast kept for today


def _forecast_run(organisation: Organisation, channel: str, today: date) -> ForecastRun | None:
    """Today's forecast, made now if the worker has not made it yet; an older one if there is
    too little history for a new one; None if there has never been one."""
    try:
        return forecast_make(organisation=organisation, channel=channel, made_on=today)
    except ValidationFailed:
        return forecast_run_latest(organisation=organisation, channel=channel, made_on=today)


# The staffing plan and its what-if


@dataclass(frozen=True)
class PlanChoice:
    channel: str
    day: date
    assumptions: Assumptions


def _number(
    value: str, *, field: str, low: float, high: float, wording: str, errors: dict[str, str]
) -> float | None:
    if not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not low <= number <= high:
        errors[field] = wording
        return None
    return number


def _plan_choice(
    query: QueryDict, organisation: Organisation, today: date
) -> tuple[PlanChoice, dict[str, str], dict[str, str]]:
    chosen = {
        key: query.get(key, "").strip()
        for key in ("channel", "day", "handle", "level", "seconds", "patience")
    }
    errors: dict[str, str] = {}
    channel = chosen["channel"] or Channel.PHONE
    if channel not in QUEUE_CHANNELS:
        errors["channel"] = "Choose phone, live chat or face to face"
        channel = Channel.PHONE
    first_day = today
    last_day = today + timedelta(weeks=HORIZON_WEEKS) - timedelta(days=1)
    day = organisation.calendar.next_working_day(today)
    if chosen["day"]:
        try:
            asked = date.fromisoformat(chosen["day"])
        except ValueError:
            errors["day"] = "Enter the day as a real date, like 2026-04-06"
        else:
            if first_day <= asked <= last_day:
                day = asked
            else:
                errors["day"] = f"Choose a day from {uk_date(first_day)} to {uk_date(last_day)}"
    handle = _number(
        chosen["handle"], field="handle", low=1, high=4 * 3600, errors=errors,
        wording="Enter a handle time from 1 to 14,400 seconds",
    )  # fmt: skip
    level = _number(
        chosen["level"], field="level", low=1, high=99.9, errors=errors,
        wording="Enter a service level from 1% to 99.9%",
    )  # fmt: skip
    seconds = _number(
        chosen["seconds"], field="seconds", low=0, high=3600, errors=errors,
        wording="Enter an answer time from 0 to 3,600 seconds",
    )  # fmt: skip
    patience = _number(
        chosen["patience"], field="patience", low=1, high=3600, errors=errors,
        wording="Enter callers' patience from 1 to 3,600 seconds, or leave it empty",
    )  # fmt: skip
    assumptions = assumptions_for(
        organisation=organisation,
        channel=channel,
        today=today,
        what_if=WhatIf(
            handle_seconds=handle,
            service_level=level,
            answer_seconds=seconds,
            patience_seconds=patience,
        ),
    )
    # What was typed stays in a field that has a problem, for the person to correct.
    chosen["channel"] = chosen["channel"] if "channel" in errors else channel
    chosen["day"] = chosen["day"] if "day" in errors else day.isoformat()
    return PlanChoice(channel, day, assumptions), chosen, errors


def _plans(
    organisation: Organisation, choice: PlanChoice, run: ForecastRun | None, today: date
) -> list[DayPlan]:
    return plans_for(
        organisation=organisation,
        channel=choice.channel,
        run=run,
        today=today,
        assumptions=choice.assumptions,
    )


def _day_table(plan: DayPlan | None, choice: PlanChoice) -> Table:
    channel = CHANNEL_WORDS[choice.channel]
    table = Table(
        "plan-day",
        f"{channel}: advisers needed and on the rota, {uk_date(choice.day)}",
        [
            "Half hour",
            "Forecast contacts",
            "Advisers needed",
            "Staff needed",
            "Staff on the rota",
            "Gap (staff)",
            "Service level with the rota (%)",
            "Understaffed",
        ],
        [],
        chart=5,
        definition="staffing",
    )
    for half_hour in plan.half_hours if plan is not None else []:
        table.rows.append(
            [
                f"{half_hour.starts:%H:%M}",
                round(half_hour.forecast, 1),
                half_hour.agents,
                half_hour.staff,
                half_hour.rostered,
                half_hour.gap,
                None if half_hour.service_level is None else round(half_hour.service_level, 1),
                "Yes" if half_hour.understaffed else "No",
            ]
        )
    return table


def _weeks_table(plans: list[DayPlan], channel: str) -> Table:
    table = Table(
        "plan-weeks",
        f"{CHANNEL_WORDS[channel]}: the next {HORIZON_WEEKS} weeks",
        ["Day", "Forecast contacts", "Understaffed half hours", "Lowest service level (%)"],
        [],
        chart=2,
        definition="understaffed",
    )
    for plan in plans:
        lowest = plan.lowest_service_level
        table.rows.append(
            [
                f"{WEEKDAYS[plan.day.weekday()][:3]} {uk_date(plan.day)}",
                round(plan.forecast, 1),
                plan.understaffed,
                None if lowest is None else round(lowest, 1),
            ]
        )
    return table


def _plan_query(chosen: dict[str, str]) -> str:
    return urlencode({key: value for key, value in chosen.items() if value})


@planner_required
def plan(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    organisation = staff.organisation
    today = timezone.localdate()
    choice, chosen, errors = _plan_choice(request.GET, organisation, today)
    run = _forecast_run(organisation, choice.channel, today)
    try:
        plans = _plans(organisation, choice, run, today)
    except ValidationFailed as problem:
        # A what-if no number of advisers can meet: say so on the page.
        errors = {
            **errors,
            "handle": f"{problem.message} Try a shorter handle time or a lower target",
        }
        plans = []
    the_day = next((day for day in plans if day.day == choice.day), None)
    day_table, weeks_table = _day_table(the_day, choice), _weeks_table(plans, choice.channel)
    query = _plan_query(chosen)
    return render_staff_page(
        request,
        "planning/plan.html",
        title="Staffing plan",
        staff=staff,
        errors=errors,
        status=400 if errors else 200,
        chosen=chosen,
        choice=choice,
        run=run,
        the_day=the_day,
        figures=[
            (
                day_table,
                bar_chart(day_table),
                f"{reverse('workspace:planning-export')}?{query}&table=day",
            ),
            (
                weeks_table,
                bar_chart(weeks_table),
                f"{reverse('workspace:planning-export')}?{query}&table=weeks",
            ),
        ],
        channel_items=[
            {"value": value, "text": CHANNEL_WORDS[value], "selected": value == choice.channel}
            for value in QUEUE_CHANNELS
        ],
        standard=STANDARDS[choice.channel],
    )


@planner_required
def plan_export(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    organisation = staff.organisation
    today = timezone.localdate()
    choice, _, errors = _plan_choice(request.GET, organisation, today)
    if errors:
        return HttpResponse(
            " ".join(errors.values()), status=400, content_type="text/plain; charset=utf-8"
        )
    try:
        plans = _plans(
            organisation, choice, _forecast_run(organisation, choice.channel, today), today
        )
    except ValidationFailed as problem:
        return HttpResponse(
            " ".join([problem.message, *problem.fields.values()]),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    if request.GET.get("table") == "weeks":
        table = _weeks_table(plans, choice.channel)
        name = f"plan-{choice.channel}-{today.isoformat()}-{HORIZON_WEEKS}-weeks.csv"
    else:
        table = _day_table(next((p for p in plans if p.day == choice.day), None), choice)
        name = f"plan-{choice.channel}-{choice.day.isoformat()}.csv"
    return _csv_response(table, name)


def _csv_response(table: Table, name: str) -> HttpResponse:
    response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# The forecast


def _weeks(request: HttpRequest) -> tuple[int, dict[str, str]]:
    text = request.GET.get("weeks", "").strip()
    weeks = whole_number(text) if text else 2
    if weeks is None or not 1 <= weeks <= HORIZON_WEEKS:
        return 2, {"weeks": f"Choose from 1 to {HORIZON_WEEKS} weeks"}
    return weeks, {}


def _forecast_table(channel: str, run: ForecastRun, today: date, weeks: int) -> Table:
    last = today + timedelta(weeks=weeks) - timedelta(days=1)
    percent = round(100 * INTERVAL)
    return Table(
        f"forecast-{channel}",
        f"{CHANNEL_WORDS[channel]}: contacts forecast per day",
        ["Day", "Forecast", f"Low ({percent}% interval)", f"High ({percent}% interval)"],
        [
            [
                f"{WEEKDAYS[day.day.weekday()][:3]} {uk_date(day.day)}",
                round(day.forecast, 1),
                round(day.low, 1),
                round(day.high, 1),
            ]
            for day in run.days.all()
            if today <= day.day <= last
        ],
        chart=1,
        definition="forecast",
    )


def _backtest_table(channel: str, run: ForecastRun) -> Table:
    rows: list[list[str | int | float | None]] = []
    for score in run.scores:
        mape = score.get("mape")
        rows.append(
            [
                METHOD_NAMES.get(score["method"], score["method"]),
                round(score["mae"], 1),
                None if mape is None else round(100 * mape, 1),
                round(100 * score["coverage"], 1),
                "Yes" if score.get("chosen") else "No",
            ]
        )
    return Table(
        f"backtest-{channel}",
        f"{CHANNEL_WORDS[channel]}: how each method did in the backtest",
        [
            "Method",
            "Mean absolute error (contacts a day)",
            "Mean absolute percentage error (%)",
            f"Actual inside the {round(100 * INTERVAL)}% interval (%)",
            "Used",
        ],
        rows,
        chart=1,
        definition="backtest",
        notes=[
            f"Cut {run.origins} times a week apart, forecasting {run.backtest_days} days after "
            f"each cut, from {run.history_days} days of history."
        ]
        if run.origins
        else ["Too little history to test the methods: the same weekday last week is used."],
    )


ACCURACY_WEEKS = 4


def _accuracy_table(organisation: Organisation, channel: str, today: date) -> Table:
    """Each recent day's forecast, as made before the day, against what came in."""
    first = today - timedelta(weeks=ACCURACY_WEEKS)
    last = today - timedelta(days=1)
    kept = forecasts_kept(organisation=organisation, channel=channel, first=first, last=last)
    actual = dict(daily_volumes(organisation=organisation, channel=channel, first=first, last=last))
    table = Table(
        f"accuracy-{channel}",
        f"{CHANNEL_WORDS[channel]}: forecast against what came in, last {ACCURACY_WEEKS} weeks",
        ["Day", "Forecast", "Came in", "Difference", "Forecast made on"],
        [],
        chart=3,
        definition="accuracy",
    )
    errors: list[float] = []
    percentages: list[float] = []
    for day in sorted(kept):
        forecast, made_on = kept[day]
        came_in = actual.get(day, 0)
        errors.append(abs(came_in - forecast))
        if came_in:
            percentages.append(abs(came_in - forecast) / came_in)
        table.rows.append(
            [
                f"{WEEKDAYS[day.weekday()][:3]} {uk_date(day)}",
                round(forecast, 1),
                came_in,
                round(came_in - forecast, 1),
                uk_date(made_on),
            ]
        )
    if errors:
        share = (
            f" ({100 * sum(percentages) / len(percentages):.1f}% of what came in, on days when "
            "anything came in)"
            if percentages
            else ""
        )
        table.notes.append(
            f"Over these {len(errors)} days the forecast was out by "
            f"{sum(errors) / len(errors):.1f} contacts a day on average{share}."
        )
    return table


@planner_required
def forecast_page(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    organisation = staff.organisation
    today = timezone.localdate()
    weeks, errors = _weeks(request)
    channels: list[tuple[str, str, ForecastRun | None, list[Figure]]] = []
    for channel in PLANNED_CHANNELS:
        run = _forecast_run(organisation, channel, today)
        if run is None:
            channels.append((channel, CHANNEL_WORDS[channel], None, []))
            continue
        table, backtest = _forecast_table(channel, run, today, weeks), _backtest_table(channel, run)
        accuracy = _accuracy_table(organisation, channel, today)
        export = (
            f"{reverse('workspace:planning-forecast-export')}?"
            f"{urlencode({'channel': str(channel), 'weeks': str(weeks)})}"
        )
        channels.append(
            (
                channel,
                CHANNEL_WORDS[channel],
                run,
                [
                    (table, bar_chart(table), export),
                    (backtest, bar_chart(backtest), None),
                    (accuracy, bar_chart(accuracy), None),
                ],
            )
        )
    return render_staff_page(
        request,
        "planning/forecast.html",
        title="Contact forecast",
        staff=staff,
        errors=errors,
        status=400 if errors else 200,
        weeks=weeks,
        week_items=[
            {
                "value": str(number),
                "text": f"{number} week{'s' if number > 1 else ''}",
                "selected": number == weeks,
            }
            for number in range(1, HORIZON_WEEKS + 1)
        ],
        channels=channels,
        method_names=METHOD_NAMES,
    )


@planner_required
def forecast_export(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    channel = request.GET.get("channel", "")
    weeks, errors = _weeks(request)
    if channel not in PLANNED_CHANNELS:
        errors["channel"] = "Choose a planned channel"
    if errors:
        return HttpResponse(
            " ".join(errors.values()), status=400, content_type="text/plain; charset=utf-8"
        )
    today = timezone.localdate()
    run = _forecast_run(staff.organisation, channel, today)
    if run is None:
        raise Http404("No forecast for this channel yet")
    return _csv_response(
        _forecast_table(channel, run, today, weeks), f"forecast-{channel}-{today.isoformat()}.csv"
    )


# Written work


def _written_choice(
    query: QueryDict,
) -> tuple[str, float | None, int | None, dict[str, str], dict[str, str]]:
    chosen = {key: query.get(key, "").strip() for key in ("channel", "minutes", "days")}
    errors: dict[str, str] = {}
    channel = chosen["channel"] or Channel.EMAIL
    if channel not in WRITTEN_CHANNELS:
        errors["channel"] = "Choose email or web forms"
        channel = Channel.EMAIL
    minutes = _number(
        chosen["minutes"], field="minutes", low=0.5, high=480, errors=errors,
        wording="Enter the minutes each takes, from 0.5 to 480",
    )  # fmt: skip
    days_text = chosen["days"]
    days = whole_number(days_text) if days_text else None
    if days_text and (days is None or not 1 <= days <= 60):
        errors["days"] = "Enter the timescale as a whole number of working days, from 1 to 60"
        days = None
    chosen["channel"] = channel
    return channel, minutes, days, chosen, errors


def _written_table(channel: str, plan: list[WrittenDay]) -> Table:
    return Table(
        "written",
        f"{CHANNEL_WORDS[channel]}: staff time needed each working day",
        ["Day", "Forecast to come in", "Staff hours needed", "Staff needed (full time)"],
        [
            [
                f"{WEEKDAYS[day.day.weekday()][:3]} {uk_date(day.day)}",
                round(day.arriving, 1),
                round(day.hours, 1),
                day.staff,
            ]
            for day in plan
        ],
        chart=2,
        definition="written",
    )


def _written(request: HttpRequest, staff: StaffMember) -> tuple[Table, dict, dict, WrittenStandard]:
    channel, minutes, days, chosen, errors = _written_choice(request.GET)
    today = timezone.localdate()
    run = _forecast_run(staff.organisation, channel, today)
    usual = WRITTEN_STANDARDS[channel]
    plan = written_plan(
        organisation=staff.organisation,
        channel=channel,
        run=run,
        today=today,
        minutes_each=minutes,
        timescale_days=days,
    )
    used = WrittenStandard(
        minutes_each=usual.minutes_each if minutes is None else minutes,
        timescale_days=usual.timescale_days if days is None else days,
        hours_a_day=usual.hours_a_day,
        shrinkage=usual.shrinkage,
    )
    return _written_table(channel, plan), chosen, errors, used


@planner_required
def written(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    table, chosen, errors, used = _written(request, staff)
    export = f"{reverse('workspace:planning-written-export')}?{urlencode(chosen)}"
    return render_staff_page(
        request,
        "planning/written.html",
        title="Written work",
        staff=staff,
        errors=errors,
        status=400 if errors else 200,
        chosen=chosen,
        used=used,
        figures=[(table, bar_chart(table), export)],
        channel_items=[
            {"value": value, "text": CHANNEL_WORDS[value], "selected": value == chosen["channel"]}
            for value in WRITTEN_CHANNELS
        ],
    )


@planner_required
def written_export(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    table, chosen, errors, _ = _written(request, staff)
    if errors:
        return HttpResponse(
            " ".join(errors.values()), status=400, content_type="text/plain; charset=utf-8"
        )
    return _csv_response(table, f"written-{chosen['channel']}-{timezone.localdate()}.csv")


# The rota


@planner_required
def rota(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    organisation = staff.organisation
    errors: dict[str, str] = {}
    posted = request.POST if request.method == "POST" else QueryDict()
    if request.method == "POST":
        action = posted.get("action")
        try:
            if action == "upload":
                count = _rota_upload(request, organisation)
                messages.success(request, f"The rota now has {count} entries from the file.")
            else:
                rota_entry_add(
                    organisation=organisation,
                    line=RotaLine(
                        person=posted.get("person", ""),
                        channel=posted.get("channel", ""),
                        weekday=posted.get("weekday", ""),
                        starts=posted.get("starts", ""),
                        ends=posted.get("ends", ""),
                    ),
                )
                messages.success(request, "The rota entry was added.")
        except ValidationFailed as problem:
            errors = problem.fields
        else:
            return redirect("workspace:planning-rota")
    entries = rota_of(organisation)
    return render_staff_page(
        request,
        "planning/rota.html",
        title="Rota",
        staff=staff,
        errors=errors,
        status=400 if errors else 200,
        entries=[
            (entry, CHANNEL_WORDS.get(entry.channel, entry.channel), WEEKDAYS[entry.weekday])
            for entry in entries
        ],
        posted=posted,
        channel_items=[
            {
                "value": value,
                "text": CHANNEL_WORDS[value],
                "selected": posted.get("channel", Channel.PHONE) == value,
            }
            for value in QUEUE_CHANNELS
        ],
        weekday_items=[
            {"value": name, "text": name, "selected": posted.get("weekday") == name}
            for name in WEEKDAYS
        ],
    )


def _rota_upload(request: HttpRequest, organisation: Organisation) -> int:
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed("No file.", fields={"file": "Choose a CSV file of the rota"})
    if upload.size and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationFailed("Too big.", fields={"file": "The file must be smaller than 1MB"})
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            "Not UTF-8.", fields={"file": "The file must be a CSV file saved as UTF-8"}
        ) from None
    return rota_import(organisation=organisation, csv_text=text)


@require_POST
@planner_required
def rota_remove(request: HttpRequest, staff: StaffMember, entry_id: int) -> HttpResponse:
    entry = rota_entry_of(organisation=staff.organisation, entry_id=entry_id)
    if entry is None:
        raise Http404("No such rota entry")
    rota_entry_remove(entry=entry)
    messages.success(request, "The rota entry was removed.")
    return redirect("workspace:planning-rota")


# Definitions


PLANNING_DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "forecast",
        "Contacts forecast",
        (
            "Contacts from customers (messages the council sent are not counted) on each day, "
            "in UK time, over up to two years, forecast for the next eight weeks. The forecast "
            "is made once a day, from the history up to the day before, and kept, so that it "
            "can be compared later with what came in.",
            "Low and high bound an 80% prediction interval: on eight days in ten the actual "
            "number should fall between them. The backtest table shows how often it did.",
        ),
    ),
    Definition(
        "backtest",
        "How the method is chosen",
        (
            "The history is cut at four points a week apart. From what came before each cut, "
            "every method forecasts the days after it, up to eight weeks, and is compared with "
            "what came in. The method with the smallest mean absolute error is used.",
            "Two baselines compete with the models: the same weekday last week, and the mean "
            "of the same weekday over the last four weeks. A model is used only when it did "
            "better than both; when they tie, the baseline is used.",
            "The regression models the weekday, a trend, the time of year (once there is a "
            "year of history), bank holidays and the first working day after each. The "
            "exponential smoothing models the weekly pattern and a damped trend, with bank "
            "holidays and the day after put back by how they have differed from the week "
            "before.",
            "The percentage error leaves out days with no contacts, such as weekends on the "
            "phones, on which any percentage is undefined.",
        ),
    ),
    Definition(
        "staffing",
        "Advisers and staff needed",
        (
            "A day's forecast is spread over its half hours by the shape of the same weekday "
            "over the last eight weeks. For each half hour, Erlang C gives the fewest advisers "
            "who answer the target share of contacts within the target time, at no more than "
            "the maximum occupancy; with callers' patience given, Erlang A, in which callers "
            "hang up after waiting that long on average.",
            "The handle time is the average recorded duration of the channel's contacts over "
            "the last eight weeks. Where none has a duration, the channel's setting is used, "
            "and the page says so.",
            "Staff needed adds shrinkage (breaks, training, sickness): advisers divided by one "
            "minus the shrinkage, rounded up. The gap is the staff on the rota less the staff "
            "needed; a half hour with fewer on the rota than needed is understaffed.",
            "The service level with the rota counts the people on the rota, less shrinkage "
            "(rounded down), as advisers.",
            "With Erlang A the service level is the share of callers an adviser is free for "
            "within the target time. A queue kept short only by callers hanging up is not a "
            "plan: the advisers must also answer at least the target share of all callers, "
            "and never more advisers are asked for than Erlang C asks for.",
        ),
    ),
    Definition(
        "accuracy",
        "Forecast against what came in",
        (
            "For each of the last four weeks' days, the forecast for that day made latest "
            "before it (usually the day before) against the contacts that came in. Forecasts "
            "are kept from the day they are made, so this shows how the forecasts actually did, "
            "not how a method would have done looking back.",
        ),
    ),
    Definition(
        "written",
        "Written work",
        (
            "Emails and web forms do not need answering the moment they arrive, but within the "
            "charter's timescale: by default 5 working days. Each day's forecast work, times the "
            "minutes each takes, is spread evenly over the first working days of its timescale "
            "(work arriving at a weekend or on a bank holiday starts on the next working day), "
            "so everything is answered in time with as level a load as that allows. Work that "
            "came in over the last few working days and is still being spread is counted from "
            "what actually came in.",
            "Staff needed divides the hours by a full-time day of 7.4 hours, less 30% shrinkage.",
        ),
    ),
    Definition(
        "understaffed",
        "The next eight weeks",
        (
            "For each day, the forecast, how many of its half hours are understaffed by the "
            "rota, and the lowest service level the rota gives in any half hour of the day.",
        ),
    ),
)


@planner_required
def definitions(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    return render_staff_page(
        request,
        "planning/definitions.html",
        title="How the planning figures are worked out",
        staff=staff,
        definitions=PLANNING_DEFINITIONS,
    )
