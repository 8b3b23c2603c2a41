from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_groups(sender, **kwargs):
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from .services.staff import roles_sync_groups

    # Groups reference other apps' permissions, which may not exist yet at this point.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    roles_sync_groups()


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = _("救助帮扶台账")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (checks: CJK fonts for PDFs, issue 6)

        post_migrate.connect(_sync_role_groups, sender=self)
