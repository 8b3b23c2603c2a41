from django.core.management.base import BaseCommand

from backoffice.actor import system_actor
from backoffice.services.charity import (
    DELIVERY_DAYS,
    listing_recheck,
    live_listing_ids,
    take_ups_lapse,
)


class Command(BaseCommand):
    help = (
        f"慈善组织认领或认捐后 {DELIVERY_DAYS} 天内未登记送达的，认领失效，需求重新公示；"
        "并按台账现状重新核对每项公示需求的同组人数，不足的改为只显示到区或撤下"
        "（每天运行一次，如用 cron）。"
    )

    def handle(self, *args, **options):
        actor = system_actor()
        lapsed = take_ups_lapse(actor=actor)
        self.stdout.write(f"已失效的认领和认捐：{lapsed} 项。")
        outcome: dict[str, int] = {}
        for listing_id in live_listing_ids():  # one transaction per listing (D1)
            result = listing_recheck(actor=actor, listing_id=listing_id)
            outcome[result] = outcome.get(result, 0) + 1
        self.stdout.write(
            f"重新核对公示需求：{sum(outcome.values())} 项，"
            f"改为只显示到区 {outcome.get('district', 0)} 项，"
            f"撤下 {outcome.get('withdrawn', 0)} 项。"
        )
