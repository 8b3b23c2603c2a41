from django.core.management.base import BaseCommand
from django.utils import timezone

from backoffice.tasks import send_daily_digests
from backoffice.workdays import is_workday


class Command(BaseCommand):
    help = (
        "发送每日工作提醒邮件（只在工作日发送）。由定时任务在每天早上运行，例如 cron："
        "0 7 * * * manage.py send_daily_digest"
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="休息日也发送")

    def handle(self, *args, **options):
        today = timezone.localdate()
        if not options["force"] and not is_workday(today):
            self.stdout.write(f"{today} 不是工作日，不发送。")
            return
        result = send_daily_digests.enqueue(today.isoformat())
        self.stdout.write(f"已安排发送 {today} 的工作提醒（任务 {result.id}）。")
