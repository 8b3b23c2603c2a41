"""Issue 16 item 2: `manage.py statistics_snapshot [--month YYYY-MM] [--replace]`, for cron on the
1st of each month (the month just ended by default). A month already taken is refused unless
--replace."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from backoffice.actor import system_actor
from backoffice.services.errors import RuleError
from backoffice.services.snapshots import month_parse, month_previous, snapshot_take


class Command(BaseCommand):
    help = "生成月度统计快照（默认为上一个月）。"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="统计月份，格式 YYYY-MM（默认上一个月）")
        parser.add_argument(
            "--replace", action="store_true", help="该月已有快照时重新生成（覆盖原快照）"
        )

    def handle(self, *args, **options):
        today = timezone.localdate()
        if options["month"]:
            try:
                month = month_parse(options["month"])
            except ValueError as exc:
                raise CommandError("月份格式应为 YYYY-MM，如 2026-10。") from exc
        else:
            month = month_previous(today)
        try:
            snapshot = snapshot_take(
                actor=system_actor(), month=month, replace=options["replace"], today=today
            )
        except RuleError as error:
            raise CommandError(error.message) from error
        areas = len(snapshot.data["areas"])
        self.stdout.write(f"已生成{snapshot.label}统计快照（{areas} 个区划）。")
