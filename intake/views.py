"""Public intake pages: report a hardship, get a receipt, check the status (F1, G1, G2, E5)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .forms import ReportForm, StatusLookupForm
from .services import (
    FormAlreadySent,
    public_status,
    receipt_for,
    report_by_reference,
    report_lookup,
    report_submit,
)
from .throttling import client_ip, rate_limit_hit

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


def _too_large(request) -> bool:
    """G5: refuse an oversized body before Django reads it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > settings.INTAKE_MAX_REQUEST_BYTES


@require_http_methods(["GET", "POST"])
def report_form(request):
    if request.method == "GET":
        form = ReportForm(initial={"form_token": uuid.uuid4()})
        return render(request, "intake/report_form.html", {"form": form})

    if _too_large(request):
        return render(request, "intake/too_large.html", status=413)
    if any(button in request.POST for button in REFINE_BUTTONS):
        # No-JS area picker: show the next list and keep everything typed, without errors yet.
        form = ReportForm(request.POST)
        return render(request, "intake/report_form.html", {"form": form, "refining": True})
    if rate_limit_hit(
        bucket="report",
        key=client_ip(request),
        limit=settings.INTAKE_REPORTS_PER_IP_PER_HOUR,
    ):
        return render(request, "intake/rate_limited.html", status=429)
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "intake/report_form.html", {"form": form}, status=200)
    try:
        report, _created = report_submit(
            form_token=form.cleaned_data["form_token"],
            fields=form.report_fields(),
            uploads=form.uploads,
        )
    except FormAlreadySent as sent:
        return _form_already_sent(request, sent.report)
    response = redirect("intake:receipt", reference=report.reference)
    _remember_receipt(request, response, report.reference)
    return response


def _form_already_sent(request, first):
    """G2: the form was sent before, and what came now differs (Back, edit, send again).
    Nothing is dropped silently: the page says so, links the first receipt when this browser
    may see it, and gives everything typed back in a fresh form (a new token), files excepted
    (browsers never refill a file input)."""
    data = request.POST.copy()
    data["form_token"] = str(uuid.uuid4())
    context = {
        "form": ReportForm(data),
        "refining": True,  # the values typed, without checking them again
        "already_sent": {
            "reference": first.reference if first.reference in _receipts(request) else ""
        },
    }
    return render(request, "intake/report_form.html", context, status=409)


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
            return render(request, "intake/rate_limited.html", status=429)
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
