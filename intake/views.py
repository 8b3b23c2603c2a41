"""Public intake pages: report a hardship, get a receipt, check the status (F1, G1, G2, G5, E5)."""

from __future__ import annotations

import re
import time
import uuid

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from .areas import district_choices, street_choices
from .forms import ReportForm, StatusLookupForm, area_choices, megabytes, upload_limits
from .models import Report
from .services import (
    FormAlreadySent,
    public_status,
    receipt_for,
    report_by_reference,
    report_lookup,
    report_submit,
)
from .throttling import (
    client_ip,
    rate_limit_count,
    rate_limit_hit,
    rate_limit_reached,
    window_ends_at,
)
from .uploads import StorageUnavailable

# The receipts this browser may show: a signed cookie (no server session for the public: a
# session row would cost a database write per report). It holds references only, never a code.
RECEIPTS_COOKIE = "intake_receipts"
RECEIPTS_SALT = "intake.receipts"
RECEIPTS_KEPT = 10
RECEIPTS_MAX_AGE = 7 * 24 * 3600


def _receipts(request) -> list[str]:
    value = request.get_signed_cookie(
        RECEIPTS_COOKIE, default="", salt=RECEIPTS_SALT, max_age=RECEIPTS_MAX_AGE
    )
    return [reference for reference in value.split(",") if reference]


def _remember_receipt(request, response, reference: str) -> None:
    receipts = _receipts(request)
    if reference not in receipts:
        receipts = [*receipts[-(RECEIPTS_KEPT - 1) :], reference]
    response.set_signed_cookie(
        RECEIPTS_COOKIE,
        ",".join(receipts),
        salt=RECEIPTS_SALT,
        max_age=RECEIPTS_MAX_AGE,
        path="/report/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


REFINE_BUTTONS = ("_list_streets", "_list_communities")

# E5 (issue 13, item 8): the report form's two buckets; the limits and why are in settings.
ACCEPTED, FAILED = "report", "report-failed"


def _report_limits() -> dict[str, int]:
    return {
        ACCEPTED: settings.INTAKE_REPORTS_PER_IP_PER_HOUR,
        FAILED: settings.INTAKE_FAILED_REPORTS_PER_IP_PER_HOUR,
    }


def _content_length(request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def _form_page(request, form, *, status: int = 200, **context):
    context = {"form": form, "limits": upload_limits(), **context}
    return render(request, "intake/report_form.html", context, status=status)


@csrf_exempt  # the CSRF check reads the body: it runs below, once the body may be read
@require_http_methods(["GET", "POST"])
def report_form(request):
    if request.method == "GET":
        return _form_page(request, ReportForm(initial={"form_token": uuid.uuid4()}))

    # Nothing of the body is read before these two checks.
    length = _content_length(request)
    if length is None or length > settings.INTAKE_OVERSIZED_READ_BYTES:
        return _too_large_unread(request)
    refused = rate_limit_reached(key=client_ip(request), limits=_report_limits())
    if refused == FAILED:
        return _rate_limited(request, kind="failures")
    if length > settings.INTAKE_MAX_REQUEST_BYTES:
        # G5: read the fields and drop the files as they arrive, so the answer is the form
        # with everything typed in it (browsers never refill a file input anyway).
        dropped = DropUploads()
        request.upload_handlers = [dropped]
        return _too_large_form(request, dropped=dropped)
    return _report_post(request, replays_only=refused == ACCEPTED)


class DropUploads(FileUploadHandler):
    """An upload handler that keeps no byte of any file, only each file's name and size."""

    def __init__(self, request=None):
        super().__init__(request)
        self.dropped: list[tuple[str, int]] = []

    def receive_data_chunk(self, raw_data, start):
        return None

    def file_complete(self, file_size):
        self.dropped.append((self.file_name, file_size))
        return None


def _too_large_unread(request):
    """G5: a body too large to be worth reading, refused before any of it is read."""
    return render(request, "intake/too_large.html", {"limits": upload_limits()}, status=413)


@csrf_protect
def _too_large_form(request, *, dropped: DropUploads):
    rate_limit_count(bucket=FAILED, key=client_ip(request))
    form = ReportForm(request.POST)
    files = [(name, megabytes(size)) for name, size in dropped.dropped]
    total = sum(size for _name, size in dropped.dropped)
    too_large = {"files": files, "total": megabytes(total)}
    return _form_page(request, form, status=413, refining=True, too_large=too_large)


@csrf_protect
def _report_post(request, *, replays_only: bool = False):
    if replays_only and not _form_sent_before(request.POST.get("form_token", "")):
        # Over the limit of accepted reports: only a form already sent (a double click on
        # the last report allowed) still gets its receipt; G2 makes sure it adds nothing.
        return _rate_limited(request, kind="reports")
    refine = next((button for button in REFINE_BUTTONS if button in request.POST), "")
    if refine:
        # No-JS area picker: show the next list and keep everything typed, without errors
        # yet; the page says which chosen files the reload could not keep.
        form = ReportForm(request.POST)
        dropped = [f.name for _field, files in request.FILES.lists() for f in files]
        return _form_page(request, form, refining=True, refined=refine, dropped_files=dropped)
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        rate_limit_count(bucket=FAILED, key=client_ip(request))
        return _form_page(request, form)
    try:
        report, created = report_submit(
            form_token=form.cleaned_data["form_token"],
            fields=form.report_fields(),
            uploads=form.uploads,
        )
    except FormAlreadySent as sent:
        rate_limit_count(bucket=FAILED, key=client_ip(request))
        return _form_already_sent(request, sent.report)
    except StorageUnavailable as down:  # issue 19: nothing was saved; the page says why
        form.add_error(None, str(down))
        return _form_page(request, form, status=503)
    if created:  # G2: a double click shows the first receipt and is not counted again
        rate_limit_count(bucket=ACCEPTED, key=client_ip(request))
    response = redirect("intake:receipt", reference=report.reference)
    _remember_receipt(request, response, report.reference)
    return response


def _form_sent_before(form_token: str) -> bool:
    try:
        token = uuid.UUID(form_token)
    except ValueError:
        return False
    return Report.objects.filter(form_token=token).exists()


def _rate_limited(request, *, kind: str):
    """E5: 429 in Chinese, saying which limit and when it opens again."""
    until = window_ends_at()
    limit = {
        "reports": settings.INTAKE_REPORTS_PER_IP_PER_HOUR,
        "failures": settings.INTAKE_FAILED_REPORTS_PER_IP_PER_HOUR,
        "lookups": settings.INTAKE_LOOKUPS_PER_IP_PER_HOUR,
    }[kind]
    context = {"kind": kind, "limit": limit, "until": until}
    response = render(request, "intake/rate_limited.html", context, status=429)
    response["Retry-After"] = str(max(1, int(until.timestamp() - time.time())))
    return response


def _form_already_sent(request, first):
    """G2: the form was sent before, and what came now differs (Back, edit, send again).
    Nothing is dropped silently: the page says so, links the first receipt when this browser
    may see it, and gives everything typed back in a fresh form (a new token), files excepted
    (browsers never refill a file input)."""
    data = request.POST.copy()
    data["form_token"] = str(uuid.uuid4())
    reference = first.reference if first.reference in _receipts(request) else ""
    return _form_page(
        request,
        ReportForm(data),
        status=409,
        refining=True,  # the values typed, without checking them again
        already_sent={"reference": reference},
    )


AREA_CODE = re.compile(r"^\d{12}$")


@require_GET
def areas(request):
    """The streets of a district (`?district=`) or the communities of a street (`?district=
    &street=`), for the form's script: the lists change in place, nothing is reloaded.
    Codes are checked against the lists already known, so a made-up code costs no query."""
    district = request.GET.get("district", "")
    street = request.GET.get("street", "")
    if not AREA_CODE.match(district) or (street and not AREA_CODE.match(street)):
        raise Http404
    if district not in dict(district_choices()):
        raise Http404
    if street:
        if street not in dict(street_choices(district)):
            raise Http404
        rows = area_choices("community", street)
    else:
        rows = area_choices("street", district)
    if not rows:
        raise Http404
    choices = [{"value": value, "label": str(label)} for value, label in rows if value]
    response = JsonResponse({"choices": choices})
    response["Cache-Control"] = "public, max-age=3600"  # reference data (intake/areas.py)
    return response


def receipt(request, reference: str):
    """The receipt, shown only to the browser that filed the report (it holds the code)."""
    report = report_by_reference(reference)
    if report is None or reference not in _receipts(request):
        raise Http404
    response = render(
        request,
        "intake/receipt.html",
        {"receipt": receipt_for(report), "status": public_status(report)},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def status(request):
    """Coarse progress only (received, visit arranged, in the ledger, referred, closed)."""
    form = StatusLookupForm(request.POST or None)
    result = None
    not_found = False
    if request.method == "POST":
        if rate_limit_hit(
            bucket="lookup",
            key=client_ip(request),
            limit=settings.INTAKE_LOOKUPS_PER_IP_PER_HOUR,
        ):
            return _rate_limited(request, kind="lookups")
        if form.is_valid():
            report = report_lookup(
                reference=form.cleaned_data["reference"], code=form.cleaned_data["code"]
            )
            if report is None:
                not_found = True
            else:
                result = {"status": public_status(report), "updated": report.status_changed_at}
    response = render(
        request, "intake/status.html", {"form": form, "result": result, "not_found": not_found}
    )
    response["Cache-Control"] = "no-store"
    return response
