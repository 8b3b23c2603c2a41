from django.apps import AppConfig


class BareAppConfig(AppConfig):
    name = "tests.bench.bareapp"
    label = "bareapp"
    default_auto_field = "django.db.models.BigAutoField"
