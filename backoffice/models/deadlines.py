"""M5: the date by which, in a year, every household's file must be complete (L1-L5) and have
a plan (L7), set by the city bureau; districts and streets follow their progress against it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FileDeadline(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    due_on = models.DateField(_("完成期限"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    set_at = models.DateTimeField(_("设定时间"), default=timezone.now)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_by_name = models.CharField(_("设定人"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("年度建档完成期限")
        verbose_name_plural = _("年度建档完成期限")
        ordering = ["-year"]
        default_permissions = ("view",)
        permissions = [("set_file_deadline", _("设定年度建档完成期限"))]

    def __str__(self) -> str:
        return f"{self.year} 年度建档完成期限 {self.due_on:%Y-%m-%d}"
