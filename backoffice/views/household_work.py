"""What the plan, visit and exit screens share: the scoped household, and the sections they add
to the one file's page (L7). Objects outside the user's scope answer 404 (SECURITY B1)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ..enums import HouseholdStatus
from ..models import Household
from ..permissions import user_can_decide_exit, user_can_record_visit, user_can_revise_plan
from ..scope import scope_queryset
from ..services.plans import plan_current, plan_measures

VISITS_ON_PAGE = 10


def scoped_household(request, pk: int) -> Household:
    """The household, if it is in the user's jurisdiction; 404 otherwise (B1)."""
    visible = scope_queryset(request.user, Household.objects.all())
    return get_object_or_404(visible.select_related("community"), pk=pk)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def household_work_sections(*, household: Household, user) -> dict:
    """The plan (L7), follow-up visits (L6) and exits (D3) sections of the household page."""
    active = household.status == HouseholdStatus.ACTIVE
    plan = plan_current(household)
    visits = household.visits.all()
    return {
        "plan": plan,
        "plan_measures": plan_measures(plan, today=timezone.localdate()) if plan else [],
        "can_view_plan": user.has_perm("backoffice.view_plan"),
        "can_revise_plan": active and user_can_revise_plan(user),
        "visits": visits[:VISITS_ON_PAGE],
        "visit_count": visits.count(),
        "can_record_visit": user_can_record_visit(user),
        "exits": household.exits.select_related("person", "review_visit", "checkin_visit"),
        "can_decide_exit": user_can_decide_exit(user),
        "has_exited_members": household.members.filter(exited_on__isnull=False).exists(),
    }
