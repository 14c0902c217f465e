"""Inbound hooks: what other systems post to us (GOV.UK Notify's callbacks, the telephony
platform, referral receivers' status updates). Each checks its caller before it reads
anything."""

from django.urls import URLPattern, path

from . import notify, received_texts, referral_status, telephony

urlpatterns: list[URLPattern] = [
    path("notifications/notify/receipts", notify.notify_receipt, name="notify-receipt"),
    path(
        "channels/notify/received-text",
        received_texts.notify_received_text,
        name="notify-received-text",
    ),
    path("telephony/<slug:council>/ask", telephony.ask_by_phone, name="telephony"),
    path(
        "hooks/referrals/<str:receiver>/status",
        referral_status.referral_status,
        name="referral-status",
    ),
]
