"""Spot checks of ledger files (M2); the rules are in services/spotchecks.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..services.spotchecks import MAX_SAMPLE

YES_NO = [("yes", _("符合")), ("no", _("不符合"))]


class SpotCheckDrawForm(forms.Form):
    title = forms.CharField(
        label=_("抽查名称"),
        max_length=120,
        initial="",
        error_messages={
            "required": _("请填写抽查名称。"),
            "max_length": _("名称不能超过 120 个字。"),
        },
    )
    size = forms.IntegerField(
        label=_("抽取户数"),
        min_value=1,
        max_value=MAX_SAMPLE,
        initial=30,
        help_text=_("按街道（乡镇）和社工机构分层，按各层户数比例随机抽取。"),
        error_messages={
            "required": _("请填写抽取户数。"),
            "invalid": _("抽取户数应为整数。"),
            "min_value": _("抽取户数至少为 1。"),
            "max_value": _("抽取户数不能超过 %(limit_value)s。"),
        },
    )
    seed = forms.IntegerField(
        label=_("随机种子（可不填）"),
        required=False,
        min_value=0,
        max_value=10**12,
        help_text=_("不填则随机生成；填写上次抽查的种子，可在台账未变时复现同一批档案。"),
        error_messages={
            "invalid": _("随机种子应为非负整数。"),
            "min_value": _("随机种子应为非负整数。"),
            "max_value": _("随机种子过大。"),
        },
    )
    rectify_workdays = forms.IntegerField(
        label=_("整改期限（工作日）"),
        min_value=1,
        max_value=60,
        initial=10,
        error_messages={
            "required": _("请填写整改期限。"),
            "invalid": _("整改期限应为整数。"),
            "min_value": _("整改期限至少 1 个工作日。"),
            "max_value": _("整改期限不能超过 60 个工作日。"),
        },
    )


def _yes_no(label):
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择%(what)s是否符合要求。") % {"what": label},
            "invalid_choice": _("请选择符合或不符合。"),
        },
    )


class SpotCheckRecordForm(forms.Form):
    complete_ok = _yes_no(_("完整性（各类别台账项目齐全）"))
    accurate_ok = _yes_no(_("准确性（与证明材料一致）"))
    timely_ok = _yes_no(_("及时性（时限、回访、个案服务次数）"))
    findings = forms.CharField(
        label=_("发现的问题"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _("不能超过 2000 个字。")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class SpotCheckRectifyForm(forms.Form):
    rectification = forms.CharField(
        label=_("整改情况"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请写明整改情况。"), "max_length": _("不能超过 2000 个字。")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
