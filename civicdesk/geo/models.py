"""Streets a council publishes, with who looks after each one; places residents name instead
of a street (landmarks); and the rounds that collect residents' bins."""

from __future__ import annotations

from django.db import models

from civicdesk.core.models import TimeStampedModel

from .choices import Adoption, BinType


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


class Landmark(TimeStampedModel):
    """A place residents name instead of a street: "outside the library", "by the leisure
    centre". Each has a point, and the street it is on when there is one."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="landmarks"
    )
    name = models.CharField(max_length=120, help_text="As residents know it: Wellington Library.")
    also_known_as = models.CharField(
        max_length=300,
        blank=True,
        help_text="Other names residents use, separated by commas: the library, the town library.",
    )
    street = models.ForeignKey(
        Street,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="landmarks",
        help_text="The street it is on, to tell apart landmarks of the same kind in other towns.",
    )
    latitude = models.FloatField()
    longitude = models.FloatField()

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="landmark_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CollectionRound(TimeStampedModel):
    """One bin type collected on one day, every week or every few weeks, in the postcodes and
    towns listed. The most specific postcode wins where two rounds of a bin type overlap."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="collection_rounds"
    )
    name = models.CharField(max_length=120, help_text="For staff: Wellington Monday, week A.")
    bin_type = models.CharField(max_length=20, choices=BinType.choices)
    first_collection = models.DateField(
        help_text="Any day this round was or will be collected; it repeats from there."
    )
    every_weeks = models.PositiveSmallIntegerField(
        default=1,
        choices=[
            (1, "Every week"),
            (2, "Every 2 weeks"),
            (3, "Every 3 weeks"),
            (4, "Every 4 weeks"),
        ],
    )
    postcode_areas = models.CharField(
        max_length=500,
        blank=True,
        help_text="Postcode districts or sectors it covers, separated by commas: TF1, TF2 6.",
    )
    localities = models.CharField(
        max_length=500,
        blank=True,
        help_text="Towns or villages it covers, separated by commas, for residents who choose "
        "their street instead of giving a postcode.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organisation", "bin_type", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="collection_round_unique")
        ]

    def __str__(self) -> str:
        return self.name


class NeighbouringCouncil(TimeStampedModel):
    """A council around ours that is not on this installation: where a resident who chose a
    place in its area is sent, with the place, instead of being told only "not here".

    ``report_url`` may hold ``{latitude}`` and ``{longitude}``, filled in
    with the place; geo.services.neighbouring_council_save checks it. The four bounding-box
    columns are kept in step with the boundary, so that a look-up filters in the database
    before testing the polygon.
    """

    name = models.CharField(max_length=200, unique=True, help_text="Powys County Council.")
    code = models.CharField(
        max_length=20, blank=True, help_text="ONS local authority district code, e.g. W06000023."
    )
    boundary = models.JSONField(help_text="GeoJSON Polygon or MultiPolygon, WGS84 lon/lat.")
    boundary_attribution = models.TextField(blank=True)
    website = models.URLField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    report_url = models.CharField(
        "report page address",
        max_length=500,
        blank=True,
        help_text="The https address where residents report a problem to them. It may hold "
        "{latitude} and {longitude}, to open it at the place.",
    )
    min_latitude = models.FloatField()
    max_latitude = models.FloatField()
    min_longitude = models.FloatField()
    max_longitude = models.FloatField()

    class Meta:
        ordering = ["name"]
        verbose_name = "council not on this installation"
        verbose_name_plural = "councils not on this installation"

    def __str__(self) -> str:
        return self.name
