"""M1: a project's unit costs, the funds its year needs (adjustable, exportable) and the
monthly statement per agency. Thin views over services/funds.py; the district's only."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ..actor import request_actor
from ..enums import AuditAction, Role, ServiceKind
from ..forms.base import add_rule_error
from ..forms.funds import UnitCostForm
from ..models import ServiceProject
from ..permissions import user_can_manage_projects
from ..scope import scope_queryset
from ..services.errors import RuleError
from ..services.events import event_record
from ..services.funds import (
    MAX_FACTOR,
    agency_own_statements,
    agency_statement,
    fund_estimate,
    unit_costs_of,
    unit_costs_set,
)
from .exchange import stream_response


def _project(request, pk: int) -> ServiceProject:
    project = get_object_or_404(scope_queryset(request.user, ServiceProject.objects.all()), pk=pk)
    if not user_can_manage_projects(request.user):
        raise PermissionDenied
    return project


def _project_year(request, project: ServiceProject) -> int:
    raw = request.GET.get("year", "")
    default = min(max(timezone.localdate().year, project.starts_on.year), project.ends_on.year)
    if not raw:
        return default
    if not raw.isdigit() or not project.starts_on.year <= int(raw) <= project.ends_on.year:
        raise Http404
    return int(raw)


@require_http_methods(["GET", "POST"])
def unit_costs_view(request, pk: int):
    project = _project(request, pk)
    year = _project_year(request, project)
    form = UnitCostForm(
        request.POST if request.method == "POST" else None,
        project=project,
        initial={"year": year},
        initial_costs=unit_costs_of(project, year),
    )
    if request.method == "POST" and form.is_valid():
        try:
            unit_costs_set(
                actor=request_actor(request),
                project=project,
                year=form.cleaned_data["year"],
                amounts=form.amounts(),
            )
        except RuleError as error:
            add_rule_error(form, error)
        else:
            messages.success(request, f"已保存 {form.cleaned_data['year']} 年度的服务单价。")
            return redirect(
                f"{reverse('backoffice_project_funds', args=[project.pk])}"
                f"?year={form.cleaned_data['year']}"
            )
    return render(
        request,
        "backoffice/projects/unit_costs.html",
        {"project": project, "form": form, "year": year},
    )


def _adjustments(request, project: ServiceProject):
    """Factors (factor_<street>) and quantities (qty_<street>_<kind>) the district typed;
    errors in Chinese for anything that is not a number in range."""
    factors, overrides, errors = {}, {}, []
    names = dict(project.streets.values_list("code", "name"))
    for code, name in names.items():
        raw = request.GET.get(f"factor_{code}", "").strip()
        if raw:
            try:
                value = Decimal(raw)
            except InvalidOperation:
                value = None
            if value is None or not Decimal("0.5") <= value <= MAX_FACTOR:
                errors.append(f"{name}的服务半径系数应在 0.5 到 {MAX_FACTOR} 之间。")
            else:
                factors[code] = value
        for kind in project.services:
            raw = request.GET.get(f"qty_{code}_{kind}", "").strip()
            if raw:
                if not raw.isdigit() or int(raw) > 1_000_000:
                    errors.append(f"{name}的“{ServiceKind(kind).label}”数量应为非负整数。")
                else:
                    overrides[(code, kind)] = int(raw)
    return factors, overrides, errors


@require_GET
def funds_view(request, pk: int):
    project = _project(request, pk)
    year = _project_year(request, project)
    factors, overrides, errors = _adjustments(request, project)
    estimate = fund_estimate(project, year=year, factors=factors, overrides=overrides)
    file_format = request.GET.get("format", "")
    if file_format in ("csv", "xlsx") and not errors:
        event_record(
            actor=request_actor(request),
            action=AuditAction.EXPORT,
            obj=project,
            detail={"fields": ["funds"], "year": year},
        )
        labels = [str(ServiceKind(k).label) for k in estimate.kinds]
        headers = ["街道（乡镇）", "在册户数", "在册人数", "待解决需求", "服务半径系数"]
        headers += [f"{label}数量" for label in labels] + [f"{label}金额（元）" for label in labels]
        headers.append("合计（元）")
        rows = [
            [r.street, r.households, r.persons, r.open_needs, r.factor]
            + [r.quantities[k] for k in estimate.kinds]
            + [r.costs.get(k, "") for k in estimate.kinds]
            + [r.amount]
            for r in estimate.rows
        ]
        rows.append(
            ["合计", estimate.households, estimate.persons, estimate.open_needs, ""]
            + [estimate.total_quantities[k] for k in estimate.kinds]
            + [
                sum((r.costs.get(k, 0) for r in estimate.rows), Decimal("0"))
                for k in estimate.kinds
            ]
            + [estimate.total]
        )
        return stream_response(f"{project.name}-{year}年度资金测算", headers, rows, file_format)
    for error in errors:
        messages.error(request, error)
    return render(
        request,
        "backoffice/projects/funds.html",
        {
            "project": project,
            "estimate": estimate,
            "year": year,
            "years": range(project.starts_on.year, project.ends_on.year + 1),
            "labels": [(k, ServiceKind(k).label) for k in estimate.kinds],
            "query": request.GET.urlencode(),
        },
    )


@require_GET
def statement_view(request, pk: int):
    project = _project(request, pk)
    month = request.GET.get("month") or f"{timezone.localdate():%Y-%m}"
    try:
        rows = agency_statement(project, month=month)
    except RuleError as error:
        messages.error(request, error.message)
        month = f"{timezone.localdate():%Y-%m}"
        rows = agency_statement(project, month=month)
    kinds = list(project.services)
    file_format = request.GET.get("format", "")
    if file_format in ("csv", "xlsx"):
        event_record(
            actor=request_actor(request),
            action=AuditAction.EXPORT,
            obj=project,
            detail={"fields": ["statement"], "year": int(month[:4])},
        )
        labels = [str(ServiceKind(k).label) for k in kinds]
        headers = ["社工机构"] + [f"{x}数量" for x in labels] + [f"{x}金额（元）" for x in labels]
        headers.append("合计（元）")
        data = [
            [r.agency]
            + [r.quantities[k] for k in kinds]
            + [r.costs.get(k, "") for k in kinds]
            + [r.amount]
            for r in rows
        ]
        return stream_response(f"{project.name}-{month}服务结算", headers, data, file_format)
    return render(
        request,
        "backoffice/projects/statement.html",
        {
            "project": project,
            "rows": rows,
            "month": month,
            "labels": [(k, ServiceKind(k).label) for k in kinds],
            "missing": [
                str(ServiceKind(k).label)
                for k in kinds
                if k not in unit_costs_of(project, int(month[:4]))
            ],
        },
    )


@require_GET
def agency_statement_view(request):
    """M1: an agency's own people read their agency's monthly statement, project by project:
    what they recorded times the unit costs. Read-only, their own agency only; the counts name
    no household, so the page is open whatever the confidentiality agreement (B6 keeps the
    households closed)."""
    profile = getattr(request.user, "staff_profile", None)
    if profile is None or profile.role != Role.AGENCY_WORKER or profile.agency_id is None:
        raise PermissionDenied
    agency = profile.agency
    today = timezone.localdate()
    month = request.GET.get("month") or f"{today:%Y-%m}"
    try:
        statements = agency_own_statements(agency, month=month)
    except RuleError as error:
        messages.error(request, error.message)
        month = f"{today:%Y-%m}"
        statements = agency_own_statements(agency, month=month)
    return render(
        request,
        "backoffice/projects/agency_statement.html",
        {
            "agency": agency,
            "month": month,
            "statements": [
                {
                    "project": own.project,
                    "row": own.row,
                    "missing": own.missing_costs,
                    "lines": [
                        (
                            ServiceKind(kind).label,
                            own.row.quantities[kind],
                            own.row.costs.get(kind),
                        )
                        for kind in own.project.services
                    ],
                }
                for own in statements
            ],
        },
    )
