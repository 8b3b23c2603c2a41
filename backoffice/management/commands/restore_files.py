"""`manage.py restore_files BACKUP_DIR`: SECURITY G6, put a backup's files back into the
configured storages (local disk or bucket) through the Storage API (README, "Backup and
restore"). Checks every file against the manifest; never overwrites a different file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, files_restore


class Command(BaseCommand):
    help = "把备份中的文件恢复到当前配置的存储（本地目录或对象存储）。 Restore a backup's files."

    def add_arguments(self, parser):
        parser.add_argument("backup", help="备份目录，如 var/backups/20261130T020000000000Z")

    def handle(self, *args, backup: str, **options):
        try:
            restored = files_restore(Path(backup))
        except (BackupError, FileNotFoundError) as failed:
            raise CommandError(f"文件恢复失败 / files not restored: {failed}") from failed
        for alias, count in restored.items():
            self.stdout.write(f"  {alias}: 恢复 restored {count}")
