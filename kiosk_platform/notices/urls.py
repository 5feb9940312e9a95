"""URLs of the notices part (included by kiosk_platform/urls.py)."""

from django.urls import path  # noqa: F401

app_name = "notices"
urlpatterns: list = []
