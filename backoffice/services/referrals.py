"""Resource linking (资源链接, U1-U4): referrals to departments and organisations, followed up.

U1 eligible but not enrolled: to the street/township department, naming the benefit. U2 proxy
application: the committee or the agency applies and delivers the materials. U3 still in
difficulty: to government, social organisations or charities, one-to-one, many-to-one or by
crowdfunding. U4 supervision: regular contact with the departments responsible for a plan.

A referral is open while sent or acknowledged; past its due date it is overdue. The due date
defaults to DEFAULT_DUE_WORKDAYS working days after sending (F4 calendar): the notice sets no
period, and two working weeks is what stations give departments for feedback. Every change is
audited by field name (SECURITY C1, C3) and written on the household timeline (L7).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..actor import Actor
from ..children import child_record_check, persons_visible
from ..enums import (
    TARGET_TYPES_BY_KIND,
    AuditAction,
    BenefitType,
    HelpMode,
    HouseholdStatus,
    ProxyBy,
    ReferralKind,
    ReferralStatus,
    TimelineKind,
)
from ..models import Household, Person, Referral
from ..scope import scope_queryset, scope_require
from ..workdays import add_workdays
from .cases import CaseworkError, check_not_in_future
from .events import event_record

DEFAULT_DUE_WORKDAYS = 10
# Where a referral may go next; done and declined are final.
NEXT_STATUSES: dict[str, tuple[ReferralStatus, ...]] = {
    ReferralStatus.SENT: (
        ReferralStatus.ACKNOWLEDGED,
        ReferralStatus.DONE,
        ReferralStatus.DECLINED,
    ),
    ReferralStatus.ACKNOWLEDGED: (ReferralStatus.DONE, ReferralStatus.DECLINED),
}
FINAL_STATUSES = (ReferralStatus.DONE, ReferralStatus.DECLINED)
# The fields that only some kinds carry; the others are cleared.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    ReferralKind.ELIGIBLE_NOT_ENROLLED: ("benefit_type",),  # U1
    ReferralKind.PROXY_APPLICATION: ("benefit_type", "proxy_by", "materials"),  # U2
    ReferralKind.STILL_IN_DIFFICULTY: ("help_mode",),  # U3
    ReferralKind.SUPERVISION: (),  # U4
}
KIND_FIELD_MISSING = {
    "benefit_type": "请选择符合条件、需要申请的保障。",
    "proxy_by": "请选择代为申请的是村（居）委会还是社工机构。",
    "materials": "请列明代为准备并递交的申请材料。",
    "help_mode": "请选择帮扶方式：一对一、多对一或慈善众筹。",
}
KIND_FIELD_CHOICES = {
    "benefit_type": BenefitType.values,
    "proxy_by": ProxyBy.values,
    "help_mode": HelpMode.values,
}


def referral_default_due(sent_on: dt.date) -> dt.date:
    return add_workdays(sent_on, DEFAULT_DUE_WORKDAYS).date


def _kind_fields(kind: str, values: dict[str, str]) -> dict[str, str]:
    """The kind's own fields, each required; the fields of other kinds are cleared."""
    cleaned = {}
    for name, value in values.items():
        value = (value or "").strip()
        if name not in KIND_FIELDS[kind]:
            cleaned[name] = ""
            continue
        if not value:
            raise CaseworkError(KIND_FIELD_MISSING[name], field=name)
        if name in KIND_FIELD_CHOICES and value not in KIND_FIELD_CHOICES[name]:
            raise CaseworkError(KIND_FIELD_MISSING[name], field=name)
        cleaned[name] = value
    return cleaned


@transaction.atomic
def referral_create(
    *,
    household: Household,
    kind: str,
    target_type: str,
    target: str,
    description: str,
    actor: Actor,
    person: Person | None = None,
    sent_on: dt.date | None = None,
    due_on: dt.date | None = None,
    benefit_type: str = "",
    proxy_by: str = "",
    materials: str = "",
    help_mode: str = "",
) -> Referral:
    """Link a household or person to a department or organisation (U1-U4)."""
    scope_require(actor, household)
    if household.status != HouseholdStatus.ACTIVE:
        raise CaseworkError("该家庭已退出台账，不能新建资源链接。")
    if kind not in ReferralKind.values:
        raise CaseworkError("请选择链接类型。", field="kind")
    if person is not None and person.household_id != household.pk:
        raise CaseworkError("所选成员不属于该家庭。", field="person")
    child_record_check(actor, person)  # B4
    allowed = TARGET_TYPES_BY_KIND[kind]
    if target_type not in allowed:
        names = "、".join(str(t.label) for t in allowed)
        raise CaseworkError(
            f"“{ReferralKind(kind).label}”只能链接到：{names}。", field="target_type"
        )
    target = target.strip()
    if not target:
        raise CaseworkError("请填写对接的部门或组织名称。", field="target")
    description = description.strip()
    if not description:
        raise CaseworkError("请写明链接的事由。", field="description")
    extra = _kind_fields(
        kind,
        {
            "benefit_type": benefit_type,
            "proxy_by": proxy_by,
            "materials": materials,
            "help_mode": help_mode,
        },
    )
    sent_on = sent_on or timezone.localdate()
    check_not_in_future(sent_on, label="发送日期", field="sent_on")
    due_on = due_on or referral_default_due(sent_on)
    if due_on < sent_on:
        raise CaseworkError("反馈期限不能早于发送日期。", field="due_on")
    referral = Referral.objects.create(
        household=household,
        person=person,
        kind=kind,
        target_type=target_type,
        target=target,
        description=description,
        sent_on=sent_on,
        due_on=due_on,
        created_by=actor.user,
        **extra,
    )
    fields = ["kind", "target_type", "target", "description", "sent_on", "due_on"]
    fields += [name for name, value in extra.items() if value]
    if person is not None:
        fields.append("person")
    event_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=referral,
        detail={"fields": fields},
        household=household,
        timeline=TimelineKind.REFERRAL,
        summary=f"{referral.get_kind_display()} → {target}，{due_on:%Y-%m-%d} 前反馈",
    )
    return referral


@transaction.atomic
def referral_update_status(
    *,
    referral: Referral,
    status: str,
    actor: Actor,
    outcome: str = "",
    on: dt.date | None = None,
) -> Referral:
    """Record that the target acknowledged, completed or declined a referral. Done and declined
    need the outcome in words."""
    referral = Referral.objects.select_for_update().select_related("household").get(pk=referral.pk)
    scope_require(actor, referral.household)
    if not referral.is_open:
        raise CaseworkError(f"该资源链接{referral.get_status_display()}，不能再更改状态。")
    if status not in NEXT_STATUSES[referral.status]:
        raise CaseworkError(
            f"不能从“{referral.get_status_display()}”改为所选状态。", field="status"
        )
    on = on or timezone.localdate()
    check_not_in_future(on, label="办理日期", field="on")
    if on < referral.sent_on:
        raise CaseworkError(
            f"办理日期不能早于发送日期（{referral.sent_on:%Y-%m-%d}）。", field="on"
        )
    outcome = outcome.strip()
    if status in FINAL_STATUSES and not outcome:
        raise CaseworkError(
            "办结或被拒绝时，请填写办理结果（例如：已纳入低保，次月起发放；或拒绝的理由）。",
            field="outcome",
        )
    before = referral.get_status_display()
    referral.status = status
    fields = ["status"]
    if status == ReferralStatus.ACKNOWLEDGED:
        referral.acknowledged_on = on
        fields.append("acknowledged_on")
    else:
        referral.closed_on = on
        fields.append("closed_on")
    if outcome:
        referral.outcome = outcome
        fields.append("outcome")
    referral.save()
    event_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=referral,
        detail={"fields": fields},
        household=referral.household,
        timeline=TimelineKind.REFERRAL,
        summary=f"{referral.get_kind_display()} → {referral.target}："
        f"{before} → {referral.get_status_display()}",
    )
    return referral


# Reads -----------------------------------------------------------------------------------------


def referrals_for(user, *, today: dt.date) -> QuerySet:
    """The referral listing of `user`: scoped, each row with `is_overdue`."""
    return (
        persons_visible(user, scope_queryset(user, Referral.objects.all()), prefix="person__")
        .with_overdue(today)
        .select_related("household", "person")
    )


def referrals_waiting(user, *, today: dt.date) -> QuerySet:
    """My-work: open referrals in scope, overdue first, then by due date. Each row carries
    `is_overdue`."""
    return (
        persons_visible(user, scope_queryset(user, Referral.objects.open()), prefix="person__")
        .with_overdue(today)
        .select_related("household", "person")
        .order_by("-is_overdue", "due_on", "pk")
    )
