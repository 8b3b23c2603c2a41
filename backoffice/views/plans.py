"""一户一策 (L7): the household plan, its versions (read-only) and the revision form.

Thin views: the forms check the input, services/plans.py decides. Scoped (B1), audited (C1).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ..actor import request_actor
from ..children import child_view_of_households
from ..enums import AuditAction, HouseholdStatus
from ..forms.base import add_rule_error
from ..forms.plans import PlanForm, measure_formset
from ..permissions import user_can_revise_plan
from ..services.events import event_record
from ..services.plans import (
    CHILD_IN_PLAN,
    PlanError,
    StalePlanError,
    plan_current,
    plan_measures,
    plan_names_hidden_child,
    plan_revise,
)
from .household_work import require, scoped_household


@require_GET
def plan_view(request, pk: int, number: int | None = None):
    """The plan in force, or an earlier version read-only, with the list of all versions."""
    household = scoped_household(request, pk)
    require(request.user.has_perm("backoffice.view_plan"))
    versions = list(household.plans.order_by("-number"))
    if number is None:
        plan = versions[0] if versions else None
    else:
        plan = next((v for v in versions if v.number == number), None)
        if plan is None:
            raise Http404
    if plan is not None:
        event_record(actor=request_actor(request), action=AuditAction.VIEW, obj=plan)
    context = {
        "child_view": child_view_of_households(request_actor(request), [household.pk]),  # B4
        "household": household,
        "plan": plan,
        "measures": plan_measures(plan, today=timezone.localdate()) if plan else [],
        "is_current": plan is not None and plan is versions[0],
        "versions": versions,
        "can_revise": household.status == HouseholdStatus.ACTIVE
        and user_can_revise_plan(request.user),
    }
    return render(request, "backoffice/plans/plan.html", context)


@require_http_methods(["GET", "POST"])
def plan_revise_view(request, pk: int):
    """Draw up the first plan, or revise the plan in force into a new version (L7, G3)."""
    household = scoped_household(request, pk)
    require(user_can_revise_plan(request.user))
    if household.status != HouseholdStatus.ACTIVE:
        messages.error(
            request, "该家庭已退出台账，帮扶计划只能查看；如需继续帮扶，请先办理重新纳入。"
        )
        return redirect("backoffice_plan", pk=household.pk)
    current = plan_current(household)
    if plan_names_hidden_child(request_actor(request), current):  # B4
        messages.error(request, CHILD_IN_PLAN)
        return redirect("backoffice_plan", pk=household.pk)
    data = request.POST if request.method == "POST" else None
    form = PlanForm(data, current=current)
    formset = measure_formset(data, current=current)
    if data is not None:
        if form.is_valid() and formset.is_valid():
            try:
                plan = plan_revise(
                    household=household,
                    goals=form.cleaned_data["goals"],
                    measures=formset.measures(),
                    change_note=form.cleaned_data.get("change_note", ""),
                    based_on=form.cleaned_data["based_on"],
                    expected_version=form.cleaned_data.get("version"),
                    actor=request_actor(request),
                )
            except StalePlanError as exc:
                form.add_error(None, exc.message)
            except PlanError as exc:
                add_rule_error(form, exc)
            else:
                messages.success(request, f"已保存帮扶计划第 {plan.number} 版。")
                return redirect("backoffice_plan", pk=household.pk)
    context = {"household": household, "current": current, "form": form, "formset": formset}
    return render(request, "backoffice/plans/revise.html", context)
