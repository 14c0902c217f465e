from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import ForeignKey, Q, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest

from civicdesk.core.audit import Actor
from civicdesk.core.models import AuditEvent

from .admin_scoping import CaseLinkedAdmin, OrganisationScopedAdmin, organisation_id_for
from .models import Organisation, StaffMember, Team
from .services import NewStaff, new_staff_errors, staff_create
from .two_factor import staff_has_second_factor, staff_totp_reset


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    organisation_path = "pk"
    list_display = ["name", "kind", "code", "nation"]
    exclude = ["boundary"]


@admin.register(Team)
class TeamAdmin(OrganisationScopedAdmin):
    list_display = ["name", "organisation", "handles_out_of_hours", "accepts_referrals"]
    list_filter = [("organisation", admin.RelatedOnlyFieldListFilter)]
    prepopulated_fields = {"slug": ["name"]}


class NewStaffForm(forms.ModelForm):
    """Adding a member of staff creates their sign-in too, through ``staff_create``."""

    username = forms.CharField(label="Sign-in name", max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField()
    password = forms.CharField(
        widget=forms.PasswordInput,
        required=False,
        help_text="Leave blank and they will set their own with a password reset.",
    )

    class Meta:
        model = StaffMember
        fields = ["organisation", "role", "teams"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("organisation") is not None:
            for name, message in new_staff_errors(data["organisation"], self.new_staff()).items():
                if name in self.fields and name not in self.errors:
                    self.add_error(name, message)
        return data

    def new_staff(self) -> NewStaff:
        data = self.cleaned_data
        return NewStaff(
            username=data.get("username", ""),
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            email=data.get("email", ""),
            role=data.get("role", ""),
            teams=list(data.get("teams", [])),
            password=data.get("password", ""),
        )


@admin.register(StaffMember)
class StaffMemberAdmin(OrganisationScopedAdmin):
    list_display = ["__str__", "organisation", "role", "active", "has_authenticator"]
    list_filter = ["role", "active"]
    filter_horizontal = ["teams"]
    actions = ["reset_authenticator"]

    @admin.display(boolean=True, description="Authenticator set up")
    def has_authenticator(self, obj: StaffMember) -> bool:
        return staff_has_second_factor(obj)

    @admin.action(description="Reset the authenticator app (they set it up again at sign-in)")
    def reset_authenticator(self, request: HttpRequest, queryset: QuerySet[StaffMember]) -> None:
        actor = Actor.for_user(cast(User, request.user))
        for staff in queryset.select_related("organisation"):
            staff_totp_reset(staff=staff, actor=actor)
        self.message_user(request, f"Reset for {queryset.count()} member(s) of staff.")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = NewStaffForm
            kwargs["fields"] = None
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            fields = ["organisation", "username", "first_name", "last_name", "email", "password"]
            return [(None, {"fields": [*fields, "role", "teams"]})]
        return super().get_fieldsets(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = staff_create(
            organisation=form.cleaned_data["organisation"],
            new=form.new_staff(),
            actor=Actor.for_user(cast(User, request.user)),
        )
        obj.pk, obj.user, obj.created_at = created.pk, created.user, created.created_at

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name != "user" or field is None or field.queryset is None:
            return field
        organisation_id = organisation_id_for(request)
        if organisation_id is not None:
            # Only people already on this organisation's staff: never another council's users,
            # nor accounts with no staff record (residents).
            field.queryset = field.queryset.filter(staff__organisation_id=organisation_id)
        return field


# The audit trail is core's, but reading it is scoped like every case-linked record, which is
# this app's rule.
@admin.register(AuditEvent)
class AuditEventAdmin(CaseLinkedAdmin):
    list_display = ["at", "subject_type", "subject_id", "action", "actor_label"]
    list_filter = ["subject_type", "action"]

    def case_visible(self, case_ids: QuerySet[Any]) -> Q:
        return ~Q(subject_type="case") | Q(subject_id__in=case_ids)
