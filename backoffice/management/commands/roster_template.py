"""`manage.py roster_template --kind KIND OUT.xlsx` (DESIGN interface, issue 15): the workbook a
user fills for a roster kind: Chinese headers, a sheet of allowed values, data validation."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backoffice.enums import RosterKind
from backoffice.services.exchange import roster_template


class Command(BaseCommand):
    help = "写出一类名单的导入模板。 Writes the import template of a roster kind."

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind", required=True, help=f"名单类型：{', '.join(RosterKind.values)}"
        )
        parser.add_argument("out", help="输出文件，如 survey.xlsx")

    def handle(self, *args, **options):
        kind = options["kind"]
        if kind not in RosterKind.values:
            raise CommandError(f"未知的名单类型 {kind}；可选：{', '.join(RosterKind.values)}")
        out = Path(options["out"])
        out.write_bytes(roster_template(kind))
        self.stdout.write(f"已写出 {RosterKind(kind).label}模板：{out}")
