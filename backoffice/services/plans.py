"""一户一策 (L7): drawing up and revising the household plan, kept as versions.

Every revision adds a version; earlier versions are never changed, so anyone can read the plan
as it stood on any day. A revision names the version it was based on and that version's
`version` counter; when someone revised the plan or a visit moved a measure's status in the
meantime, the save is refused rather than silently overwriting their work (SECURITY G3). The
unique (household, number) constraint makes the same guarantee under concurrent saves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from ..actor import Actor
from ..children import child_view_of_households
from ..enums import (
    OPEN_MEASURE_STATUSES,
    AuditAction,
    HouseholdStatus,
    MeasureStatus,
    TimelineKind,
)
from ..models import Household, Plan, PlanMeasure
from ..scope import scope_queryset, scope_require
from .errors import RuleError
from .events import event_record
from .ledger_edits import StaleEditError

MAX_MEASURES = 20


class PlanError(RuleError):
    """A plan that cannot be saved as it is; the message says why."""


class StalePlanError(StaleEditError):
    """G3: the plan was revised, or a measure's status moved, after this form was opened."""

    message = (
        "保存未生效：在您打开此页面后，其他工作人员已修订了这份帮扶计划或记录了措施落实情况。"
        "为避免覆盖对方的修改，请重新打开页面，核对最新版本后再修订。"
    )


@dataclass(frozen=True)
class MeasureInput:
    """One measure as typed in the plan form."""

    content: str
    responsible: str
    due_on: dt.date | None
    starts_on: dt.date | None = None
    status: str = MeasureStatus.PLANNED

    def key(self) -> tuple:
        return (self.content, self.responsible, self.starts_on, self.due_on, self.status)


def plan_current(household: Household) -> Plan | None:
    """The plan in force: the latest version (L7: one household, one plan)."""
    return household.plans.order_by("-number").first()


def _measure_key(measure: PlanMeasure) -> tuple:
    return (
        measure.content,
        measure.responsible,
        measure.starts_on,
        measure.due_on,
        measure.status,
    )


def _clean_measures(measures: Sequence[MeasureInput]) -> list[MeasureInput]:
    cleaned = []
    for number, measure in enumerate(measures, start=1):
        content, responsible = measure.content.strip(), measure.responsible.strip()
        where = f"第 {number} 项措施："
        if not content:
            raise PlanError(where + "请填写措施内容。")
        if not responsible:
            raise PlanError(where + "请填写负责落实的部门或机构。")
        if measure.due_on is None:
            raise PlanError(where + "请填写完成时限。")
        if measure.starts_on and measure.starts_on > measure.due_on:
            raise PlanError(where + "完成时限不能早于开始日期。")
        if measure.status not in MeasureStatus.values:
            raise PlanError(where + "落实状态无效。")
        cleaned.append(
            MeasureInput(
                content=content,
                responsible=responsible,
                due_on=measure.due_on,
                starts_on=measure.starts_on,
                status=measure.status,
            )
        )
    return cleaned


CHILD_IN_PLAN = (
    "该帮扶计划涉及未满 14 周岁儿童的情况，需要查看儿童档案的专门授权才能修订；"
    "请由街道（乡镇）服务站修订。"
)


def plan_names_hidden_child(actor: Actor, plan: Plan | None) -> bool:
    """B4: whether the plan's text names a child the actor may not see. Such a plan is shown
    with the name replaced, and revised only by those who may see it (a revision written on
    the replaced text would lose the name)."""
    if plan is None:
        return False
    view = child_view_of_households(actor, [plan.household_id])
    if view.sees or not view.names:
        return False
    texts = [plan.goals, plan.change_note]
    texts += [f"{m.content} {m.responsible}" for m in plan.measures.all()]
    return any(view.redact(text) != text for text in texts)


@transaction.atomic
def plan_revise(
    *,
    household: Household,
    goals: str,
    measures: Sequence[MeasureInput],
    change_note: str = "",
    based_on: int,
    expected_version: int | None,
    actor: Actor,
) -> Plan:
    """Draw up the first plan of a household, or revise it into a new version (L7).

    `based_on` is the number of the version the form showed (0: there was none) and
    `expected_version` that version's counter; anything else in the database means someone
    saved in between, and nothing is written (G3).
    """
    scope_require(actor, household)
    household = Household.objects.select_for_update().get(pk=household.pk)
    if household.status != HouseholdStatus.ACTIVE:
        raise PlanError("该家庭已退出台账，帮扶计划只能查看；如需继续帮扶，请先办理重新纳入。")
    current = plan_current(household)
    if plan_names_hidden_child(actor, current):
        raise PlanError(CHILD_IN_PLAN)
    current_number = current.number if current else 0
    if based_on != current_number or (current and expected_version != current.version):
        raise StalePlanError
    goals, change_note = goals.strip(), change_note.strip()
    if not goals:
        raise PlanError("请填写帮扶目标。", field="goals")
    if not measures:
        raise PlanError("一户一策至少要有一项帮扶措施：写明措施内容、责任部门或机构和完成时限。")
    if len(measures) > MAX_MEASURES:
        raise PlanError(f"一份计划最多 {MAX_MEASURES} 项措施，请合并相近的措施。")
    measures = _clean_measures(measures)
    changed: list[str] = []
    if current is None or goals != current.goals:
        changed.append("goals")
    if current is None or [m.key() for m in measures] != [
        _measure_key(m) for m in current.measures.all()
    ]:
        changed.append("measures")
    if current is not None:
        if not changed:
            raise PlanError("计划内容没有变化，无需保存新版本。")
        if not change_note:
            raise PlanError("修订计划时，请写明修订原因。", field="change_note")
        changed.append("change_note")
    try:
        with transaction.atomic():
            plan = Plan.objects.create(
                household=household,
                number=current_number + 1,
                goals=goals,
                change_note=change_note,
                created_by=actor.user if actor.is_authenticated else None,
                created_by_name=actor.name,
                created_at=timezone.now(),
            )
    except IntegrityError:  # G3: a concurrent revision took this number first
        raise StalePlanError from None
    PlanMeasure.objects.bulk_create(
        PlanMeasure(
            plan=plan,
            position=position,
            content=m.content,
            responsible=m.responsible,
            starts_on=m.starts_on,
            due_on=m.due_on,
            status=m.status,
        )
        for position, m in enumerate(measures, start=1)
    )
    if current is None:
        summary = f"制定帮扶计划（第 1 版，{len(measures)} 项措施）"
    else:
        summary = f"修订帮扶计划为第 {plan.number} 版（{len(measures)} 项措施）：{change_note}"
    event_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=plan,
        detail={"fields": changed, "version": plan.number},
        household=household,
        timeline=TimelineKind.PLAN,
        summary=summary,
    )
    return plan


# Selectors (scoped reads shared by the plan pages and my-work) --------------------------------


def plan_measures(plan: Plan, *, today: dt.date) -> list[PlanMeasure]:
    """The measures of a version, each marked `overdue` when past its time limit and still
    open (U4: the agency checks that the measures are carried out)."""
    measures = list(plan.measures.all())
    for measure in measures:
        measure.overdue = measure.due_on < today and measure.status in OPEN_MEASURE_STATUSES
    return measures


def _is_current_version(plan_path: str = ""):
    """No later version of the same household's plan exists."""
    prefix = f"{plan_path}__" if plan_path else ""
    later = Plan.objects.filter(
        household=OuterRef(f"{prefix}household"), number__gt=OuterRef(f"{prefix}number")
    )
    return ~Exists(later)


def plans_missing(user) -> QuerySet[Household]:
    """M5, L7: active households of the user's scope that have no plan yet."""
    has_plan = Exists(Plan.objects.filter(household=OuterRef("pk")))
    return scope_queryset(
        user, Household.objects.filter(status=HouseholdStatus.ACTIVE).filter(~has_plan)
    ).order_by("entered_on", "id")


def measures_overdue(user, *, today: dt.date) -> QuerySet[PlanMeasure]:
    """U4: measures of the plans in force, past their time limit and not carried out."""
    return (
        scope_queryset(
            user,
            PlanMeasure.objects.filter(
                due_on__lt=today,
                status__in=OPEN_MEASURE_STATUSES,
                plan__household__status=HouseholdStatus.ACTIVE,
            ),
        )
        .filter(_is_current_version("plan"))
        .select_related("plan__household")
        .order_by("due_on", "id")
    )
