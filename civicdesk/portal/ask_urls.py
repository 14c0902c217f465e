"""Ask, for residents: the chat under /<council>/ask/."""

from django.urls import URLPattern, path

from . import ask_views as views

app_name = "assistant"

urlpatterns: list[URLPattern] = [
    path("<slug:council>/ask/", views.ask, name="ask"),
    path("<slug:council>/ask/updates", views.ask_updates, name="ask-updates"),
    path("<slug:council>/ask/choose", views.ask_choose, name="ask-choose"),
    path("<slug:council>/ask/person", views.ask_person, name="ask-person"),
    path("<slug:council>/ask/rate", views.ask_rate, name="ask-rate"),
    path("<slug:council>/ask/new", views.ask_new, name="ask-new"),
    path("<slug:council>/ask/call-me-back/", views.ask_callback, name="ask-callback"),
    path("<slug:council>/ask/start-form", views.ask_start_form, name="ask-start-form"),
    path("<slug:council>/ask/answers/<int:article>/", views.ask_answer, name="ask-answer"),
]
