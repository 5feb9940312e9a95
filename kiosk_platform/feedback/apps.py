from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "kiosk_platform.feedback"
    label = "feedback"
    default_auto_field = "django.db.models.BigAutoField"
