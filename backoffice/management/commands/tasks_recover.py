from django.core.management.base import BaseCommand

from backoffice.services.task_recovery import tasks_recover


class Command(BaseCommand):
    help = (
        "把后台进程意外退出后仍显示“运行中”的任务和批量打印标为失败（可重试）。"
        "由定时任务每 5 分钟运行。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-minutes",
            type=float,
            default=None,
            help="运行超过这么多分钟即视为进程已退出（默认 TASKS_STALE_MINUTES）。",
        )

    def handle(self, *args, older_than_minutes=None, **options):
        recovered = tasks_recover(minutes=older_than_minutes)
        self.stdout.write(
            f"已标为失败：后台任务 {recovered.tasks} 个，批量打印 {recovered.print_jobs} 个。"
        )
