"""`manage.py import_pages DIR [--draft]`: load legacy pages from Markdown (portal/importing.py).

Prints one line per file (created, updated, or the reason it was refused), then, as its last
line, {"created": N, "updated": N, "errors": N}. Exits with status 1 when a file was refused
(the other files are loaded all the same).
"""

import json
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.importing import pages_import


class Command(BaseCommand):
    help = "从目录批量导入 Markdown 页面（每个文件一个页面，带 --- 头部信息块）。"

    def add_arguments(self, parser):
        parser.add_argument("directory", help="存放 .md 文件的目录")
        parser.add_argument(
            "--draft", action="store_true", help="只保存为草稿，提交审核员审核后再发布"
        )
        parser.add_argument("--as", dest="username", help="记为哪个用户导入（修订记录中显示）")

    def handle(self, *args, directory, draft, username, **options):
        folder = Path(directory)
        if not folder.is_dir():
            raise CommandError(f"找不到目录：{directory}")
        user = None
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"没有用户 {username}。")
        report = pages_import(directory=folder, draft=draft, user=user)
        for name, outcome, page in report.pages:
            word = "新建" if outcome == "created" else "更新"
            state = "草稿" if draft else "已发布"
            self.stdout.write(f"{name}: {word}（{state}）{page.url_path}")
        for name, reason in report.errors:
            self.stdout.write(f"{name}: 未导入：{reason}")
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        if report.errors:
            self.stdout.flush()
            sys.exit(1)
