"""工作日历 in the admin (F4): the city bureau enters next year's holidays and make-up days.

Only the city bureau may add, change or delete (its role's default model permissions); every
change is audited because it moves statutory deadlines (F1-F3) for the whole city.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView
from wagtail.admin.viewsets.base import ViewSetGroup

from .. import workdays
from ..actor import request_actor
from ..enums import AuditAction
from ..models import WorkdayOverride, WorkdayYear
from ..models.calendar import DAY_KIND_CHOICES
from ..services.events import event_record
from .base import BackOfficeViewSet

# A sanity range for typed dates: the ledger starts long after 2000.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class WorkdayOverrideForm(WagtailAdminModelForm):
    class Meta:
        model = WorkdayOverride
        fields = ["date", "is_workday", "name", "note"]
        widgets = {"is_workday": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_workday"].choices = DAY_KIND_CHOICES  # no empty "---------" radio

    def clean(self):
        cleaned = super().clean()
        day, workday = cleaned.get("date"), cleaned.get("is_workday")
        if day is None or workday is None:
            return cleaned
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.add_error("date", _("日期须在 2000 年至 2100 年之间。"))
            return cleaned
        # An entry that agrees with official data changes nothing; one that agrees with the
        # provisional estimate still makes that date official, so it is accepted.
        base = workdays.day_status(day, ignore_override=True)
        if base.is_workday == workday and not base.provisional:
            what = _("工作日") if workday else _("休息日")
            named = f"，{base.name}" if base.name else ""
            self.add_error(
                "is_workday",
                _("%(day)s（%(weekday)s%(named)s）按%(source)s本来就是%(what)s，无需录入。")
                % {
                    "day": day.isoformat(),
                    "weekday": workdays.weekday_name(day),
                    "named": named,
                    "source": base.source.label,
                    "what": what,
                },
            )
        return cleaned


class WorkdayYearForm(WagtailAdminModelForm):
    class Meta:
        model = WorkdayYear
        fields = ["year", "official", "note"]

    def clean_year(self):
        year = self.cleaned_data["year"]
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise forms.ValidationError(_("年份须在 2000 至 2100 之间。"))
        if workdays.has_builtin_schedule(year):
            raise forms.ValidationError(
                _("系统内置数据已包含 %(year)s 年国务院公布的放假安排，无需标记。") % {"year": year}
            )
        return year


def _year_choices() -> list[tuple[int, str]]:
    this_year = timezone.localdate().year
    years = {day.year for day in WorkdayOverride.objects.dates("date", "year")}
    years |= {this_year, this_year + 1}
    return [(year, f"{year} 年") for year in sorted(years, reverse=True)]


class WorkdayOverrideFilterSet(WagtailFilterSet):
    year = django_filters.TypedChoiceFilter(
        label=_("年份"), choices=_year_choices, coerce=int, field_name="date__year"
    )

    class Meta:
        model = WorkdayOverride
        fields = ["year", "is_workday"]


class AuditedCreateView(CreateView):
    def save_instance(self):
        instance = super().save_instance()
        event_record(actor=request_actor(self.request), action=AuditAction.CREATE, obj=instance)
        return instance


class AuditedEditView(EditView):
    def save_instance(self):
        instance = super().save_instance()
        event_record(
            actor=request_actor(self.request),
            action=AuditAction.UPDATE,
            obj=instance,
            detail={"fields": sorted(self.form.changed_data)},
        )
        return instance


class AuditedDeleteView(DeleteView):
    def delete_action(self):
        event_record(actor=request_actor(self.request), action=AuditAction.DELETE, obj=self.object)
        super().delete_action()


class WorkdayOverrideIndexView(IndexView):
    template_name = "backoffice/workdays/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["provisional_notices"] = provisional_notices()
        return context


def provisional_notices() -> list[str]:
    """Notices for this year, next year and any later year with entries that lack official data."""
    this_year = timezone.localdate().year
    years = {this_year, this_year + 1}
    later = WorkdayOverride.objects.filter(date__year__gt=this_year + 1)
    years |= {day.year for day in later.dates("date", "year")}
    return [workdays.provisional_notice(year) for year in workdays.provisional_years(years)]


class CalendarViewSet(BackOfficeViewSet):
    copy_view_enabled = False
    inspect_view_enabled = False
    add_view_class = AuditedCreateView
    edit_view_class = AuditedEditView
    delete_view_class = AuditedDeleteView
    form_class: type[WagtailAdminModelForm]
    search_backend_name = None

    def get_form_class(self, for_update=False):
        return self.form_class


class WorkdayOverrideViewSet(CalendarViewSet):
    model = WorkdayOverride
    form_class = WorkdayOverrideForm
    index_view_class = WorkdayOverrideIndexView
    icon = "date"
    menu_label = _("节假日与调休")
    list_display = [
        "date",
        Column("weekday", label=_("星期"), accessor=lambda o: workdays.weekday_name(o.date)),
        Column("is_workday", label=_("当天"), accessor="get_is_workday_display"),
        "name",
        "note",
        "updated_at",
    ]
    list_per_page = 100
    filterset_class = WorkdayOverrideFilterSet
    search_fields = ["name", "note"]
    ordering = ["date"]


class WorkdayYearViewSet(CalendarViewSet):
    model = WorkdayYear
    form_class = WorkdayYearForm
    icon = "calendar-check"
    menu_label = _("年度放假安排")
    list_display = [
        "year",
        Column("official", label=_("全年官方安排"), accessor=lambda o: _official_label(o)),
        "note",
        "updated_at",
    ]
    ordering = ["-year"]


def _official_label(year: WorkdayYear) -> str:
    return str(_("已录入") if year.official else _("未录入"))


workday_viewset = WorkdayOverrideViewSet("workdays")
workday_year_viewset = WorkdayYearViewSet("workday-years")


class WorkdayCalendarViewSetGroup(ViewSetGroup):
    """工作日历: the days that differ from the law, and the years entered in full (F4)."""

    menu_label = _("工作日历")
    menu_icon = "date"
    menu_order = 800
    items = (workday_viewset, workday_year_viewset)


workday_calendar_viewset_group = WorkdayCalendarViewSetGroup()
