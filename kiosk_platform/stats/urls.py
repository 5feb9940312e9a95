"""URLs of the stats part (included by kiosk_platform/urls.py)."""

from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("statistics/", views.statistics, name="statistics"),
]
