from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest

from civicdesk.core.audit import Actor
from civicdesk.core.errors import ValidationFailed
from civicdesk.organisations.admin_scoping import OrganisationScopedAdmin, ReadOnlyAdmin

from .models import CollectionRound, Landmark, Street
from .services import collection_round_check, collection_round_save, landmark_check, landmark_save


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
