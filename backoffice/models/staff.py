from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import Role


def _private_storage():
    from intake.uploads import private_storage

    return private_storage


class Agency(models.Model):
    """A social-work agency (社工机构) that the bureau buys services from (M1, M3)."""

    name = models.CharField(_("机构名称"), max_length=100, unique=True)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, help_text=_("18 位，含校验码。")
    )
    district = models.ForeignKey(
        "backoffice.Area",
        verbose_name=_("服务区"),
        on_delete=models.PROTECT,
        related_name="agencies",
    )
    streets = models.ManyToManyField(
        "backoffice.Area", verbose_name=_("服务的街道（乡镇）"), blank=True, related_name="+"
    )
    contact_person = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=24, blank=True)

    # The district manages its agencies; a station sees those serving its street; a worker
    # sees their own agency.
    scope_fields = {"district": "district_id", "street": "streets", "assigned": "staff__user_id"}

    class Meta:
        verbose_name = _("社工机构")
        verbose_name_plural = _("社工机构")
        ordering = ["district_id", "name"]

    def __str__(self) -> str:
        return self.name


class ConfidentialityAgreement(models.Model):
    """M3 / SECURITY B6: the agreement an agency signs with the district bureau. While none is
    in force, the agency's people open no household."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="agreements")
    signed_on = models.DateField(_("签订日期"))
    expires_on = models.DateField(_("有效期至"))
    document = models.FileField(
        _("协议文本"), storage=_private_storage, upload_to="agreements/%Y/", blank=True
    )
    original_name = models.CharField(_("原文件名"), max_length=120, blank=True)
    uploaded_by_name = models.CharField(_("登记人"), max_length=150, blank=True)
    uploaded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    scope_fields = {
        "district": "agency__district_id",
        "street": "agency__streets",
        "assigned": "agency__staff__user_id",
    }

    class Meta:
        verbose_name = _("保密协议")
        verbose_name_plural = _("保密协议")
        ordering = ["-expires_on", "-id"]

    def __str__(self) -> str:
        return f"{self.agency}（{self.signed_on:%Y-%m-%d} 至 {self.expires_on:%Y-%m-%d}）"

    def in_force_on(self, day: dt.date) -> bool:
        return self.signed_on <= day <= self.expires_on


class WorkerPledge(models.Model):
    """M3: a worker's own pledge to keep what they see confidential, signed in the back office
    for the agency they work for."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="pledges")
    text_version = models.CharField(_("承诺书版本"), max_length=16)
    signature = models.CharField(_("签名"), max_length=40)
    signed_at = models.DateTimeField(_("签署时间"), default=timezone.now)

    class Meta:
        verbose_name = _("个人保密承诺")
        verbose_name_plural = _("个人保密承诺")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency"], name="one_pledge_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.signature}（{self.signed_at:%Y-%m-%d}）"


@dataclass(frozen=True)
class AgencyAccess:
    """Whether an agency worker may open households today (B6), and if not, why."""

    allowed: bool
    agreement: ConfidentialityAgreement | None = None  # the one in force, or the latest
    pledged: bool = False

    @property
    def reason(self) -> str:
        if self.allowed:
            return ""
        agreement = self.agreement
        if agreement is None:
            return "您所在的社工机构尚未与区民政局签订保密协议。"
        if agreement.expires_on < timezone.localdate():
            return f"您所在的社工机构的保密协议已于 {agreement.expires_on:%Y-%m-%d} 到期。"
        if agreement.signed_on > timezone.localdate():
            return f"您所在的社工机构的保密协议自 {agreement.signed_on:%Y-%m-%d} 起生效。"
        return "您尚未签署个人保密承诺。"


def agency_access(profile, *, today: dt.date | None = None) -> AgencyAccess:
    """B6, M3: an agency's people open households only while the agency's confidentiality
    agreement is in force and they have signed their own pledge. Kept on the profile for the
    day (the scope is asked many times per request)."""
    today = today or timezone.localdate()
    cached = profile.__dict__.get("_agency_access")
    if cached is not None and cached[0] == today:
        return cached[1]
    agreements = ConfidentialityAgreement.objects.filter(agency_id=profile.agency_id)
    in_force = agreements.filter(signed_on__lte=today, expires_on__gte=today).first()
    pledged = WorkerPledge.objects.filter(
        user_id=profile.user_id, agency_id=profile.agency_id
    ).exists()
    access = AgencyAccess(
        allowed=in_force is not None and pledged,
        agreement=in_force or agreements.first(),
        pledged=pledged,
    )
    profile.__dict__["_agency_access"] = (today, access)
    return access


class StaffProfile(models.Model):
    """Binds a user to one role and, where the role has one, a jurisdiction (an Area)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    area = models.ForeignKey(
        "backoffice.Area",
        verbose_name=_("管辖区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("所属机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )

    class Meta:
        verbose_name = _("工作人员角色")
        verbose_name_plural = _("工作人员角色")
        permissions = [("issue_otp_device", _("签发动态口令设备"))]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"
