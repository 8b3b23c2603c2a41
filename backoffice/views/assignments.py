"""Assign a household to a social worker, or end an assignment, from the household page (M4).

Thin views: forms check the input, services/assignments.py decides. Scoped (B1), audited (C1).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from ..actor import request_actor
from ..forms.assignments import AssignForm, AssignmentEndForm
from ..permissions import user_can_assign_households
from ..services.assignments import assignment_end, household_assign
from ..services.errors import RuleError
from .household_work import require, scoped_household


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


@require_POST
def household_assign_view(request, pk: int):
    household = scoped_household(request, pk)
    require(user_can_assign_households(request.user))
    actor = request_actor(request)
    form = AssignForm(request.POST, household=household, actor=actor)
    if not form.is_valid():
        messages.error(request, _first_error(form))
    else:
        worker = form.cleaned_data["worker"]
        try:
            household_assign(actor=actor, household=household, worker=worker)
        except RuleError as error:
            messages.error(request, error.message)
        else:
            name = worker.get_full_name() or worker.get_username()
            messages.success(request, f"已分派给社工 {name}，其可查看并办理该家庭档案。")
    return redirect("households:inspect", household.pk)


@require_POST
def assignment_end_view(request, pk: int, assignment_id: int):
    household = scoped_household(request, pk)
    require(user_can_assign_households(request.user))
    assignment = get_object_or_404(household.assignments.select_related("worker"), pk=assignment_id)
    form = AssignmentEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("households:inspect", household.pk)
    try:
        assignment_end(
            actor=request_actor(request), assignment=assignment, reason=form.cleaned_data["reason"]
        )
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "已结束分派，该社工不再能查看此家庭档案。")
    return redirect("households:inspect", household.pk)
