from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """Public reports of hardship (F1, U2). Never imports the back office (DESIGN.md)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "intake"
    verbose_name = "群众反映"
