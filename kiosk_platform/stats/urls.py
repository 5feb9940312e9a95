"""URLs of the stats part (included by kiosk_platform/urls.py)."""

from django.urls import path  # noqa: F401

app_name = "stats"
urlpatterns: list = []
