from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import Role


class Agency(models.Model):
    """A social-work agency (社工机构) that the bureau buys services from (M1, M3)."""

    name = models.CharField(_("机构名称"), max_length=100, unique=True)
    district = models.ForeignKey(
        "backoffice.Area",
        verbose_name=_("服务区"),
        on_delete=models.PROTECT,
        related_name="agencies",
    )
    # M3 / SECURITY B6: access depends on a valid confidentiality agreement.
    confidentiality_agreement_until = models.DateField(_("保密协议有效期至"), null=True, blank=True)

    class Meta:
        verbose_name = _("社工机构")
        verbose_name_plural = _("社工机构")

    def __str__(self) -> str:
        return self.name


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
