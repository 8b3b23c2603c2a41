"""D3: exit a household or a member after a review visit, and re-enter later.

Thin views: forms check the input, services/exits.py decides. Scoped (B1), audited (C1).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ..actor import request_actor
from ..enums import HouseholdStatus
from ..forms.base import add_rule_error
from ..forms.exits import ExitForm, ReentryForm
from ..permissions import user_can_decide_exit, user_can_record_visit
from ..services.errors import RuleError
from ..services.exits import (
    household_exit,
    household_reenter,
    person_exit,
    person_reenter,
)
from .household_work import require, scoped_household


@require_http_methods(["GET", "POST"])
def household_exit_view(request, pk: int):
    household = scoped_household(request, pk)
    require(user_can_decide_exit(request.user))
    if household.status != HouseholdStatus.ACTIVE:
        messages.error(request, "该家庭已退出台账。")
        return redirect("households:inspect", household.pk)
    data = request.POST if request.method == "POST" else None
    form = ExitForm(data, household=household, actor=request_actor(request))
    if data is not None and form.is_valid():
        values = form.cleaned_data
        person = form.target_person()
        arguments = {
            "reason": values["reason"],
            "reason_text": values["reason_text"],
            "review_visit": values["review_visit"],
            "exited_on": values["exited_on"],
            "actor": request_actor(request),
        }
        try:
            if person is None:
                record = household_exit(household=household, **arguments)
            else:
                record = person_exit(person=person, **arguments)
        except RuleError as exc:
            add_rule_error(form, exc)
        else:
            if person is None:
                messages.success(
                    request,
                    f"已办理整户退出。退出后回访日期：{record.household.checkin_due:%Y-%m-%d}。",
                )
            else:
                messages.success(request, f"已办理成员 {person.name} 退出台账。")
            return redirect("households:inspect", household.pk)
    context = {
        "household": household,
        "form": form,
        "has_review": form.fields["review_visit"].queryset.exists(),
        "can_record_visit": user_can_record_visit(request.user),
    }
    return render(request, "backoffice/exits/exit.html", context)


@require_http_methods(["GET", "POST"])
def household_reenter_view(request, pk: int):
    household = scoped_household(request, pk)
    require(user_can_decide_exit(request.user))
    data = request.POST if request.method == "POST" else None
    form = ReentryForm(data, household=household, actor=request_actor(request))
    if not form.has_targets:
        messages.error(request, "该家庭及其成员均在册，无需重新纳入。")
        return redirect("households:inspect", household.pk)
    if data is not None and form.is_valid():
        values = form.cleaned_data
        person = form.target_person()
        try:
            if person is None:
                household_reenter(
                    household=household,
                    reason=values["reason"],
                    reentered_on=values["reentered_on"],
                    actor=request_actor(request),
                )
            else:
                person_reenter(
                    person=person,
                    reason=values["reason"],
                    reentered_on=values["reentered_on"],
                    actor=request_actor(request),
                )
        except RuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, "已重新纳入台账，原有档案和记录均保留。")
            return redirect("households:inspect", household.pk)
    return render(request, "backoffice/exits/reenter.html", {"household": household, "form": form})
