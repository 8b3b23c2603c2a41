"""Exit and re-entry forms (D3); the rules are in services/exits.py."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..children import persons_visible
from ..enums import ExitReason, HouseholdStatus
from ..models import Household, Person, Visit
from ..services.exits import exit_review_visits
from .base import DATE_INVALID, ScopedChoicesMixin

WHOLE_HOUSEHOLD = "household"


def _person_choice(person: Person) -> tuple[str, str]:
    return f"person:{person.pk}", f"成员：{person.name}（{person.get_relation_display()}）"


class TargetMixin:
    """Who the action is for: the whole household, or one member of it."""

    household: Household

    def target_person(self) -> Person | None:
        value = self.cleaned_data["target"]
        if value == WHOLE_HOUSEHOLD:
            return None
        return self.household.members.get(pk=int(value.split(":", 1)[1]))


class ReviewVisitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Visit) -> str:
        return f"{obj.visited_on:%Y-%m-%d} · {obj.visitors}：{obj.findings[:40]}"


class ExitForm(TargetMixin, ScopedChoicesMixin, forms.Form):
    target = forms.ChoiceField(label=_("退出对象"))
    reason = forms.ChoiceField(
        label=_("退出原因"),
        choices=ExitReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择退出原因。")},
    )
    reason_text = forms.CharField(
        label=_("原因说明"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("选择“其他”时必填。"),
    )
    review_visit = ReviewVisitField(
        label=_("依据的退出评估走访"),
        queryset=Visit.objects.none(),
        empty_label=None,
        error_messages={
            "required": _("请先记录退出评估走访，再办理退出。"),
            "invalid_choice": _("所选走访不能作为退出依据，请重新选择。"),
        },
    )
    exited_on = forms.DateField(
        label=_("退出日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("请填写退出日期。"), "invalid": DATE_INVALID},
    )

    def __init__(self, *args, household: Household, actor, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)
        self.household = household
        today = timezone.localdate()
        members = persons_visible(actor, household.members.filter(exited_on__isnull=True))
        self.fields["target"].choices = [(WHOLE_HOUSEHOLD, _("整户退出台账"))] + [
            _person_choice(p) for p in members
        ]
        self.fields["review_visit"].queryset = exit_review_visits(household, on=today)
        self.fields["exited_on"].initial = today

    def clean_exited_on(self):
        value = self.cleaned_data["exited_on"]
        if value > timezone.localdate():
            raise ValidationError(_("退出日期不能晚于今天。"))
        return value


class ReentryForm(TargetMixin, forms.Form):
    target = forms.ChoiceField(label=_("重新纳入对象"))
    reason = forms.CharField(
        label=_("重新纳入原因"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("例如：回访发现再次陷入困难、重新获批低保。"),
        error_messages={"required": _("请写明重新纳入的原因。")},
    )
    reentered_on = forms.DateField(
        label=_("重新纳入日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("请填写重新纳入日期。"), "invalid": DATE_INVALID},
    )

    def __init__(self, *args, household: Household, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.household = household
        if household.status == HouseholdStatus.EXITED:
            choices = [(WHOLE_HOUSEHOLD, _("整户重新纳入台账"))]
        else:
            members = persons_visible(actor, household.members.filter(exited_on__isnull=False))
            choices = [_person_choice(p) for p in members]
        self.fields["target"].choices = choices
        self.fields["reentered_on"].initial = timezone.localdate()

    @property
    def has_targets(self) -> bool:
        return bool(self.fields["target"].choices)
