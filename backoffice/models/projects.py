"""M1, M2: purchased-service projects (政府购买服务项目). A district publishes a project (the
streets served, the period, the services bought, the budget), binds the agencies that deliver
it, and records its review (评审) and supervision visits (督导) with their findings."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import ProjectCheckKind, ProjectCheckResult


class ServiceProject(models.Model):
    district = models.ForeignKey(
        "backoffice.Area", verbose_name=_("区"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("项目名称"), max_length=120)
    streets = models.ManyToManyField(
        "backoffice.Area", verbose_name=_("服务街道（乡镇）"), related_name="service_projects"
    )
    agencies = models.ManyToManyField(
        "backoffice.Agency", verbose_name=_("承接机构"), related_name="projects", blank=True
    )
    starts_on = models.DateField(_("服务期开始"))
    ends_on = models.DateField(_("服务期结束"))
    # ServiceKind values: what the agencies deliver under this project.
    services = models.JSONField(_("购买服务内容"), default=list)
    budget = models.DecimalField(_("预算（元）"), max_digits=12, decimal_places=2)
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    created_by_name = models.CharField(_("登记人"), max_length=150, blank=True)
    version = models.PositiveIntegerField(default=1)

    # The district manages its projects; a station sees those serving its street; an agency's
    # people see the projects their agency delivers.
    scope_fields = {
        "district": "district_id",
        "street": "streets",
        "assigned": "agencies__staff__user_id",
    }

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="project_period_in_order",
                violation_error_message=_("服务期结束不能早于开始。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def budget_display(self) -> str:
        return f"{self.budget:,.2f}"

    @property
    def status_label(self) -> str:
        if self.published_on is None:
            return "未发布"
        today = timezone.localdate()
        if today < self.starts_on:
            return "已发布，尚未开始"
        if today > self.ends_on:
            return "已结束"
        return "服务期内"


class ProjectCheck(models.Model):
    """A review or a supervision visit of a project, with its findings and result."""

    project = models.ForeignKey(ServiceProject, on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField(_("类型"), max_length=16, choices=ProjectCheckKind.choices)
    held_on = models.DateField(_("日期"))
    agency = models.ForeignKey(
        "backoffice.Agency",
        verbose_name=_("涉及机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    findings = models.TextField(_("发现的问题与意见"))
    result = models.CharField(_("结论"), max_length=16, choices=ProjectCheckResult.choices)
    rectify_by = models.DateField(_("整改期限"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_name = models.CharField(_("记录人"), max_length=150, blank=True)

    scope_fields = {
        "district": "project__district_id",
        "street": "project__streets",
        "assigned": "project__agencies__staff__user_id",
    }

    class Meta:
        verbose_name = _("项目评审与督导")
        verbose_name_plural = _("项目评审与督导")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.project.name} {self.get_kind_display()} {self.held_on:%Y-%m-%d}"
