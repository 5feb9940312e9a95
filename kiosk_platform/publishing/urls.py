"""URLs of the publishing part (included by kiosk_platform/urls.py)."""

from django.urls import path  # noqa: F401

app_name = "publishing"
urlpatterns: list = []
