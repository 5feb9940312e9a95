from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "kiosk_platform.opendata"
    label = "opendata"
    default_auto_field = "django.db.models.BigAutoField"
