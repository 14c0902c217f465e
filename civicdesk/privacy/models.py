"""The record that a customer's personal data was erased (or is being erased).

It holds ids, dates and counts only, never the data itself, so that erasing twice is refused
with a clear message and an erasure that stopped part-way can be finished by running it again.
"""

from __future__ import annotations

from django.db import models


class Erasure(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.PROTECT, related_name="erasure"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(
        default=dict, blank=True, help_text="Records changed or deleted, by kind of record."
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        state = "finished" if self.finished_at else "started"
        return f"Erasure of customer {self.customer_id} ({state})"
