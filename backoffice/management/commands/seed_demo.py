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
from backoffice.services.demo_ledger import demo_households_create
from portal.services import home_page_ensure


class Command(BaseCommand):
    help = "生成演示账号（仅开发/测试环境）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--households", type=int, default=0, help="再生成多少户演示家庭档案（默认 0）"
        )
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（结果可复现）")

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
        if options["households"]:
            persons = demo_households_create(households=options["households"], seed=options["seed"])
            self.stdout.write(f"已生成 {options['households']} 户演示家庭、{persons} 名成员。")
