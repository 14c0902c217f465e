"""Forecasting daily contacts: `manage.py forecast_series` and the backtest that picks the
method. Series are short and synthetic so that the model fits stay quick."""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from civicdesk.core.calendar import Nation, bank_holidays
from civicdesk.planning.forecasting import BASELINES, forecast, history_from

WEEKDAY_SHAPE = (130, 100, 95, 95, 120)


def weekday_series(*, start: date, days: int, seed: int = 1, trend: float = 0.0) -> list[str]:
    rng = np.random.default_rng(seed)
    lines = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day.weekday() < 5:
            volume = rng.poisson(WEEKDAY_SHAPE[day.weekday()] * (1 + trend * offset))
            lines.append(f"{day.isoformat()},{volume}")
    return lines


def run(monkeypatch, lines: list[str], *arguments: str) -> tuple[list[list[str]], str]:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    out, err = io.StringIO(), io.StringIO()
    call_command("forecast_series", *arguments, stdout=out, stderr=err)
    return [line.split(",") for line in out.getvalue().splitlines()], err.getvalue()


def test_a_weekday_series_is_forecast_for_the_next_weekdays_with_its_weekly_shape(monkeypatch):
    history = ["date,volume", *weekday_series(start=date(2025, 1, 6), days=84)]
    rows, report = run(monkeypatch, history, "--horizon", "10", "--bank-holidays", "none")
    assert rows[0] == ["date", "forecast", "low", "high"]
    forecast_rows = rows[1:]
    assert len(forecast_rows) == 10
    days = [date.fromisoformat(row[0]) for row in forecast_rows]
    assert days[0] == date(2025, 3, 31)  # the Monday after the last Friday of history
    assert all(day.weekday() < 5 for day in days)
    values = {
        day: [float(cell) for cell in row[1:]] for day, row in zip(days, forecast_rows, strict=True)
    }
    for low_forecast_high in values.values():
        low, middle, high = low_forecast_high[1], low_forecast_high[0], low_forecast_high[2]
        assert 0 <= low <= middle <= high
    mondays = [value[0] for day, value in values.items() if day.weekday() == 0]
    wednesdays = [value[0] for day, value in values.items() if day.weekday() == 2]
    assert min(mondays) > max(wednesdays) + 15
    assert "method:" in report and "(chosen)" in report and "MAPE" in report


def test_a_series_of_every_day_is_forecast_for_every_day(monkeypatch):
    start = date(2025, 1, 6)
    history = [
        f"{start + timedelta(days=offset)},{0 if offset % 7 >= 5 else 50 + offset % 7}"
        for offset in range(42)
    ]
    rows, _ = run(monkeypatch, history, "--horizon", "7")
    days = [date.fromisoformat(row[0]) for row in rows[1:]]
    assert days == [date(2025, 2, 17) + timedelta(days=offset) for offset in range(7)]
    weekend = [float(row[1]) for row in rows[1:] if date.fromisoformat(row[0]).weekday() >= 5]
    assert weekend == [0.0, 0.0]


def test_bank_holidays_and_the_catch_up_day_after_are_forecast(monkeypatch):
    """Spring 2025: Good Friday, Easter Monday and the early May bank holiday are quiet and the
    day after each is busy. The late May bank holiday, 26 May, is forecast quiet, which
    neither baseline can know."""
    holidays = bank_holidays(Nation.ENGLAND_AND_WALES)
    rng = np.random.default_rng(7)
    lines, day = [], date(2025, 1, 6)
    while day <= date(2025, 5, 16):
        if day.weekday() < 5:
            after_holiday = (day - timedelta(days=1 if day.weekday() else 3)) in holidays
            volume = (
                4
                if day in holidays
                else WEEKDAY_SHAPE[day.weekday()] * (1.6 if after_holiday else 1)
            )
            lines.append(f"{day.isoformat()},{rng.poisson(volume)}")
        day += timedelta(days=1)
    rows, report = run(monkeypatch, lines, "--horizon", "15")
    forecasts = {date.fromisoformat(row[0]): float(row[1]) for row in rows[1:]}
    assert forecasts[date(2025, 5, 26)] < 30
    assert forecasts[date(2025, 5, 27)] > forecasts[date(2025, 6, 3)] + 20
    assert report.startswith(("method: regression", "method: smoothing"))


@pytest.mark.parametrize(
    ("lines", "wording"),
    [
        ([], "history is empty"),
        (["2025-01-06,10", "2025-01-07,-3"], "negative"),
        (["2025-01-06,10", "06/01/2025,4"], "is not a date"),
        (["2025-01-06,ten"], "is not a number"),
        ([f"2025-01-{day:02d},5" for day in range(6, 13)], "at least 14 are needed"),
        (["2025-01-06,5", "2025-01-06,6"], "more than once"),
    ],
)
def test_bad_history_is_refused_with_a_clear_error(monkeypatch, lines, wording):
    with pytest.raises(CommandError, match=wording):
        run(monkeypatch, lines, "--horizon", "5")


def test_a_horizon_out_of_range_is_refused(monkeypatch):
    history = weekday_series(start=date(2025, 1, 6), days=42)
    with pytest.raises(CommandError, match="horizon must be from 1"):
        run(monkeypatch, history, "--horizon", "0")


@settings(max_examples=8)
@given(
    seed=st.integers(0, 10_000),
    trend=st.floats(-0.004, 0.004),
    weeks=st.integers(5, 9),
)
def test_the_chosen_method_never_loses_to_both_baselines(seed, trend, weeks):
    lines = weekday_series(start=date(2025, 1, 6), days=7 * weeks, seed=seed, trend=trend)
    rows = [(date.fromisoformat(d), float(v)) for d, v in (line.split(",") for line in lines)]
    result = forecast(history_from(rows), horizon=5)
    scores = {score.method: score for score in result.scores}
    chosen = scores[result.method]
    assert chosen.chosen
    assert chosen.mae <= min(scores[name].mae for name in BASELINES)
    assert len(result.days) == 5
