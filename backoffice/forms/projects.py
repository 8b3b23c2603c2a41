"""Purchased-service projects and their reviews and supervision visits (M1, M2); the rules are
in services/projects.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..enums import AreaLevel, ProjectCheckKind, ProjectCheckResult, ServiceKind
from ..models import Agency, Area, ServiceProject
from ..services.projects import ProjectData
from .base import DATE_INVALID, DATE_WIDGET, ScopedChoicesMixin
from .ledger import LedgerForm, VersionedFormMixin


class ProjectForm(VersionedFormMixin, LedgerForm):
    services = forms.MultipleChoiceField(
        label=_("购买服务内容"),
        choices=ServiceKind.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("请至少选择一项购买服务内容。"),
            "invalid_choice": _("所选服务内容不存在。"),
        },
    )

    class Meta:
        model = ServiceProject
        fields = ["district", "name", "streets", "agencies", "starts_on", "ends_on", "budget"]
        widgets = {
            "streets": forms.CheckboxSelectMultiple,
            "agencies": forms.CheckboxSelectMultiple,
            "starts_on": DATE_WIDGET,
            "ends_on": DATE_WIDGET,
        }
        error_messages = {
            "district": {
                "required": _("请选择项目所属的区。"),
                "invalid_choice": _("所选区不在您的辖区内。"),
            },
            "name": {"required": _("请填写项目名称。")},
            "streets": {
                "required": _("请至少选择一个服务街道（乡镇）。"),
                "invalid_choice": _("所选街道不在您的辖区内。"),
                "invalid_pk_value": _("所选街道不存在。"),
            },
            "agencies": {
                "invalid_choice": _("所选机构不在您的辖区内。"),
                "invalid_pk_value": _("所选机构不存在。"),
            },
            "starts_on": {"required": _("请填写服务期开始日期。"), "invalid": DATE_INVALID},
            "ends_on": {"required": _("请填写服务期结束日期。"), "invalid": DATE_INVALID},
            "budget": {
                "required": _("请填写预算。"),
                "invalid": _("预算应为金额，例如 360000 或 360000.50。"),
                "max_digits": _("预算金额过大，请核对。"),
                "max_decimal_places": _("预算最多保留两位小数。"),
                "max_whole_digits": _("预算金额过大，请核对。"),
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = Area.objects.filter(level=AreaLevel.DISTRICT)
        self.fields["streets"].queryset = Area.objects.filter(level=AreaLevel.STREET)
        self.fields["agencies"].queryset = Agency.objects.all()
        self.fields["agencies"].required = False
        self.fields["agencies"].help_text = _("发布前至少确定一家承接机构。")
        if self.instance.pk:
            self.initial.setdefault("services", self.instance.services)
            self.add_version_field()

    def project_data(self) -> ProjectData:
        data = self.cleaned_data
        return ProjectData(
            district=data["district"],
            name=data["name"],
            streets=list(data["streets"]),
            agencies=list(data.get("agencies") or []),
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            services=list(data["services"]),
            budget=data["budget"],
        )


class ProjectCheckForm(ScopedChoicesMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=ProjectCheckKind.choices,
        error_messages={
            "required": _("请选择评审或督导。"),
            "invalid_choice": _("请选择评审或督导。"),
        },
    )
    held_on = forms.DateField(
        label=_("日期"),
        widget=DATE_WIDGET,
        error_messages={"required": _("请填写日期。"), "invalid": DATE_INVALID},
    )
    agency = forms.ModelChoiceField(
        label=_("涉及机构"),
        queryset=Agency.objects.none(),
        required=False,
        empty_label=_("（整个项目）"),
        error_messages={"invalid_choice": _("所选机构不是该项目的承接机构。")},
    )
    findings = forms.CharField(
        label=_("发现的问题与意见"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        error_messages={
            "required": _("请填写发现的问题与意见。"),
            "max_length": _("不能超过 2000 个字。"),
        },
    )
    result = forms.ChoiceField(
        label=_("结论"),
        choices=ProjectCheckResult.choices,
        error_messages={"required": _("请选择结论。"), "invalid_choice": _("请选择结论。")},
    )
    rectify_by = forms.DateField(
        label=_("整改期限"),
        widget=DATE_WIDGET,
        required=False,
        help_text=_("结论为限期整改时填写；不填则为 20 个工作日后。"),
        error_messages={"invalid": DATE_INVALID},
    )

    def __init__(self, *args, project: ServiceProject, actor, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = project.agencies.all()
