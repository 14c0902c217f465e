"""Resident pages: account (see the views module)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
