from django.core.management.base import BaseCommand

from intake.services import notifications_deliver_due


class Command(BaseCommand):
    help = "重发到期的待发送通知（G1：邮件失败不丢失，按退避时间重试）。由定时任务每分钟运行。"

    def handle(self, *args, **options):
        sent, failed = notifications_deliver_due()
        self.stdout.write(f"已发送 {sent} 条，失败 {failed} 条（稍后重试）。")
