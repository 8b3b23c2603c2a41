"""Batch printing (issue 6): many household plans rendered as one PDF in the background.

A job belongs to the user who asked for it and only they see it (SECURITY B1); the households
it prints are those in that user's scope when it runs. The file is kept under
PRIVATE_MEDIA_ROOT (E1) and served only by the job's download view, as an attachment.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import OPEN_PRINT_JOB_STATUSES, PrintJobKind, PrintJobStatus


def _private_storage():
    from intake.uploads import private_storage

    return private_storage


class PrintJob(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.CASCADE,
        related_name="print_jobs",
    )
    kind = models.CharField(_("打印内容"), max_length=20, choices=PrintJobKind.choices)
    street = models.ForeignKey(
        "backoffice.Area",
        verbose_name=_("街道（乡镇）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scope_label = models.CharField(_("打印范围"), max_length=200)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=PrintJobStatus.choices,
        default=PrintJobStatus.QUEUED,
        db_index=True,
    )
    total = models.PositiveIntegerField(_("户数"), default=0)
    done = models.PositiveIntegerField(_("已完成户数"), default=0)
    pages = models.PositiveIntegerField(_("页数"), default=0)
    file = models.FileField(
        _("文件"), storage=_private_storage, upload_to="print-jobs/%Y/%m/", blank=True
    )
    error = models.CharField(_("失败原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("批量打印任务")
        verbose_name_plural = _("批量打印任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.scope_label}"

    @property
    def audit_label(self) -> str:
        return f"批量打印 {self.pk}（{self.scope_label}）"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PRINT_JOB_STATUSES

    @property
    def percent(self) -> int:
        if self.status == PrintJobStatus.DONE:
            return 100
        return round(100 * self.done / self.total) if self.total else 0
