"""Resident pages: rating a finished request and answering a survey at a place (no sign-in)."""

from django.urls import URLPattern, path

from . import feedback_views as views

urlpatterns: list[URLPattern] = [
    path("feedback/rate/<str:token>/", views.rate, name="feedback-rate"),
    path("feedback/place/<slug:code>/", views.place_survey, name="feedback-place"),
    path("feedback/thank-you/", views.thanks, name="feedback-thanks"),
]
