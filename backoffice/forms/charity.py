"""Forms of charity take-up (issue 17: U3, P3, D4); the rules are in services/charity.py.

The station's forms (consent, publishing, withdrawal, replies) offer only members of a
household in the actor's scope (B8); the charity's forms (login, pledge, campaign, delivery,
message) offer no ledger record at all.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..actor import Actor
from ..children import persons_visible
from ..enums import (
    AreaLevel,
    Category,
    ConsentGiver,
    FundraisingPlatform,
    HelpMode,
    NeedType,
    TargetUnit,
)
from ..listing import QuickSelect
from ..models import Area, CharityOrganisation, Household, Need, Person
from ..services.charity import WITHDRAW_REASONS
from ..validators import normalize_credit_code
from .auth import OTPLoginForm
from .base import DATE_INVALID, DATE_WIDGET, ScopedChoicesMixin
from .ledger import LedgerForm


class MemberField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.name}（{obj.get_relation_display()}，{obj.get_sex_display()}）"


def _members(household: Household, actor: Actor):
    """The household's members still in the ledger, without the children the actor may not
    see (B4); ScopedChoicesMixin cuts them to the scope as well (B8)."""
    members = Person.objects.filter(household=household, exited_on__isnull=True)
    return persons_visible(actor, members).order_by("id")


class ShareConsentForm(ScopedChoicesMixin, forms.Form):
    """D4: the person (or the guardian of a child under 14) agreed after the notice was read."""

    person = MemberField(
        label=_("当事人"),
        queryset=Person.objects.none(),
        empty_label=None,
        error_messages={"required": _("请选择当事人。"), "invalid_choice": _("请选择本户成员。")},
    )
    given_by = forms.ChoiceField(
        label=_("由谁表示同意"),
        choices=ConsentGiver.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择由谁表示同意。")},
        help_text=_("未满 14 周岁的儿童由监护人同意。"),
    )
    guardian_name = forms.CharField(label=_("监护人姓名"), max_length=40, required=False)
    given_on = forms.DateField(
        label=_("同意日期"),
        widget=DATE_WIDGET,
        error_messages={"required": _("请填写同意日期。"), "invalid": DATE_INVALID},
    )
    notice_read = forms.BooleanField(
        label=_("已向当事人（或监护人）宣读上述告知内容，对方明确表示同意"),
        error_messages={"required": _("请先宣读告知内容并勾选确认。")},
    )

    def __init__(self, *args, household: Household, actor: Actor, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _members(household, actor)
        self.fields["given_on"].initial = timezone.localdate()


class ListingPublishForm(ScopedChoicesMixin, forms.Form):
    """U3, D1: a need of the household on the charity board, for one consenting member."""

    person = MemberField(
        label=_("需求当事人"),
        queryset=Person.objects.none(),
        empty_label=None,
        error_messages={"required": _("请选择当事人。"), "invalid_choice": _("请选择本户成员。")},
        help_text=_("须已记录其本人（或监护人）同意共享。"),
    )
    category = forms.ChoiceField(
        label=_("公开的救助类别"),
        choices=Category.choices,
        error_messages={"required": _("请选择救助类别。")},
        help_text=_("只公开类别，不公开细类。"),
    )
    help_mode = forms.ChoiceField(
        label=_("帮扶方式"),
        choices=HelpMode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择帮扶方式。")},
        help_text=_(
            "一对一：一个具体物品或服务，由一家慈善组织认领；多对一：目标数量由多家分别认捐；"
            "慈善众筹：由具有公开募捐资格的慈善组织在民政部指定平台发起，门户只登记和链接。"
        ),
    )
    description = forms.CharField(
        label=_("需求说明"),
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": _("例如：需要一台轻便轮椅")}),
        error_messages={"required": _("请写一句需求说明。")},
        help_text=_("不超过 60 字；不能出现姓名、住址、社区、证件号码、电话、出生日期或年龄。"),
    )
    target_quantity = forms.IntegerField(
        label=_("目标数量（多对一）或目标金额（众筹，元）"),
        required=False,
        min_value=1,
        max_value=10_000_000,
        error_messages={"invalid": _("请输入整数。")},
    )
    unit = forms.ChoiceField(
        label=_("单位（多对一）"), choices=[("", "—"), *TargetUnit.choices], required=False
    )

    def __init__(self, *args, need: Need, actor: Actor, **kwargs):
        self.actor = actor
        self.need = need
        super().__init__(*args, **kwargs)
        members = _members(need.household, actor)
        if need.person_id:
            members = members.filter(pk=need.person_id)
        self.fields["person"].queryset = members


OTHER_REASON = "other"


class ListingWithdrawForm(forms.Form):
    """The reason charities that took the listing up will read: one from the list, or a short
    text of the station's own (screened like the listing, services.charity.text_screen)."""

    reason_choice = forms.ChoiceField(
        label=_("撤回原因"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_("认领、认捐或发起众筹的慈善组织会看到撤回原因。"),
    )
    reason = forms.CharField(
        label=_("其他原因"),
        max_length=200,
        required=False,
        help_text=_("选择“其他原因”时填写；慈善组织可以看到，请勿写当事人的个人信息。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason_choice"].choices = [
            *((text, text) for text in WITHDRAW_REASONS),
            (OTHER_REASON, _("其他原因（在下面填写）")),
        ]

    def clean(self):
        cleaned = super().clean()
        choice, text = cleaned.get("reason_choice") or "", (cleaned.get("reason") or "").strip()
        if choice and choice != OTHER_REASON:
            cleaned["reason"] = choice
        elif not text:
            self.add_error("reason", _("请选择或填写撤回原因。"))
        return cleaned


class StationReplyForm(forms.Form):
    """The station answers one charity's thread (the organisation is the thread, not a record
    of the ledger)."""

    organisation = forms.TypedChoiceField(
        label=_("回复给"), coerce=int, error_messages={"required": _("请选择慈善组织。")}
    )
    body = forms.CharField(
        label=_("留言"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写留言内容。")},
        help_text=_("不能写当事人的姓名、住址、证件号码或电话；交接可约定在服务站进行。"),
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]


# Charities ----------------------------------------------------------------------------------


class CharityLoginForm(OTPLoginForm):
    """A7: the charity login is the one login (password and code under the username's lock,
    audited); it lets in only the people of an active charity, never staff."""

    door = "charity"

    def door_check(self, user) -> None:
        from ..services.charity import charity_member_of

        if charity_member_of(user) is None:
            self.refuse_at_this_door(user)
            raise ValidationError(
                _("该账号不是在用的慈善组织账号。工作人员请从工作台登录：/admin/login/"),
                code="wrong_door",
            )


class PledgeForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("认捐数量"),
        min_value=1,
        max_value=1_000_000,
        error_messages={"required": _("请填写认捐数量。"), "invalid": _("请输入整数。")},
    )


class CampaignForm(forms.Form):
    platform = forms.ChoiceField(
        label=_("募捐平台（民政部指定）"),
        choices=FundraisingPlatform.choices,
        error_messages={"required": _("请选择募捐平台。")},
    )
    filing_number = forms.CharField(
        label=_("募捐方案备案编号"),
        max_length=40,
        error_messages={"required": _("请填写备案编号。")},
        help_text=_("在慈善中国备案后取得。"),
    )
    campaign_url = forms.CharField(
        label=_("众筹项目链接"),
        max_length=300,
        error_messages={"required": _("请填写项目链接。")},
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )


class DeliveryForm(forms.Form):
    note = forms.CharField(
        label=_("送达情况"),
        max_length=200,
        error_messages={"required": _("请简要说明送达情况。")},
        help_text=_("例如：轮椅已于 3 日送至服务站。"),
    )
    raised_amount = forms.IntegerField(
        label=_("已筹金额（元，众筹填写）"),
        required=False,
        min_value=0,
        max_value=10_000_000,
        error_messages={"invalid": _("请输入整数。")},
    )


class RaisedForm(forms.Form):
    raised_amount = forms.IntegerField(
        label=_("已筹金额（元）"),
        min_value=0,
        max_value=10_000_000,
        error_messages={"required": _("请填写已筹金额。"), "invalid": _("请输入整数。")},
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("给发布方的留言"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写留言内容。")},
    )


class BoardFilterForm(forms.Form):
    """The public board's filters (no JavaScript: a plain GET form). QuickSelect writes the
    options without a template each (the board's p95 <= 50 ms)."""

    district = forms.ChoiceField(label=_("区"), required=False, widget=QuickSelect)
    need_type = forms.ChoiceField(
        label=_("需求类型"),
        required=False,
        choices=[("", _("全部")), *NeedType.choices],
        widget=QuickSelect,
    )
    help_mode = forms.ChoiceField(
        label=_("帮扶方式"),
        required=False,
        choices=[("", _("全部")), *HelpMode.choices],
        widget=QuickSelect,
    )

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("全市")), *districts]

    def value(self, name: str) -> str:
        return self.cleaned_data.get(name, "") if self.is_valid() else ""


# Organisations (district) --------------------------------------------------------------------


class CharityOrganisationForm(LedgerForm):
    class Meta:
        model = CharityOrganisation
        fields = [
            "name",
            "credit_code",
            "district",
            "registered_on",
            "public_fundraising",
            "contact_person",
            "contact_phone",
            "active",
        ]
        widgets = {"registered_on": DATE_WIDGET}
        error_messages = {
            "name": {"required": _("请填写组织名称。"), "unique": _("已有同名的慈善组织。")},
            "credit_code": {
                "required": _("请填写统一社会信用代码。"),
                "unique": _("该统一社会信用代码已登记。"),
            },
            "district": {
                "required": _("请选择登记区。"),
                "invalid_choice": _("所选区不在您的辖区内。"),
            },
            "registered_on": {"required": _("请填写登记日期。"), "invalid": DATE_INVALID},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = Area.objects.filter(level=AreaLevel.DISTRICT)

    def clean_credit_code(self):
        try:
            return normalize_credit_code(self.cleaned_data.get("credit_code", ""))
        except ValidationError as error:
            raise ValidationError(error.messages[0]) from None

    def clean_registered_on(self):
        day = self.cleaned_data.get("registered_on")
        if day and day > timezone.localdate():
            raise ValidationError(_("登记日期不能晚于今天。"))
        return day

    def changed_fields(self) -> list[str]:
        return sorted(self.changed_data)


class CharityMemberForm(forms.Form):
    username = forms.CharField(
        label=_("用户名"), max_length=150, error_messages={"required": _("请填写用户名。")}
    )
    full_name = forms.CharField(
        label=_("姓名"), max_length=150, error_messages={"required": _("请填写姓名。")}
    )
    password = forms.CharField(
        label=_("初始密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("请设置初始密码。")},
        help_text=_("至少 12 位。请当面或电话告知本人；登录还需安全管理员签发的动态口令。"),
    )
