from typing import Any

from django import forms
from django.contrib import admin

from civicdesk.core.errors import ValidationFailed
from civicdesk.organisations.admin_scoping import OrganisationScopedAdmin, ReadOnlyAdmin

from .collections import postcode_areas_parse
from .models import CollectionRound, Landmark, Street


@admin.register(Street)
class StreetAdmin(ReadOnlyAdmin):
    """The street list changes only through the importer (``manage.py import_streets``)."""

    list_display = ["name", "locality", "usrn", "adoption", "maintainer"]
    list_filter = ["adoption"]
    search_fields = ["name", "locality", "usrn"]
    exclude = ["min_latitude", "max_latitude", "min_longitude", "max_longitude"]


@admin.register(Landmark)
class LandmarkAdmin(OrganisationScopedAdmin):
    """Places residents name instead of a street, so that a report "outside the library" finds
    the library's street."""

    list_display = ["name", "also_known_as", "street"]
    search_fields = ["name", "also_known_as"]


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

    def clean_postcode_areas(self) -> str:
        try:
            return ", ".join(postcode_areas_parse(self.cleaned_data.get("postcode_areas", "")))
        except ValidationFailed as problem:
            raise forms.ValidationError(problem.fields["postcode_areas"]) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("postcode_areas") and not (cleaned.get("localities") or "").strip():
            raise forms.ValidationError("Enter the postcode areas or the towns the round covers.")
        return cleaned


@admin.register(CollectionRound)
class CollectionRoundAdmin(OrganisationScopedAdmin):
    """Bin collection rounds: what residents are told when they check their bin day."""

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
