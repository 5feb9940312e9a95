"""URLs of the publishing part (included by kiosk_platform/urls.py)."""

from django.urls import path

from . import views

app_name = "publishing"
urlpatterns = [
    path("publishing/", views.publishing_list, name="list"),
    path("publishing/upload/", views.upload_pack, name="upload"),
    path("publishing/rollouts/", views.start_rollout, name="start"),
    path("publishing/rollouts/<int:pk>/", views.rollout_detail, name="rollout"),
    path("publishing/rollouts/<int:pk>/<slug:action>/", views.rollout_action, name="action"),
]
