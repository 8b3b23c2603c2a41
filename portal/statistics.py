"""Issue 16 item 3 (P4): the public statistics pages' tables, charts and CSV files.

A release's tables are the body's table blocks, holding exactly what was published: counts,
"<10" for small ones and "*" for those hidden to protect them (backoffice/services/releases.py
suppresses before anything leaves the back office). A table whose last row is its totals
("合计") gets a bar chart drawn on the server as SVG (no JavaScript), from that row; each table
downloads as a CSV file holding the same cells, nothing more.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from urllib.parse import quote

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from .charts import BarChart, bar_chart

TOTAL_ROW = "合计"


@dataclass
class PublishedTable:
    number: int  # 1-based among the page's tables: the CSV's ?csv= value
    caption: str
    header: list[str]
    rows: list[list[str]]
    total: list[str] | None
    chart: BarChart | None

    @property
    def chart_id(self) -> str:
        return f"chart-{self.number}"


def published_tables(body) -> list[tuple[object, PublishedTable | None]]:
    """(block, table) of each body block; table None for blocks that are not tables."""
    found = []
    number = 0
    for block in body or []:
        if block.block_type != "table":
            found.append((block, None))
            continue
        number += 1
        value = block.value or {}
        data = [[str(c if c is not None else "") for c in row] for row in value.get("data") or []]
        header = data[0] if data and value.get("first_row_is_table_header") else []
        rows = data[1:] if header else data
        total = rows[-1] if rows and rows[-1] and rows[-1][0] == TOTAL_ROW else None
        caption = value.get("table_caption") or ""
        drawn = None
        if total is not None and header and len(header) > 2:
            # The totals row column by column, without the last column (the grand total).
            drawn = bar_chart(
                caption or TOTAL_ROW,
                list(zip(header[1:-1], total[1:-1], strict=True)),
                label_width=110,
                label_chars=9,
            )
        body_rows = rows[:-1] if total is not None else rows
        found.append((block, PublishedTable(number, caption, header, body_rows, total, drawn)))
    return found


def table_csv_response(page, number: str) -> HttpResponse:
    """The `number`th table of `page` as CSV: the published cells, as the page shows them."""
    tables = [t for _block, t in published_tables(page.body) if t is not None]
    try:
        table = tables[int(number) - 1]
    except (ValueError, IndexError):
        raise Http404 from None
    if int(number) < 1:
        raise Http404
    out = io.StringIO()
    writer = csv.writer(out)
    for row in [table.header, *table.rows, *([table.total] if table.total else [])]:
        if row:
            writer.writerow(row)
    response = HttpResponse(
        ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    name = f"{page.title}-{table.caption or f'表{table.number}'}.csv"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- SECURITY D2 on the page itself ---------------------------------------------------------
# A release is generated suppressed, but an editor or the reviewer can still change its cells
# (or publish one by hand). Before it is saved, every table is checked again as a reader would
# read it: no count of 1..small_max, and no hidden cell ("<10", "*") pinned to one value by its
# row or its column (the last column and a "合计" last row are the totals).

SMALL_MARK = "<10"
COMPLEMENT_MARK = "*"
_UNBOUNDED = float("inf")
COUNT_UNITS = {"人", "户", "人次", "户次"}  # a chart in these units counts people


def _reading(cell: str, small_max: int) -> tuple[float, float] | None:
    """What a reader knows of a cell: its value, or the range its mark allows; None for text."""
    text = str(cell or "").replace(",", "").strip()
    if text == SMALL_MARK:
        return (1, small_max)
    if text == COMPLEMENT_MARK:
        return (small_max + 1, _UNBOUNDED)
    if text.isdigit():
        return (int(text), int(text))
    return None


def _pinned(parts: list[tuple[float, float]], whole: tuple[float, float]) -> bool:
    """Whether the relation sum(parts) == whole fixes a hidden entry to one value."""
    for index, (low, high) in enumerate(parts):
        if low == high:
            continue
        others_low = sum(p[0] for i, p in enumerate(parts) if i != index)
        others_high = sum(p[1] for i, p in enumerate(parts) if i != index)
        if max(low, whole[0] - others_high) == min(high, whole[1] - others_low):
            return True
    if whole[0] != whole[1]:
        low = max(whole[0], sum(p[0] for p in parts))
        high = min(whole[1], sum(p[1] for p in parts))
        if low == high:
            return True
    return False


def release_table_problems(caption: str, data: list[list], small_max: int) -> list[str]:
    """Chinese reasons why a published table would let a reader single someone out."""
    rows = [[str(c if c is not None else "") for c in row] for row in data or []]
    grid = [[_reading(cell, small_max) for cell in row[1:]] for row in rows]
    name = caption or "表格"
    problems = []
    for row in rows:
        for cell in row[1:]:
            text = str(cell).replace(",", "").strip()
            if text.isdigit() and 1 <= int(text) <= small_max:
                problems.append(
                    _("“%(table)s”中有 %(cell)s：1 至 %(max)s 的数须写作“%(mark)s”。")
                    % {"table": name, "cell": text, "max": small_max, "mark": SMALL_MARK}
                )
                return problems
    numeric = [row for row in grid if row and all(value is not None for value in row)]
    has_total_row = bool(rows) and rows[-1] and rows[-1][0] == TOTAL_ROW and len(numeric) >= 2
    lines = [(row[:-1], row[-1]) for row in numeric if len(row) >= 3]
    if has_total_row:
        columns = len(numeric[-1])
        for column in range(columns):
            if all(len(row) == columns for row in numeric):
                lines.append(([row[column] for row in numeric[:-1]], numeric[-1][column]))
    if any(_pinned(parts, whole) for parts, whole in lines):
        problems.append(
            _(
                "“%(table)s”中隐藏的数可以由同行或同列的合计推算出来，请再隐藏一个数（写作“%(mark)s”）。"
            )
            % {"table": name, "mark": COMPLEMENT_MARK}
        )
    return problems


def release_body_problems(body, small_max: int) -> list[str]:
    problems: list[str] = []
    for block in body or []:
        if block.block_type == "table":
            value = block.value or {}
            problems += release_table_problems(
                value.get("table_caption") or "", value.get("data") or [], small_max
            )
        elif block.block_type == "chart" and (block.value["unit"] or "") in COUNT_UNITS:
            for row in block.value["rows"]:
                number = row["value"]
                if number is not None and 1 <= number <= small_max:
                    problems.append(
                        _("图表“%(chart)s”中有 %(value)s%(unit)s：人数小于 %(limit)s 不能画图。")
                        % {
                            "chart": block.value["title"],
                            "value": int(number) if number == int(number) else number,
                            "unit": block.value["unit"],
                            "limit": small_max + 1,
                        }
                    )
    return problems
