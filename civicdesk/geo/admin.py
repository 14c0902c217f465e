from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest

from civicdesk.core.audit import Actor
from civicdesk.core.errors import ValidationFailed
from civicdesk.organisations.admin_scoping import (
    InstallationAdministratorsOnly,
    OrganisationScopedAdmin,
    ReadOnlyAdmin,
)

from .models import CollectionRound, Landmark, NeighbouringCouncil, Street
from .services import (
    collection_round_check,
    collection_round_save,
    landmark_check,
    landmark_save,
    neighbouring_council_check,
    neighbouring_council_save,
)

# Far larger than a simplified council boundary; a bigger upload is the wrong file.
MOST_BOUNDARY_BYTES = 20 * 1024 * 1024


@admin.register(Street)
class StreetAdmin(ReadOnlyAdmin):
    """The street list changes only through the importer (``manage.py import_streets``)."""

    list_display = ["name", "locality", "usrn", "adoption", "maintainer"]
    list_filter = ["adoption"]
    search_fields = ["name", "locality", "usrn"]
    exclude = ["min_latitude", "max_latitude", "min_longitude", "max_longitude"]


def _problems_shown(form: forms.ModelForm, problem: ValidationFailed) -> None:
    """The service's problems on the admin form's fields (or above it, for any other). A field
    Django already found wrong keeps its own message."""
    for field, message in problem.fields.items():
        if field not in form.errors:
            form.add_error(field if field in form.fields else None, message)
    if not problem.fields:
        form.add_error(None, problem.message)


class LandmarkForm(forms.ModelForm):
    class Meta:
        model = Landmark
        fields = ["organisation", "name", "also_known_as", "street", "latitude", "longitude"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        organisation, latitude, longitude = (
            cleaned.get("organisation"),
            cleaned.get("latitude"),
            cleaned.get("longitude"),
        )
        if organisation is not None and latitude is not None and longitude is not None:
            try:
                landmark_check(
                    organisation=organisation,
                    name=cleaned.get("name") or "",
                    latitude=latitude,
                    longitude=longitude,
                    street=cleaned.get("street"),
                )
            except ValidationFailed as problem:
                _problems_shown(self, problem)
        return cleaned


@admin.register(Landmark)
class LandmarkAdmin(OrganisationScopedAdmin):
    """Places residents name instead of a street, so that a report "outside the library" finds
    the library's street. Saved through the service, so that every change is audited."""

    form = LandmarkForm
    list_display = ["name", "also_known_as", "street"]
    search_fields = ["name", "also_known_as"]

    def save_model(self, request: HttpRequest, obj: Landmark, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = landmark_save(
            organisation=data["organisation"],
            name=data["name"],
            also_known_as=data.get("also_known_as") or "",
            street=data.get("street"),
            latitude=data["latitude"],
            longitude=data["longitude"],
            existing=obj if change else None,
            actor=Actor.for_user(cast(User, request.user)),
        )
        obj.pk = saved.pk


class CollectionRoundForm(forms.ModelForm):
    class Meta:
        model = CollectionRound
        fields = [
            "organisation",
            "name",
            "bin_type",
            "first_collection",
            "every_weeks",
            "postcode_areas",
            "localities",
            "active",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            covers = collection_round_check(
                name=cleaned.get("name") or "",
                bin_type=cleaned.get("bin_type") or "",
                every_weeks=cleaned.get("every_weeks") or 0,
                postcode_areas=cleaned.get("postcode_areas") or "",
                localities=cleaned.get("localities") or "",
            )
        except ValidationFailed as problem:
            _problems_shown(self, problem)
        else:
            cleaned["postcode_areas"] = ", ".join(covers.postcode_areas)
        return cleaned


@admin.register(CollectionRound)
class CollectionRoundAdmin(OrganisationScopedAdmin):
    """Bin collection rounds: what residents are told when they check their bin day. Saved
    through the service, so that the checks are the same everywhere and every change is
    audited."""

    form = CollectionRoundForm
    list_display = [
        "name",
        "bin_type",
        "first_collection",
        "every_weeks",
        "postcode_areas",
        "active",
    ]
    list_filter = ["bin_type", "active"]
    search_fields = ["name", "postcode_areas", "localities"]

    def save_model(
        self, request: HttpRequest, obj: CollectionRound, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        saved = collection_round_save(
            organisation=data["organisation"],
            name=data["name"],
            bin_type=data["bin_type"],
            first_collection=data["first_collection"],
            every_weeks=data["every_weeks"],
            postcode_areas=data.get("postcode_areas") or "",
            localities=data.get("localities") or "",
            active=bool(data.get("active")),
            existing=obj if change else None,
            actor=Actor.for_user(cast(User, request.user)),
        )
        obj.pk = saved.pk


class NeighbouringCouncilForm(forms.ModelForm):
    """The boundary comes as a GeoJSON file, checked (and simplified if need be) as a council's
    own is; a council already saved keeps its boundary when no file is given."""

    website = forms.URLField(required=False, assume_scheme="https")
    boundary_file = forms.FileField(
        label="Boundary",
        required=False,
        help_text="A GeoJSON file of the council's area in longitude and latitude, for example "
        "from the ONS Open Geography Portal. Leave it empty to keep the boundary it has.",
    )

    class Meta:
        model = NeighbouringCouncil
        fields = ["name", "code", "website", "phone", "report_url", "boundary_attribution"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        boundary: Any = self.instance.boundary if self.instance.pk else None
        upload = cleaned.get("boundary_file")
        if upload is not None:
            if upload.size > MOST_BOUNDARY_BYTES:
                self.add_error("boundary_file", "The file is larger than 20 MB")
                return cleaned
            try:
                boundary = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("boundary_file", "The file is not GeoJSON text")
                return cleaned
        try:
            checked = neighbouring_council_check(
                name=cleaned.get("name") or "",
                boundary=boundary,
                website=cleaned.get("website") or "",
                phone=cleaned.get("phone") or "",
                report_url=cleaned.get("report_url") or "",
            )
        except ValidationFailed as problem:
            fields = dict(problem.fields)
            if "boundary" in fields:
                fields["boundary_file"] = fields.pop("boundary")
            _problems_shown(self, ValidationFailed(problem.message, fields=fields))
        else:
            cleaned["boundary"] = checked.boundary
        return cleaned


@admin.register(NeighbouringCouncil)
class NeighbouringCouncilAdmin(InstallationAdministratorsOnly):
    """Councils around ours that are not on this installation: a resident who chooses a place
    in one is sent to its report page with the place (ADR 0048). They belong to the whole
    installation, so only its administrators manage them."""

    form = NeighbouringCouncilForm
    list_display = ["name", "code", "website", "phone"]
    search_fields = ["name", "code"]
    deletable = True

    def save_model(
        self, request: HttpRequest, obj: NeighbouringCouncil, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        saved = neighbouring_council_save(
            name=data["name"],
            boundary=data["boundary"],
            code=data.get("code") or "",
            website=data.get("website") or "",
            phone=data.get("phone") or "",
            report_url=data.get("report_url") or "",
            boundary_attribution=data.get("boundary_attribution") or "",
            existing=obj if change else None,
        )
        obj.pk = saved.pk
