from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..audit_display import local_time, object_kind, role_label
from ..enums import AuditAction, AuditOutcome, Channel


class AppendOnlyError(RuntimeError):
    """SECURITY C2: audit entries are never changed or removed."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能修改。")

    def delete(self):
        raise AppendOnlyError("审计日志只能追加，不能删除。")

    def for_object(self, *, object_type: str, object_id: str) -> "AuditQuerySet":
        return self.filter(object_type=object_type, object_id=str(object_id))


class AuditEvent(models.Model):
    """SECURITY C1: one row per security-relevant event. Holds field names, never values.

    The actor is stored by id and name, not as a foreign key, so that removing a user never
    needs to touch (update) the audit table.
    """

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(_("用户ID"), null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("用户名"), max_length=150, blank=True, db_index=True)
    actor_role = models.CharField(_("角色"), max_length=32, blank=True)
    channel = models.CharField(
        _("途径"), max_length=12, choices=Channel.choices, default=Channel.WEB, blank=True
    )
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=24, choices=AuditAction.choices, db_index=True)
    outcome = models.CharField(
        _("结果"), max_length=12, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS
    )
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    object_label = models.CharField(_("对象"), max_length=200, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.get_at_display()} {self.actor_username} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("审计日志只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能删除。")

    # Issue 13: the log stores UTC and codes; staff read Beijing time and Chinese labels
    # (Wagtail's listing and detail pages use these get_<field>_display methods).
    def get_at_display(self) -> str:
        return local_time(self.at)

    def get_actor_role_display(self) -> str:
        return role_label(self.actor_role)

    def get_object_type_display(self) -> str:
        return object_kind(self.object_type)
