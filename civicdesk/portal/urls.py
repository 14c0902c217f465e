from django.urls import include, path

from . import bin_day_views, views

app_name = "portal"

urlpatterns = [
    path("<slug:council>/", views.home, name="home"),
    path("<slug:council>/services/", views.search, name="search"),
    path("<slug:council>/services/<slug:key>/", views.service, name="service"),
    path("<slug:council>/contact/", views.contact, name="contact"),
    path("<slug:council>/track/", views.track, name="track"),
    path("<slug:council>/staff/sign-in/", views.staff_sign_in, name="staff-sign-in"),
    path("<slug:council>/feedback/page", views.page_feedback, name="page-feedback"),
    # Before the report journey's URLs: checking a bin day is an answer, not a report.
    path("<slug:council>/report/bin-day/", bin_day_views.bin_day, name="bin-day"),
    path("<slug:council>/", include("civicdesk.portal.report_urls")),
    path("<slug:council>/", include("civicdesk.portal.account_urls")),
    path("<slug:council>/", include("civicdesk.portal.feedback_urls")),
]
