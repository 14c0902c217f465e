"""Resident pages: account (see the views module)."""

from django.urls import URLPattern, path

from . import account_views as views

urlpatterns: list[URLPattern] = [
    path("account/", views.account_home, name="account"),
    path("account/sign-in/", views.sign_in, name="account-sign-in"),
    path("account/sign-in/password/", views.sign_in_password, name="account-sign-in-password"),
    path("account/create/", views.create_account, name="account-create"),
    path("account/check-your-email/", views.check_email, name="account-check-email"),
    path("account/link/<str:token>/", views.link, name="account-link"),
    path("account/sign-out/", views.sign_out, name="account-sign-out"),
    path("account/signed-out/", views.signed_out, name="account-signed-out"),
    path("account/preferences/", views.preferences, name="account-preferences"),
    path("account/password/", views.set_password, name="account-password"),
    path("account/assisted/", views.assisted, name="account-assisted"),
    path("account/your-information/copy/", views.information_copy, name="account-copy"),
    path("account/your-information/delete/", views.information_delete, name="account-delete"),
    path("account/requests/<str:reference>/", views.case_detail, name="account-case"),
    path(
        "account/requests/<str:reference>/add/",
        views.add_information,
        name="account-add-information",
    ),
    path("account/requests/<str:reference>/fixed/", views.confirm_fixed, name="account-fixed"),
    path(
        "account/requests/<str:reference>/documents/<int:document_id>/",
        views.document,
        name="account-document",
    ),
]
