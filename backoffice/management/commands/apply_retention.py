"""`manage.py apply_retention [--dry-run]` (cron, daily): D5, remove the personal data whose
keeping period is over (backoffice/services/retention.py; periods in settings)."""

from django.core.management.base import BaseCommand, CommandError

from backoffice.actor import system_actor
from backoffice.services.retention import (
    RetentionError,
    attachments_purge,
    audit_prune,
    households_anonymize,
    print_files_purge,
    retention_cutoffs,
    retention_due,
    retention_record,
)

LABELS = {
    "attachments": "附件（删除，含文件）",
    "households": "家庭档案（匿名化）",
    "persons": "家庭成员（匿名化）",
    "reports": "群众反映（匿名化）",
    "print_files": "批量打印文件（删除）",
    "audit": "审计日志（删除）",
}


class Command(BaseCommand):
    help = (
        "按保存期限匿名化或删除到期的个人信息：不予纳入的反映的附件、退出台账多年的家庭、"
        "批量打印的文件、超过保存期限的审计日志（每天运行一次，如用 cron）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计到期的数量，不作任何修改")
        parser.add_argument("--batch-size", type=int, default=200, help="每批条数（默认 200）")

    def handle(self, *args, dry_run: bool, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size 必须大于 0")
        try:
            cutoffs = retention_cutoffs()
        except RetentionError as refused:
            raise CommandError(str(refused)) from refused
        if dry_run:
            due = retention_due(cutoffs)
            self.stdout.write("试运行，未作修改。到期待处理的数量：")
            for kind, count in due.items():
                self.stdout.write(f"  {LABELS[kind]}: {count}")
            return
        actor = system_actor()
        counts = dict.fromkeys(LABELS, 0)
        while deleted := attachments_purge(actor=actor, cutoffs=cutoffs, batch_size=batch_size):
            counts["attachments"] += deleted
        while True:
            batch = households_anonymize(actor=actor, cutoffs=cutoffs, batch_size=batch_size)
            if not batch["households"]:
                break
            for kind, count in batch.items():
                counts[kind] += count
        while deleted := print_files_purge(actor=actor, cutoffs=cutoffs, batch_size=batch_size):
            counts["print_files"] += deleted
        while deleted := audit_prune(actor=actor, cutoffs=cutoffs, batch_size=batch_size * 25):
            counts["audit"] += deleted
        retention_record(actor=actor, cutoffs=cutoffs, counts=counts)
        self.stdout.write("已处理的数量：")
        for kind, count in counts.items():
            self.stdout.write(f"  {LABELS[kind]}: {count}")
        self.stdout.write("完成。")
