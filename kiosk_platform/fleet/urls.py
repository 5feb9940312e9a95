"""URLs of the fleet part (included by kiosk_platform/urls.py)."""

from django.urls import path

from . import views

app_name = "fleet"
urlpatterns = [
    path("fleet/", views.fleet_list, name="list"),
    path("fleet/add/", views.add_kiosk, name="add"),
    path("fleet/<str:device_id>/", views.kiosk_detail, name="detail"),
    path("fleet/<str:device_id>/revoke/", views.revoke_token, name="revoke"),
]
