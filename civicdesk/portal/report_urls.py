"""Resident pages: report (see the views module)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
