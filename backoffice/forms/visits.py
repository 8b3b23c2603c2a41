"""The follow-up visit form (L6): time, living situation, each measure's progress, current needs.

One row per measure of the plan in force and per open need of the household, built when the
form is made; the rules (dates, clock, what a visit must record) are in services/visits.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..children import child_view_of_households, persons_visible
from ..enums import (
    ACTIVE_VISIT_KINDS,
    HouseholdStatus,
    MeasureStatus,
    NeedStatus,
    NeedType,
    VisitKind,
)
from ..models import Household, Need, Plan, PlanMeasure
from ..services.visits import MeasureUpdate, NewNeed
from .base import DATE_INVALID

NEW_NEED_ROWS = 2


@dataclass(frozen=True)
class MeasureRow:
    measure: PlanMeasure
    status: forms.BoundField
    note: forms.BoundField


@dataclass(frozen=True)
class NeedRow:
    need: Need
    status: forms.BoundField


@dataclass(frozen=True)
class NewNeedRow:
    need_type: forms.BoundField
    person: forms.BoundField
    description: forms.BoundField


class FollowUpVisitForm(forms.Form):
    kind = forms.ChoiceField(label=_("走访类型"))
    visited_on = forms.DateField(
        label=_("走访日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("请填写走访日期。"), "invalid": DATE_INVALID},
    )
    visitors = forms.CharField(
        label=_("走访人员"),
        max_length=200,
        error_messages={"required": _("请填写参加走访的人员。")},
    )
    findings = forms.CharField(
        label=_("当前生活状况"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("居住、收入、健康、照料等方面的现状，与上次走访相比的变化。"),
        error_messages={"required": _("请记录当前生活状况。")},  # L6
    )
    measures_progress = forms.CharField(
        label=_("帮扶措施总体落实情况"),
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    needs = forms.CharField(
        label=_("当前需求（补充说明）"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, household: Household, plan: Plan | None, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.household = household
        self.child_view = child_view_of_households(actor, [household.pk])  # B4
        if household.status == HouseholdStatus.EXITED:
            kinds = [VisitKind.EXIT_CHECKIN]
        else:
            kinds = list(ACTIVE_VISIT_KINDS)
        self.fields["kind"].choices = [(k.value, k.label) for k in kinds]
        self.fields["kind"].error_messages["invalid_choice"] = _("该家庭不能记录这种走访。")
        self.fields["visited_on"].initial = timezone.localdate()
        self.measures = list(plan.measures.all()) if plan else []
        for measure in self.measures:
            self.fields[f"measure_{measure.pk}_status"] = forms.ChoiceField(
                label=_("落实状态"),
                choices=MeasureStatus.choices,
                initial=measure.status,
                required=False,  # not sent: unchanged
            )
            self.fields[f"measure_{measure.pk}_note"] = forms.CharField(
                label=_("落实情况"), max_length=500, required=False
            )
        self.open_needs = list(
            household.needs.filter(status__in=(NeedStatus.OPEN, NeedStatus.IN_PROGRESS))
            .select_related("person")
            .order_by("recorded_on", "id")
        )
        for need in self.open_needs:
            self.fields[f"need_{need.pk}_status"] = forms.ChoiceField(
                label=_("目前状态"), choices=NeedStatus.choices, initial=need.status, required=False
            )
        current = household.members.filter(exited_on__isnull=True)
        members = [("", _("（全户）"))] + [
            (str(p.pk), p.name) for p in persons_visible(actor, current)
        ]
        for row in range(1, NEW_NEED_ROWS + 1):
            self.fields[f"new_need_{row}_type"] = forms.ChoiceField(
                label=_("新需求类型"),
                choices=[("", "---------"), *NeedType.choices],
                required=False,
            )
            self.fields[f"new_need_{row}_person"] = forms.ChoiceField(
                label=_("涉及成员"), choices=members, required=False
            )
            self.fields[f"new_need_{row}_description"] = forms.CharField(
                label=_("需求描述"), max_length=500, required=False
            )

    def clean_visited_on(self):
        value = self.cleaned_data["visited_on"]
        if value > timezone.localdate():
            raise ValidationError(_("走访日期不能晚于今天。"))
        return value

    def clean(self):
        cleaned = super().clean()
        for row in range(1, NEW_NEED_ROWS + 1):
            if cleaned.get(f"new_need_{row}_description") and not cleaned.get(
                f"new_need_{row}_type"
            ):
                self.add_error(f"new_need_{row}_type", _("请选择新需求的类型。"))
        return cleaned

    # Rows for the template -------------------------------------------------------------------

    def measure_rows(self) -> list[MeasureRow]:
        return [
            MeasureRow(m, self[f"measure_{m.pk}_status"], self[f"measure_{m.pk}_note"])
            for m in self.measures
        ]

    def need_rows(self) -> list[NeedRow]:
        return [NeedRow(n, self[f"need_{n.pk}_status"]) for n in self.open_needs]

    def new_need_rows(self) -> list[NewNeedRow]:
        return [
            NewNeedRow(
                self[f"new_need_{row}_type"],
                self[f"new_need_{row}_person"],
                self[f"new_need_{row}_description"],
            )
            for row in range(1, NEW_NEED_ROWS + 1)
        ]

    # Values for the service -------------------------------------------------------------------

    def measure_updates(self) -> list[MeasureUpdate]:
        data = self.cleaned_data
        return [
            MeasureUpdate(
                measure_id=m.pk,
                status=data.get(f"measure_{m.pk}_status") or m.status,
                note=data.get(f"measure_{m.pk}_note") or "",
            )
            for m in self.measures
        ]

    def need_updates(self) -> dict[int, str]:
        data = self.cleaned_data
        return {n.pk: data.get(f"need_{n.pk}_status") or n.status for n in self.open_needs}

    def new_needs(self) -> list[NewNeed]:
        data = self.cleaned_data
        found = []
        for row in range(1, NEW_NEED_ROWS + 1):
            need_type = data.get(f"new_need_{row}_type")
            if not need_type:
                continue
            person = data.get(f"new_need_{row}_person")
            found.append(
                NewNeed(
                    need_type=need_type,
                    description=data.get(f"new_need_{row}_description") or "",
                    person_id=int(person) if person else None,
                )
            )
        return found
