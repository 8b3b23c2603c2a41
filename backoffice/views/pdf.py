"""Printing (issue 6): the plan and the file of a household, and batch prints of many plans.

Thin views: services/pdf.py and services/print_jobs.py decide what is printed and audit it.
A household outside the user's scope answers 404 (SECURITY B1), and so does somebody else's
print job. PDFs go out as attachments that no cache keeps (Cache-Control: no-store).
A batch print is a bulk export and asks for a fresh one-time code (SECURITY E3); one
household's plan or file is not, and stays one click.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..actor import request_actor
from ..enums import AuditAction, PrintDocument, PrintJobStatus
from ..forms.base import ScopedChoicesMixin, add_rule_error
from ..forms.reauth import ReverifyForm
from ..models import PrintJob
from ..pdf import PdfRenderError
from ..services.errors import RuleError
from ..services.events import event_record
from ..services.pdf import household_pdf
from ..services.print_jobs import (
    PrintJobError,
    print_job_create,
    print_job_retry,
    printable_streets,
    user_has_caseload,
)
from .household_work import scoped_household

JOBS_ON_PAGE = 20
REFRESH_SECONDS = 3


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _household_pdf(request, pk: int, kind: str):
    household = scoped_household(request, pk)
    try:
        content = household_pdf(household=household, kind=kind, actor=request_actor(request))
    except PdfRenderError as exc:
        messages.error(request, exc.message)
        return redirect("households:inspect", household.pk)
    title = PrintDocument(kind).label
    return _pdf_response(content, f"{title}-{household.file_number}.pdf")


@require_GET
def household_plan_pdf(request, pk: int):
    """个案帮扶方案（一户一策）."""
    return _household_pdf(request, pk, PrintDocument.PLAN)


@require_GET
def household_file_pdf(request, pk: int):
    """家庭档案（一户一档）: everything on record."""
    return _household_pdf(request, pk, PrintDocument.FILE)


class PrintJobForm(ScopedChoicesMixin, ReverifyForm):
    """A street (or the worker's caseload) and a fresh one-time code: a batch print is a bulk
    export (SECURITY E3), so the code is checked again however recently the user signed in."""

    reverify_purpose = "batch_print"

    street = forms.ModelChoiceField(
        label="街道（乡镇）", queryset=None, required=False, empty_label="请选择"
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        user = actor.user
        self.fields["street"].queryset = printable_streets(user)
        self.caseload = user_has_caseload(user)
        if self.caseload:
            del self.fields["street"]
        else:
            self.fields["street"].required = True
        self.order_fields(["street", "otp_code"])


def _own_job(request, pk: int) -> PrintJob:
    """Only the owner sees a job or its file (B1): anyone else gets 404."""
    return get_object_or_404(PrintJob.objects.filter(owner=request.user), pk=pk)


@require_http_methods(["GET", "POST"])
def print_jobs_view(request):
    """Start a batch print; the user's recent jobs with their progress."""
    actor = request_actor(request)
    form = PrintJobForm(request.POST if request.method == "POST" else None, actor=actor)
    if not (form.caseload or printable_streets(request.user).exists()):
        raise PermissionDenied  # no ledger scope (auditor, editor...): nothing to print
    if request.method == "POST" and form.is_valid():  # valid: the code was right and fresh
        try:
            job = print_job_create(actor=actor, street=form.cleaned_data.get("street"))
        except RuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, f"已开始生成：{job.scope_label}，共 {job.total} 户。")
            return redirect("backoffice_print_job", job.pk)
    jobs = PrintJob.objects.filter(owner=request.user)[:JOBS_ON_PAGE]
    return render(request, "backoffice/printing/jobs.html", {"form": form, "jobs": jobs})


@require_GET
def print_job_view(request, pk: int):
    """A job's progress; the page refreshes itself (no script) until the file is ready."""
    job = _own_job(request, pk)
    return render(
        request,
        "backoffice/printing/job.html",
        {
            "job": job,
            "refresh_seconds": REFRESH_SECONDS if job.is_open else None,
            "keep_days": settings.RETENTION_PRINT_FILES_DAYS,
        },
    )


@require_POST
def print_job_retry_view(request, pk: int):
    job = _own_job(request, pk)
    try:
        print_job_retry(job=job, actor=request_actor(request))
    except PrintJobError as exc:
        messages.error(request, exc.message)
    return redirect("backoffice_print_job", job.pk)


@require_GET
def print_job_download(request, pk: int):
    """The finished file, to its owner only, as an attachment; the download is audited (C1)."""
    job = _own_job(request, pk)
    if job.status != PrintJobStatus.DONE or not job.file:
        raise Http404
    # Issue 19: opened before the download is audited; a store that is down stops it here.
    content = job.file.open("rb")
    event_record(
        actor=request_actor(request), action=AuditAction.DOWNLOAD, obj=job, detail={"batch": job.pk}
    )
    response = FileResponse(
        content,
        as_attachment=True,
        filename=f"帮扶方案-{job.scope_label}-{job.pk}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
