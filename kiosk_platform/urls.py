"""The platform's URLs: each part keeps its own (``<part>/urls.py``)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from kiosk_platform.orgs import views as org_views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", org_views.home, name="home"),
    path("healthz", org_views.healthz, name="healthz"),
    path("", include("kiosk_platform.fleet.urls")),
    path("", include("kiosk_platform.ingest.urls")),
    path("", include("kiosk_platform.stats.urls")),
    path("", include("kiosk_platform.feedback.urls")),
    path("", include("kiosk_platform.publishing.urls")),
    path("", include("kiosk_platform.opendata.urls")),
    path("", include("kiosk_platform.notices.urls")),
]
