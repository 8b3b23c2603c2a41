"""The public search form (GET): every bad value gets a Chinese message, never a 500."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from .enums import PageKind

MAX_QUERY = 100


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("搜索关键词"),
        required=False,
        max_length=MAX_QUERY,
        error_messages={"max_length": _("关键词太长了，请不要超过 %(limit_value)d 个字。")},
    )
    type = forms.ChoiceField(
        label=_("类别"),
        required=False,
        choices=[("", _("全部类别")), *PageKind.choices],
        error_messages={"invalid_choice": _("没有这个类别，请从列表中选择。")},
    )
    year = forms.IntegerField(
        label=_("年份"),
        required=False,
        min_value=1990,
        max_value=2100,
        error_messages={
            "invalid": _("年份请填写四位数字，如 2026。"),
            "min_value": _("年份请填写四位数字，如 2026。"),
            "max_value": _("年份请填写四位数字，如 2026。"),
        },
    )
    # A page number out of range or mistyped shows the first page rather than an error.
    page = forms.CharField(required=False, max_length=8)

    def clean_q(self):
        return " ".join((self.cleaned_data.get("q") or "").replace("\x00", "").split())

    def clean_page(self):
        value = self.cleaned_data.get("page") or ""
        return min(int(value), 100) if value.isdigit() and int(value) > 0 else 1

    def query_string(self) -> str:
        """The current query without `page`, for the pagination links."""
        if not self.is_bound or not self.is_valid():
            return ""
        data = self.cleaned_data
        params = {"q": data["q"], "type": data["type"], "year": data["year"] or ""}
        return urlencode({k: v for k, v in params.items() if v})
