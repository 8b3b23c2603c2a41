from django.core.management.base import BaseCommand

from backoffice.actor import system_actor
from backoffice.services.charity import DELIVERY_DAYS, take_ups_lapse


class Command(BaseCommand):
    help = (
        f"慈善组织认领或认捐后 {DELIVERY_DAYS} 天内未登记送达的，认领失效，需求重新公示"
        "（每天运行一次，如用 cron）。"
    )

    def handle(self, *args, **options):
        lapsed = take_ups_lapse(actor=system_actor())
        self.stdout.write(f"已失效的认领和认捐：{lapsed} 项。")
