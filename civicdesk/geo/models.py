"""Streets a council publishes, with who looks after each one."""

from __future__ import annotations

from django.db import models

from civicdesk.core.models import TimeStampedModel

from .choices import Adoption


class Street(TimeStampedModel):
    """One street from a council's list of streets, keyed by its USRN.

    ``geometry`` is a GeoJSON LineString in WGS84 lon/lat. The four bounding-box columns are
    kept in step with it by the importer, so that a look-up near a point can filter in the
    database before measuring exact distances.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="streets"
    )
    usrn = models.CharField(
        "USRN", max_length=12, help_text="Unique Street Reference Number from the street gazetteer."
    )
    name = models.CharField(max_length=200)
    locality = models.CharField(max_length=120, blank=True, help_text="Town or village.")
    adoption = models.CharField(max_length=20, choices=Adoption.choices)
    maintainer = models.CharField(
        max_length=200,
        blank=True,
        help_text="Who looks after it when the council does not, e.g. a management company.",
    )
    geometry = models.JSONField(help_text="GeoJSON LineString, WGS84 lon/lat.")
    min_latitude = models.FloatField()
    max_latitude = models.FloatField()
    min_longitude = models.FloatField()
    max_longitude = models.FloatField()

    class Meta:
        ordering = ["organisation", "name", "locality"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "usrn"], name="street_usrn_unique")
        ]
        indexes = [
            models.Index(
                fields=["organisation", "min_latitude", "max_latitude"], name="street_latitude"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.locality}" if self.locality else self.name

    @property
    def maintained_by_council(self) -> bool:
        return self.adoption == Adoption.ADOPTED
