"""`manage.py import_roster --kind KIND FILE --as USERNAME [--dry-run]` (DESIGN, issue 15).

Imports as that user's role and jurisdiction, through the same service as the web page: the
file is checked and matched against the ledger (every error row is printed with its row,
column and reason), then, unless --dry-run, applied all or nothing. The last line of output is
`{"rows": N, "created": N, "updated": N, "referrals": N, "unchanged": N, "errors": N}`; the
command exits non-zero, with nothing written to the ledger, when any row has an error.
"""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from backoffice.actor import user_actor
from backoffice.enums import Channel, RosterImportStatus, RosterKind, RowOutcome
from backoffice.services.errors import RuleError
from backoffice.services.exchange import (
    kinds_for,
    roster_import_apply,
    roster_import_cancel,
    roster_import_check,
    roster_import_confirm,
    roster_import_create,
)
from backoffice.spreadsheets import table_rows


class Command(BaseCommand):
    help = (
        "以指定用户的角色和辖区导入名单，与台账比对；有任何错误则不写入。"
        " Imports a roster as USERNAME; nothing is written when any row has an error."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind", required=True, help=f"名单类型：{', '.join(RosterKind.values)}"
        )
        parser.add_argument("file", help=".xlsx 或 .csv 文件")
        parser.add_argument("--as", dest="username", required=True, help="以该用户的身份导入")
        parser.add_argument("--dry-run", action="store_true", help="只校验比对，不写入")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"], is_active=True)
        user = user.first()
        if user is None:
            raise CommandError(f"没有名为 {options['username']} 的在用账号。")
        kind = options["kind"]
        if kind not in RosterKind.values:
            raise CommandError(f"未知的名单类型 {kind}；可选：{', '.join(RosterKind.values)}")
        if kind not in dict(kinds_for(user)):
            raise CommandError(f"{user.username} 无权导入“{RosterKind(kind).label}”。")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件 {path}。")
        actor = user_actor(user, channel=Channel.IMPORT)
        try:
            with path.open("rb") as upload:
                roster_import = roster_import_create(
                    actor=actor, kind=kind, upload=File(upload), name=path.name, queue=False
                )
        except RuleError as error:
            raise CommandError(error.message) from None
        roster_import = roster_import_check(import_id=roster_import.pk)
        if roster_import.status == RosterImportStatus.PREVIEW and not options["dry_run"]:
            roster_import_confirm(actor=actor, roster_import=roster_import, queue=False)
            roster_import = roster_import_apply(import_id=roster_import.pk)
        elif roster_import.status == RosterImportStatus.PREVIEW:
            # Nothing is written: the check's preview stays, the files go.
            roster_import = roster_import_cancel(actor=actor, roster_import=roster_import)
        self._report(roster_import)
        counts = roster_import.preview.get("counts") or {
            "rows": roster_import.rows,
            "created": 0,
            "updated": 0,
            "referrals": 0,
            "unchanged": 0,
            "errors": 0,
        }
        if roster_import.status == RosterImportStatus.APPLIED:
            counts = roster_import.result
        self.stdout.write(json.dumps(counts, ensure_ascii=False))
        if roster_import.status not in (RosterImportStatus.APPLIED, RosterImportStatus.CANCELLED):
            raise CommandError("名单有错误，未写入台账。" if counts.get("errors") else "未导入。")

    def _report(self, roster_import) -> None:
        if roster_import.error:
            self.stderr.write(roster_import.error)
        if roster_import.errors_file:
            with roster_import.errors_file.open("rb") as workbook:
                rows = table_rows(workbook, name="errors.xlsx")
                next(rows, None)  # the header
                for _number, cells in rows:
                    self.stdout.write(f"第 {cells[-1]} 行：{cells[0]}")
        for outcome in RowOutcome:
            count = roster_import.totals.get(outcome.value)
            if count:
                self.stdout.write(f"{outcome.label}：{count} 行")
