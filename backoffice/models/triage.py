"""Triage of intake reports (issue 4): who works a report, the home-visit interview, the decision.

The public report itself lives in `intake`; the back office keeps its own side here, one row
per report, so that intake never depends on the ledger.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import VisitKind


class Triage(models.Model):
    report = models.OneToOneField(
        "intake.Report", on_delete=models.CASCADE, primary_key=True, related_name="triage"
    )
    agency = models.ForeignKey(
        "backoffice.Agency",
        verbose_name=_("社工机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("社工"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="triaged_reports",
    )
    assigned_at = models.DateTimeField(_("分派时间"), null=True, blank=True)
    household = models.ForeignKey(
        "backoffice.Household",
        verbose_name=_("纳入的家庭档案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="source_reports",
    )
    merged_into = models.ForeignKey(
        "intake.Report",
        verbose_name=_("合并到"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("处理说明"), blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("分派与研判")
        verbose_name_plural = _("分派与研判")
        permissions = [
            ("triage_report", _("分派、纳入、合并、退回或不予纳入群众反映")),
            ("record_visit", _("记录入户走访")),
            ("view_reporter", _("查看反映人身份")),
        ]

    def __str__(self) -> str:
        return f"{self.report_id}"


class Visit(models.Model):
    """A home visit: the intake interview (入户访谈, F1/F2) and later follow-ups (L6)."""

    kind = models.CharField(_("走访类型"), max_length=20, choices=VisitKind.choices)
    report = models.ForeignKey(
        "intake.Report", null=True, blank=True, on_delete=models.CASCADE, related_name="visits"
    )
    household = models.ForeignKey(
        "backoffice.Household",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="visits",
    )
    visited_on = models.DateField(_("走访日期"))
    visitors = models.CharField(_("走访人员"), max_length=200)
    findings = models.TextField(_("了解到的情况"))
    needs = models.TextField(_("当前需求"), blank=True)
    # L6: how the plan's measures are being carried out (per measure in MeasureProgress).
    measures_progress = models.TextField(_("帮扶措施落实情况"), blank=True)
    plan = models.ForeignKey(
        "backoffice.Plan",
        verbose_name=_("当时的帮扶计划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.visited_on:%Y-%m-%d}"
