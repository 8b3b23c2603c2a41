"""Follow-up visits (跟踪回访, L6) and the clock that schedules them.

L6: every household in the ledger is visited at least once every 3 months, and at any time in
special situations. A visit records its date, the current living situation, how the plan's
measures are being carried out, and the current needs, which update the household's needs list.
Any visit of an active household restarts the clock: the next one is due 3 calendar months
after the latest visit (`backoffice.rhythm`). A household that left the ledger is visited once
more, 3 months after the exit (D3); that check-in is recorded here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from ..actor import Actor
from ..enums import (
    ACTIVE_VISIT_KINDS,
    AuditAction,
    HouseholdStatus,
    MeasureStatus,
    NeedStatus,
    NeedType,
    TimelineKind,
    VisitKind,
)
from ..models import Household, LedgerExit, MeasureProgress, Need, Plan, Visit
from ..rhythm import follow_up_due
from ..scope import scope_queryset, scope_require
from .errors import RuleError
from .events import event_record
from .ledger import household_refresh_completeness
from .plans import plan_current

# The visits whose date starts a new 3-month period (L6): the intake interview opens the file.
CLOCK_KINDS = (VisitKind.INTAKE_INTERVIEW, *ACTIVE_VISIT_KINDS)
DUE_SOON_DAYS = 14


class VisitError(RuleError):
    """A visit that cannot be recorded as it is; the message says why."""


@dataclass(frozen=True)
class MeasureUpdate:
    """L6: how one measure of the plan in force is being carried out."""

    measure_id: int
    status: str
    note: str = ""


@dataclass(frozen=True)
class NewNeed:
    """A need found at the visit, added to the household's needs list."""

    need_type: str
    description: str = ""
    person_id: int | None = None


def household_active_since(household: Household) -> dt.date:
    """The day the household's current stay in the ledger began: entry or latest re-entry."""
    reentered = (
        LedgerExit.objects.filter(
            household=household, person__isnull=True, reentered_on__isnull=False
        )
        .order_by("-reentered_on")
        .values_list("reentered_on", flat=True)
        .first()
    )
    return max(household.entered_on, reentered) if reentered else household.entered_on


def _check_date(household: Household, kind: str, visited_on: dt.date, today: dt.date) -> None:
    if visited_on > today:
        raise VisitError("走访日期不能晚于今天。", field="visited_on")
    if household.status == HouseholdStatus.EXITED:
        if kind != VisitKind.EXIT_CHECKIN:
            raise VisitError(
                "该家庭已退出台账，只能记录退出后回访；如需继续帮扶，请先办理重新纳入。",
                field="kind",
            )
        if household.exited_on and visited_on < household.exited_on:
            raise VisitError(
                f"退出后回访的日期不能早于退出日期（{household.exited_on:%Y-%m-%d}）。",
                field="visited_on",
            )
        return
    if kind not in ACTIVE_VISIT_KINDS:
        raise VisitError("请选择跟踪回访、特殊情况走访或退出评估走访。", field="kind")
    since = household_active_since(household)
    if visited_on < since:
        raise VisitError(
            f"走访日期不能早于纳入（或重新纳入）台账的日期（{since:%Y-%m-%d}）。",
            field="visited_on",
        )


def _apply_measures(
    visit: Visit, plan: Plan | None, updates: Sequence[MeasureUpdate], progress_text: str
) -> list[int]:
    """L6/U4: keep each measure's progress with the visit and move its status. Returns the ids
    of the measures whose status changed."""
    measures = {m.pk: m for m in plan.measures.all()} if plan else {}
    if measures and not progress_text and not any(u.note.strip() for u in updates):
        raise VisitError(  # L6: a follow-up reports how the plan's measures are going
            "请记录帮扶措施的落实情况：至少写明一项措施的落实情况，或填写总体落实情况。",
            field="measures_progress",
        )
    changed = []
    for update in updates:
        measure = measures.get(update.measure_id)
        if measure is None:  # the plan was revised after the form was opened
            raise VisitError(
                "帮扶计划在您打开此页面后已被修订，请重新打开页面，按最新版本记录措施落实情况。"
            )
        if update.status not in MeasureStatus.values:
            raise VisitError(f"措施“{measure.content}”的落实状态无效。")
        MeasureProgress.objects.create(
            visit=visit, measure=measure, status=update.status, note=update.note.strip()[:500]
        )
        if update.status != measure.status:
            measure.status = update.status
            measure.save(update_fields=["status"])
            changed.append(measure.pk)
    if changed:  # G3: a revision opened before this visit must not undo these statuses
        Plan.objects.filter(pk=plan.pk).update(version=F("version") + 1)
    return changed


def _apply_needs(
    household: Household,
    visited_on: dt.date,
    need_updates: Mapping[int, str],
    new_needs: Sequence[NewNeed],
) -> tuple[list[int], list[int]]:
    """The current needs (L6): status changes of recorded needs, and needs found now."""
    updated = []
    needs = {n.pk: n for n in household.needs.filter(pk__in=list(need_updates))}
    for need_id, status in need_updates.items():
        need = needs.get(need_id)
        if need is None:
            raise VisitError("所选需求不属于该家庭，请重新打开页面。")
        if status not in NeedStatus.values:
            raise VisitError(f"需求“{need.get_need_type_display()}”的状态无效。")
        if status != need.status:
            need.status = status
            need.save(update_fields=["status"])
            updated.append(need.pk)
    members = set(household.members.values_list("pk", flat=True))
    added = []
    for new in new_needs:
        if new.need_type not in NeedType.values:
            raise VisitError("请选择新需求的类型。")
        if new.person_id is not None and new.person_id not in members:
            raise VisitError("所选成员不属于该家庭。")
        need = Need.objects.create(
            household=household,
            person_id=new.person_id,
            need_type=new.need_type,
            description=new.description.strip()[:500],
            recorded_on=visited_on,
        )
        added.append(need.pk)
    return updated, added


def _restart_clock(household: Household) -> dt.date:
    """L6: the next visit is due 3 months after the latest visit of this stay in the ledger."""
    since = household_active_since(household)
    latest = (
        household.visits.filter(kind__in=CLOCK_KINDS, visited_on__gte=since)
        .order_by("-visited_on")
        .values_list("visited_on", flat=True)
        .first()
    )
    due = follow_up_due(latest or since)
    Household.objects.filter(pk=household.pk).update(next_visit_due=due)
    household.next_visit_due = due
    return due


@transaction.atomic
def visit_record(
    *,
    household: Household,
    kind: str,
    visited_on: dt.date,
    visitors: str,
    findings: str,
    measures_progress: str = "",
    needs: str = "",
    measure_updates: Sequence[MeasureUpdate] = (),
    need_updates: Mapping[int, str] | None = None,
    new_needs: Sequence[NewNeed] = (),
    actor: Actor,
) -> Visit:
    """Record a follow-up, special or exit-review visit (L6, D3), or the check-in after an exit.

    `findings` is the current living situation; `measure_updates` say how each measure of the
    plan in force is carried out; `need_updates` (need id -> status) and `new_needs` bring the
    household's needs list up to date. The follow-up clock restarts from the latest visit; a
    check-in ends the 3-month watch after an exit.
    """
    scope_require(actor, household)
    household = Household.objects.select_for_update().get(pk=household.pk)
    kind = VisitKind(kind) if kind in VisitKind.values else kind
    _check_date(household, kind, visited_on, timezone.localdate())
    visitors, findings = visitors.strip(), findings.strip()
    measures_progress, needs = measures_progress.strip(), needs.strip()
    if not visitors:
        raise VisitError("请填写参加走访的人员。", field="visitors")
    if not findings:
        raise VisitError("请记录当前生活状况。", field="findings")  # L6
    active = household.status == HouseholdStatus.ACTIVE
    plan = plan_current(household) if active else None
    visit = Visit.objects.create(
        kind=kind,
        household=household,
        visited_on=visited_on,
        visitors=visitors[:200],
        findings=findings,
        needs=needs,
        measures_progress=measures_progress,
        plan=plan,
        recorded_by=actor.user,
    )
    measures_changed = _apply_measures(visit, plan, measure_updates, measures_progress)
    needs_updated, needs_added = _apply_needs(household, visited_on, need_updates or {}, new_needs)
    if needs_updated or needs_added:
        household_refresh_completeness(household)
    if active:
        due = _restart_clock(household)
        outcome = f"下次回访截止 {due:%Y-%m-%d}"
    else:  # D3: the check-in after an exit is done
        Household.objects.filter(pk=household.pk).update(checkin_due=None)
        LedgerExit.objects.filter(
            household=household, person__isnull=True, reentered_on__isnull=True
        ).filter(checkin_visit__isnull=True).update(checkin_visit=visit)
        outcome = "退出后回访已完成"
    parts = [f"{visit.get_kind_display()}（{visited_on:%Y-%m-%d}，{visitors}）"]
    if needs_updated or needs_added:
        parts.append(f"需求更新 {len(needs_updated)} 项、新增 {len(needs_added)} 项")
    if measures_changed:
        parts.append(f"{len(measures_changed)} 项措施状态变化")
    parts.append(outcome)
    event_record(
        actor=actor,
        action=AuditAction.VISIT,
        obj=household,
        household=household,
        timeline=TimelineKind.VISIT,
        summary="；".join(parts),
        detail={
            "visit": visit.pk,
            "kind": str(kind),
            "fields": [
                name
                for name, value in (
                    ("findings", findings),
                    ("measures_progress", measures_progress),
                    ("needs", needs),
                )
                if value
            ],
            "measures": measures_changed,
            "needs_updated": needs_updated,
            "needs_added": needs_added,
        },
    )
    return visit


# Selectors: scoped reads for the due lists and my-work -----------------------------------------


def _with_last_visit(queryset: QuerySet[Household]) -> QuerySet[Household]:
    """Each household's latest visit date, read per row only (a page, not the whole list)."""
    latest = Visit.objects.filter(household=OuterRef("pk")).order_by("-visited_on", "-id")
    return queryset.annotate(last_visited_on=Subquery(latest.values("visited_on")[:1]))


def followup_late(today: dt.date) -> Q:
    """L6: a household's follow-up visit is late when its due date has passed; one without any
    due date (never scheduled) counts as late too: L6 wants one for each. The due lists and
    the statistics (issue 16) both ask this."""
    return Q(next_visit_due__lt=today) | Q(next_visit_due__isnull=True)


def visits_overdue(user, *, today: dt.date) -> QuerySet[Household]:
    """L6: active households of the user's scope whose follow-up visit is late, most late first.

    Per area through the scope; an agency worker gets the households assigned to them.
    """
    queryset = Household.objects.filter(followup_late(today), status=HouseholdStatus.ACTIVE)
    return _with_last_visit(
        scope_queryset(user, queryset).order_by(F("next_visit_due").asc(nulls_first=True), "id")
    )


def visits_due(user, *, today: dt.date, within_days: int = DUE_SOON_DAYS) -> QuerySet[Household]:
    """L6: active households of the user's scope due a follow-up visit from today to
    `within_days` days later, soonest first."""
    queryset = Household.objects.filter(
        status=HouseholdStatus.ACTIVE,
        next_visit_due__gte=today,
        next_visit_due__lte=today + dt.timedelta(days=within_days),
    )
    return _with_last_visit(scope_queryset(user, queryset).order_by("next_visit_due", "id"))


def checkins_due(user, *, today: dt.date, within_days: int = DUE_SOON_DAYS) -> QuerySet[Household]:
    """D3: households that left the ledger and are due (or late for) their 3-month check-in."""
    queryset = Household.objects.filter(
        status=HouseholdStatus.EXITED,
        checkin_due__lte=today + dt.timedelta(days=within_days),
    )
    return _with_last_visit(scope_queryset(user, queryset).order_by("checkin_due", "id"))
