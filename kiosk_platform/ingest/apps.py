from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "kiosk_platform.ingest"
    label = "ingest"
    default_auto_field = "django.db.models.BigAutoField"
