"""Case assistance (个案帮扶, U5-U10): open a case, record its sessions, close it.

A case serves one group (S1-S5) with that group's services only (U5-U9) and plans at least five
sessions; it is completed only once five sessions are on record (U10). A case that cannot go on
(the person moved, died, refused) is closed early in two steps: someone working the case asks
with a coded reason, and a supervisor (district or station staff holding
`confirm_case_closure`) other than the one who asked confirms or sends it back. Every step is
audited by field name (SECURITY C1, C3) and written on the household timeline (L7).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ..actor import Actor
from ..children import child_record_check, persons_visible
from ..enums import (
    SERVICE_TYPES_BY_GROUP,
    AuditAction,
    CaseCloseReason,
    CaseStatus,
    Category,
    ChangeDegree,
    HouseholdStatus,
    Role,
    ServiceType,
    TimelineKind,
)
from ..models import Case, CaseSession, Household, Person, PersonCategory, Referral
from ..models.casework import MIN_SESSIONS, TOO_FEW_PLANNED
from ..permissions import user_can_confirm_case_closure
from ..scope import scope_queryset, scope_require
from .errors import RuleError
from .events import event_record
from .ledger_edits import field_labels


class CaseworkError(RuleError):
    """A case or referral action that cannot be taken (message for the user, optional field)."""


def check_not_in_future(value: dt.date, *, label: str, field: str) -> None:
    if value > timezone.localdate():
        raise CaseworkError(f"{label}不能晚于今天。", field=field)


def case_workers(*, household: Household, user) -> QuerySet:
    """Who may run or serve a case of `household` (M4): the user themself, the social workers
    assigned to the household, and the staff of the station that serves its street."""
    station = Q(
        staff_profile__role=Role.STREET_STATION,
        staff_profile__area_id__in=(household.street_id, household.community_id),
    )
    serving = Q(assigned_households__household=household) | station
    if user is not None:
        serving |= Q(pk=user.pk)
    return get_user_model().objects.filter(serving).filter(is_active=True).distinct().order_by("pk")


def _check_worker(worker, *, household: Household, user, field: str = "worker") -> None:
    if not case_workers(household=household, user=user).filter(pk=worker.pk).exists():
        raise CaseworkError("所选社工未分派到该家庭，不能承担本个案的服务。", field=field)


def group_services_message(group: str) -> str:
    """U5-U9: which services a case of `group` may use, as a sentence for the user."""
    allowed = "、".join(str(code.label) for code in SERVICE_TYPES_BY_GROUP[group])
    return f"“{Category(group).label}”个案的服务类型只能是：{allowed}。"


def case_service_type_errors(*, group: str, service_types: Sequence[str]) -> str | None:
    """U5-U9: the message when a service type does not belong to the case's group."""
    if not service_types:
        return "请至少选择一项服务类型。"
    wrong = [code for code in service_types if code not in SERVICE_TYPES_BY_GROUP[group]]
    if not wrong:
        return None
    names = "、".join(str(ServiceType(code).label) for code in wrong if code in ServiceType)
    return group_services_message(group) + (f"不适用：{names}。" if names else "")


def _check_plan(
    *, group: str, service_types: Sequence[str], planned_sessions: int, goals: str
) -> None:
    """The plan of a case, when opened and when edited: services of its group, at least 5
    planned sessions (U10), written goals."""
    message = case_service_type_errors(group=group, service_types=service_types)
    if message:
        raise CaseworkError(message, field="service_types")
    if planned_sessions < MIN_SESSIONS:  # U10
        raise CaseworkError(TOO_FEW_PLANNED, field="planned_sessions")
    if not goals.strip():
        raise CaseworkError("请填写服务目标。", field="goals")


@transaction.atomic
def case_open(
    *,
    household: Household,
    group: str,
    service_types: Sequence[str],
    goals: str,
    planned_sessions: int,
    worker,
    actor: Actor,
    person: Person | None = None,
    opened_on: dt.date | None = None,
) -> Case:
    """Open a case for a person or a whole household of one group (U5-U10)."""
    user = actor.user
    scope_require(actor, household)
    opened_on = opened_on or timezone.localdate()
    if household.status != HouseholdStatus.ACTIVE:
        raise CaseworkError("该家庭已退出台账，不能新开个案。")
    if group not in SERVICE_TYPES_BY_GROUP:
        raise CaseworkError(  # U5-U9: the five groups S1-S5
            "个案帮扶适用于五类对象：社会救助对象、困境老年人、困境儿童、"
            "生活困难的重度残疾人、大病或重大变故致困人员。",
            field="group",
        )
    if person is not None and person.household_id != household.pk:
        raise CaseworkError("所选成员不属于该家庭。", field="person")
    child_record_check(actor, person)  # B4
    holders = PersonCategory.objects.filter(category=group, person__household=household)
    if person is not None:
        holders = holders.filter(person=person)
    if not holders.exists():
        who = person.name if person is not None else "该家庭成员"
        raise CaseworkError(
            f"{who}尚未认定为“{Category(group).label}”：请先在家庭档案中登记该类别，或改选类别。",
            field="group",
        )
    _check_plan(
        group=group, service_types=service_types, planned_sessions=planned_sessions, goals=goals
    )
    check_not_in_future(opened_on, label="开案日期", field="opened_on")
    _check_worker(worker, household=household, user=user)
    duplicate = Case.objects.open().filter(household=household, person=person, group=group).first()
    if duplicate is not None:
        raise CaseworkError(
            f"该对象已有进行中的同类个案（个案 {duplicate.pk}），请在原个案中记录服务。"
        )
    case = Case.objects.create(
        household=household,
        person=person,
        group=group,
        service_types=list(dict.fromkeys(service_types)),
        goals=goals.strip(),
        planned_sessions=planned_sessions,
        worker=worker,
        opened_on=opened_on,
        created_by=user,
    )
    event_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=case,
        detail={
            "fields": ["group", "service_types", "goals", "planned_sessions", "worker", "opened_on"]
            + (["person"] if person is not None else [])
        },
        household=household,
        timeline=TimelineKind.CASE,
        summary=f"开案（个案 {case.pk}）：{case.subject_name}·{case.get_group_display()}，"
        f"{case.service_type_labels()}，计划 {planned_sessions} 次",
    )
    return case


def _locked(case: Case, *, actor: Actor) -> Case:
    """The case row, locked for this transaction, if its household is in the actor's scope."""
    case = Case.objects.select_for_update().select_related("household").get(pk=case.pk)
    scope_require(actor, case.household)
    return case


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise CaseworkError(f"该个案已结束（{case.get_status_display()}），不能再办理。")


@transaction.atomic
def case_update(
    *,
    case: Case,
    service_types: Sequence[str],
    goals: str,
    planned_sessions: int,
    worker,
    actor: Actor,
) -> Case:
    """Change an open case's plan: its services, goals, planned sessions and worker (U5-U10).
    The group, the person and the opening date stay: they are what the case is."""
    case = _locked(case, actor=actor)
    _require_open(case)
    _check_plan(
        group=case.group,
        service_types=service_types,
        planned_sessions=planned_sessions,
        goals=goals,
    )
    _check_worker(worker, household=case.household, user=actor.user)
    values = {
        "service_types": list(dict.fromkeys(service_types)),
        "goals": goals.strip(),
        "planned_sessions": planned_sessions,
        "worker": worker,
    }
    changed = [name for name, value in values.items() if getattr(case, name) != value]
    if not changed:
        return case
    for name in changed:
        setattr(case, name, values[name])
    case.save(update_fields=changed)
    event_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=case,
        detail={"fields": changed},
        household=case.household,
        timeline=TimelineKind.CASE,
        summary=f"修改个案（个案 {case.pk}）：{field_labels(Case, changed)}",
    )
    return case


SESSION_REPLAY_WINDOW = dt.timedelta(minutes=10)


@transaction.atomic
def session_record(
    *,
    case: Case,
    held_on: dt.date,
    worker,
    content: str,
    change_degree: str,
    actor: Actor,
    goal_met: bool = False,
    plan_step: str = "",
    service_type: str = "",
) -> CaseSession:
    """U10: one service session with its content, the plan step it served, the degree of
    change and whether the goal was met."""
    case = _locked(case, actor=actor)
    _require_open(case)
    check_not_in_future(held_on, label="服务日期", field="held_on")
    if held_on < case.opened_on:
        raise CaseworkError(
            f"服务日期不能早于开案日期（{case.opened_on:%Y-%m-%d}）。", field="held_on"
        )
    if service_type and service_type not in case.service_types:
        raise CaseworkError(
            f"本个案的服务类型是：{case.service_type_labels()}，请从中选择。",
            field="service_type",
        )
    if not content.strip():
        raise CaseworkError("请填写本次服务的内容。", field="content")
    if change_degree not in ChangeDegree.values:
        raise CaseworkError("请选择变化程度。", field="change_degree")
    _check_worker(worker, household=case.household, user=actor.user)
    # A double click or a resent form must not count twice towards the 5 sessions (U10): the
    # same session from the same user a moment ago is that one. The case row is locked, so
    # two copies arriving together are decided one after the other.
    replayed = case.sessions.filter(
        held_on=held_on,
        worker=worker,
        content=content.strip(),
        change_degree=change_degree,
        recorded_by=actor.user,
        recorded_at__gte=timezone.now() - SESSION_REPLAY_WINDOW,
    ).first()
    if replayed is not None:
        return replayed
    session = CaseSession.objects.create(
        case=case,
        held_on=held_on,
        worker=worker,
        service_type=service_type,
        content=content.strip(),
        plan_step=plan_step.strip(),
        change_degree=change_degree,
        goal_met=goal_met,
        recorded_by=actor.user,
    )
    number = case.sessions.count()
    event_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=session,
        detail={
            "fields": ["held_on", "worker", "service_type", "content", "plan_step"]
            + ["change_degree", "goal_met"]
        },
        household=case.household,
        timeline=TimelineKind.SESSION,
        summary=f"个案 {case.pk} 第 {number} 次服务（{held_on:%Y-%m-%d}）："
        f"{session.get_change_degree_display()}{'，达成目标' if goal_met else ''}",
    )
    return session


@transaction.atomic
def case_complete(
    *, case: Case, outcome: str, goals_met: bool, actor: Actor, closed_on: dt.date | None = None
) -> Case:
    """Close a case as completed: refused with fewer than five sessions on record (U10)."""
    case = _locked(case, actor=actor)
    _require_open(case)
    count = case.sessions.count()
    if count < MIN_SESSIONS:
        raise CaseworkError(
            f"个案至少开展 {MIN_SESSIONS} 次服务才能结案，目前只记录了 {count} 次。"
            "如服务确实无法继续，请申请提前结案，由主管确认。"
        )
    if not outcome.strip():
        raise CaseworkError("请填写结案评估：服务成效和后续安排。", field="outcome")
    closed_on = closed_on or timezone.localdate()
    check_not_in_future(closed_on, label="结案日期", field="closed_on")
    last = case.sessions.order_by("-held_on").values_list("held_on", flat=True).first()
    if last and closed_on < last:
        raise CaseworkError(f"结案日期不能早于最后一次服务（{last:%Y-%m-%d}）。", field="closed_on")
    case.status = CaseStatus.COMPLETED
    case.outcome = outcome.strip()
    case.goals_met = goals_met
    case.closed_on = closed_on
    case.closed_by = actor.user
    # A pending request to close early is overtaken by the completion.
    case.close_reason, case.close_reason_text = "", ""
    case.closure_requested_by, case.closure_requested_at = None, None
    case.save()
    event_record(
        actor=actor,
        action=AuditAction.CLOSE,
        obj=case,
        detail={"fields": ["status", "outcome", "goals_met", "closed_on"]},
        household=case.household,
        timeline=TimelineKind.CASE,
        summary=f"个案 {case.pk} 结案：完成 {count} 次服务，"
        f"{'目标达成' if goals_met else '目标未完全达成'}",
    )
    return case


@transaction.atomic
def case_close_early_request(
    *, case: Case, reason: str, actor: Actor, reason_text: str = ""
) -> Case:
    """Step one of an early closure: a coded reason, waiting for a supervisor (U10)."""
    case = _locked(case, actor=actor)
    if case.status == CaseStatus.CLOSURE_REQUESTED:
        raise CaseworkError("该个案已申请提前结案，正在等待主管确认。")
    _require_open(case)
    if reason not in CaseCloseReason.values:
        raise CaseworkError("请选择提前结案的原因。", field="reason")
    reason_text = reason_text.strip()
    if reason == CaseCloseReason.OTHER and not reason_text:
        raise CaseworkError("原因为“其他”时，请写明具体原因。", field="reason_text")
    case.status = CaseStatus.CLOSURE_REQUESTED
    case.close_reason, case.close_reason_text = reason, reason_text
    case.closure_requested_by, case.closure_requested_at = actor.user, timezone.now()
    case.save()
    event_record(
        actor=actor,
        action=AuditAction.CLOSE_REQUEST,
        obj=case,
        detail={"fields": ["status", "close_reason", "close_reason_text"]},
        household=case.household,
        timeline=TimelineKind.CASE,
        summary=f"个案 {case.pk} 申请提前结案：{case.get_close_reason_display()}，待主管确认",
    )
    return case


def _locked_pending(case: Case, *, actor: Actor) -> Case:
    if not user_can_confirm_case_closure(actor.user):
        raise CaseworkError("只有街道（乡镇）服务站或区民政局的主管可以审核提前结案。")
    case = _locked(case, actor=actor)
    if case.status != CaseStatus.CLOSURE_REQUESTED:
        raise CaseworkError("该个案没有待确认的提前结案申请。")
    return case


@transaction.atomic
def case_close_early_confirm(*, case: Case, actor: Actor, note: str = "") -> Case:
    """Step two: a supervisor other than the one who asked confirms the early closure (U10)."""
    user = actor.user
    case = _locked_pending(case, actor=actor)
    if case.closure_requested_by_id == user.pk:
        raise CaseworkError("提前结案须由申请人以外的主管确认，不能确认自己提交的申请。")
    case.status = CaseStatus.CLOSED_EARLY
    case.closed_on = timezone.localdate()
    case.closed_by = user
    case.outcome = note.strip()
    case.save()
    event_record(
        actor=actor,
        action=AuditAction.CLOSE,
        obj=case,
        detail={"fields": ["status", "closed_on", "outcome"]},
        household=case.household,
        timeline=TimelineKind.CASE,
        summary=f"个案 {case.pk} 提前结案（{case.get_close_reason_display()}），"
        f"已服务 {case.sessions.count()} 次，主管 {actor.name} 确认",
    )
    return case


@transaction.atomic
def case_close_early_reject(*, case: Case, note: str, actor: Actor) -> Case:
    """A supervisor sends the request back; the case goes on."""
    case = _locked_pending(case, actor=actor)
    if not note.strip():
        raise CaseworkError("请写明退回的理由，便于社工继续服务。", field="note")
    case.status = CaseStatus.OPEN
    case.close_reason, case.close_reason_text = "", ""
    case.closure_requested_by, case.closure_requested_at = None, None
    case.save()
    event_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=case,
        detail={"fields": ["status", "close_reason", "close_reason_text"]},
        household=case.household,
        timeline=TimelineKind.CASE,
        summary=f"个案 {case.pk} 的提前结案申请被退回：{note.strip()[:80]}",
    )
    return case


# Reads -----------------------------------------------------------------------------------------


def cases_for(user) -> QuerySet:
    """The case ledger of `user` (U10): scoped, with the number of sessions on record; a
    child's case only with the child permission (B4)."""
    return (
        persons_visible(user, scope_queryset(user, Case.objects.all()), prefix="person__")
        .with_session_count()
        .select_related("household", "person", "worker")
    )


def cases_short_of_sessions(user) -> QuerySet:
    """My-work: open cases in scope with fewer sessions than planned (never fewer than 5, U10),
    oldest first. Each row carries `session_count`."""
    return (
        persons_visible(
            user, scope_queryset(user, Case.objects.short_of_sessions()), prefix="person__"
        )
        .select_related("household", "person", "worker")
        .order_by("opened_on", "pk")
    )


@dataclass(frozen=True)
class CaseStart:
    """Where a case may be opened on a household page: a member and one of their groups."""

    person: Person
    group: str

    @property
    def group_label(self) -> str:
        return str(Category(self.group).label)


@dataclass(frozen=True)
class HouseholdCasework:
    cases: list[Case]
    referrals: list[Referral]
    case_starts: list[CaseStart]


def household_casework(household: Household, *, today: dt.date) -> HouseholdCasework:
    """The case and resource-linking sections of the household file (L7)."""
    cases = list(
        household.cases.with_session_count().select_related("person").order_by("-opened_on")
    )
    referrals = list(
        household.referrals.with_overdue(today).select_related("person").order_by("-sent_on")
    )
    held = (
        PersonCategory.objects.filter(
            person__household=household, category__in=list(SERVICE_TYPES_BY_GROUP)
        )
        .select_related("person")
        .order_by("person_id", "category")
    )
    starts = list(dict.fromkeys(CaseStart(person=c.person, group=c.category) for c in held))
    return HouseholdCasework(cases=cases, referrals=referrals, case_starts=starts)
