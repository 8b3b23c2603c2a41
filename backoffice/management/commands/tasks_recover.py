from django.core.management.base import BaseCommand

from backoffice.services.task_recovery import tasks_recover
from intake.deletions import file_deletions_run, wagtail_deletions_adopt


class Command(BaseCommand):
    help = (
        "把后台进程意外退出后仍显示“运行中”的任务和批量打印标为失败（可重试）；"
        "删除到期待删的文件（文件存储不可用时未能删除的）。由定时任务每 5 分钟运行。"
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
        # Issue 19: files whose deletion the store refused (ours, and Wagtail's own).
        adopted = wagtail_deletions_adopt()
        run = file_deletions_run()
        if adopted:
            self.stdout.write(f"网站图片和文档未能删除的文件：{adopted} 个转入待删除。")
        self.stdout.write(f"待删除文件：已删除 {run.deleted} 个，仍待删除 {run.waiting} 个。")
        if run.failed:
            self.stderr.write("文件存储暂不可用或拒绝删除，未删除的文件将在下次运行时重试。")
