"""Issue 16 items 2-3 (U11, P4): monthly snapshots, the month-by-month trends read from them, and
the public release drawn from a snapshot. Thin views over services/snapshots.py and
services/releases.py; every table read here comes from a frozen snapshot, within the user's
scope."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from portal.charts import bar_chart

from ..actor import request_actor
from ..enums import AuditAction
from ..forms.base import add_rule_error
from ..models import StatisticsSnapshot
from ..permissions import user_can_view_statistics
from ..scope import scope_of
from ..services.errors import RuleError
from ..services.events import event_record
from ..services.releases import release_find, release_generate, release_state
from ..services.snapshots import (
    FLOW_LABELS,
    month_key,
    month_parse,
    month_previous,
    month_start,
    snapshot_request,
    snapshot_view,
    trends,
)
from .exchange import stream_response

ROW_HEADINGS = {
    "city": gettext_lazy("市"),
    "district": gettext_lazy("区"),
    "street": gettext_lazy("街道（乡镇）"),
    "community": gettext_lazy("社区（村）"),
}
TAKE = "backoffice.take_statistics_snapshot"
RELEASE = "backoffice.release_statistics"


def _recent_months(today, count: int = 13) -> list[tuple[str, str]]:
    """This month (so far) and the twelve before it, newest first."""
    months, month = [], month_start(today)
    for _index in range(count):
        label = _("%(year)s年%(month)s月") % {"year": month.year, "month": month.month}
        months.append((month_key(month), label))
        month = month_previous(month)
    return months


class SnapshotTakeForm(forms.Form):
    month = forms.ChoiceField(label=gettext_lazy("统计月份"))
    replace = forms.BooleanField(
        label=gettext_lazy("该月已有快照时重新生成（覆盖原快照）"), required=False
    )

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        today = today or timezone.localdate()
        self.fields["month"].choices = _recent_months(today)
        self.fields["month"].initial = month_key(month_previous(today))


def _snapshot(month_text: str) -> StatisticsSnapshot:
    try:
        month = month_parse(month_text)
    except ValueError:
        raise Http404 from None
    snapshot = StatisticsSnapshot.objects.filter(month=month).first()
    if snapshot is None:
        raise Http404
    return snapshot


def _post(request):
    actor = request_actor(request)
    if request.POST.get("action") == "release":
        if not request.user.has_perm(RELEASE):
            raise PermissionDenied
        snapshot = _snapshot(request.POST.get("month", ""))
        try:
            page = release_generate(actor=actor, snapshot=snapshot)
        except RuleError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("已生成“%(title)s”发布稿，并提交审核员审核；审核通过后在网站公开。")
                % {"title": page.title},
            )
        return redirect("backoffice_statistics_snapshots")
    if not request.user.has_perm(TAKE):
        raise PermissionDenied
    form = SnapshotTakeForm(request.POST)
    if form.is_valid():
        month = month_parse(form.cleaned_data["month"])
        label = _("%(year)s年%(month)s月") % {"year": month.year, "month": month.month}
        try:
            outcome = snapshot_request(
                actor=actor, month=month, replace=form.cleaned_data["replace"]
            )
        except RuleError as error:
            add_rule_error(form, error)
        else:
            if outcome.startswith("refused: "):
                messages.error(request, outcome.removeprefix("refused: "))
            elif outcome:
                messages.success(request, _("已生成%(month)s统计快照。") % {"month": label})
            else:
                messages.success(
                    request,
                    _("正在后台生成%(month)s统计快照，全市数据约需一两分钟，完成后出现在列表中。")
                    % {"month": label},
                )
            return redirect("backoffice_statistics_snapshots")
    return form


def _csv(request, view, table):
    heading = table.row_heading or str(ROW_HEADINGS[view.rows_level])
    rows = [[row.code, row.name, *row.cells] for row in table.rows]
    event_record(
        actor=request_actor(request),
        action=AuditAction.EXPORT,
        obj=view.snapshot,
        detail={"statistics": table.title, "area": view.area_name},
    )
    headers = [_("区划代码"), heading, *table.columns]
    rows.append(["", table.total_label, *table.totals])
    return stream_response(
        f"{view.snapshot.label}快照-{view.area_name}-{table.title}", headers, rows, "csv"
    )


@require_http_methods(["GET", "POST"])
def snapshots_view(request):
    """The snapshots taken (and the form to take one); with ?month=, that month's frozen
    tables for the user's area (?area= below it)."""
    if not user_can_view_statistics(request.user):
        raise PermissionDenied
    form = None
    if request.method == "POST":
        outcome = _post(request)
        if not isinstance(outcome, forms.Form):
            return outcome
        form = outcome
    can_take = request.user.has_perm(TAKE)
    can_release = request.user.has_perm(RELEASE)
    if can_take and form is None:
        form = SnapshotTakeForm()
    context = {"form": form, "can_release": can_release}
    month_text = request.GET.get("month", "")
    if month_text:
        snapshot = _snapshot(month_text)
        try:
            view = snapshot_view(request.user, snapshot, request.GET.get("area") or None)
        except LookupError:
            raise Http404 from None
        if request.GET.get("format") == "csv":
            table = next((t for t in view.tables if t.key == request.GET.get("table")), None)
            if table is None:
                raise Http404
            return _csv(request, view, table)
        context.update(
            view=view,
            row_heading=ROW_HEADINGS[view.rows_level],
            charts=[(t, bar_chart(t.chart_title, t.chart_bars())) for t in view.tables],
        )
        return render(request, "backoffice/statistics/snapshot.html", context)
    snapshots = list(StatisticsSnapshot.objects.order_by("-month").defer("data", "summary")[:36])
    # The city, a district or a street reads its part of every snapshot (a community: trends).
    readable = scope_of(request.user).level in ("all", "district", "street")
    listed = []
    for snapshot in snapshots:
        page = release_find(snapshot.month) if can_release else None
        listed.append((snapshot, readable, page, release_state(page)))
    context["snapshots"] = listed
    return render(request, "backoffice/statistics/snapshot_list.html", context)


@require_GET
def trends_view(request):
    """月度趋势: entered, exited, re-entered and the ledger's size month by month, from the
    snapshots, for the user's area (or ?area= under it)."""
    if not user_can_view_statistics(request.user):
        raise PermissionDenied
    try:
        name, months = trends(request.user, code=request.GET.get("area") or None)
    except LookupError:
        raise Http404 from None
    flows = [
        (
            key,
            label,
            bar_chart(
                f"各月{label}户数", [(m.month.strftime("%Y-%m"), getattr(m, key)) for m in months]
            ),
        )
        for key, label in FLOW_LABELS.items()
    ]
    return render(
        request,
        "backoffice/statistics/snapshot_trends.html",
        {"area_name": name, "months": months, "flows": flows},
    )
