"""M2: the district spot-checks (抽查) ledger files for completeness, accuracy and timeliness.
A check draws a reproducible sample (seeded, stratified by street and agency); each file drawn
gets findings and, when something is wrong, a rectification deadline in working days; the
station or agency rectifies and the district rechecks."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import SpotCheckStatus
from .ledger import HOUSEHOLD_SCOPE, _through


class SpotCheck(models.Model):
    district = models.ForeignKey(
        "backoffice.Area", verbose_name=_("区"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("抽查名称"), max_length=120)
    drawn_at = models.DateTimeField(_("抽取时间"), default=timezone.now)
    seed = models.BigIntegerField(_("随机种子"))
    size = models.PositiveIntegerField(_("抽取户数"))
    population = models.PositiveIntegerField(_("在册户数"))
    rectify_workdays = models.PositiveSmallIntegerField(_("整改期限（工作日）"), default=10)
    drawn_by_name = models.CharField(_("抽取人"), max_length=150, blank=True)

    scope_fields = {"district": "district_id"}

    class Meta:
        verbose_name = _("台账抽查")
        verbose_name_plural = _("台账抽查")
        ordering = ["-drawn_at"]
        default_permissions = ("view", "add")
        permissions = [("check_files", _("抽查台账档案并复查整改"))]

    def __str__(self) -> str:
        return self.title


class SpotCheckItem(models.Model):
    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="items")
    household = models.ForeignKey(
        "backoffice.Household",
        verbose_name=_("家庭档案"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The stratum the file was drawn from, as it was at the draw.
    street = models.ForeignKey(
        "backoffice.Area",
        verbose_name=_("街道（乡镇）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    agency = models.ForeignKey(
        "backoffice.Agency",
        verbose_name=_("社工机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=SpotCheckStatus.choices, default=SpotCheckStatus.PENDING
    )
    complete_ok = models.BooleanField(_("完整"), null=True)
    accurate_ok = models.BooleanField(_("准确"), null=True)
    timely_ok = models.BooleanField(_("及时"), null=True)
    findings = models.TextField(_("发现的问题"), blank=True)
    checked_on = models.DateField(_("检查日期"), null=True, blank=True)
    checked_by_name = models.CharField(_("检查人"), max_length=150, blank=True)
    rectify_by = models.DateField(_("整改期限"), null=True, blank=True)
    rectification = models.TextField(_("整改情况"), blank=True)
    rectified_on = models.DateField(_("整改日期"), null=True, blank=True)
    rectified_by_name = models.CharField(_("整改人"), max_length=150, blank=True)
    rechecks = models.PositiveSmallIntegerField(_("复查次数"), default=0)
    version = models.PositiveIntegerField(default=1)

    # The district sees its checks; the station and the agency worker see the findings on the
    # files they keep, and rectify them.
    scope_fields = _through("household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("抽查档案")
        verbose_name_plural = _("抽查档案")
        ordering = ["spot_check_id", "street_id", "id"]
        default_permissions = ("view", "change")
        constraints = [
            models.UniqueConstraint(
                fields=["spot_check", "household"], name="unique_spot_check_household"
            )
        ]

    def __str__(self) -> str:
        return f"{self.spot_check.title} {self.household.file_number}"

    @property
    def audit_label(self) -> str:
        return f"抽查 {self.household.file_number}"
