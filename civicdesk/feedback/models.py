"""Feedback from residents. Page feedback: "Did you find what you were looking for?"."""

from __future__ import annotations

from django.db import models


class PageFeedback(models.Model):
    """An answer to "did you find what you were looking for?" on one page. Never personal."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="page_feedback"
    )
    path = models.CharField(max_length=300, db_index=True, help_text="The page, without query.")
    found = models.BooleanField()
    comment = models.TextField(blank=True, help_text="With personal details taken out.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.path}: {'yes' if self.found else 'no'}"
