"""Follow-up visits (L6): record one from the household page, read one, and the due lists.

Thin views: forms check the input, services/visits.py decides and keeps the clock. Every page is
scoped (B1): a household outside the user's jurisdiction answers 404, and the due lists hold
only the user's area, or an agency worker's assigned households.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from ..actor import request_actor
from ..children import child_view_of_households
from ..enums import AreaLevel, AuditAction, HouseholdStatus, Role, VisitKind
from ..forms.base import ScopedChoicesMixin, add_rule_error
from ..forms.visits import FollowUpVisitForm
from ..models import Area, Household
from ..permissions import user_can_record_visit
from ..scope import scope_queryset, user_scope
from ..services.errors import RuleError
from ..services.events import event_record
from ..services.plans import plan_current
from ..services.visits import (
    DUE_SOON_DAYS,
    checkins_due,
    visit_record,
    visits_due,
    visits_overdue,
)
from .household_work import require, scoped_household

PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
def visit_record_view(request, pk: int):
    """L6: record a follow-up or special visit (or the exit review, or the check-in after an
    exit); `?kind=` preselects the kind."""
    household = scoped_household(request, pk)
    require(user_can_record_visit(request.user))
    plan = plan_current(household) if household.status == HouseholdStatus.ACTIVE else None
    initial = {}
    if request.GET.get("kind") in VisitKind.values:
        initial["kind"] = request.GET["kind"]
    data = request.POST if request.method == "POST" else None
    form = FollowUpVisitForm(
        data, household=household, plan=plan, initial=initial, actor=request_actor(request)
    )
    if data is not None and form.is_valid():
        values = form.cleaned_data
        try:
            visit = visit_record(
                household=household,
                kind=values["kind"],
                visited_on=values["visited_on"],
                visitors=values["visitors"],
                findings=values["findings"],
                measures_progress=values["measures_progress"],
                needs=values["needs"],
                measure_updates=form.measure_updates(),
                need_updates=form.need_updates(),
                new_needs=form.new_needs(),
                actor=request_actor(request),
            )
        except RuleError as exc:
            add_rule_error(form, exc)
        else:
            household.refresh_from_db()
            if household.status == HouseholdStatus.ACTIVE:
                messages.success(
                    request,
                    f"已记录{visit.get_kind_display()}。下次回访截止 "
                    f"{household.next_visit_due:%Y-%m-%d}。",
                )
            else:
                messages.success(request, f"已记录{visit.get_kind_display()}。")
            return redirect("households:inspect", household.pk)
    context = {"household": household, "plan": plan, "form": form}
    return render(request, "backoffice/visits/record.html", context)


@require_GET
def visit_detail_view(request, pk: int, visit_id: int):
    """One visit of the file, in full, read-only (audited: it holds the family's situation)."""
    household = scoped_household(request, pk)
    visit = get_object_or_404(household.visits.select_related("plan"), pk=visit_id)
    event_record(actor=request_actor(request), action=AuditAction.VIEW, obj=visit)
    context = {
        "child_view": child_view_of_households(request_actor(request), [household.pk]),  # B4
        "household": household,
        "visit": visit,
        "progress": visit.measure_progress.select_related("measure"),
    }
    return render(request, "backoffice/visits/detail.html", context)


# The due lists ---------------------------------------------------------------------------------

STATES = {
    "overdue": (_("回访已逾期"), visits_overdue),
    "due": (_("%(days)d 天内到期") % {"days": DUE_SOON_DAYS}, visits_due),
    "checkin": (_("退出后回访"), checkins_due),
}


class WorkerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class DueFilterForm(ScopedChoicesMixin, forms.Form):
    state = forms.ChoiceField(
        label=_("类别"), choices=[(k, v[0]) for k, v in STATES.items()], required=False
    )
    street = forms.ModelChoiceField(
        label=_("街道（乡镇）"), queryset=Area.objects.none(), required=False
    )
    worker = WorkerChoiceField(
        label=_("承接社工"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        streets = scope_queryset(user, Area.objects.filter(level=AreaLevel.STREET))
        workers = (
            get_user_model()
            .objects.filter(
                staff_profile__role=Role.AGENCY_WORKER,
                assigned_households__household__in=scope_queryset(
                    user, Household.objects.all()
                ).values("pk"),
            )
            .distinct()
            .order_by("username")
        )
        self.fields["street"].queryset = streets
        self.fields["worker"].queryset = workers
        if user_scope(user).level == "assigned":  # an agency worker's list is theirs alone
            del self.fields["worker"], self.fields["street"]


def _days_label(household: Household, state: str, today: dt.date) -> str:
    due = household.checkin_due if state == "checkin" else household.next_visit_due
    if due is None:
        return "未排期"
    days = (due - today).days
    if days < 0:
        return f"已逾期 {-days} 天"
    if days == 0:
        return "今日到期"
    return f"{days} 天后到期"


@require_GET
def visits_due_view(request):
    """L6/D3: households due or late for a visit, per area (street) and per agency worker."""
    require(request.user.has_perm("backoffice.view_household"))
    today = timezone.localdate()
    form = DueFilterForm(request.GET or None, user=request.user)
    values = form.cleaned_data if form.is_bound and form.is_valid() else {}
    state = values.get("state") or "overdue"
    title, selector = STATES[state]
    households = selector(request.user, today=today)
    if values.get("street"):
        households = households.filter(street=values["street"])
    if values.get("worker"):
        households = households.filter(assignments__worker=values["worker"])
    households = households.select_related("community").prefetch_related("assignments__worker")
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("p"))
    for household in page:
        household.due_label = _days_label(household, state, today)
        household.workers = [a.worker for a in household.assignments.all()]
    query = request.GET.copy()
    query.pop("p", None)
    context = {
        "form": form,
        "state": state,
        "title": title,
        "page": page,
        "query": query.urlencode(),
        "today": today,
    }
    return render(request, "backoffice/visits/due.html", context)
