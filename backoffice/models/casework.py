"""Using the ledger (台账使用): case assistance (U5-U10) and resource linking (U1-U4).

Both belong to one household file (L7) and are scoped through it (SECURITY B1). The rules of
what may be recorded live in `services/cases.py` and `services/referrals.py`.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, ExpressionWrapper, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import (
    CASE_GROUPS,
    OPEN_CASE_STATUSES,
    OPEN_REFERRAL_STATUSES,
    BenefitType,
    CaseCloseReason,
    CaseStatus,
    ChangeDegree,
    HelpMode,
    ProxyBy,
    ReferralKind,
    ReferralStatus,
    ReferralTargetType,
    ServiceType,
)
from .ledger import HOUSEHOLD_SCOPE, _through

# U10: every case has at least five service sessions.
MIN_SESSIONS = 5
TOO_FEW_PLANNED = (
    f"每个个案至少开展 {MIN_SESSIONS} 次服务，计划服务次数不能少于 {MIN_SESSIONS} 次。"
)


class CaseQuerySet(models.QuerySet):
    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN_CASE_STATUSES)

    def with_session_count(self) -> CaseQuerySet:
        if "session_count" in self.query.annotations:
            return self
        return self.annotate(session_count=Count("sessions", distinct=True))

    def short_of_sessions(self) -> CaseQuerySet:
        """U10: open cases with fewer sessions recorded than planned, and never fewer than 5."""
        return (
            self.open()
            .with_session_count()
            .filter(session_count__lt=Greatest("planned_sessions", Value(MIN_SESSIONS)))
        )


class Case(models.Model):
    """个案帮扶: services for one person or a whole household of one group (U5-U10)."""

    household = models.ForeignKey(
        "backoffice.Household",
        verbose_name=_("家庭档案"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    person = models.ForeignKey(
        "backoffice.Person",
        verbose_name=_("服务对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    group = models.CharField(_("帮扶对象类别"), max_length=2, choices=CASE_GROUPS, db_index=True)
    service_types = models.JSONField(_("服务类型"), default=list)
    goals = models.TextField(_("服务目标"))
    planned_sessions = models.PositiveSmallIntegerField(
        _("计划服务次数"),
        default=MIN_SESSIONS,
        validators=[MinValueValidator(MIN_SESSIONS, message=TOO_FEW_PLANNED)],
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责社工"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    opened_on = models.DateField(_("开案日期"), default=timezone.localdate)
    status = models.CharField(
        _("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN, db_index=True
    )
    close_reason = models.CharField(
        _("提前结案原因"), max_length=12, choices=CaseCloseReason.choices, blank=True
    )
    close_reason_text = models.CharField(_("原因说明"), max_length=200, blank=True)
    closure_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closure_requested_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结案人（确认人）"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    goals_met = models.BooleanField(_("目标是否达成"), null=True, blank=True)
    outcome = models.TextField(_("结案评估"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()
    scope_fields = _through("household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("个案")
        verbose_name_plural = _("个案帮扶台账")
        ordering = ["-opened_on", "-id"]
        permissions = [("confirm_case_closure", _("确认个案提前结案"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_sessions__gte=MIN_SESSIONS),
                name="case_planned_sessions_at_least_5",
                violation_error_message=TOO_FEW_PLANNED,
            )
        ]
        indexes = [
            models.Index(fields=["worker", "status"]),
            models.Index(fields=["household", "status"]),
        ]

    def __str__(self) -> str:
        return f"个案 {self.pk}（{self.get_group_display()}）"

    @property
    def audit_label(self) -> str:
        return f"个案 {self.pk}（档案 {self.household.file_number}）"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATUSES

    def service_type_labels(self) -> str:
        return "、".join(str(ServiceType(code).label) for code in self.service_types)

    @property
    def subject_name(self) -> str:
        return self.person.name if self.person_id else "全户"


class CaseSession(models.Model):
    """One service session of a case (U10): when, who, what, which plan step, what changed."""

    case = models.ForeignKey(
        Case, verbose_name=_("个案"), on_delete=models.PROTECT, related_name="sessions"
    )
    held_on = models.DateField(_("服务日期"))
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("服务社工"),
        on_delete=models.PROTECT,
        related_name="case_sessions",
    )
    service_type = models.CharField(
        _("服务类型"), max_length=32, choices=ServiceType.choices, blank=True
    )
    content = models.TextField(_("服务内容"))
    plan_step = models.CharField(_("对应帮扶计划步骤"), max_length=200, blank=True)
    change_degree = models.CharField(_("变化程度"), max_length=8, choices=ChangeDegree.choices)
    goal_met = models.BooleanField(_("是否达成目标"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    scope_fields = _through("case__household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("个案服务记录")
        verbose_name_plural = _("个案服务记录")
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.get_change_degree_display()}"

    @property
    def audit_label(self) -> str:
        return f"个案 {self.case_id} 服务记录（{self.held_on:%Y-%m-%d}）"


class ReferralQuerySet(models.QuerySet):
    def open(self) -> ReferralQuerySet:
        return self.filter(status__in=OPEN_REFERRAL_STATUSES)

    def overdue(self, today: dt.date) -> ReferralQuerySet:
        return self.open().filter(due_on__lt=today)

    def with_overdue(self, today: dt.date) -> ReferralQuerySet:
        """Annotate `is_overdue`: still open and past its due date."""
        return self.annotate(
            is_overdue=ExpressionWrapper(
                Q(status__in=OPEN_REFERRAL_STATUSES, due_on__lt=today),
                output_field=models.BooleanField(),
            )
        )


class Referral(models.Model):
    """资源链接: a household or person linked to a department or organisation (U1-U4)."""

    household = models.ForeignKey(
        "backoffice.Household",
        verbose_name=_("家庭档案"),
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    person = models.ForeignKey(
        "backoffice.Person",
        verbose_name=_("涉及成员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    kind = models.CharField(_("链接类型"), max_length=24, choices=ReferralKind.choices)
    target_type = models.CharField(
        _("对接方类型"), max_length=24, choices=ReferralTargetType.choices
    )
    target = models.CharField(_("对接部门或组织"), max_length=100)
    benefit_type = models.CharField(
        _("涉及的保障"), max_length=24, choices=BenefitType.choices, blank=True
    )
    proxy_by = models.CharField(_("代理申请人"), max_length=12, choices=ProxyBy.choices, blank=True)
    materials = models.TextField(_("已递交材料"), blank=True)
    help_mode = models.CharField(_("帮扶方式"), max_length=16, choices=HelpMode.choices, blank=True)
    description = models.TextField(_("事由"))
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ReferralStatus.choices,
        default=ReferralStatus.SENT,
        db_index=True,
    )
    sent_on = models.DateField(_("发送日期"), default=timezone.localdate)
    due_on = models.DateField(_("反馈期限"))
    acknowledged_on = models.DateField(_("接收日期"), null=True, blank=True)
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    outcome = models.TextField(_("办理结果"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReferralQuerySet.as_manager()
    scope_fields = _through("household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("资源链接")
        verbose_name_plural = _("资源链接")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["household", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.target}"

    @property
    def audit_label(self) -> str:
        return f"资源链接 {self.pk}（档案 {self.household.file_number}）"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFERRAL_STATUSES

    def is_overdue_on(self, today: dt.date) -> bool:
        return self.is_open and self.due_on < today
