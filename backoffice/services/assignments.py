"""Who serves a household (M4): a station or district assigns it to an agency's social worker,
and ends the assignment. The worker sees the file from the assignment on and no longer after
it ends (the jurisdiction scope reads the assignments). Both are audited and written on the
timeline (C1, L7); an ended assignment leaves its trace there, not in the table.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet

from ..actor import Actor
from ..enums import AuditAction, Role, TimelineKind
from ..models import Household, HouseholdAssignment
from ..scope import scope_require
from .errors import RuleError
from .events import event_record
from .ledger import household_require_open


def assignable_workers(household: Household) -> QuerySet:
    """The active social workers of the agencies serving the household's district."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            staff_profile__role=Role.AGENCY_WORKER,
            staff_profile__agency__district_id=household.district_id,
        )
        .select_related("staff_profile__agency")
        .order_by("staff_profile__agency__name", "username")
    )


def _worker_name(worker) -> str:
    return worker.get_full_name() or worker.get_username()


@transaction.atomic
def household_assign(*, actor: Actor, household: Household, worker) -> HouseholdAssignment:
    """Give the household to `worker`, who then sees it (M4)."""
    scope_require(actor, household)
    household_require_open(household)
    if not assignable_workers(household).filter(pk=worker.pk).exists():
        raise RuleError("所选社工不属于服务该区的社工机构，不能承接该家庭。", field="worker")
    if household.assignments.filter(worker=worker).exists():
        raise RuleError("该社工已在承接这户家庭。", field="worker")
    agency = worker.staff_profile.agency
    assignment = HouseholdAssignment.objects.create(
        household=household, worker=worker, agency=agency
    )
    event_record(
        actor=actor,
        action=AuditAction.ASSIGN,
        obj=household,
        detail={"worker": worker.pk, "agency": agency.pk},
        household=household,
        timeline=TimelineKind.ASSIGNMENT,
        summary=f"分派给{agency.name}社工 {_worker_name(worker)}承接",
    )
    return assignment


@transaction.atomic
def assignment_end(*, actor: Actor, assignment: HouseholdAssignment, reason: str) -> None:
    """End an assignment: the worker no longer sees the file (M4, B1)."""
    household = assignment.household
    scope_require(actor, household)
    reason = reason.strip()
    if len(reason) < 2:
        raise RuleError("请写明结束分派的原因。", field="reason")
    worker = assignment.worker
    event_record(
        actor=actor,
        action=AuditAction.ASSIGN_END,
        obj=household,
        detail={"worker": worker.pk, "agency": assignment.agency_id},
        household=household,
        timeline=TimelineKind.ASSIGNMENT,
        summary=f"结束{assignment.agency.name}社工 {_worker_name(worker)}的承接：{reason}",
    )
    assignment.delete()


@transaction.atomic
def assignment_carry_over(*, actor: Actor, household: Household, worker) -> None:
    """Triage assigned the report to a worker: the file it joins goes to the same worker, when
    the worker's agency serves the household's district (a handed-over report's may not)."""
    if worker is None or household.assignments.filter(worker=worker).exists():
        return
    if assignable_workers(household).filter(pk=worker.pk).exists():
        household_assign(actor=actor, household=household, worker=worker)
