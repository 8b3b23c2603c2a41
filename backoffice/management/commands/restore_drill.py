"""`manage.py restore_drill` (`make restore-drill`): SECURITY G6, restore the latest backup
into a fresh database and storage and verify it against its manifest (portal/backup.py).
Exits non-zero on any mismatch."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup_root, drill_summary, latest_backup, restore_drill


class Command(BaseCommand):
    help = (
        "恢复演练：把最近一次备份恢复到新的数据库和文件目录并逐项核对，不一致时以非零状态退出。"
        " Restore drill: restore the latest backup into a fresh database and storage, verify."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="备份根目录（默认 BACKUP_DIR 或 var/backups）")
        parser.add_argument("--backup", help="指定一个备份目录（默认最近一次）")
        parser.add_argument(
            "--keep", action="store_true", help="保留恢复出的数据库和文件（默认核对后删除）"
        )

    def handle(self, *args, dir=None, backup=None, keep=False, **options):
        try:
            chosen = Path(backup) if backup else latest_backup(Path(dir) if dir else backup_root())
        except BackupError as failed:
            raise CommandError(f"没有可用的备份 / no backup: {failed}") from failed
        report = restore_drill(chosen, keep=keep)
        self.stdout.write(drill_summary(report))
        if not report.ok:
            raise CommandError("恢复演练失败 / restore drill failed")
