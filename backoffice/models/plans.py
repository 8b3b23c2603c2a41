"""一户一策 (L7): the household plan, kept as versions, and how its measures are carried out.

A plan is never edited in place: every revision adds a new version with its own measures, so
earlier versions stay as they were written. Only the status of the current version's measures
moves afterwards, when a follow-up visit finds how they are being carried out (L6, U4); each
such change is kept in a `MeasureProgress` row of that visit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import MeasureStatus
from .ledger import HOUSEHOLD_SCOPE, Household, _through


class Plan(models.Model):
    """One version of a household's plan (帮扶计划): goals and measures."""

    household = models.ForeignKey(
        Household, verbose_name=_("家庭档案"), on_delete=models.CASCADE, related_name="plans"
    )
    number = models.PositiveIntegerField(_("版本"))
    goals = models.TextField(_("帮扶目标"))
    change_note = models.TextField(_("修订说明"), blank=True)
    # G3: bumped by a revision's check and by visits that move a measure's status.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("制定时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_name = models.CharField(_("制定人"), max_length=150, blank=True)

    scope_fields = _through("household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("帮扶计划")
        verbose_name_plural = _("帮扶计划")
        ordering = ["household_id", "-number"]
        constraints = [
            # G3: two revisions based on the same version cannot both become the next one.
            models.UniqueConstraint(fields=["household", "number"], name="unique_plan_version")
        ]

    def __str__(self) -> str:
        return f"帮扶计划 第 {self.number} 版"

    @property
    def audit_label(self) -> str:
        return f"{self.household.file_number} 帮扶计划 第 {self.number} 版"


class PlanMeasure(models.Model):
    """A measure of the plan: what is done, who is responsible, by when (L7, U4)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="measures")
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    content = models.CharField(_("帮扶措施"), max_length=300)
    responsible = models.CharField(_("责任部门或机构"), max_length=100)
    starts_on = models.DateField(_("开始日期"), null=True, blank=True)
    due_on = models.DateField(_("完成时限"))
    status = models.CharField(
        _("落实状态"), max_length=12, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED
    )

    scope_fields = _through("plan__household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("帮扶措施")
        verbose_name_plural = _("帮扶措施")
        ordering = ["plan_id", "position", "id"]

    def __str__(self) -> str:
        return self.content


class MeasureProgress(models.Model):
    """L6: how one measure was being carried out, as found at a follow-up visit."""

    visit = models.ForeignKey(
        "backoffice.Visit", on_delete=models.CASCADE, related_name="measure_progress"
    )
    measure = models.ForeignKey(PlanMeasure, on_delete=models.PROTECT, related_name="progress")
    status = models.CharField(_("落实状态"), max_length=12, choices=MeasureStatus.choices)
    note = models.CharField(_("落实情况"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("措施落实情况")
        verbose_name_plural = _("措施落实情况")
        ordering = ["measure__position", "id"]

    def __str__(self) -> str:
        return f"{self.measure}：{self.get_status_display()}"
