"""URLs of the opendata part (included by kiosk_platform/urls.py)."""

from django.urls import path

from . import views

app_name = "opendata"
urlpatterns = [
    path("open-data/", views.index, name="index"),
    path("open-data/v1/daily-counts.json", views.daily_counts, {"fmt": "json"}, name="daily-counts-json"),
    path("open-data/v1/daily-counts.csv", views.daily_counts, {"fmt": "csv"}, name="daily-counts-csv"),
]
