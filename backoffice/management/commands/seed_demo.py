from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from backoffice.models import Area
from backoffice.services.areas import areas_load
from backoffice.services.demo import (
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    demo_accounts_create,
    require_demo_allowed,
)
from portal.services import home_page_ensure


class Command(BaseCommand):
    help = "生成演示账号（仅开发/测试环境）。"

    def handle(self, *args, **options):
        try:
            require_demo_allowed()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        areas_load(Area)
        home_page_ensure()
        accounts = demo_accounts_create()
        self.stdout.write(f"演示账号（密码 {DEMO_PASSWORD}，TOTP 密钥 {DEMO_TOTP_SECRET}）：")
        for account in accounts:
            self.stdout.write(f"  {account.username:<10} {account.description}")
