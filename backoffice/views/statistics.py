"""Issue 16 (U11): the ledger's counts area by area within the user's scope, with a chart beside
each table and each table as a CSV file (audited, SECURITY E3). Thin view over
services/statistics.py."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..actor import request_actor
from ..charts import bar_chart
from ..enums import AreaLevel, AuditAction
from ..permissions import user_can_view_statistics
from ..services.deadlines import progress_area
from ..services.events import event_record
from ..services.statistics import AreaStatistics, StatisticsTable, area_statistics
from .exchange import stream_response

ROW_HEADINGS = {"district": "区", "street": "街道（乡镇）", "community": "社区（村）"}


def _csv_response(request, statistics: AreaStatistics, table: StatisticsTable):
    where = statistics.area.name if statistics.area else "全市"
    heading = ROW_HEADINGS[statistics.rows_level]
    headers = ["区划代码", heading, *(c.label for c in table.columns)]
    rows = [[row.code, row.name, *table.cells(row)] for row in table.rows]
    rows.append(["", "合计", *table.total_cells])
    event_record(
        actor=request_actor(request),
        action=AuditAction.EXPORT,
        obj=statistics.area,
        detail={"statistics": table.title, "area": where},
    )
    return stream_response(f"{where}-{table.title}", headers, rows, "csv")


def _up_url(user, area) -> str:
    """The page of the area above, when the user may look at it; else the user's own page."""
    parent = area.parent if area is not None else None
    if parent is not None and parent.level != AreaLevel.CITY and progress_area(user, parent.pk):
        return f"?area={parent.pk}"
    return "?"


@require_GET
def statistics_view(request):
    if not user_can_view_statistics(request.user):
        raise PermissionDenied
    code = request.GET.get("area", "")
    area = progress_area(request.user, code)
    if code and area is None:
        raise Http404  # an area outside the scope is not there
    statistics = area_statistics(request.user, area=area)
    if request.GET.get("format") == "csv":
        table = statistics.table(request.GET.get("table", ""))
        if table is None:
            raise Http404
        return _csv_response(request, statistics, table)
    charts = [
        (table, bar_chart(table.chart_title, table.chart_bars())) for table in statistics.tables
    ]
    context = {
        "statistics": statistics,
        "charts": charts,
        "row_heading": ROW_HEADINGS[statistics.rows_level],
        "can_go_up": bool(code),
        "up_url": _up_url(request.user, area) if code else "",
    }
    return render(request, "backoffice/statistics/area.html", context)
