"""A public report of hardship (F1) and what comes with it: consents (D4), attachments (E1)
and notifications sent through an outbox, so that nothing is lost when mail fails (G1).

The reporter's own identity is kept in columns apart from the subject's (B7). Identifiers are
encrypted with a blind index and a masked copy, like the ledger's (B3, D3).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.enums import Category, EntryRoute, Subtype

from .enums import (
    AttachmentKind,
    ConsentKind,
    NotificationStatus,
    ReporterType,
    ReportStatus,
    UrgencyReason,
)

AREA_MODEL = settings.INTAKE_AREA_MODEL


class Report(models.Model):
    # Indexes (PostgreSQL writes every one on each public report, P): no single-column index
    # where a composite below starts with the column, and no `_like` pattern index (nothing
    # here is searched with LIKE), so keys are unique constraints and Meta.indexes.
    reference = models.CharField(_("受理编号"), max_length=24)
    # G2: one submitted form makes one report, however often it is posted.
    form_token = models.UUIDField(unique=True, editable=False)
    # G2: a keyed hash of what the form said (services.content_digest), to tell the same form
    # posted again from one changed after it was sent, without a second copy of the data.
    # Read only through form_token, so no index; blank on reports filed before it existed.
    content_digest = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ReportStatus.choices,
        default=ReportStatus.RECEIVED,
    )
    # F1-F3: how the case came up and the day the clock starts (learned of it, approval
    # granted, or the survey's basic investigation completed).
    route = models.CharField(
        _("线索来源"), max_length=12, choices=EntryRoute.choices, default=EntryRoute.REPORT
    )
    learned_on = models.DateField(_("知悉日期"), default=timezone.localdate)
    urgent = models.BooleanField(_("紧急"), default=False)
    urgency_reasons = models.JSONField(_("紧急情形"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("状态更新时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    # The reporter (B7: kept apart from the subject, hidden from agencies).
    reporter_type = models.CharField(_("反映人身份"), max_length=24, choices=ReporterType.choices)
    reporter_name = models.CharField(_("反映人姓名"), max_length=40)
    reporter_phone_encrypted = models.TextField(blank=True)
    reporter_phone_masked = models.CharField(_("反映人电话"), max_length=16, blank=True)
    proxy_organisation = models.CharField(_("代理机构名称"), max_length=100, blank=True)
    entrustment_statement = models.TextField(_("委托说明"), blank=True)

    # The person concerned.
    subject_name = models.CharField(_("当事人姓名"), max_length=40)
    subject_id_encrypted = models.TextField(blank=True)
    subject_id_index = models.CharField(max_length=64, blank=True)
    subject_id_masked = models.CharField(_("当事人身份证号"), max_length=24, blank=True)
    subject_phone_encrypted = models.TextField(blank=True)
    subject_phone_index = models.CharField(max_length=64, blank=True)
    subject_phone_masked = models.CharField(_("当事人电话"), max_length=16, blank=True)
    subject_birth_date = models.DateField(_("当事人出生日期"), null=True, blank=True)
    subject_is_child = models.BooleanField(_("当事人未满 14 周岁"), default=False)
    district = models.ForeignKey(
        AREA_MODEL,
        verbose_name=_("区"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the queue indexes below start with it
    )
    street = models.ForeignKey(
        AREA_MODEL,
        verbose_name=_("街道（乡镇）"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    community = models.ForeignKey(
        AREA_MODEL,
        verbose_name=_("社区（村）"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    address = models.CharField(_("住址"), max_length=200)

    # The hardship.
    category = models.CharField(_("困难类别"), max_length=2, choices=Category.choices)
    subtype = models.CharField(_("细类"), max_length=24, choices=Subtype.choices)
    what_happened = models.TextField(_("困难情况"))
    help_needed = models.TextField(_("需要的帮助"))
    benefits_received = models.CharField(_("已享受的救助保障"), max_length=200, blank=True)

    # The jurisdiction scope of the back office reads these columns (SECURITY B1).
    scope_fields = {
        "district": "district_id",
        "street": "street_id",
        "community": "community_id",
        "assigned": "triage__worker_id",
    }

    class Meta:
        verbose_name = _("群众反映")
        verbose_name_plural = _("群众反映")
        ordering = ["-urgent", "submitted_at"]
        indexes = [
            models.Index(fields=["status", "-urgent", "submitted_at"]),
            # The triage queue's order (urgent first, then by the day the hardship became
            # known), per jurisdiction: a page of 50 is read off the index, not sorted (P).
            models.Index(fields=["-urgent", "learned_on", "id"], name="report_queue"),
            models.Index(
                fields=["district", "-urgent", "learned_on", "id"], name="report_district_queue"
            ),
            models.Index(
                fields=["street", "-urgent", "learned_on", "id"], name="report_street_queue"
            ),
            models.Index(fields=["street", "status"]),
            models.Index(fields=["district", "status"]),
            models.Index(fields=["community", "subject_name"]),
            # Duplicate candidates by blind index (triage).
            models.Index(fields=["subject_id_index"], name="report_subject_id"),
            models.Index(fields=["subject_phone_index"], name="report_subject_phone"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="report_reference_unique"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def audit_label(self) -> str:
        return f"{self.reference}（{self.subject_name[:1]}**）"

    @property
    def urgency_labels(self) -> list[str]:
        return [str(UrgencyReason(code).label) for code in self.urgency_reasons]


class ConsentRecord(models.Model):
    """D4: a consent given with a report, tied to the version of the notice that was shown."""

    # db_index: the unique (report, kind) below serves lookups by report.
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="consents", db_index=False
    )
    kind = models.CharField(_("同意事项"), max_length=24, choices=ConsentKind.choices)
    notice_version = models.CharField(_("告知书版本"), max_length=16)
    given_by = models.CharField(_("同意人"), max_length=40)
    given_at = models.DateTimeField(_("同意时间"), default=timezone.now)

    class Meta:
        verbose_name = _("同意记录")
        verbose_name_plural = _("同意记录")
        constraints = [
            models.UniqueConstraint(fields=["report", "kind"], name="unique_report_consent_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.notice_version}）"


def _private_storage():
    from .uploads import private_storage

    return private_storage


class Attachment(models.Model):
    """E1: a checked upload, stored outside the public media root, served only by a view."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("材料类型"), max_length=16, choices=AttachmentKind.choices)
    file = models.FileField(storage=_private_storage, upload_to="intake/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.original_name


class Notification(models.Model):
    """G1: an outbox row written in the report's transaction, delivered after commit, retried."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(
        max_length=12,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]  # the outbox's due rows

    def __str__(self) -> str:
        return f"{self.report} → {self.recipient}"


class FileDeletion(models.Model):
    """Issue 19: a stored file to delete, written in the transaction that drops what referred
    to it (an outbox, like Notification). The file goes once that transaction commits; while
    the store is down the row stays and is tried again, so no file outlives its row for good
    (D5: attachments of rejected reports, E2: roster files)."""

    storage = models.CharField(max_length=40)  # an alias of settings.STORAGES
    name = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("待删除文件")
        verbose_name_plural = _("待删除文件")
        indexes = [models.Index(fields=["next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.storage}:{self.name}"
