"""M5: the city bureau's form for the year's deadline; the rules are in services/deadlines.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .base import DATE_INVALID, DATE_WIDGET


class FileDeadlineForm(forms.Form):
    due_on = forms.DateField(
        label=_("完成期限"),
        widget=DATE_WIDGET,
        help_text=_("到这一天，每户档案都应填写完整并制定帮扶计划。"),
        error_messages={"required": _("请填写完成期限。"), "invalid": DATE_INVALID},
    )
    note = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=200,
        error_messages={"max_length": _("说明不能超过 200 个字。")},
    )
