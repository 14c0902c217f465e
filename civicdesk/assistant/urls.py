"""Ask: resident pages under /<council>/ask/, staff pages under /staff/ask/, the phone line."""

from django.urls import URLPattern, path

from . import staff_views, telephony, views

app_name = "assistant"

urlpatterns: list[URLPattern] = [
    # Staff pages first: a council's slug can never shadow them.
    path("staff/ask/queue/", staff_views.queue, name="staff-queue"),
    path(
        "staff/ask/queue/<int:conversation>/", staff_views.conversation, name="staff-conversation"
    ),
    path("staff/ask/answers/", staff_views.articles, name="staff-articles"),
    path("staff/ask/answers/new/", staff_views.article_edit, name="staff-article-new"),
    path("staff/ask/answers/<int:article>/", staff_views.article_edit, name="staff-article"),
    path(
        "staff/ask/answers/<int:article>/move",
        staff_views.article_move_view,
        name="staff-article-move",
    ),
    path("staff/ask/log/", staff_views.log, name="staff-log"),
    path("<slug:council>/ask/", views.ask, name="ask"),
    path("<slug:council>/ask/updates", views.ask_updates, name="ask-updates"),
    path("<slug:council>/ask/choose", views.ask_choose, name="ask-choose"),
    path("<slug:council>/ask/person", views.ask_person, name="ask-person"),
    path("<slug:council>/ask/rate", views.ask_rate, name="ask-rate"),
    path("<slug:council>/ask/new", views.ask_new, name="ask-new"),
    path("<slug:council>/ask/call-me-back/", views.ask_callback, name="ask-callback"),
    path("<slug:council>/ask/start-form", views.ask_start_form, name="ask-start-form"),
    path("<slug:council>/ask/answers/<int:article>/", views.ask_answer, name="ask-answer"),
    path("telephony/<slug:council>/ask", telephony.ask_by_phone, name="telephony"),
]
