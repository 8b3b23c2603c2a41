"""`manage.py workdays DATE N`: the date N working days after DATE (F4, DESIGN interface).

The first line of stdout is the ISO date; when the answer rests on a year without official
data, a warning goes to stderr and the exit code is still 0.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from backoffice.workdays import MAX_WORKDAYS, add_workdays, provisional_notice


class Command(BaseCommand):
    help = (
        "打印 DATE 之后第 N 个工作日（期限从次日起算）。"
        " Prints the date N working days after DATE (counting from the next day)."
    )

    def add_arguments(self, parser):
        parser.add_argument("date", help="YYYY-MM-DD，例如 2026-09-30")
        parser.add_argument("n", help=f"工作日数，0 至 {MAX_WORKDAYS} 的整数")

    def handle(self, *args, **options):
        start = _parse_date(options["date"])
        n = _parse_count(options["n"])
        try:
            due = add_workdays(start, n)
        except OverflowError:
            raise CommandError(
                "结果超出可计算的日期范围。 The result is beyond the supported date range."
            )
        self.stdout.write(due.date.isoformat())
        for year in due.provisional_years:
            self.stderr.write(
                f"警告：{provisional_notice(year)}。\n"
                f"Warning: the official holiday schedule for {year} has not been entered; "
                "this date is estimated from the statutory holidays and may change.",
                style_func=self.style.WARNING,
            )


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"日期“{value}”无效，请用 YYYY-MM-DD 格式，例如 2026-09-30。"
            f" Invalid date {value!r}: use YYYY-MM-DD, e.g. 2026-09-30."
        )


def _parse_count(value: str) -> int:
    try:
        n = int(value.strip())
    except ValueError:
        n = -1
    if not 0 <= n <= MAX_WORKDAYS:
        raise CommandError(
            f"工作日数“{value}”无效，须为 0 至 {MAX_WORKDAYS} 的整数。"
            f" Invalid N {value!r}: it must be a whole number from 0 to {MAX_WORKDAYS}."
        )
    return n
