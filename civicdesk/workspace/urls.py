from django.urls import URLPattern, URLResolver, path

from . import (
    ask_views,
    cases,
    complaints,
    customers,
    invitations,
    messages,
    quality,
    queues,
    reception,
    sign_in,
    views,
)

app_name = "workspace"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("sign-in/", sign_in.sign_in, name="sign-in"),
    path("sign-in/code/", sign_in.sign_in_code, name="sign-in-code"),
    path("sign-in/set-up/", sign_in.sign_in_set_up, name="sign-in-set-up"),
    path("sign-out/", sign_in.sign_out, name="sign-out"),
    path(
        "sign-in/set-password/<str:token>/",
        invitations.set_password,
        name="sign-in-set-password",
    ),
    path("customers/new/", customers.customer_new, name="customer-new"),
    path("customers/<int:customer_id>/", customers.customer, name="customer"),
    path("customers/<int:customer_id>/contacts/new/", customers.contact_new, name="contact-new"),
    path("customers/<int:customer_id>/cases/new/", cases.case_new, name="case-new"),
    path(
        "customers/<int:customer_id>/merge/", customers.customer_merge_view, name="customer-merge"
    ),
    path(
        "customers/<int:customer_id>/account/",
        customers.account_assisted,
        name="account-assisted",
    ),
    path(
        "customers/<int:customer_id>/account/confirm/",
        customers.account_confirm,
        name="account-confirm",
    ),
    path(
        "customers/<int:customer_id>/appointments/new/",
        reception.appointment_new,
        name="appointment-new",
    ),
    path("reception/", reception.reception, name="reception"),
    path("reception/walk-in/", reception.walk_in, name="walk-in"),
    path(
        "reception/visits/<int:visit_id>/<slug:action>/",
        reception.visit_action,
        name="visit-action",
    ),
    path("cases/<str:reference>/", cases.case_page, name="case"),
    path(
        "cases/<str:reference>/documents/<int:document_id>/",
        cases.case_document,
        name="case-document",
    ),
    path("cases/<str:reference>/<slug:action>/", cases.case_action, name="case-action"),
    path("queue/", queues.queue, name="queue"),
    path("queue/assign/", queues.queue_assign, name="queue-assign"),
    path("team-lead/", queues.team_lead, name="team-lead"),
    path("messages/", messages.messages, name="messages"),
    path("messages/<int:message_id>/", messages.message, name="message"),
    path("complaints/", complaints.complaints, name="complaints"),
    path("complaints/<str:reference>/", complaints.complaint, name="complaint"),
    path(
        "complaints/<str:reference>/<slug:action>/",
        complaints.complaint_action,
        name="complaint-action",
    ),
    path("quality/", quality.quality, name="quality"),
    path("quality/mystery-customer/", quality.quality_check, name="quality-mystery"),
    path("quality/contacts/<int:contact_id>/", quality.quality_check, name="quality-check"),
    path(
        "quality/assessments/<int:assessment_id>/",
        quality.quality_assessment,
        name="quality-assessment",
    ),
    path("ask/queue/", ask_views.queue, name="ask-queue"),
    path("ask/queue/<int:conversation>/", ask_views.conversation, name="ask-conversation"),
    path("ask/answers/", ask_views.articles, name="ask-articles"),
    path("ask/answers/new/", ask_views.article_edit, name="ask-article-new"),
    path("ask/answers/<int:article>/", ask_views.article_edit, name="ask-article"),
    path("ask/answers/<int:article>/move", ask_views.article_move_view, name="ask-article-move"),
    path("ask/log/", ask_views.log, name="ask-log"),
]
