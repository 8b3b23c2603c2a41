"""`manage.py expire_roster_imports` (cron, hourly): E2, uploaded rosters not confirmed in time
expire and every import past its time loses its files (issue 15)."""

from django.core.management.base import BaseCommand

from backoffice.services.exchange import roster_imports_expire


class Command(BaseCommand):
    help = "删除超过保存期限的名单文件。 Deletes roster files past their keeping time."

    def handle(self, *args, **options):
        changed = roster_imports_expire()
        self.stdout.write(f"已处理 {changed} 个过期的名单导入。")
