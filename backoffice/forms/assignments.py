"""Assigning a household to a social worker, and ending it (M4); the rules are in
services/assignments.py."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from ..models import Household
from ..services.assignments import assignable_workers
from .base import ScopedChoicesMixin


class WorkerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        name = obj.get_full_name() or obj.get_username()
        return f"{name}（{obj.staff_profile.agency.name}）"


class AssignForm(ScopedChoicesMixin, forms.Form):
    worker = WorkerChoiceField(
        label=_("承接社工"),
        queryset=get_user_model().objects.none(),
        error_messages={
            "required": _("请选择承接的社工。"),
            "invalid_choice": _("所选社工不属于服务该区的社工机构。"),
        },
    )

    def __init__(self, *args, household: Household, actor, **kwargs):
        self.actor = actor
        super().__init__(*args, prefix="assign", **kwargs)
        self.fields["worker"].queryset = assignable_workers(household)


class AssignmentEndForm(forms.Form):
    reason = forms.CharField(
        label=_("结束原因"),
        max_length=200,
        min_length=2,
        error_messages={
            "required": _("请写明结束分派的原因。"),
            "min_length": _("请写明结束分派的原因。"),
        },
        widget=forms.TextInput(attrs={"placeholder": _("例如：社工离职，改由他人承接")}),
    )
