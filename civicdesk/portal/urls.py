from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("<slug:council>/", views.home, name="home"),
    path("<slug:council>/services/", views.search, name="search"),
    path("<slug:council>/services/<slug:key>/", views.service, name="service"),
    path("<slug:council>/contact/", views.contact, name="contact"),
    path("<slug:council>/track/", views.track, name="track"),
    path("<slug:council>/feedback/page", views.page_feedback, name="page-feedback"),
]
