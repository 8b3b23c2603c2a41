"""Forms of case assistance (U5-U10) and resource linking (U1-U4).

Forms parse what was typed and show messages in Chinese; the rules (which services a group may
use, at least five sessions, who may confirm a closure, what a referral of each kind needs)
live in services/cases.py and services/referrals.py, whose refusals `add_rule_error` puts next
to the field they concern.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import (
    CASE_GROUPS,
    SERVICE_TYPES_BY_GROUP,
    CaseCloseReason,
    Category,
    ChangeDegree,
    ReferralKind,
    ReferralStatus,
    ServiceType,
)
from ..models import Case, Household, Person, Referral
from ..models.casework import MIN_SESSIONS
from ..services.cases import case_workers, group_services_message
from ..services.referrals import DEFAULT_DUE_WORKDAYS, NEXT_STATUSES
from .base import DATE_INVALID, DATE_WIDGET, ScopedChoicesMixin
from .ledger import LedgerForm, ScopedHouseholdField

# A date picker without JavaScript; it only accepts ISO values.


def _worker_label(user) -> str:
    return user.get_full_name() or user.get_username()


def _group_help() -> str:
    lines = [
        f"{Category(group).label}：{'、'.join(str(t.label) for t in types)}"
        for group, types in SERVICE_TYPES_BY_GROUP.items()
    ]
    return "各类对象可选的服务——" + "；".join(lines) + "。"  # U5-U9


def _offer_group_services(field, group: str) -> None:
    """Only the service types of the case's group (U10), with the group's own refusal."""
    field.choices = [(t.value, t.label) for t in SERVICE_TYPES_BY_GROUP[group]]
    field.error_messages["invalid_choice"] = group_services_message(group)


def _offer_workers(field, *, household, user) -> None:
    """The social workers assigned to the household, as the user may see them."""
    field.queryset = case_workers(household=household, user=user)
    field.label_from_instance = _worker_label


class HouseholdBoundMixin:
    """A record added from a household page: the household comes as a hidden, scoped id and
    decides which members (and workers) can be chosen."""

    def add_household_field(self, message: str) -> Household | None:
        self.fields["household"] = ScopedHouseholdField(
            user=self.for_user, error_messages={"required": message}
        )
        raw = self.data.get(self.add_prefix("household")) or self.initial.get("household")
        try:
            household = self.fields["household"].clean(raw)
        except ValidationError:
            household = None
        # B8: without a household in scope there is nobody to choose (never "all persons").
        members = household.members.all() if household else Person.objects.none()
        self.fields["person"].queryset = members
        self.fields["person"].required = False
        self.fields["person"].error_messages["invalid_choice"] = _("所选成员不属于该家庭。")
        return household


class CaseOpenForm(HouseholdBoundMixin, LedgerForm):
    service_types = forms.MultipleChoiceField(
        label=_("服务类型"),
        choices=ServiceType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("请至少选择一项服务类型。"),
            "invalid_choice": _("所选服务类型不存在。"),
        },
    )

    class Meta:
        model = Case
        fields = ["person", "group", "goals", "planned_sessions", "worker", "opened_on"]
        widgets = {"opened_on": DATE_WIDGET, "goals": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "group": {"required": _("请选择帮扶对象类别。")},
            "goals": {"required": _("请填写服务目标。")},
            "planned_sessions": {
                "required": _("请填写计划服务次数。"),
                "invalid": _("计划服务次数请填写整数。"),
            },
            "worker": {"required": _("请选择负责社工。")},
            "opened_on": {"required": _("请填写开案日期。"), "invalid": DATE_INVALID},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        household = self.add_household_field(_("请从家庭档案页面开展个案帮扶。"))
        self.fields["person"].label = _("服务对象（不选则为全户）")
        self.fields["group"].choices = [("", "---------"), *CASE_GROUPS]
        group = self.data.get(self.add_prefix("group")) or self.initial.get("group")
        if group in SERVICE_TYPES_BY_GROUP:  # opened for one group: offer only its services
            _offer_group_services(self.fields["service_types"], group)
        else:
            self.fields["service_types"].help_text = _group_help()
        planned = self.fields["planned_sessions"]
        # U10: at least five sessions per case.
        planned.help_text = _("每个个案至少开展 %(n)s 次服务。") % {"n": MIN_SESSIONS}
        planned.widget.attrs["min"] = MIN_SESSIONS
        workers = self.fields["worker"]
        if household:
            _offer_workers(workers, household=household, user=self.for_user)
        else:
            workers.queryset = get_user_model().objects.none()
        workers.error_messages["invalid_choice"] = _("所选社工未分派到该家庭。")
        workers.initial = self.for_user.pk
        self.order_fields(["household", "person", "group", "service_types"])


class SessionForm(ScopedChoicesMixin, forms.Form):
    held_on = forms.DateField(
        label=_("服务日期"),
        widget=DATE_WIDGET,
        error_messages={"required": _("请填写服务日期。"), "invalid": DATE_INVALID},
    )
    worker = forms.ModelChoiceField(
        label=_("服务社工"),
        queryset=get_user_model().objects.none(),
        error_messages={
            "required": _("请选择服务社工。"),
            "invalid_choice": _("所选社工未分派到该家庭。"),
        },
    )
    service_type = forms.ChoiceField(
        label=_("服务类型"),
        required=False,
        error_messages={"invalid_choice": _("请从本个案的服务类型中选择。")},
    )
    content = forms.CharField(
        label=_("服务内容"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请填写本次服务的内容。")},
    )
    plan_step = forms.CharField(
        label=_("对应帮扶计划步骤"),
        max_length=200,
        required=False,
        help_text=_("本次服务落实的是帮扶计划中的哪一项措施或步骤。"),
    )
    change_degree = forms.ChoiceField(
        label=_("变化程度"),
        choices=ChangeDegree.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择变化程度。"),
            "invalid_choice": _("请从列表中选择变化程度。"),
        },
    )
    goal_met = forms.BooleanField(label=_("本次服务目标已达成"), required=False)

    def __init__(self, *args, case: Case, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        _offer_workers(self.fields["worker"], household=case.household, user=user)
        self.fields["worker"].initial = user.pk
        self.fields["held_on"].initial = timezone.localdate()
        self.fields["service_type"].choices = [
            ("", "---------"),
            *((code, ServiceType(code).label) for code in case.service_types),
        ]


class CaseEditForm(ScopedChoicesMixin, forms.Form):
    """The plan of an open case; the group, person and opening date are not changed here."""

    service_types = forms.MultipleChoiceField(
        label=_("服务类型"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一项服务类型。")},
    )
    goals = forms.CharField(
        label=_("服务目标"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写服务目标。")},
    )
    planned_sessions = forms.IntegerField(
        label=_("计划服务次数"),
        min_value=MIN_SESSIONS,
        error_messages={
            "required": _("请填写计划服务次数。"),
            "invalid": _("计划服务次数请填写整数。"),
            "min_value": _("每个个案至少开展 %(limit_value)s 次服务。"),  # U10
        },
    )
    worker = forms.ModelChoiceField(
        label=_("负责社工"),
        queryset=get_user_model().objects.none(),
        error_messages={
            "required": _("请选择负责社工。"),
            "invalid_choice": _("所选社工未分派到该家庭。"),
        },
    )

    def __init__(self, *args, case: Case, user, **kwargs):
        kwargs.setdefault("prefix", "edit")
        kwargs.setdefault(
            "initial",
            {
                "service_types": case.service_types,
                "goals": case.goals,
                "planned_sessions": case.planned_sessions,
                "worker": case.worker_id,
            },
        )
        self.user = user
        super().__init__(*args, **kwargs)
        _offer_group_services(self.fields["service_types"], case.group)
        _offer_workers(self.fields["worker"], household=case.household, user=user)


class CaseCompleteForm(forms.Form):
    goals_met = forms.TypedChoiceField(
        label=_("服务目标是否达成"),
        choices=[("yes", _("已达成")), ("no", _("未完全达成"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择服务目标是否达成。")},
    )
    outcome = forms.CharField(
        label=_("结案评估"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写结案评估：服务成效和后续安排。")},
    )
    closed_on = forms.DateField(
        label=_("结案日期（不填为今天）"),
        required=False,
        widget=DATE_WIDGET,
        error_messages={"invalid": DATE_INVALID},
    )


class CaseCloseRequestForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("提前结案原因"),
        choices=CaseCloseReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择提前结案的原因。"),
            "invalid_choice": _("请从列表中选择提前结案的原因。"),
        },
    )
    reason_text = forms.CharField(
        label=_("原因说明（原因为“其他”时必填）"), max_length=200, required=False
    )


class CaseCloseReviewForm(forms.Form):
    note = forms.CharField(
        label=_("审核意见"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("退回申请时必填。"),
    )


class ReferralForm(HouseholdBoundMixin, LedgerForm):
    class Meta:
        model = Referral
        fields = [
            "person",
            "kind",
            "target_type",
            "target",
            "description",
            "benefit_type",
            "proxy_by",
            "materials",
            "help_mode",
            "sent_on",
            "due_on",
        ]
        widgets = {
            "sent_on": DATE_WIDGET,
            "due_on": DATE_WIDGET,
            "description": forms.Textarea(attrs={"rows": 3}),
            "materials": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "benefit_type": _("涉及的保障（符合条件未纳入、代理申请时必填）"),
            "proxy_by": _("代为申请的是（代理申请时必填）"),
            "materials": _("代为准备并递交的材料（代理申请时必填）"),
            "help_mode": _("帮扶方式（仍有困难时必填）"),
            "due_on": _("反馈期限"),
        }
        error_messages = {
            "kind": {"required": _("请选择链接类型。")},
            "target_type": {"required": _("请选择对接方类型。")},
            "target": {"required": _("请填写对接的部门或组织名称。")},
            "description": {"required": _("请写明链接的事由。")},
            "sent_on": {"required": _("请填写发送日期。"), "invalid": DATE_INVALID},
            "due_on": {"invalid": DATE_INVALID},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_household_field(_("请从家庭档案页面新建资源链接。"))
        self.fields["person"].label = _("涉及成员（可不选）")
        self.fields["kind"].help_text = _(
            "符合条件未纳入：链接街道（乡镇）相关部门；代理申请：村（居）委会或社工机构代为申请；"
            "仍有困难：链接政府部门、社会组织或慈善组织；督办联络：联系帮扶计划的责任部门。"
        )
        self.fields["due_on"].required = False
        self.fields["due_on"].help_text = _("不填则为发送后 %(n)s 个工作日。") % {
            "n": DEFAULT_DUE_WORKDAYS
        }
        self.fields["kind"].choices = [("", "---------"), *ReferralKind.choices]
        self.order_fields(["household"])


class ReferralStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("新状态"), widget=forms.RadioSelect, error_messages={"required": _("请选择状态。")}
    )
    on = forms.DateField(
        label=_("日期（不填为今天）"),
        required=False,
        widget=DATE_WIDGET,
        error_messages={"invalid": DATE_INVALID},
    )
    outcome = forms.CharField(
        label=_("办理结果（办结或被拒绝时必填）"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, referral: Referral, **kwargs):
        super().__init__(*args, **kwargs)
        # A finished referral offers nothing; the service says why a late post is refused.
        statuses = NEXT_STATUSES.get(referral.status, ReferralStatus)
        self.fields["status"].choices = [(status.value, status.label) for status in statuses]
        self.fields["status"].error_messages["invalid_choice"] = _(
            "不能从“%(current)s”改为所选状态。"
        ) % {"current": referral.get_status_display()}
