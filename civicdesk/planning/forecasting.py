"""Forecasting a daily series of contacts, with the method chosen by a rolling-origin backtest.

Four methods compete on every series:

- ``last_week``: the same weekday last week (a baseline);
- ``mean_4_weeks``: the mean of the same weekday over the last four weeks (a baseline);
- ``regression``: least squares (statsmodels OLS) on the logarithm of the volume, with the
  weekday, a trend, the time of year (two pairs of annual sine waves, once there is a year of
  history), bank holidays and the catch-up day after each;
- ``smoothing``: Holt-Winters exponential smoothing (statsmodels) with a damped trend and the
  weekly pattern, fitted to the series with bank holidays and catch-up days taken out, which are
  then put back by how far they have differed from the week before.

The backtest cuts the history at several points a week apart, forecasts the days after each
cut from what came before it, and compares with what came in. The method with the smallest
mean absolute error wins, and on a tie a baseline wins, so a model is only used when it beat
both baselines. Prediction intervals are 80%: the regression's own, the smoothing's from
simulated futures, the baselines' from the errors they made on the history.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

import numpy as np

from civicdesk.core.errors import ValidationFailed

INTERVAL = 0.8
BACKTEST_ORIGINS = 4
# Weeks of history a model needs before it is tried; the baselines need two.
MODEL_MIN_SEASONS = 4
BASELINE_MIN_SEASONS = 2
MAX_HORIZON = 366
ANNUAL_TERMS = 2
SIMULATIONS = 300
# The baselines' intervals come from the errors they made over this many recent weeks.
BASELINE_ERROR_SEASONS = 12

LAST_WEEK = "last_week"
MEAN_4_WEEKS = "mean_4_weeks"
REGRESSION = "regression"
SMOOTHING = "smoothing"
BASELINES = (LAST_WEEK, MEAN_4_WEEKS)
METHOD_NAMES = {
    LAST_WEEK: "Same weekday last week (baseline)",
    MEAN_4_WEEKS: "Mean of the same weekday over the last 4 weeks (baseline)",
    REGRESSION: "Regression: weekday, time of year, bank holidays and trend",
    SMOOTHING: "Exponential smoothing: weekly pattern and damped trend",
}


@dataclass(frozen=True)
class History:
    """A daily series: consecutive days, or consecutive weekdays when it has no weekends."""

    days: tuple[date, ...]
    volumes: np.ndarray
    season: int
    holidays: frozenset[date] = frozenset()

    def __len__(self) -> int:
        return len(self.days)

    @property
    def weekdays_only(self) -> bool:
        return all(day.weekday() < 5 for day in self.days)

    def head(self, length: int) -> History:
        return History(self.days[:length], self.volumes[:length], self.season, self.holidays)

    def days_after(self, count: int) -> list[date]:
        days: list[date] = []
        day = self.days[-1]
        while len(days) < count:
            day += timedelta(days=1)
            if self.weekdays_only and day.weekday() >= 5:
                continue
            days.append(day)
        return days


@dataclass(frozen=True)
class Prediction:
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass(frozen=True)
class Score:
    method: str
    mae: float
    mape: float | None  # over the days with contacts; None when none had any
    coverage: float  # share of actual days inside the 80% interval
    chosen: bool = False

    @property
    def name(self) -> str:
        return METHOD_NAMES[self.method]


@dataclass(frozen=True)
class ForecastDay:
    day: date
    forecast: float
    low: float
    high: float


@dataclass(frozen=True)
class Forecast:
    method: str
    days: list[ForecastDay]
    scores: list[Score]
    origins: int  # backtest cuts
    backtest_days: int  # days forecast after each cut

    @property
    def name(self) -> str:
        return METHOD_NAMES[self.method]


# Reading a series


def history_from(
    rows: Sequence[tuple[date, float]],
    *,
    season: int | None = None,
    holidays: frozenset[date] = frozenset(),
) -> History:
    """A history from (day, volume) pairs, checked: no negative volumes, no day twice."""
    if not rows:
        raise ValidationFailed(
            "There is no history to forecast from.",
            fields={"history": "The history is empty: add at least two weeks of daily volumes"},
        )
    ordered = sorted(rows)
    problems: dict[str, str] = {}
    for (day, _), (following, _) in pairwise(ordered):
        if day == following:
            problems["history"] = f"{day.isoformat()} appears more than once"
            break
    negative = next((day for day, volume in ordered if volume < 0), None)
    if negative is not None:
        problems["history"] = f"The volume on {negative.isoformat()} is negative"
    if not all(math.isfinite(volume) for _, volume in ordered):
        problems["history"] = "Every volume must be a number"
    days = tuple(day for day, _ in ordered)
    weekdays_only = all(day.weekday() < 5 for day in days)
    chosen_season = season or (5 if weekdays_only else 7)
    if season is not None and not 2 <= season <= 366:
        problems["season"] = "The season must be from 2 to 366 periods"
    if not problems and len(days) < BASELINE_MIN_SEASONS * chosen_season:
        problems["history"] = (
            f"The history has {len(days)} days; at least {BASELINE_MIN_SEASONS * chosen_season} "
            "are needed (two weeks)"
        )
    if problems:
        raise ValidationFailed("The history cannot be forecast.", fields=problems)
    return History(
        days=days,
        volumes=np.array([volume for _, volume in ordered], dtype=float),
        season=chosen_season,
        holidays=holidays,
    )


# The methods


def _positions(history: History, count: int) -> np.ndarray:
    """For each of ``count`` periods ahead, the position in the last season it repeats."""
    return len(history) - history.season + np.arange(count) % history.season


def _last_week_means(history: History, count: int) -> np.ndarray:
    return history.volumes[_positions(history, count)]


def _mean_4_weeks_means(history: History, count: int) -> np.ndarray:
    positions = _positions(history, count)
    seasons = [positions - history.season * back for back in range(4)]
    stacked = np.array([history.volumes[np.maximum(p, p % history.season)] for p in seasons])
    valid = np.array([p >= 0 for p in seasons])
    return (stacked * valid).sum(axis=0) / valid.sum(axis=0)


def _baseline(means: Callable[[History, int], np.ndarray]) -> Callable[[History, int], Prediction]:
    def predict(history: History, count: int) -> Prediction:
        mean = means(history, count)
        errors = _baseline_errors(history, means)
        low_error, high_error = np.quantile(errors, [(1 - INTERVAL) / 2, (1 + INTERVAL) / 2])
        return Prediction(mean, np.maximum(mean + low_error, 0), np.maximum(mean + high_error, 0))

    return predict


def _baseline_errors(history: History, means: Callable[[History, int], np.ndarray]) -> np.ndarray:
    """What the baseline got wrong over recent weeks, forecasting each week from the weeks
    before it."""
    season = history.season
    errors: list[np.ndarray] = []
    end = len(history)
    while end - season >= season and len(errors) < BASELINE_ERROR_SEASONS:
        start = end - season
        errors.append(history.volumes[start:end] - means(history.head(start), season))
        end = start
    return np.concatenate(errors)


def _calendar_columns(history: History, days: Sequence[date], offset: int) -> np.ndarray:
    """Weekday, trend, time of year and bank holidays, for the design of the regression."""
    positions = offset + np.arange(len(days))
    by_weekday = history.season in (5, 7)
    weekday = np.array(
        [day.weekday() for day in days] if by_weekday else positions % history.season
    )
    columns = [np.ones(len(days)), positions / 365.0]
    columns += [(weekday == value).astype(float) for value in range(1, history.season)]
    if history.days[-1] - history.days[0] >= timedelta(days=364):
        year = np.array([day.timetuple().tm_yday / 365.25 for day in days])
        for term in range(1, ANNUAL_TERMS + 1):
            columns += [np.sin(2 * np.pi * term * year), np.cos(2 * np.pi * term * year)]
    columns += [
        np.array([day in history.holidays for day in days], dtype=float),
        np.array([_is_catch_up(day, history.holidays) for day in days], dtype=float),
    ]
    return np.column_stack(columns)


def _is_catch_up(day: date, holidays: frozenset[date]) -> bool:
    """The first working day after a bank holiday, when the work it held back comes in."""
    if day.weekday() >= 5 or day in holidays:
        return False
    before = day - timedelta(days=1)
    while before.weekday() >= 5 and before not in holidays:
        before -= timedelta(days=1)
    return before in holidays


def _regression(history: History, count: int) -> Prediction:
    from statsmodels.regression.linear_model import OLS

    design = _calendar_columns(history, history.days, 0)
    future = _calendar_columns(history, history.days_after(count), len(history))
    # Columns that never vary in the history (a holiday it does not include) cannot be fitted.
    used = np.ptp(design, axis=0) > 0
    used[0] = True
    fitted = OLS(np.log1p(history.volumes), design[:, used]).fit()
    frame = fitted.get_prediction(future[:, used]).summary_frame(alpha=1 - INTERVAL)
    return Prediction(
        mean=np.maximum(np.expm1(frame["mean"].to_numpy()), 0),
        low=np.maximum(np.expm1(frame["obs_ci_lower"].to_numpy()), 0),
        high=np.maximum(np.expm1(frame["obs_ci_upper"].to_numpy()), 0),
    )


def _smoothing(history: History, count: int) -> Prediction:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    season = history.season
    special = [
        0 if day in history.holidays else 1 if _is_catch_up(day, history.holidays) else None
        for day in history.days
    ]
    cleaned = history.volumes.copy()
    ratios: dict[int, list[float]] = {0: [], 1: []}
    for position, kind in enumerate(special):
        if kind is None or position < season:
            continue
        before = cleaned[position - season]
        if before > 0:
            ratios[kind].append(history.volumes[position] / before)
        cleaned[position] = before
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = ExponentialSmoothing(
            cleaned,
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=season,
            initialization_method="heuristic",
        ).fit(use_brute=False, method="SLSQP")
        paths = fitted.simulate(
            count,
            repetitions=SIMULATIONS,
            error="add",
            anchor="end",
            random_state=np.random.default_rng(len(history)),
        )
    mean = np.asarray(fitted.forecast(count), dtype=float)
    paths = np.asarray(paths, dtype=float).reshape(count, -1)
    low, high = np.quantile(paths, [(1 - INTERVAL) / 2, (1 + INTERVAL) / 2], axis=1)
    factors = {
        kind: float(np.clip(np.median(found), 0, 5)) if found else 1.0
        for kind, found in ratios.items()
    }
    for index, day in enumerate(history.days_after(count)):
        kind = 0 if day in history.holidays else 1 if _is_catch_up(day, history.holidays) else None
        if kind is not None:
            mean[index], low[index], high[index] = (
                value * factors[kind] for value in (mean[index], low[index], high[index])
            )
    return Prediction(np.maximum(mean, 0), np.maximum(low, 0), np.maximum(high, 0))


METHODS: dict[str, Callable[[History, int], Prediction]] = {
    LAST_WEEK: _baseline(_last_week_means),
    MEAN_4_WEEKS: _baseline(_mean_4_weeks_means),
    REGRESSION: _regression,
    SMOOTHING: _smoothing,
}


def _minimum_history(method: str, season: int) -> int:
    return (BASELINE_MIN_SEASONS if method in BASELINES else MODEL_MIN_SEASONS) * season


# The backtest and the forecast


def backtest_origins(history: History, *, horizon: int, origins: int) -> tuple[list[int], int]:
    """Where to cut the history, a week apart from the latest, and how many days to forecast
    after each cut: the horizon asked for, or less when the history is too short for it."""
    season = history.season
    shortest = BASELINE_MIN_SEASONS * season
    days = min(horizon, len(history) - shortest)
    if days < 1:
        return [], 0
    cuts = [len(history) - days - back * season for back in range(origins)]
    return [cut for cut in cuts if cut >= shortest], days


def backtest(
    history: History, *, horizon: int, origins: int = BACKTEST_ORIGINS
) -> tuple[list[Score], int, int]:
    cuts, days = backtest_origins(history, horizon=horizon, origins=origins)
    scores: list[Score] = []
    for method, predict in METHODS.items():
        if not cuts or min(cuts) < _minimum_history(method, history.season):
            continue
        actual, mean, low, high = [], [], [], []
        for cut in cuts:
            prediction = predict(history.head(cut), days)
            actual.append(history.volumes[cut : cut + days])
            mean.append(prediction.mean)
            low.append(prediction.low)
            high.append(prediction.high)
        scores.append(_score(method, *(np.concatenate(part) for part in (actual, mean, low, high))))
    return scores, len(cuts), days


def _score(
    method: str, actual: np.ndarray, mean: np.ndarray, low: np.ndarray, high: np.ndarray
) -> Score:
    errors = np.abs(actual - mean)
    counted = actual > 0
    mape = float(np.mean(errors[counted] / actual[counted])) if counted.any() else None
    inside = float(np.mean((actual >= low) & (actual <= high)))
    return Score(method=method, mae=float(errors.mean()), mape=mape, coverage=inside)


def forecast(history: History, *, horizon: int, origins: int = BACKTEST_ORIGINS) -> Forecast:
    """The next ``horizon`` days by the method that did best in the backtest."""
    if not 1 <= horizon <= MAX_HORIZON:
        raise ValidationFailed(
            "The horizon is out of range.",
            fields={"horizon": f"The horizon must be from 1 to {MAX_HORIZON} periods"},
        )
    scores, cuts, days = backtest(history, horizon=horizon, origins=origins)
    order = list(METHODS)
    best = min(scores, key=lambda score: (score.mae, order.index(score.method)), default=None)
    method = best.method if best is not None else LAST_WEEK
    scores = [Score(s.method, s.mae, s.mape, s.coverage, chosen=s.method == method) for s in scores]
    prediction = METHODS[method](history, horizon)
    return Forecast(
        method=method,
        days=[
            ForecastDay(day, float(mean), float(low), float(high))
            for day, mean, low, high in zip(
                history.days_after(horizon),
                prediction.mean,
                prediction.low,
                prediction.high,
                strict=True,
            )
        ],
        scores=scores,
        origins=cuts,
        backtest_days=days,
    )
