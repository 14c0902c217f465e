"""Resident pages: report a problem or apply for a service (see report_views, and
report_location_views for the pages about where the problem is)."""

from django.urls import URLPattern, path

from . import report_handover as handover
from . import report_location_views as location_views
from . import report_views as views

urlpatterns: list[URLPattern] = [
    path("report/<slug:key>/", views.report_start, name="report-start"),
    path(
        "report/<slug:key>/question/<slug:question>/",
        views.report_question,
        name="report-question",
    ),
    path(
        "report/<slug:key>/street/<slug:question>/",
        location_views.report_place,
        name="report-place",
    ),
    path(
        "report/<slug:key>/reported-already/<slug:question>/",
        location_views.report_nearby,
        name="report-nearby",
    ),
    path(
        "report/<slug:key>/call-999/<slug:question>/",
        views.report_danger,
        name="report-danger",
    ),
    path("report/<slug:key>/not-ours/", handover.report_elsewhere, name="report-elsewhere"),
    path("report/<slug:key>/your-details/", views.report_details, name="report-details"),
    path("report/<slug:key>/check/", views.report_check, name="report-check"),
    path("report/<slug:key>/sent/", views.report_done, name="report-done"),
    path("report/<slug:key>/following/", views.report_followed, name="report-followed"),
]
