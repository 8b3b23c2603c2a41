"""Re-encrypt every protected identifier under the current field key (issue 19; SECURITY D3).

    FIELD_ENCRYPTION_KEYS=<new>,<old> FIELD_BLIND_INDEX_KEY=<old> manage.py rotate_field_key

Idempotent and resumable: values already under the current key are skipped, so running it
again after an interruption carries on. When it reports nothing left, the old key can be
removed from FIELD_ENCRYPTION_KEYS (README, "Keys").
"""

from django.core.management.base import BaseCommand, CommandError

from backoffice.actor import system_actor
from backoffice.services.keys import (
    blind_index_mismatch,
    encrypted_columns,
    key_rotation_record,
    rotation_batches,
    rotation_pending,
)
from portal import identity


class Command(BaseCommand):
    help = "用当前密钥重新加密所有加密字段（身份证号、电话），可中断后重新运行继续。"

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="每批行数（默认 500）")
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="同时按当前盲索引密钥重算盲索引（更换盲索引密钥时用；期间查找可能遗漏）",
        )
        parser.add_argument(
            "--check", action="store_true", help="只统计尚未用当前密钥加密的数量，不修改"
        )

    def handle(self, *args, batch_size: int, reindex: bool, check: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size 必须大于 0")
        columns = encrypted_columns()
        key_id = identity.current_key_id()
        self.stdout.write(f"当前密钥 {key_id}；加密字段 {len(columns)} 个。")
        if check:
            left = 0
            for column in columns:
                pending = rotation_pending(column)
                left += pending
                self.stdout.write(f"  {column.label}: 待重新加密 {pending}")
            self.stdout.write(f"合计待重新加密 {left}。")
            if left:
                raise CommandError("仍有数据未用当前密钥加密。")
            return
        if not reindex:
            mismatched = [column.label for column in columns if blind_index_mismatch(column)]
            if mismatched:
                raise CommandError(
                    "盲索引与当前盲索引密钥不一致（"
                    + "、".join(mismatched)
                    + "）：请把 FIELD_BLIND_INDEX_KEY 设为生成盲索引时的密钥，"
                    "或加 --reindex 重算盲索引。未修改任何数据。"
                )
        counts: dict[str, dict[str, int]] = {}
        failed = 0
        for column in columns:
            total = rotation_pending(column) if not reindex else None
            done = {"reencrypted": 0, "reindexed": 0, "failed": 0}
            for batch in rotation_batches(column, batch_size=batch_size, reindex=reindex):
                done["reencrypted"] += batch.reencrypted
                done["reindexed"] += batch.reindexed
                done["failed"] += batch.failed
                of = f"/{total}" if total is not None else ""
                self.stdout.write(
                    f"  {column.label}: 已重新加密 {done['reencrypted']}{of}"
                    + (f"，重算盲索引 {done['reindexed']}" if reindex else "")
                    + (f"，无法解密 {done['failed']}" if done["failed"] else "")
                )
            counts[column.label] = done
            failed += done["failed"]
        key_rotation_record(actor=system_actor(), counts=counts)
        total_done = sum(done["reencrypted"] for done in counts.values())
        self.stdout.write(f"完成：重新加密 {total_done} 个值。")
        if failed:
            raise CommandError(
                f"{failed} 个值无法用已配置的任何密钥解密，未作修改：请检查 FIELD_ENCRYPTION_KEYS。"
            )
