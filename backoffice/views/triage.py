"""The triage workspace of one report (issue 4, item 5): clocks, duplicates, actions.

Thin views: forms validate, services in services/triage.py decide. Every page is scoped: a
report outside the user's jurisdiction answers 404 (SECURITY B1).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake.enums import OPEN_STATUSES
from intake.models import Report

from ..actor import request_actor
from ..enums import AuditAction
from ..forms.base import add_rule_error
from ..forms.triage import AcceptForm, AssignForm, LeadForm, MergeForm, ReasonForm, VisitForm
from ..permissions import (
    user_can_record_visit,
    user_can_reveal_identifiers,
    user_can_see_reporter,
    user_can_triage,
)
from ..scope import in_scope, scope_queryset
from ..services.errors import RuleError
from ..services.events import event_record
from ..services.triage import (
    AcceptChoices,
    Lead,
    lead_register,
    report_accept,
    report_assign,
    report_clocks,
    report_duplicates,
    report_identifier_choices,
    report_merge,
    report_reject,
    report_request_info,
    report_reveal,
    report_visit_record,
)


def _report(request, pk: int) -> Report:
    visible = scope_queryset(request.user, Report.objects.all())
    return get_object_or_404(visible.select_related("district", "street", "community"), pk=pk)


def _workspace(request, report: Report, status: int = 200, **forms):
    user = request.user
    visits = list(report.visits.all())
    first_visit = min((v.visited_on for v in visits), default=None)
    triage = getattr(report, "triage", None)
    # B8: a report handed over and accepted elsewhere names no file outside the scope.
    file = triage.household if triage is not None and triage.household_id else None
    context = {
        # A refusal that belongs to no field is shown at the top of the page.
        "page_errors": [e for form in forms.values() for e in form.non_field_errors()],
        "report": report,
        "triage": triage,
        "file": file if file is not None and in_scope(user, file) else None,
        "handovers": list(report.handovers.order_by("-created_at")),
        "visits": visits,
        "clocks": report_clocks(report, today=timezone.localdate(), visited_on=first_visit),
        "duplicates": report_duplicates(report=report, user=user),
        "attachments": report.attachments.all(),
        "is_open": report.status in OPEN_STATUSES,
        "can_triage": user_can_triage(user),
        "can_visit": user_can_record_visit(user),
        "show_reporter": user_can_see_reporter(user),
        "can_reveal": user_can_reveal_identifiers(user),
        "assign_form": forms.get("assign_form") or AssignForm(report=report, user=user),
        "visit_form": forms.get("visit_form") or VisitForm(),
        "accept_form": forms.get("accept_form")
        or AcceptForm(user=user, ask_identity=not report.subject_id_index),
        "merge_form": forms.get("merge_form") or MergeForm(user=user, report=report),
        "info_form": forms.get("info_form") or ReasonForm(prefix="info"),
        "reject_form": forms.get("reject_form") or ReasonForm(prefix="reject"),
    }
    return render(request, "backoffice/triage/workspace.html", context, status=status)


@require_GET
def report_workspace(request, pk: int):
    report = _report(request, pk)
    event_record(actor=request_actor(request), action=AuditAction.VIEW, obj=report)
    return _workspace(request, report)


def _act(request, report: Report, action, success: str):
    try:
        action()
    except RuleError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("backoffice_report", pk=report.pk)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


@require_POST
def report_assign_view(request, pk: int):
    _require(user_can_triage(request.user))
    report = _report(request, pk)
    form = AssignForm(request.POST, report=report, user=request.user)
    if not form.is_valid():
        return _workspace(request, report, assign_form=form)
    return _act(
        request,
        report,
        lambda: report_assign(
            report_id=report.pk,
            agency=form.cleaned_data["agency"],
            worker=form.cleaned_data["worker"],
            actor=request_actor(request),
        ),
        "已分派。",
    )


@require_POST
def report_visit_view(request, pk: int):
    _require(user_can_record_visit(request.user))
    report = _report(request, pk)
    form = VisitForm(request.POST)
    if not form.is_valid():
        return _workspace(request, report, visit_form=form)
    return _act(
        request,
        report,
        lambda: report_visit_record(
            report_id=report.pk, actor=request_actor(request), **form.cleaned_data
        ),
        "已记录入户访谈。",
    )


@require_POST
def report_accept_view(request, pk: int):
    _require(user_can_triage(request.user))
    report = _report(request, pk)
    form = AcceptForm(request.POST, user=request.user, ask_identity=not report.subject_id_index)
    if not form.is_valid():
        return _workspace(request, report, accept_form=form)
    data = form.cleaned_data
    choices = AcceptChoices(
        household=data["household"],
        relation=data["relation"],
        sex=data.get("sex", ""),
        birth_date=data.get("birth_date"),
        need_type=data["need_type"],
    )
    try:
        accepted = report_accept(report_id=report.pk, choices=choices, actor=request_actor(request))
    except RuleError as error:
        add_rule_error(form, error)
        return _workspace(request, report, accept_form=form)
    if accepted.handover is not None:  # B8: filed elsewhere; the file is not named
        messages.warning(
            request,
            "当事人已在其他辖区建档（一人一档）。本反映已移交其所在辖区纳入原档案办理，"
            "办理结果将显示在本页和“跨辖区移交”中。",
        )
        return redirect("backoffice_report", pk=report.pk)
    messages.success(request, f"已纳入台账：档案 {accepted.household.file_number}。")
    return redirect("households:inspect", accepted.household.pk)


@require_POST
def report_merge_view(request, pk: int):
    _require(user_can_triage(request.user))
    report = _report(request, pk)
    form = MergeForm(request.POST, user=request.user, report=report)
    if not form.is_valid():
        return _workspace(request, report, merge_form=form)
    return _act(
        request,
        report,
        lambda: report_merge(
            report_id=report.pk, into=form.cleaned_data["into"], actor=request_actor(request)
        ),
        "已合并为重复反映。",
    )


@require_POST
def report_request_info_view(request, pk: int):
    _require(user_can_triage(request.user))
    report = _report(request, pk)
    form = ReasonForm(request.POST, prefix="info")
    if not form.is_valid():
        return _workspace(request, report, info_form=form)
    return _act(
        request,
        report,
        lambda: report_request_info(
            report_id=report.pk, message=form.cleaned_data["reason"], actor=request_actor(request)
        ),
        "已标记为待补充信息。",
    )


@require_POST
def report_reject_view(request, pk: int):
    _require(user_can_triage(request.user))
    report = _report(request, pk)
    form = ReasonForm(request.POST, prefix="reject")
    if not form.is_valid():
        return _workspace(request, report, reject_form=form)
    return _act(
        request,
        report,
        lambda: report_reject(
            report_id=report.pk, reason=form.cleaned_data["reason"], actor=request_actor(request)
        ),
        "已办结：不予纳入。",
    )


@require_GET
def attachment_download(request, pk: int, attachment_id: int):
    """E1: a private upload, only through the scope, always as an attachment, audited."""
    report = _report(request, pk)
    attachment = report.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    # Issue 19: opened before the download is audited; a store that is down stops it here.
    content = attachment.file.open("rb")
    event_record(
        actor=request_actor(request),
        action=AuditAction.DOWNLOAD,
        obj=report,
        detail={"attachment": attachment.pk},
    )
    response = FileResponse(
        content,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ReportRevealForm(forms.Form):
    field = forms.ChoiceField(
        label=_("查看项目"), error_messages={"required": _("请选择要查看的号码。")}
    )
    reason = forms.CharField(
        label=_("查看原因"),
        min_length=4,
        max_length=200,
        error_messages={
            "required": _("请填写查看完整号码的工作原因。"),
            "min_length": _("请具体说明查看原因（至少 4 个字）。"),
        },
        widget=forms.TextInput(attrs={"placeholder": _("例如：电话联系当事人，约定入户时间")}),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = report_identifier_choices(actor)


@require_http_methods(["GET", "POST"])
def report_reveal_view(request, pk: int):
    """F1: the station calls the person within a working day: the full number, with a reason."""
    report = _report(request, pk)
    _require(user_can_reveal_identifiers(request.user))
    actor = request_actor(request)
    form = ReportRevealForm(request.POST or None, actor=actor)
    revealed = None
    if request.method == "POST" and form.is_valid():
        try:
            revealed = report_reveal(actor=actor, report=report, **form.cleaned_data)
        except RuleError as error:
            add_rule_error(form, error)
    context = {"report": report, "form": form, "revealed": revealed}
    return render(request, "backoffice/triage/reveal.html", context)


@require_http_methods(["GET", "POST"])
def lead_register_view(request):
    """F2/F3: register an approval-route or survey-route lead; its clock runs in the queue."""
    _require(user_can_triage(request.user))
    form = LeadForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            report = lead_register(actor=request_actor(request), lead=Lead(**form.cleaned_data))
        except RuleError as error:
            add_rule_error(form, error)
        else:
            messages.success(request, f"已登记线索 {report.reference}，期限已开始计算。")
            return redirect("backoffice_report", pk=report.pk)
    return render(request, "backoffice/triage/lead.html", {"form": form})
