"""Data exchange (issue 15): a roster or department list brought into the ledger.

An import belongs to the user who uploaded it and only they see it (SECURITY B1); what it may
touch is that user's scope when it runs. The uploaded file, the rows read from it and the
workbook of bad rows live under PRIVATE_MEDIA_ROOT (E1, E2), are served only by the import's
own views, and are deleted once the import is applied, cancelled or expired.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import (
    KEPT_ROSTER_IMPORT_STATUSES,
    OPEN_ROSTER_IMPORT_STATUSES,
    RosterImportStatus,
    RosterKind,
)

# E2: an uploaded roster waits this long for its confirmation, then it and its rows are gone.
KEEP_HOURS = 72


def _private_storage():
    from intake.uploads import private_storage

    return private_storage


def _expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=KEEP_HOURS)


class RosterImport(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.CASCADE,
        related_name="roster_imports",
    )
    kind = models.CharField(_("名单类型"), max_length=20, choices=RosterKind.choices)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=RosterImportStatus.choices,
        default=RosterImportStatus.QUEUED,
        db_index=True,
    )
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("文件大小"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    upload = models.FileField(storage=_private_storage, upload_to="exchange/%Y/%m/", blank=True)
    # The rows as read from the upload, one JSON list a line: read once, checked twice.
    rows_file = models.FileField(storage=_private_storage, upload_to="exchange/%Y/%m/", blank=True)
    errors_file = models.FileField(
        storage=_private_storage, upload_to="exchange/%Y/%m/", blank=True
    )
    scope_label = models.CharField(_("辖区"), max_length=100, blank=True)
    rows = models.PositiveIntegerField(_("数据行数"), default=0)
    done = models.PositiveIntegerField(_("已处理行数"), default=0)
    totals = models.JSONField(_("比对结果"), default=dict, blank=True)
    preview = models.JSONField(default=dict, blank=True)
    result = models.JSONField(_("导入结果"), default=dict, blank=True)
    error = models.CharField(_("失败原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    checked_at = models.DateTimeField(_("校验完成时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    # Set by the one worker that applies the import (a task may be delivered twice).
    started_at = models.DateTimeField(_("开始写入时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), default=_expiry)

    class Meta:
        verbose_name = _("名单导入")
        verbose_name_plural = _("名单导入")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"])]
        permissions = [
            # D1, F2, F3: a station or district brings a sweep's roster or an approval list in.
            ("import_roster", _("导入摸排名册和社会救助审批名单")),
            # U12: a district matches another department's list against its ledger.
            ("import_department_list", _("导入部门名单并与台账比对")),
            # E3: a ledger listing leaves the system as a spreadsheet.
            ("export_records", _("导出台账数据")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.original_name}"

    @property
    def audit_label(self) -> str:
        return f"名单导入 {self.pk}（{self.get_kind_display()}）"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ROSTER_IMPORT_STATUSES

    @property
    def keeps_files(self) -> bool:
        return self.status in KEPT_ROSTER_IMPORT_STATUSES

    @property
    def percent(self) -> int:
        if self.status in (RosterImportStatus.PREVIEW, RosterImportStatus.APPLIED):
            return 100
        return min(100, round(100 * self.done / self.rows)) if self.rows else 0

    @property
    def error_count(self) -> int:
        return int(self.totals.get("error", 0))
