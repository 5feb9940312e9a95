"""URLs of the ingest part (included by kiosk_platform/urls.py)."""

from django.urls import path  # noqa: F401

app_name = "ingest"
urlpatterns: list = []
