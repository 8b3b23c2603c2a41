"""Unit costs of a project's services (M1); the rules are in services/funds.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..enums import ServiceKind
from ..models import ServiceProject


class UnitCostForm(forms.Form):
    """One amount per service the project buys, for one project year."""

    year = forms.IntegerField(
        label=_("年度"),
        error_messages={"required": _("请填写年度。"), "invalid": _("年度应为四位数字。")},
    )

    def __init__(self, *args, project: ServiceProject, initial_costs=None, **kwargs):
        super().__init__(*args, **kwargs)
        initial_costs = initial_costs or {}
        for kind in project.services:
            self.fields[f"cost_{kind}"] = forms.DecimalField(
                label=_("%(kind)s单价（元）") % {"kind": ServiceKind(kind).label},
                max_digits=10,
                decimal_places=2,
                min_value=0,
                initial=initial_costs.get(kind),
                error_messages={
                    "required": _("请填写单价。"),
                    "invalid": _("单价应为金额，例如 120 或 120.50。"),
                    "min_value": _("单价不能为负数。"),
                    "max_digits": _("单价过大，请核对。"),
                    "max_decimal_places": _("单价最多保留两位小数。"),
                    "max_whole_digits": _("单价过大，请核对。"),
                },
            )

    def amounts(self) -> dict:
        return {
            name.removeprefix("cost_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("cost_")
        }
