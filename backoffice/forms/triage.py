"""Forms of the triage workspace (issue 4, item 5); the rules are in services/triage.py."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.enums import OPEN_STATUSES
from intake.models import Report
from portal import identity

from ..enums import AreaLevel, EntryRoute, NeedType, Relation, Role, Sex
from ..models import Agency, Area, Household
from ..scope import scope_queryset
from .base import DATE_INVALID, ScopedChoicesMixin
from .ledger import NAME_RE, CommunityChoiceField, subtype_choices


class AssignForm(ScopedChoicesMixin, forms.Form):
    agency = forms.ModelChoiceField(
        label=_("社工机构"),
        queryset=Agency.objects.all(),
        error_messages={"required": _("请选择承接的社工机构。")},
    )
    worker = forms.ModelChoiceField(
        label=_("社工（可不选）"),
        queryset=get_user_model().objects.none(),
        required=False,
    )

    def __init__(self, *args, report: Report, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(district_id=report.district_id)
        self.fields["worker"].queryset = get_user_model().objects.filter(
            staff_profile__role=Role.AGENCY_WORKER,
            staff_profile__agency__district_id=report.district_id,
            is_active=True,
        )
        self.fields["worker"].label_from_instance = lambda u: (
            f"{u.get_full_name() or u.username}（{u.staff_profile.agency.name}）"
        )

    def clean(self):
        cleaned = super().clean()
        agency, worker = cleaned.get("agency"), cleaned.get("worker")
        if agency and worker and worker.staff_profile.agency_id != agency.pk:
            self.add_error("worker", _("所选社工不属于所选机构。"))
        return cleaned


class VisitForm(forms.Form):
    visited_on = forms.DateField(
        label=_("走访日期"),
        error_messages={"required": _("请填写走访日期。"), "invalid": DATE_INVALID},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    visitors = forms.CharField(
        label=_("走访人员"),
        max_length=200,
        error_messages={"required": _("请填写参加走访的人员。")},
    )
    findings = forms.CharField(
        label=_("了解到的情况"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请记录入户了解到的生活状况。")},
    )
    needs = forms.CharField(
        label=_("当前需求"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_visited_on(self):
        value = self.cleaned_data["visited_on"]
        if value > timezone.localdate():
            raise ValidationError(_("走访日期不能晚于今天。"))
        return value


class AcceptForm(forms.Form):
    household = forms.IntegerField(
        label=_("并入已有家庭档案（填写档案 ID，可不填）"),
        required=False,
        help_text=_("不填则新建一户一档；当事人身份证号已在台账中的，自动并入其原有档案。"),
    )
    relation = forms.ChoiceField(
        label=_("与户主关系（并入已有家庭时）"), choices=Relation.choices, initial=Relation.HEAD
    )
    sex = forms.ChoiceField(
        label=_("性别（反映中没有身份证号）"),
        choices=[("", "---------"), *Sex.choices],
        required=False,
    )
    birth_date = forms.DateField(
        label=_("出生日期（反映中没有身份证号）"),
        required=False,
        error_messages={"invalid": DATE_INVALID},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    need_type = forms.ChoiceField(label=_("主要需求类型"), choices=NeedType.choices)

    def __init__(self, *args, user, ask_identity: bool = True, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if not ask_identity:  # the report has an ID number: sex and birth date come from it
            del self.fields["sex"], self.fields["birth_date"]

    def clean_household(self):
        pk = self.cleaned_data.get("household")
        if pk is None:
            return None
        household = scope_queryset(self.user, Household.objects.all()).filter(pk=pk).first()
        if household is None:
            raise ValidationError(_("找不到该家庭档案，或它不在您的辖区内。"))
        return household

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        if value and value > timezone.localdate():
            raise ValidationError(_("出生日期不能晚于今天。"))
        return value


class MergeForm(forms.Form):
    into = forms.CharField(
        label=_("合并到（受理编号）"),
        max_length=24,
        error_messages={"required": _("请填写重复的那条反映的受理编号。")},
    )

    def __init__(self, *args, user, report: Report, **kwargs):
        self.user, self.report = user, report
        super().__init__(*args, **kwargs)

    def clean_into(self):
        reference = self.cleaned_data["into"].strip().upper()
        target = scope_queryset(self.user, Report.objects.all()).filter(reference=reference).first()
        if target is None:
            raise ValidationError(_("找不到该受理编号，或它不在您的辖区内。"))
        if target.pk == self.report.pk:
            raise ValidationError(_("不能把反映合并到它自己。"))
        if target.status not in OPEN_STATUSES and target.status != "accepted":
            raise ValidationError(_("只能合并到待处理或已纳入台账的反映。"))
        return target


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("说明"),
        min_length=4,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": _("请写明原因，便于反映人和审计核查。"),
            "min_length": _("请具体说明（至少 4 个字）。"),
        },
    )


class LeadForm(ScopedChoicesMixin, forms.Form):
    """F2/F3: a lead a station registers itself (an approval, a survey sweep)."""

    route = forms.ChoiceField(
        label=_("线索来源"),
        choices=[
            (EntryRoute.APPROVAL, _("审批通过（社会救助对象，1 个工作日内入户访谈）")),
            (EntryRoute.SURVEY, _("摸排发现（老年人、儿童、残疾人，3 个工作日内纳入台账）")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择线索来源。")},
    )
    started_on = forms.DateField(
        label=_("审批通过日期或基本情况调查完成日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("期限从这一天的次日起按工作日计算。"),
        error_messages={"required": _("请填写审批通过或调查完成的日期。"), "invalid": DATE_INVALID},
    )
    name = forms.CharField(
        label=_("姓名"), max_length=40, error_messages={"required": _("请填写当事人姓名。")}
    )
    id_number = forms.CharField(label=_("身份证号（可不填）"), max_length=24, required=False)
    phone = forms.CharField(label=_("联系电话（可不填）"), max_length=24, required=False)
    community = CommunityChoiceField(
        label=_("社区（村）"),
        queryset=Area.objects.filter(level=AreaLevel.COMMUNITY).select_related(
            "district", "street"
        ),
        error_messages={
            "required": _("请选择所在的社区（村）。"),
            "invalid_choice": _("所选社区（村）不在您的辖区内。"),
        },
    )
    address = forms.CharField(
        label=_("住址"), max_length=200, error_messages={"required": _("请填写住址。")}
    )
    subtype = forms.ChoiceField(
        label=_("困难类别"),
        choices=subtype_choices,
        error_messages={"required": _("请选择困难类别。")},
    )
    situation = forms.CharField(
        label=_("基本情况"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请写明审批或摸排了解到的基本情况。")},
    )
    help_needed = forms.CharField(
        label=_("帮扶需求"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请写明需要的帮扶。")},
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not NAME_RE.match(name):
            raise ValidationError(_("请填写真实姓名：2 至 40 个汉字或字母，少数民族姓名可含“·”。"))
        return name

    def clean_id_number(self):
        raw = self.cleaned_data.get("id_number", "").strip()
        if not raw:
            return ""
        try:
            return identity.normalize_id_number(raw)
        except identity.IdNumberError as exc:
            raise ValidationError(str(exc)) from None

    def clean_phone(self):
        raw = self.cleaned_data.get("phone", "").strip()
        if not raw:
            return ""
        try:
            return identity.normalize_phone(raw)
        except identity.PhoneError as exc:
            raise ValidationError(str(exc)) from None
