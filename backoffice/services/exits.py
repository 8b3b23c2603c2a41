"""D3, the exit mechanism: leaving the ledger after a review visit, and coming back.

D3: "after follow-up visits and information review, people no longer eligible or out of
hardship leave the ledger, with the reason; they can re-enter later". So an exit, of a whole
household or of one member, names a coded reason ("other" with a written one) and the
exit-review visit (退出评估走访) it rests on: a visit of this household made during its current
stay in the ledger and at most one follow-up period (3 months, L6) before the exit, since an
older visit no longer describes the household. The file stays readable; the follow-up clock
stops and a check-in visit is due 3 months after the exit. A re-entry keeps all history and
starts a new follow-up clock. Status changes are conditional updates, so two staff doing the
same at once cannot both succeed (G3/G4).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from ..actor import Actor
from ..enums import AuditAction, ExitReason, HouseholdStatus, TimelineKind, VisitKind
from ..models import Household, LedgerExit, Person, Visit
from ..rhythm import FOLLOW_UP_MONTHS, add_months, checkin_due, follow_up_due
from ..scope import scope_require
from .charity import ledger_snapshot, listings_close, listings_recheck
from .errors import RuleError
from .events import event_record
from .ledger import household_head_check, household_refresh_completeness
from .visits import household_active_since

MIN_REASON_LENGTH = 4


class ExitError(RuleError):
    """An exit or re-entry that cannot be made; the message says why."""


def exit_review_visits(household: Household, *, on: dt.date) -> QuerySet[Visit]:
    """The exit-review visits an exit on `on` may rest on (D3), latest first."""
    earliest = max(household_active_since(household), add_months(on, -FOLLOW_UP_MONTHS))
    return household.visits.filter(
        kind=VisitKind.EXIT_REVIEW, visited_on__gte=earliest, visited_on__lte=on
    ).order_by("-visited_on", "-id")


def _check_exit(
    household: Household,
    *,
    reason: str,
    reason_text: str,
    review_visit: Visit | None,
    exited_on: dt.date,
) -> str:
    if reason not in ExitReason.values:
        raise ExitError("请选择退出原因。", field="reason")
    reason_text = reason_text.strip()
    if reason == ExitReason.OTHER and len(reason_text) < MIN_REASON_LENGTH:
        raise ExitError("选择“其他”时，请写明具体的退出原因（至少 4 个字）。", field="reason_text")
    if exited_on > timezone.localdate():
        raise ExitError("退出日期不能晚于今天。", field="exited_on")
    if review_visit is None:
        raise ExitError(  # D3: an exit follows a follow-up visit and a check of the information
            "请先记录退出评估走访（经跟踪回访和信息核查后方可退出），再办理退出。",
            field="review_visit",
        )
    if not exit_review_visits(household, on=exited_on).filter(pk=review_visit.pk).exists():
        raise ExitError(
            "所选走访不能作为退出依据：须为本户在册期间、退出日期前 3 个月内的退出评估走访。",
            field="review_visit",
        )
    return reason_text


@transaction.atomic
def household_exit(
    *,
    household: Household,
    reason: str,
    reason_text: str = "",
    review_visit: Visit | None,
    exited_on: dt.date | None = None,
    actor: Actor,
) -> LedgerExit:
    """D3: the household leaves the ledger. Its file stays readable, the follow-up clock stops,
    and a check-in visit is due 3 months later."""
    scope_require(actor, household)
    exited_on = exited_on or timezone.localdate()
    reason_text = _check_exit(
        household,
        reason=reason,
        reason_text=reason_text,
        review_visit=review_visit,
        exited_on=exited_on,
    )
    due = checkin_due(exited_on)
    left = Household.objects.filter(pk=household.pk, status=HouseholdStatus.ACTIVE).update(
        status=HouseholdStatus.EXITED,
        exited_on=exited_on,
        next_visit_due=None,
        checkin_due=due,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if left != 1:
        raise ExitError("该家庭已退出台账，本次操作未执行。请刷新页面查看。")
    household.refresh_from_db()
    listings_close(actor=actor, household=household)  # U3: its charity listings close too
    # D1: the listings its members counted toward are counted again.
    listings_recheck(actor=actor, before=ledger_snapshot(household=household, exited=True))
    record = LedgerExit.objects.create(
        household=household,
        reason=reason,
        reason_text=reason_text,
        review_visit=review_visit,
        exited_on=exited_on,
        decided_by=actor.user if actor.is_authenticated else None,
        decided_by_name=actor.name,
    )
    event_record(
        actor=actor,
        action=AuditAction.EXIT,
        obj=household,
        detail={"reason": reason, "review_visit": review_visit.pk, "exit": record.pk},
        household=household,
        timeline=TimelineKind.EXIT,
        summary=f"整户退出台账：{record.reason_label}"
        f"（依据 {review_visit.visited_on:%Y-%m-%d} 退出评估走访）；"
        f"退出后回访 {due:%Y-%m-%d}",
    )
    return record


@transaction.atomic
def person_exit(
    *,
    person: Person,
    reason: str,
    reason_text: str = "",
    review_visit: Visit | None,
    exited_on: dt.date | None = None,
    actor: Actor,
) -> LedgerExit:
    """D3: one member leaves the ledger (for example deceased or moved away); the household
    stays. The member's record stays readable and no longer counts for completeness."""
    household = person.household
    scope_require(actor, household)
    if household.status != HouseholdStatus.ACTIVE:
        raise ExitError("该家庭已整户退出台账，无需为成员单独办理退出。")
    exited_on = exited_on or timezone.localdate()
    reason_text = _check_exit(
        household,
        reason=reason,
        reason_text=reason_text,
        review_visit=review_visit,
        exited_on=exited_on,
    )
    left = Person.objects.filter(pk=person.pk, exited_on__isnull=True).update(
        exited_on=exited_on, version=F("version") + 1, updated_at=timezone.now()
    )
    if left != 1:
        raise ExitError(f"成员 {person.name} 已退出台账，本次操作未执行。请刷新页面查看。")
    person.refresh_from_db()
    listings_close(actor=actor, household=household, person=person)  # U3
    listings_recheck(actor=actor, before=ledger_snapshot(persons=[person], exited=True))  # D1
    record = LedgerExit.objects.create(
        household=household,
        person=person,
        reason=reason,
        reason_text=reason_text,
        review_visit=review_visit,
        exited_on=exited_on,
        decided_by=actor.user if actor.is_authenticated else None,
        decided_by_name=actor.name,
    )
    household_refresh_completeness(household)
    event_record(
        actor=actor,
        action=AuditAction.EXIT,
        obj=person,
        detail={"reason": reason, "review_visit": review_visit.pk, "exit": record.pk},
        household=household,
        timeline=TimelineKind.EXIT,
        summary=f"成员 {person.name} 退出台账：{record.reason_label}",
    )
    return record


def _check_reentry(reason: str, reentered_on: dt.date, exited_on: dt.date | None) -> str:
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ExitError("请写明重新纳入的原因（至少 4 个字）。", field="reason")
    if reentered_on > timezone.localdate():
        raise ExitError("重新纳入日期不能晚于今天。", field="reentered_on")
    if exited_on and reentered_on < exited_on:
        raise ExitError(
            f"重新纳入日期不能早于退出日期（{exited_on:%Y-%m-%d}）。", field="reentered_on"
        )
    return reason


def _close_exit(
    record: LedgerExit | None, *, reentered_on: dt.date, reason: str, actor: Actor
) -> None:
    if record is not None:
        record.reentered_on = reentered_on
        record.reentry_reason = reason
        record.reentered_by_name = actor.name
        record.save(update_fields=["reentered_on", "reentry_reason", "reentered_by_name"])


@transaction.atomic
def household_reenter(
    *, household: Household, reason: str, reentered_on: dt.date | None = None, actor: Actor
) -> Household:
    """D3: a household that left comes back. Its history (plans, visits, needs, exits) is kept;
    a new follow-up clock starts on the day of re-entry (L6)."""
    scope_require(actor, household)
    reentered_on = reentered_on or timezone.localdate()
    reason = _check_reentry(reason, reentered_on, household.exited_on)
    due = follow_up_due(reentered_on)
    back = Household.objects.filter(pk=household.pk, status=HouseholdStatus.EXITED).update(
        status=HouseholdStatus.ACTIVE,
        exited_on=None,
        checkin_due=None,
        next_visit_due=due,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if back != 1:
        raise ExitError("该家庭在册，无需重新纳入。请刷新页面查看。")
    household.refresh_from_db()
    record = (
        LedgerExit.objects.filter(household=household, person__isnull=True)
        .filter(reentered_on__isnull=True)
        .order_by("-exited_on", "-id")
        .first()
    )
    _close_exit(record, reentered_on=reentered_on, reason=reason, actor=actor)
    event_record(
        actor=actor,
        action=AuditAction.REENTER,
        obj=household,
        detail={"fields": ["reason"], "exit": getattr(record, "pk", None)},
        household=household,
        timeline=TimelineKind.REENTRY,
        summary=f"重新纳入台账：{reason}；下次回访截止 {due:%Y-%m-%d}",
    )
    return household


@transaction.atomic
def person_reenter(
    *, person: Person, reason: str, reentered_on: dt.date | None = None, actor: Actor
) -> Person:
    """D3: a member who left comes back into the household's file."""
    household = person.household
    scope_require(actor, household)
    if household.status != HouseholdStatus.ACTIVE:
        raise ExitError("该家庭已整户退出台账，请先办理整户重新纳入。")
    # One head per household: a head who comes back while another head is on record must
    # first be given another relation.
    household_head_check(household=household, relation=person.relation, exclude_pk=person.pk)
    reentered_on = reentered_on or timezone.localdate()
    reason = _check_reentry(reason, reentered_on, person.exited_on)
    back = Person.objects.filter(pk=person.pk, exited_on__isnull=False).update(
        exited_on=None, version=F("version") + 1, updated_at=timezone.now()
    )
    if back != 1:
        raise ExitError(f"成员 {person.name} 在册，无需重新纳入。请刷新页面查看。")
    person.refresh_from_db()
    record = (
        LedgerExit.objects.filter(person=person, reentered_on__isnull=True)
        .order_by("-exited_on", "-id")
        .first()
    )
    _close_exit(record, reentered_on=reentered_on, reason=reason, actor=actor)
    household_refresh_completeness(household)
    event_record(
        actor=actor,
        action=AuditAction.REENTER,
        obj=person,
        detail={"fields": ["reason"], "exit": getattr(record, "pk", None)},
        household=household,
        timeline=TimelineKind.REENTRY,
        summary=f"成员 {person.name} 重新纳入台账：{reason}",
    )
    return person
