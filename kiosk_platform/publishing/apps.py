from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "kiosk_platform.publishing"
    label = "publishing"
    default_auto_field = "django.db.models.BigAutoField"
