"""URLs of the ingest part: the device APIs (``docs/platform-ingest.md``), bearer tokens, no cookies."""

from django.urls import path

from kiosk_platform.fleet import api as fleet_api

from . import views

app_name = "ingest"
urlpatterns = [
    path("api/v1/devices/register", fleet_api.register, name="register"),
    path("api/v1/ingest", views.ingest, name="ingest"),
]
