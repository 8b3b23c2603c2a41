"""Agencies, their confidentiality agreements and the workers' pledges (M3); the rules are in
services/agencies.py."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from intake.uploads import UploadError, clean_upload

from ..enums import AreaLevel
from ..models import Agency, Area
from ..validators import normalize_credit_code
from .base import DATE_INVALID, DATE_WIDGET
from .ledger import LedgerForm


class AgencyForm(LedgerForm):
    class Meta:
        model = Agency
        fields = ["name", "credit_code", "district", "streets", "contact_person", "contact_phone"]
        widgets = {"streets": forms.CheckboxSelectMultiple}
        error_messages = {
            "name": {
                "required": _("请填写机构名称。"),
                "unique": _("已有同名的社工机构。"),
            },
            "district": {
                "required": _("请选择服务区。"),
                "invalid_choice": _("所选区不在您的辖区内。"),
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = Area.objects.filter(level=AreaLevel.DISTRICT)
        self.fields["streets"].queryset = Area.objects.filter(level=AreaLevel.STREET)
        self.fields["streets"].required = False
        self.fields["credit_code"].required = True
        self.fields["credit_code"].error_messages["required"] = _("请填写统一社会信用代码。")

    def clean_credit_code(self):
        try:
            return normalize_credit_code(self.cleaned_data.get("credit_code", ""))
        except ValidationError as error:
            raise ValidationError(error.messages[0]) from None

    def clean(self):
        cleaned = super().clean()
        district, streets = cleaned.get("district"), cleaned.get("streets") or []
        outside = [s.name for s in streets if district and s.district_id != district.pk]
        if outside:
            self.add_error("streets", _("所选街道不在服务区内：%(s)s") % {"s": "、".join(outside)})
        return cleaned


class AgreementForm(forms.Form):
    signed_on = forms.DateField(
        label=_("签订日期"),
        widget=DATE_WIDGET,
        error_messages={"required": _("请填写签订日期。"), "invalid": DATE_INVALID},
    )
    expires_on = forms.DateField(
        label=_("有效期至"),
        widget=DATE_WIDGET,
        error_messages={"required": _("请填写有效期。"), "invalid": DATE_INVALID},
    )
    document = forms.FileField(
        label=_("协议文本（PDF 或扫描件）"),
        required=False,
        help_text=_("PDF、JPG 或 PNG，不超过 10 MB；只保存在内部，按权限下载。"),
    )

    def clean_document(self):
        uploaded = self.cleaned_data.get("document")
        if not uploaded:
            return None
        try:
            return clean_upload(uploaded)
        except UploadError as error:
            raise ValidationError(str(error)) from None


class PledgeForm(forms.Form):
    agree = forms.BooleanField(
        label=_("我已阅读并承诺遵守以上保密要求"),
        error_messages={"required": _("请勾选确认后再签署。")},
    )
    signature = forms.CharField(
        label=_("签名（输入您的姓名）"),
        max_length=40,
        error_messages={"required": _("请输入您的姓名作为签名。")},
    )
