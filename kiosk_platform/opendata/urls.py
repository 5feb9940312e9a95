"""URLs of the opendata part (included by kiosk_platform/urls.py)."""

from django.urls import path  # noqa: F401

app_name = "opendata"
urlpatterns: list = []
