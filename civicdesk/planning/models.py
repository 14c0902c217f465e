"""Planning: the rota of who answers which channel when, and the forecasts made each day, kept
so that they can be compared with what came in."""

from __future__ import annotations

from django.db import models

from civicdesk.core.choices import Channel


class RotaEntry(models.Model):
    """One person on one channel for one stretch of a weekday, every week."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    person = models.CharField(max_length=120)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    weekday = models.PositiveSmallIntegerField(help_text="0 is Monday.")
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["channel", "weekday", "starts", "person", "id"]
        indexes = [models.Index(fields=["organisation", "channel"], name="rota_channel")]

    def __str__(self) -> str:
        return f"{self.channel} {self.weekday} {self.starts:%H:%M}-{self.ends:%H:%M}"


class ForecastRun(models.Model):
    """A channel's forecast as made on one day, with the backtest that chose its method."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    made_on = models.DateField()
    method = models.CharField(max_length=30)
    history_days = models.PositiveIntegerField()
    origins = models.PositiveSmallIntegerField()
    backtest_days = models.PositiveSmallIntegerField()
    scores = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "channel", "made_on"], name="forecast_run_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} forecast made on {self.made_on}"


class ForecastedDay(models.Model):
    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    forecast = models.FloatField()
    low = models.FloatField()
    high = models.FloatField()

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["run", "day"], name="forecasted_day_unique")]

    def __str__(self) -> str:
        return f"{self.day}: {self.forecast:.0f}"
