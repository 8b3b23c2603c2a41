"""Issue 16 (U11, P4): monthly statistics snapshots.

A snapshot freezes, for one month, the counts the statistics page shows (area by area for the
city, its districts and their streets) and the month's flows (households entered, exited and
re-entered, community by community), so that a report for October reads the same in December
and the trends read months that no longer change. The data is a JSON document written once by
`services/snapshots.py`; it holds counts only, never a person.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StatisticsSnapshot(models.Model):
    month = models.DateField(_("统计月份"), unique=True, help_text=_("该月的第一天。"))
    taken_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    taken_by_name = models.CharField(_("生成人"), max_length=150, blank=True)
    # How many times the month was taken again (--replace, or the button's "重新生成").
    replaced = models.PositiveSmallIntegerField(_("重新生成次数"), default=0)
    data = models.JSONField(_("冻结的数据"), default=dict)
    # {area code: {entered, exited, reentered, households, persons}}: what the trends read,
    # small enough to load for two years of months (the data above is read one month at a time).
    summary = models.JSONField(_("各区划摘要"), default=dict)

    class Meta:
        verbose_name = _("统计快照")
        verbose_name_plural = _("统计快照")
        ordering = ["-month"]
        permissions = [
            ("take_statistics_snapshot", _("生成月度统计快照")),
            ("release_statistics", _("由统计快照生成公开发布稿")),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y年%-m月}统计快照"

    @property
    def label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"
