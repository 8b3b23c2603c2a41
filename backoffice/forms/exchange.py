"""Forms of data exchange (issue 15): upload a roster, export a listing. The rules are in
services/exchange.py; these parse input. A bulk export asks for a fresh code (E3) through
ReverifyForm, checked last, so a refused form never spends the code."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..services.exchange import kinds_for
from .reauth import ReverifyForm

FORMATS = [("xlsx", _("Excel 工作簿（.xlsx）")), ("csv", _("CSV（UTF-8，Excel 可直接打开）"))]
REASON_MISSING = _("导出完整的身份证号和电话，请写明用途（至少 4 个字），将记入审计日志。")


class RosterUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("名单类型"), error_messages={"required": _("请选择名单类型。")}
    )
    file = forms.FileField(
        label=_("名单文件"),
        help_text=_("按模板填写的 .xlsx 工作簿或 .csv 文件，不超过 30 MB、200000 行。"),
        error_messages={"required": _("请选择要上传的文件。"), "empty": _("文件是空的。")},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args, actor, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("请选择")), *kinds_for(actor.user)]


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(
        label=_("文件格式"),
        choices=FORMATS,
        initial="xlsx",
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择文件格式。")},
    )
    reveal = forms.BooleanField(
        label=_("导出完整的身份证号和电话（默认只导出遮挡后的号码）"), required=False
    )
    reason = forms.CharField(label=_("用途"), max_length=200, required=False)

    def __init__(self, *args, actor, identifiers: bool, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)
        self.setup(identifiers)

    def setup(self, identifiers: bool) -> None:
        if not identifiers:  # B3: only with the reveal permission, where the listing has them
            del self.fields["reveal"]
            del self.fields["reason"]

    def clean(self):
        cleaned = self.cleaned_data
        if cleaned.get("reveal") and len((cleaned.get("reason") or "").strip()) < 4:
            self.add_error("reason", REASON_MISSING)
        return super().clean()


class ExportReverifyForm(ExportForm, ReverifyForm):
    """E3: more than a page of rows, or full numbers: the code from the phone again."""

    reverify_purpose = "export"

    def __init__(self, *args, actor, identifiers: bool, **kwargs):
        ReverifyForm.__init__(self, *args, actor=actor, **kwargs)
        self.setup(identifiers)
