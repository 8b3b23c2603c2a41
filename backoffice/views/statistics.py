"""Issue 16 (U11): the ledger's counts area by area within the user's scope, with a chart beside
each table and each table as a CSV or XLSX file (audited, SECURITY E3). Thin view over
services/statistics.py.

Small cells: the back-office page shows exact counts (its readers work the files of their own
area and see the people themselves), so its exports are exact too: what the page shows is
what the file holds. Suppression (SECURITY D2) applies to what leaves the back office, the
published releases (services/statistics.table_suppress).

Scale (issue 16 item 4): the pages of the city, districts and streets are drawn from a rollup
(services/statistics.py, "The rollup"), with the time of its count and a button to recount.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal.charts import bar_chart

from ..actor import request_actor
from ..enums import AreaLevel, AuditAction
from ..forms.exchange import ExportReverifyForm
from ..permissions import user_can_view_statistics
from ..services.deadlines import progress_area
from ..services.events import event_record
from ..services.exchange import EXPORT_REVERIFY_ROWS, export_code_needed
from ..services.statistics import (
    ROLLUP_KEEP_SECONDS,
    AreaStatistics,
    StatisticsTable,
    area_statistics_served,
    rollup_refresh_request,
)
from .exchange import stream_response

ROW_HEADINGS = {"district": "区", "street": "街道（乡镇）", "community": "社区（村）"}
FORMATS = ("csv", "xlsx")


def _row_heading(statistics: AreaStatistics, table: StatisticsTable) -> str:
    return table.row_heading or ROW_HEADINGS[statistics.rows_level]


def _export(request, statistics: AreaStatistics, table: StatisticsTable, file_format: str):
    """The table as the page shows it (exact counts, see the module docstring), audited (C1)."""
    where = statistics.area.name if statistics.area else "全市"
    heading = _row_heading(statistics, table)
    labels = [c.label for c in table.columns]
    if table.by_area:
        headers = ["区划代码", heading, *labels]
        rows = [[row.code, row.name, *table.cells(row)] for row in table.rows]
        rows.append(["", table.total_label, *table.total_cells])
    else:
        headers = [heading, *labels]
        rows = [[row.name, *table.cells(row)] for row in table.rows]
        rows.append([table.total_label, *table.total_cells])
    event_record(
        actor=request_actor(request),
        action=AuditAction.EXPORT,
        obj=statistics.area,
        detail={"statistics": table.title, "area": where, "format": file_format},
    )
    return stream_response(f"{where}-{table.title}", headers, rows, file_format)


def _export_view(request, statistics: AreaStatistics, table: StatisticsTable, query: str):
    """E3: a table of more rows than a listing's page asks for the one-time code again, the
    way listing exports do; a smaller one downloads at once."""
    file_format = request.GET.get("format", "")
    rows = len(table.rows)
    if not export_code_needed(rows=rows, reveal=False):
        if file_format not in FORMATS:
            raise Http404
        return _export(request, statistics, table, file_format)
    actor = request_actor(request)
    if request.method == "POST":
        form = ExportReverifyForm(request.POST, actor=actor, identifiers=False)
        if form.is_valid():
            return _export(request, statistics, table, form.cleaned_data["file_format"])
    else:
        initial = {"file_format": file_format if file_format in FORMATS else "xlsx"}
        form = ExportReverifyForm(initial=initial, actor=actor, identifiers=False)
    context = {
        "form": form,
        "title": f"导出统计表：{table.title}",
        "rows": rows,
        "back": f"?{query}" if query else "?",
        "threshold": EXPORT_REVERIFY_ROWS,
    }
    return render(request, "backoffice/statistics/export.html", context)


def _shown(statistics: AreaStatistics, table: StatisticsTable):
    return table, bar_chart(table.chart_title, table.chart_bars()), _row_heading(statistics, table)


def _up_url(user, area) -> str:
    """The page of the area above, when the user may look at it; else the user's own page."""
    parent = area.parent if area is not None else None
    if parent is not None and parent.level != AreaLevel.CITY and progress_area(user, parent.pk):
        return f"?area={parent.pk}"
    return "?"


@require_http_methods(["GET", "POST"])
def statistics_view(request):
    if not user_can_view_statistics(request.user):
        raise PermissionDenied
    code = request.GET.get("area", "")
    area = progress_area(request.user, code)
    if code and area is None:
        raise Http404  # an area outside the scope is not there
    exporting = "table" in request.GET or "format" in request.GET
    if request.method == "POST" and not exporting:
        if "refresh" not in request.POST:
            raise Http404  # only an export's code and a refresh are posted here
        rollup_refresh_request(request.user, area)
        messages.success(request, "已请求重新统计，数据更新后刷新本页即可看到。")
        return redirect(f"{request.path}?area={code}" if code else request.path)
    served = area_statistics_served(request.user, area=area)
    statistics = served.statistics
    if exporting:
        table = statistics.table(request.GET.get("table", ""))
        if table is None:
            raise Http404
        return _export_view(request, statistics, table, f"area={code}" if code else "")
    sections = [
        (key, title, [_shown(statistics, table) for table in tables])
        for key, title, tables in statistics.sections()
    ]
    context = {
        "statistics": statistics,
        "sections": sections,
        "row_heading": ROW_HEADINGS[statistics.rows_level],
        "area_query": f"area={code}&" if code else "",
        "can_go_up": bool(code),
        "up_url": _up_url(request.user, area) if code else "",
        "formats": FORMATS,
        "counted_at": served.counted_at,
        "refreshing": served.refreshing,
        # The tables and charts of a rollup are drawn once per count (what differs between two
        # users' pages of one area is the page around them), for ROLLUP_KEEP_SECONDS at most.
        "tables_key": f"{served.version}:{bool(code)}" if served.version else "",
        "tables_seconds": ROLLUP_KEEP_SECONDS,
    }
    return render(request, "backoffice/statistics/area.html", context)
