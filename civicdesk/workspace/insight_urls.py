from django.urls import URLPattern, URLResolver, path

from . import insight_views as views
from . import referral_insight

app_name = "insight"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("definitions/", views.definitions, name="definitions"),
    path("export/<slug:key>.csv", views.export, name="export"),
    path("themes/", views.themes, name="themes"),
    path("themes/sentiment.csv", views.sentiment_export, name="sentiment-export"),
    path("themes/<int:number>/", views.theme, name="theme"),
    path("places/", views.places, name="places"),
    path("places/<int:survey_id>/", views.place, name="place"),
    path("places/<int:survey_id>/active", views.place_active, name="place-active"),
    path("places/<int:survey_id>/answers.csv", views.place_export, name="place-export"),
    path(
        "places/<int:survey_id>/poster.<str:kind>",
        views.place_poster,
        name="place-poster",
    ),
    path("ratings/record/", views.rating_record, name="rating-record"),
    path("surveys/", views.surveys, name="surveys"),
    path("referrals/", referral_insight.referrals, name="referrals"),
    path("surveys/<int:round_id>/responses/", views.survey_import, name="survey-import"),
]
