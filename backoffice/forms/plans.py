"""The household plan form (L7): goals, and the measures as rows of a formset.

Forms check what was typed; what a revision means (versions, G3, audit, timeline) is decided
in services/plans.py. Rows left empty are ignored, so the form offers a few blank rows for new
measures without JavaScript.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..enums import MeasureStatus
from ..models import Plan
from ..services.plans import MAX_MEASURES, MeasureInput
from .base import DATE_INVALID

BLANK_ROWS = 3


class PlanForm(forms.Form):
    goals = forms.CharField(
        label=_("帮扶目标"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("写明这一户经过帮扶要达到的状态，例如：老人每日有人照料、按时就医。"),
        error_messages={"required": _("请填写帮扶目标。")},
    )
    change_note = forms.CharField(
        label=_("修订说明"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("修订时必填：为什么修改，例如回访发现新的需求。"),
    )
    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, current: Plan | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["based_on"].initial = current.number if current else 0
        self.fields["version"].initial = current.version if current else None
        if current is None:
            del self.fields["change_note"]
        else:
            self.fields["goals"].initial = current.goals


class MeasureForm(forms.Form):
    content = forms.CharField(label=_("帮扶措施"), max_length=300, required=False)
    responsible = forms.CharField(label=_("责任部门或机构"), max_length=100, required=False)
    starts_on = forms.DateField(
        label=_("开始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": DATE_INVALID},
    )
    due_on = forms.DateField(
        label=_("完成时限"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": DATE_INVALID},
    )
    status = forms.ChoiceField(
        label=_("落实状态"), choices=MeasureStatus.choices, initial=MeasureStatus.PLANNED
    )

    def clean(self):
        cleaned = super().clean()
        content = (cleaned.get("content") or "").strip()
        responsible = (cleaned.get("responsible") or "").strip()
        typed = responsible or cleaned.get("starts_on") or cleaned.get("due_on")
        if not content:
            if typed:
                self.add_error("content", _("请填写措施内容，或清空这一行。"))
            return cleaned
        if not responsible:
            self.add_error("responsible", _("请填写负责落实的部门或机构。"))
        if not cleaned.get("due_on") and "due_on" not in self.errors:
            self.add_error("due_on", _("请填写完成时限。"))
        starts, due = cleaned.get("starts_on"), cleaned.get("due_on")
        if starts and due and starts > due:
            self.add_error("due_on", _("完成时限不能早于开始日期。"))
        return cleaned

    def measure(self) -> MeasureInput | None:
        data = self.cleaned_data
        if not (data.get("content") or "").strip():
            return None
        return MeasureInput(
            content=data["content"],
            responsible=data.get("responsible") or "",
            starts_on=data.get("starts_on"),
            due_on=data.get("due_on"),
            status=data.get("status") or MeasureStatus.PLANNED,
        )


class BaseMeasureFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.measures():
            raise ValidationError(
                _("一户一策至少要有一项帮扶措施：写明措施内容、责任部门或机构和完成时限。")
            )

    def measures(self) -> list[MeasureInput]:
        return [m for m in (form.measure() for form in self.forms) if m is not None]


MeasureFormSet = forms.formset_factory(
    MeasureForm,
    formset=BaseMeasureFormSet,
    extra=BLANK_ROWS,
    max_num=MAX_MEASURES,
    validate_max=True,
)


def measure_formset(data=None, *, current: Plan | None):
    """The measures of the plan in force as rows to revise, and blank rows for new ones."""
    # A posted form is the whole new list: compared with no initial rows, every typed row counts
    # as changed and is validated, and rows left blank are skipped.
    initial = (
        [
            {
                "content": m.content,
                "responsible": m.responsible,
                "starts_on": m.starts_on,
                "due_on": m.due_on,
                "status": m.status,
            }
            for m in current.measures.all()
        ]
        if current and data is None
        else []
    )
    return MeasureFormSet(
        data,
        initial=initial,
        prefix="measures",
        error_messages={
            "too_many_forms": _("一份计划最多 %(max)d 项措施，请合并相近的措施。")
            % {"max": MAX_MEASURES},
            "missing_management_form": _("表单数据不完整，请重新打开页面后再保存。"),
        },
    )
