"""Data exchange (issue 15): upload a roster, watch it checked, read the preview, confirm; the
template of each kind; the bad rows and a department's feedback as workbooks; every ledger
listing's current view as a spreadsheet.

Thin views: services/exchange.py decides and audits. An import is its owner's only: anyone
else gets 404 (SECURITY B1). Files go out as attachments no cache keeps.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from wagtail.admin.widgets.button import Button

from ..actor import request_actor
from ..enums import AuditAction, RosterImportStatus, RosterKind, RowOutcome
from ..forms.base import add_rule_error
from ..forms.exchange import ExportForm, ExportReverifyForm, RosterUploadForm
from ..permissions import user_can_export, user_can_import_rosters, user_can_reveal_identifiers
from ..services.errors import RuleError
from ..services.events import event_record
from ..services.exchange import (
    EXPORT_REVERIFY_ROWS,
    export_code_needed,
    export_layouts,
    export_start,
    kinds_for,
    roster_feedback_available,
    roster_feedback_start,
    roster_import_cancel,
    roster_import_confirm,
    roster_import_create,
    roster_imports_expire,
    roster_imports_of,
    roster_template,
)
from ..spreadsheets import MAX_UPLOAD_BYTES, XLSX_CONTENT_TYPE, csv_stream, xlsx_stream

IMPORTS_ON_PAGE = 20
REFRESH_SECONDS = 3
# The order in which the preview shows the outcomes: what will be written first.
OUTCOME_ORDER = [
    RowOutcome.ERROR,
    RowOutcome.LEAD,
    RowOutcome.DIFFERENT,
    RowOutcome.REFERRAL,
    RowOutcome.HANDOVER,
    RowOutcome.CONSISTENT,
    RowOutcome.REPORTED,
    RowOutcome.CLOSED,
    RowOutcome.OUTSIDE,
    RowOutcome.UNMATCHED,
]


def _attachment(response, filename: str):
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _own_import(request, pk: int):
    """Only the owner sees an import, its files and its feedback (B1): others get 404."""
    return get_object_or_404(roster_imports_of(request.user), pk=pk)


def _store_reachable(roster_import, *names: str) -> None:
    """Issue 19: an action whose files are read after it is recorded (by the background task,
    or while a download streams) asks the store first, so that a store that is down refuses it
    (StorageUnavailable, a 503 page) before anything of it is written. Deletions need not: they
    wait in the outbox (intake/deletions.py)."""
    stored = next((getattr(roster_import, n) for n in names if getattr(roster_import, n)), None)
    if stored:
        stored.storage.exists(stored.name)


# Imports ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def exchange_home(request):
    """Upload a roster; the user's recent imports and the templates of the kinds they may
    bring in."""
    actor = request_actor(request)
    if not (user_can_import_rosters(request.user) and kinds_for(request.user)):
        raise PermissionDenied
    roster_imports_expire()  # their files through the outbox, also while the store is down
    form = (
        RosterUploadForm(request.POST or None, request.FILES or None, actor=actor)
        if request.method == "POST"
        else RosterUploadForm(actor=actor)
    )
    status = 200
    if request.method == "POST":
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > MAX_UPLOAD_BYTES + 1024 * 1024:  # G5: refused before it is read
            form = RosterUploadForm(actor=actor)
            form.add_error(None, f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请分批导入。")
            status = 413
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                roster_import = roster_import_create(
                    actor=actor, kind=form.cleaned_data["kind"], upload=upload, name=upload.name
                )
            except RuleError as error:
                add_rule_error(form, error)
            else:
                return redirect("backoffice_roster_import", roster_import.pk)
    context = {
        "form": form,
        "imports": roster_imports_of(request.user)[:IMPORTS_ON_PAGE],
        "kinds": kinds_for(request.user),
    }
    return render(request, "backoffice/exchange/home.html", context, status=status)


@require_GET
def roster_template_download(request):
    """The template of a kind the user may import (Chinese headers, lists, validation)."""
    kind = request.GET.get("kind", "")
    if kind not in dict(kinds_for(request.user)):
        raise Http404
    event_record(
        actor=request_actor(request),
        action=AuditAction.DOWNLOAD,
        detail={"template": kind},
    )
    response = HttpResponse(roster_template(kind), content_type=XLSX_CONTENT_TYPE)
    return _attachment(response, f"{RosterKind(kind).label}模板.xlsx")


def _outcomes(roster_import) -> list[dict]:
    samples = roster_import.preview.get("samples", {})
    return [
        {
            "code": outcome.value,
            "label": outcome.label,
            "count": roster_import.totals.get(outcome.value, 0),
            "rows": samples.get(outcome.value, []),
        }
        for outcome in OUTCOME_ORDER
        if roster_import.totals.get(outcome.value)
    ]


@require_GET
def roster_import_page(request, pk: int):
    """Progress while the import is checked or applied (the page refreshes itself, no script),
    then the preview: totals per outcome, every error with its row, column and reason, a
    sample of each outcome with the differences field by field; confirm or cancel."""
    roster_import = _own_import(request, pk)
    context = {
        "roster_import": roster_import,
        "outcomes": _outcomes(roster_import),
        "errors": roster_import.preview.get("errors", []),
        "unknown": roster_import.preview.get("unknown", []),
        "counts": roster_import.preview.get("counts", {}),
        "refresh_seconds": REFRESH_SECONDS if roster_import.is_open else None,
        "can_confirm": roster_import.status == RosterImportStatus.PREVIEW
        and roster_import.expires_at > timezone.now(),
        "feedback": roster_feedback_available(roster_import),
    }
    return render(request, "backoffice/exchange/import.html", context)


@require_POST
def roster_import_confirm_view(request, pk: int):
    roster_import = _own_import(request, pk)
    _store_reachable(roster_import, "rows_file")
    try:
        roster_import_confirm(actor=request_actor(request), roster_import=roster_import)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, "已确认，正在写入台账；全部成功才会生效，出错则台账不作任何改动。"
        )
    return redirect("backoffice_roster_import", roster_import.pk)


@require_POST
def roster_import_cancel_view(request, pk: int):
    roster_import = _own_import(request, pk)
    try:
        roster_import_cancel(actor=request_actor(request), roster_import=roster_import)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "已取消，上传的文件已删除。")
    return redirect("backoffice_exchange")


@require_GET
def roster_import_errors_download(request, pk: int):
    """The bad rows with their reasons, to fix and upload again; audited (C1)."""
    roster_import = _own_import(request, pk)
    if not roster_import.errors_file:
        raise Http404
    # Issue 19: opened before the download is audited; a store that is down stops it here.
    workbook = roster_import.errors_file.open("rb")
    event_record(
        actor=request_actor(request),
        action=AuditAction.DOWNLOAD,
        obj=roster_import,
        detail={"errors": roster_import.pk},
    )
    response = FileResponse(workbook, content_type=XLSX_CONTENT_TYPE)
    return _attachment(response, f"有错误的行-{roster_import.pk}.xlsx")


def stream_response(title: str, headers, rows, file_format: str):
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if file_format == "csv":
        response = StreamingHttpResponse(
            csv_stream(headers, rows), content_type="text/csv; charset=utf-8"
        )
        return _attachment(response, f"{title}-{stamp}.csv")
    response = StreamingHttpResponse(
        xlsx_stream(title, headers, rows), content_type=XLSX_CONTENT_TYPE
    )
    return _attachment(response, f"{title}-{stamp}.xlsx")


def _export_form(request, *, rows: int, identifiers: bool):
    """The plain form for a page of masked rows; with the code field above that (E3)."""
    reveal = request.method == "POST" and request.POST.get("reveal") in ("on", "true", "1")
    if request.method == "POST":
        needs_code = export_code_needed(rows=rows, reveal=reveal)
    else:  # shown when it will be asked, or may be (full numbers)
        needs_code = export_code_needed(rows=rows, reveal=identifiers)
    form_class = ExportReverifyForm if needs_code else ExportForm
    data = request.POST if request.method == "POST" else None
    form = form_class(data, actor=request_actor(request), identifiers=identifiers)
    if data is None and needs_code and not export_code_needed(rows=rows, reveal=False):
        # Asked only if full numbers are ticked: the browser must not insist on it.
        form.fields["otp_code"].required = False
    return form


@require_http_methods(["GET", "POST"])
def roster_feedback_view(request, pk: int):
    """U12: a department's list back to it, in its own columns, with what the ledger holds."""
    roster_import = _own_import(request, pk)
    if not roster_feedback_available(roster_import):
        raise Http404
    identifiers = user_can_reveal_identifiers(request.user)
    form = _export_form(request, rows=roster_import.rows, identifiers=identifiers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _store_reachable(roster_import, "rows_file")
        try:
            headers, rows = roster_feedback_start(
                actor=request_actor(request),
                roster_import=roster_import,
                reveal=bool(data.get("reveal")),
                reason=(data.get("reason") or "").strip(),
            )
        except RuleError as error:
            add_rule_error(form, error)
        else:
            title = f"{roster_import.get_kind_display()}反馈表"
            return stream_response(title, headers, rows, data["file_format"])
    context = {
        "form": form,
        "title": f"{roster_import.get_kind_display()}：比对反馈表",
        "rows": roster_import.rows,
        "back": reverse("backoffice_roster_import", args=[roster_import.pk]),
        "threshold": EXPORT_REVERIFY_ROWS,
    }
    return render(request, "backoffice/exchange/export.html", context)


# Exports of the listings ----------------------------------------------------------------------


def listing_viewsets() -> dict:
    """The ledger listings that export, by their URL prefix."""
    from ..viewsets.casework import casework_viewset_group
    from ..viewsets.ledger import ledger_viewset_group
    from ..viewsets.triage import report_viewset

    found = {
        viewset.name: viewset
        for group in (ledger_viewset_group, casework_viewset_group)
        for viewset in group.registerables
    }
    found[report_viewset.name] = report_viewset
    return {name: found[name] for name in export_layouts()}


def listing_queryset(request, viewset):
    """The listing's current view, as its own index view builds it from the query string:
    its scope (B1), children left out (B4), filters, search and order."""
    index = viewset.index_view
    view = index.view_class(**index.view_initkwargs)
    view.setup(request)
    return view.get_queryset()


@require_http_methods(["GET", "POST"])
def export_view(request, listing: str):
    """A listing's current filtered view as XLSX or CSV: scoped, identifiers masked unless
    revealed with a reason (B3), formulas escaped, audited row by row, streamed (E3)."""
    layout = export_layouts()[listing]
    viewset = listing_viewsets()[listing]
    user = request.user
    if not (user_can_export(user) and viewset.permission_policy.user_has_permission(user, "view")):
        raise PermissionDenied
    queryset = listing_queryset(request, viewset)
    rows = queryset.count()
    identifiers = layout.identifiers and user_can_reveal_identifiers(user)
    form = _export_form(request, rows=rows, identifiers=identifiers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        headers, produced = export_start(
            actor=request_actor(request),
            layout=layout,
            queryset=queryset,
            rows=rows,
            file_format=data["file_format"],
            filters=[key for key in request.GET if request.GET.get(key)],
            reveal=bool(data.get("reveal")),
            reason=(data.get("reason") or "").strip(),
        )
        return stream_response(layout.title, headers, produced, data["file_format"])
    context = {
        "form": form,
        "title": f"导出{layout.title}",
        "rows": rows,
        "back": reverse(f"{listing}:index")
        + (f"?{request.GET.urlencode()}" if request.GET else ""),
        "threshold": EXPORT_REVERIFY_ROWS,
    }
    return render(request, "backoffice/exchange/export.html", context)


class ExportButtonMixin:
    """Issue 15: an index view offers its current view (filters, search, order) for export."""

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if user_can_export(self.request.user):
            listing = self.index_url_name.split(":")[0]
            query = self.request.GET.copy()
            query.pop("p", None)
            url = reverse(f"backoffice_export_{listing}")
            buttons.append(
                Button(
                    "导出 Excel/CSV",
                    url=f"{url}?{query.urlencode()}" if query else url,
                    icon_name="download",
                    priority=90,
                )
            )
        return buttons


def export_urls():
    from django.urls import path

    return [
        path(
            f"exchange/export/{listing}/",
            export_view,
            {"listing": listing},
            name=f"backoffice_export_{listing}",
        )
        for listing in export_layouts()
    ]
