from django.contrib import admin

from civicdesk.organisations.admin_scoping import OrganisationScopedAdmin

from .models import CharterTarget, Question, RequestType, ServiceArea


@admin.register(ServiceArea)
class ServiceAreaAdmin(OrganisationScopedAdmin):
    list_display = ["name", "team", "organisation"]
    prepopulated_fields = {"slug": ["name"]}


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


class CharterTargetInline(admin.TabularInline):
    model = CharterTarget
    extra = 0


@admin.register(RequestType)
class RequestTypeAdmin(OrganisationScopedAdmin):
    list_display = ["name", "key", "service_area", "kind", "provider_tier", "emergency", "active"]
    list_filter = [
        ("service_area", admin.RelatedOnlyFieldListFilter),
        "kind",
        "emergency",
        "sensitive",
        "active",
    ]
    search_fields = ["name", "key"]
    inlines = [QuestionInline, CharterTargetInline]
