"""URLs of the notices part (included by kiosk_platform/urls.py)."""

from django.urls import path

from . import views

app_name = "notices"
urlpatterns = [
    path("notices/", views.notice_list, name="list"),
    path("notices/<int:pk>/", views.notice_detail, name="detail"),
    path("notices/<int:pk>/end", views.notice_end, name="end"),
]
