import base64

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from backoffice.demo.accounts import DEMO_TOTP_SECRET, require_demo_allowed


class Command(BaseCommand):
    help = "打印演示 TOTP 密钥当前的 6 位动态口令（仅开发/测试环境，代替手机验证器）。"

    def handle(self, *args, **options):
        try:
            require_demo_allowed()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(TOTP(base64.b32decode(DEMO_TOTP_SECRET)).token()).zfill(6))
