"""URLs of the feedback part (included by kiosk_platform/urls.py)."""

from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("feedback/", views.queue, name="queue"),
    path("feedback/<int:pk>/", views.entry, name="entry"),
    path("feedback/<int:pk>/note/", views.add_note, name="note"),
    path("feedback/<int:pk>/assign/", views.assign, name="assign"),
    path("feedback/<int:pk>/reply/", views.reply, name="reply"),
    path("feedback/<int:pk>/close/", views.close, name="close"),
]
