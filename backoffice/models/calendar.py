"""The editable layer of the working-day calendar (F4).

Staff add or correct days without a release: the State Council publishes next year's holiday
schedule each autumn, after the `chinese_calendar` package we ship was built. How these rows
combine with the built-in data is explained in `backoffice/workdays.py`.
"""

from django.db import models
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

DAY_KIND_CHOICES = [(True, _("上班")), (False, _("休息"))]


class WorkdayOverride(models.Model):
    """One day whose status differs from (or confirms) the built-in calendar; always wins."""

    date = models.DateField(
        _("日期"),
        unique=True,
        error_messages={"unique": _("这一天已有调整记录，请在列表中修改原记录，不要重复录入。")},
    )
    is_workday = models.BooleanField(_("当天"), choices=DAY_KIND_CHOICES)
    name = models.CharField(
        _("名称"), max_length=60, help_text=_("例如“2027 春节”“2027 春节调休上班”。")
    )
    note = models.CharField(
        _("依据或备注"),
        max_length=200,
        blank=True,
        help_text=_("例如国务院办公厅通知的文号。"),
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作日历调整")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}（{self.get_is_workday_display()}）"


class WorkdayYear(models.Model):
    """A year whose whole official schedule staff have entered as overrides.

    Marking a year official ends its "provisional" status: days without an override then follow
    the law (weekends and statutory holidays) without a warning.
    """

    year = models.PositiveSmallIntegerField(
        _("年份"),
        unique=True,
        error_messages={"unique": _("这一年份已有记录，请在列表中修改原记录。")},
    )
    official = models.BooleanField(
        _("全年官方安排已录入"),
        default=True,
        help_text=_("国务院公布的全年放假调休安排已全部录入为调整记录后再勾选。"),
    )
    note = models.CharField(
        _("通知文号或备注"),
        max_length=200,
        blank=True,
        help_text=_("例如“国办发明电〔2026〕×号”。"),
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("年度放假安排")
        verbose_name_plural = _("年度放假安排")
        ordering = ["-year"]

    def __str__(self) -> str:
        return _("%(year)s 年放假安排") % {"year": self.year}


def _calendar_changed(sender, **kwargs) -> None:
    # Cache invalidation only, no domain rule: every write path (admin, shell, fixtures) must
    # drop the per-process copy of these tables that `backoffice.workdays` keeps.
    from .. import workdays

    workdays.calendar_changed()


for _model in (WorkdayOverride, WorkdayYear):
    post_save.connect(_calendar_changed, sender=_model, dispatch_uid=f"workdays-{_model.__name__}")
    post_delete.connect(
        _calendar_changed, sender=_model, dispatch_uid=f"workdays-del-{_model.__name__}"
    )
