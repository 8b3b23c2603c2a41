"""`manage.py backup` (`make backup`): SECURITY G6, a consistent database dump and a copy of
every stored file, with a manifest, in var/backups/<UTC time>/ (portal/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup_create, backup_root


class Command(BaseCommand):
    help = "备份数据库和所有文件（含清单）到 var/backups/<时间>/。 Back up the database and files."

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="备份根目录（默认 BACKUP_DIR 或 var/backups）")

    def handle(self, *args, dir: str | None = None, **options):
        root = Path(dir) if dir else backup_root()
        try:
            target = backup_create(root)
        except BackupError as failed:
            raise CommandError(f"备份失败 / backup failed: {failed}") from failed
        self.stdout.write(f"备份完成 / backup written: {target}")
