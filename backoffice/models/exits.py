"""D3, the exit mechanism (退出机制): a household or one member leaves the ledger, and may re-enter.

One row per exit. It names the review visit the decision rests on, and keeps the re-entry
that ends it, so the file shows every exit and return in order; nothing is deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import ExitReason
from .ledger import HOUSEHOLD_SCOPE, Household, Person, _through


class LedgerExit(models.Model):
    household = models.ForeignKey(
        Household, verbose_name=_("家庭档案"), on_delete=models.CASCADE, related_name="exits"
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("退出的成员"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="exits",
        help_text=_("空：整户退出。"),
    )
    reason = models.CharField(_("退出原因"), max_length=24, choices=ExitReason.choices)
    reason_text = models.CharField(_("原因说明"), max_length=500, blank=True)
    review_visit = models.ForeignKey(
        "backoffice.Visit",
        verbose_name=_("退出评估走访"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    exited_on = models.DateField(_("退出日期"))
    checkin_visit = models.ForeignKey(
        "backoffice.Visit",
        verbose_name=_("退出后回访"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_name = models.CharField(_("经办人"), max_length=150, blank=True)
    reentered_on = models.DateField(_("重新纳入日期"), null=True, blank=True)
    reentry_reason = models.TextField(_("重新纳入原因"), blank=True)
    reentered_by_name = models.CharField(_("重新纳入经办人"), max_length=150, blank=True)

    scope_fields = _through("household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("退出记录")
        verbose_name_plural = _("退出记录")
        ordering = ["-exited_on", "-id"]
        permissions = [("decide_exit", _("办理退出台账和重新纳入"))]

    def __str__(self) -> str:
        who = self.person.name if self.person_id else self.household.file_number
        return f"{who} 退出台账（{self.get_reason_display()}）"

    @property
    def reason_label(self) -> str:
        label = self.get_reason_display()
        return f"{label}：{self.reason_text}" if self.reason_text else label
