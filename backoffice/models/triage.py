"""Triage of intake reports (issue 4): who works a report, the home-visit interview, the decision.

The public report itself lives in `intake`; the back office keeps its own side here, one row
per report, so that intake never depends on the ledger.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import HandoverKind, HandoverStatus, Relation, VisitKind
from .ledger import HOUSEHOLD_SCOPE, _through


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

    # Seen through the household it belongs to, or (an intake interview before the file is
    # opened) through its report.
    scope_fields = (
        _through("household", HOUSEHOLD_SCOPE),
        {
            "district": "report__district_id",
            "street": "report__street_id",
            "community": "report__community_id",
            "assigned": "report__triage__worker_id",
        },
    )

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.visited_on:%Y-%m-%d}"


def _area(verbose: str, related_name: str = "+"):
    return models.ForeignKey(
        "backoffice.Area", verbose_name=verbose, on_delete=models.PROTECT, related_name=related_name
    )


class Handover(models.Model):
    """B8: a report, or a new member, whose person is already filed in another jurisdiction.

    The station that met the person cannot open that file, so it never writes into it: the
    matter goes to the jurisdiction that holds the file, which takes it up under its own
    deadline. The sender sees the handover and its outcome, never the file; the receiver sees
    what was sent and works its own file.
    """

    kind = models.CharField(_("移交事项"), max_length=12, choices=HandoverKind.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=HandoverStatus.choices, default=HandoverStatus.OPEN
    )
    report = models.ForeignKey(
        "intake.Report",
        verbose_name=_("群众反映"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handovers",
    )
    # The person as filed by the receiver; never shown to the sender.
    person = models.ForeignKey(
        "backoffice.Person", on_delete=models.PROTECT, related_name="handovers"
    )
    # MEMBER: the sender's household the person was to join, and as what.
    from_household = models.ForeignKey(
        "backoffice.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    relation = models.CharField(
        _("与户主关系"), max_length=12, choices=Relation.choices, blank=True
    )
    from_district = _area(_("移交方所在区"))
    from_street = _area(_("移交方街道（乡镇）"))
    from_community = _area(_("移交方社区（村）"))
    to_district = _area(_("接收方所在区"))
    to_street = _area(_("接收方街道（乡镇）"))
    to_community = _area(_("接收方社区（村）"))
    note = models.TextField(_("移交说明"), blank=True)
    created_at = models.DateTimeField(_("移交时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_name = models.CharField(_("移交人"), max_length=150, blank=True)
    due_on = models.DateField(_("接收方办理期限"))
    decided_at = models.DateTimeField(_("办理时间"), null=True, blank=True)
    decided_by_name = models.CharField(_("办理人"), max_length=150, blank=True)
    decision_note = models.TextField(_("办理说明"), blank=True)

    # Both sides see it: the receiver by where the file is, the sender by where it came from.
    scope_fields = (
        {"district": "to_district_id", "street": "to_street_id", "community": "to_community_id"},
        {
            "district": "from_district_id",
            "street": "from_street_id",
            "community": "from_community_id",
        },
    )

    class Meta:
        verbose_name = _("跨辖区移交")
        verbose_name_plural = _("跨辖区移交")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["to_street", "status"], name="handover_to_street"),
            models.Index(fields=["to_district", "status"], name="handover_to_district"),
            models.Index(fields=["from_street", "status"], name="handover_from_street"),
            models.Index(fields=["from_district", "status"], name="handover_from_district"),
        ]

    def __str__(self) -> str:
        return f"移交 {self.pk}（{self.get_kind_display()}）"

    @property
    def is_open(self) -> bool:
        return self.status == HandoverStatus.OPEN
