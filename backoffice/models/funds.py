"""M1: unit costs of the services a project buys, per project year (元 per unit)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import ServiceKind


class UnitCost(models.Model):
    project = models.ForeignKey(
        "backoffice.ServiceProject", on_delete=models.CASCADE, related_name="unit_costs"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("服务内容"), max_length=20, choices=ServiceKind.choices)
    amount = models.DecimalField(_("单价（元）"), max_digits=10, decimal_places=2)
    set_at = models.DateTimeField(_("设定时间"), default=timezone.now)
    set_by_name = models.CharField(_("设定人"), max_length=150, blank=True)

    scope_fields = {
        "district": "project__district_id",
        "street": "project__streets",
        "assigned": "project__agencies__staff__user_id",
    }

    class Meta:
        verbose_name = _("服务单价")
        verbose_name_plural = _("服务单价")
        ordering = ["project_id", "-year", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "year", "kind"], name="unique_unit_cost_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_kind_display()} {self.amount} 元"
