"""Back-office forms for the ledger (issue 3, item 5): every bad input gets a Chinese message.

Forms validate input and hand the cleaned values to services; the rules of what a change
means (versions, audit, timeline, completeness) live in `services/ledger_edits.py`.
"""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from portal import identity

from ..children import persons_visible
from ..enums import (
    SUBTYPES_BY_CATEGORY,
    AreaLevel,
    Category,
    Subtype,
)
from ..models import Area, Benefit, Household, Need, Person, PersonCategory
from ..scope import scope_queryset
from ..services.errors import RuleError
from ..services.ledger import (
    DETAIL_CHOICES,
    DETAIL_ITEMS,
    ITEM_LABELS,
    category_details_check,
)
from .base import ScopedChoicesMixin, add_rule_error

# Names: Chinese characters, Latin letters, and the middle dot of minority names.
NAME_RE = re.compile(r"^[\u3400-\u9fff·•A-Za-z ]{2,40}$")
EARLIEST = dt.date(1900, 1, 1)
CATEGORY_OF_SUBTYPE = {sub: cat for cat, subs in SUBTYPES_BY_CATEGORY.items() for sub in subs}


class LedgerForm(ScopedChoicesMixin, WagtailAdminModelForm):
    """Base of the ledger forms: choices scoped to the user (B8); errors of hidden fields are
    shown at the top of the form."""

    def full_clean(self):
        super().full_clean()
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.HiddenInput) and name in self._errors:
                for error in self._errors.pop(name):
                    self._errors.setdefault(NON_FIELD_ERRORS, self.error_class()).append(error)

    def model_changes(self) -> dict:
        """The model fields whose cleaned value differs from what the record holds."""
        changes = {}
        for name in self._meta.fields:
            field = self.fields.get(name)
            if field is None or field.disabled or name not in self.cleaned_data:
                continue
            value = self.cleaned_data[name]
            before = self.initial.get(name)
            if isinstance(value, models.Model):
                value_key = value.pk
            else:
                value_key = value
            if value_key != before and not (value_key in ("", None) and before in ("", None)):
                changes[name] = value
        return changes


class VersionedFormMixin:
    """G3: the form carries the version it was opened at; the service compares it on save."""

    def add_version_field(self) -> None:
        self.fields["version"] = forms.IntegerField(
            widget=forms.HiddenInput,
            initial=self.instance.version,
            required=True,
            error_messages={"required": _("表单缺少版本信息，请重新打开页面后再修改。")},
        )

    @property
    def expected_version(self) -> int:
        return self.cleaned_data["version"]


def _not_in_future(value: dt.date | None, label: str) -> None:
    if value is None:
        return
    if value > timezone.localdate():
        raise ValidationError(_("%(label)s不能晚于今天。") % {"label": label})
    if value < EARLIEST:
        raise ValidationError(_("%(label)s不能早于 1900 年。") % {"label": label})


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.district.name} · {obj.street.name} · {obj.name}"


class HouseholdForm(VersionedFormMixin, LedgerForm):
    community = CommunityChoiceField(
        label=_("社区（村）"),
        queryset=Area.objects.none(),
        error_messages={
            "required": _("请选择家庭所在的社区（村）。"),
            "invalid_choice": _("所选社区（村）不在您的辖区内。"),
        },
    )

    class Meta:
        model = Household
        fields = ["community", "address", "entry_route", "learned_on", "entered_on"]
        error_messages = {
            "address": {"required": _("请填写家庭住址。")},
            "entry_route": {"required": _("请选择建档来源。")},
            "entered_on": {
                "required": _("请填写纳入台账日期。"),
                "invalid": _("日期格式应为 2026-11-29。"),
            },
            "learned_on": {"invalid": _("日期格式应为 2026-11-29。")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # B8: the communities of the user's jurisdiction (an agency worker's: those of the
        # households assigned to them).
        self.fields["community"].queryset = Area.objects.filter(
            level=AreaLevel.COMMUNITY
        ).select_related("district", "street")
        self.fields["address"].help_text = _("写到门牌号，例如：东四北大街 107 号 3-201。")
        if self.instance.pk:
            self.add_version_field()

    def clean_address(self):
        address = self.cleaned_data["address"].strip()
        if len(address) < 4:
            raise ValidationError(_("住址太短，请写到街巷和门牌号。"))
        return address

    def clean_learned_on(self):
        value = self.cleaned_data.get("learned_on")
        _not_in_future(value, "知悉困难日期")
        return value

    def clean_entered_on(self):
        value = self.cleaned_data.get("entered_on")
        _not_in_future(value, "纳入台账日期")
        return value

    def clean(self):
        cleaned = super().clean()
        learned, entered = cleaned.get("learned_on"), cleaned.get("entered_on")
        if learned and entered and learned > entered:
            self.add_error("learned_on", _("知悉困难日期不能晚于纳入台账日期。"))
        return cleaned


class ScopedHouseholdField(forms.IntegerField):
    """A household chosen by id, accepted only inside the user's jurisdiction (SECURITY B1)."""

    widget = forms.HiddenInput

    def __init__(self, *, user=None, **kwargs):
        self.user = user
        super().__init__(**kwargs)

    def clean(self, value):
        pk = super().clean(value)
        household = scope_queryset(self.user, Household.objects.all()).filter(pk=pk).first()
        if household is None:
            raise ValidationError(_("找不到该家庭档案，或它不在您的辖区内。"))
        return household


class ScopedPersonField(forms.IntegerField):
    widget = forms.HiddenInput

    def __init__(self, *, user=None, **kwargs):
        self.user = user
        super().__init__(**kwargs)

    def clean(self, value):
        pk = super().clean(value)
        visible = persons_visible(self.user, scope_queryset(self.user, Person.objects.all()))
        person = visible.filter(pk=pk).first()  # B1, B4
        if person is None:
            raise ValidationError(_("找不到该成员，或其家庭不在您的辖区内。"))
        return person


class PersonForm(VersionedFormMixin, LedgerForm):
    """A household member. ID and phone are typed in full once and then only shown masked."""

    id_number = forms.CharField(
        label=_("身份证号"),
        required=False,
        max_length=24,
        help_text=_("18 位居民身份证号；15 位旧号会自动升级。出生日期和性别由身份证号得出。"),
    )
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=24)

    class Meta:
        model = Person
        fields = [
            "name",
            "relation",
            "sex",
            "birth_date",
            "education",
            "employment",
            "health",
        ]
        error_messages = {
            "name": {"required": _("请填写姓名。")},
            "relation": {"required": _("请选择与户主关系。")},
            "birth_date": {"invalid": _("日期格式应为 1950-03-08。")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sex"].required = False
        self.fields["birth_date"].required = False
        person = self.instance
        if person.pk:
            self.add_version_field()
            if person.id_number_masked:
                self.fields["id_number"].help_text = _(
                    "已登记：%(masked)s。留空保持不变；填写新号码则替换。"
                ) % {"masked": person.id_number_masked}
                for name in ("sex", "birth_date"):
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _("由身份证号得出。")
            if person.phone_masked:
                self.fields["phone"].help_text = _(
                    "已登记：%(masked)s。留空保持不变；填写新号码则替换。"
                ) % {"masked": person.phone_masked}
        else:
            self.fields["household"] = ScopedHouseholdField(
                user=self.for_user,
                error_messages={"required": _("请从家庭档案页面添加成员。")},
            )

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
        # One person, one file is the service's rule (person_create, person_update): its
        # refusal comes back next to this field, and says nothing of other jurisdictions.

    def clean_phone(self):
        raw = self.cleaned_data.get("phone", "").strip()
        if not raw:
            return ""
        try:
            return identity.normalize_phone(raw)
        except identity.PhoneError as exc:
            raise ValidationError(str(exc)) from None

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        _not_in_future(value, "出生日期")
        return value

    def clean(self):
        cleaned = super().clean()
        has_id = bool(cleaned.get("id_number") or self.instance.id_number_masked)
        if not has_id:
            if not cleaned.get("sex") and "sex" not in self.errors:
                self.add_error("sex", _("没有身份证号时，请选择性别。"))
            if not cleaned.get("birth_date") and "birth_date" not in self.errors:
                self.add_error("birth_date", _("没有身份证号时，请填写出生日期。"))
        # One head per household is the service's rule (L7, enforced on every path).
        return cleaned


LONG_ITEMS = {"basic_situation", "emergency_situation", "parents_situation"}


def subtype_choices():
    return [("", "---------")] + [
        (str(Category(cat).label), [(sub, Subtype(sub).label) for sub in subs])
        for cat, subs in SUBTYPES_BY_CATEGORY.items()
    ]


class PersonCategoryForm(LedgerForm):
    """A category with subtype and its ledger-standard items (L1-L5)."""

    subtype = forms.ChoiceField(
        label=_("类别与细类"),
        choices=subtype_choices,
        error_messages={"required": _("请选择救助类别。")},
    )
    no_benefits = forms.BooleanField(
        label=_("经核实未享受任何保障待遇"),
        required=False,
        # L1-L4: the four categories (S1-S4) whose ledger standard lists the benefits held.
        help_text=_(
            "适用于社会救助对象、困境老年人、困境儿童和生活困难的重度残疾人：没有任何保障待遇时"
            "勾选，台账即视为已填写“享受保障情况”。"
        ),
    )

    class Meta:
        model = PersonCategory
        fields = ["since"]
        error_messages = {"since": {"invalid": _("日期格式应为 2026-11-29。")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item, categories in DETAIL_ITEMS.items():
            label = ITEM_LABELS[item]
            names = "、".join(str(Category(category).label) for category in categories)
            help_text = _("适用于：%(cats)s") % {"cats": names}
            if item in DETAIL_CHOICES:
                field = forms.ChoiceField(
                    label=label,
                    required=False,
                    choices=[("", "---------"), *DETAIL_CHOICES[item]],
                    help_text=help_text,
                )
            else:
                widget = forms.Textarea(attrs={"rows": 3}) if item in LONG_ITEMS else None
                field = forms.CharField(
                    label=label, required=False, max_length=500, widget=widget, help_text=help_text
                )
            self.fields[item] = field
        record = self.instance
        if record.pk:
            self.fields["subtype"].initial = record.subtype
            for item in DETAIL_ITEMS:
                self.fields[item].initial = record.details.get(item, "")
            self.fields["no_benefits"].initial = record.details.get("benefits") == "none"
        else:
            self.fields["person"] = ScopedPersonField(
                user=self.for_user,
                error_messages={"required": _("请从家庭档案页面为成员添加类别。")},
            )
        self.order_fields(["subtype", "since", *DETAIL_ITEMS, "no_benefits"])

    def clean_since(self):
        value = self.cleaned_data.get("since")
        _not_in_future(value, "认定日期")
        return value

    def clean(self):
        cleaned = super().clean()
        subtype = cleaned.get("subtype")
        person = cleaned.get("person") or (self.instance.person if self.instance.pk else None)
        if not subtype or person is None:
            return cleaned  # the missing field has its own message
        details = {item: cleaned.get(item) or "" for item in DETAIL_ITEMS}
        if cleaned.get("no_benefits"):
            details["benefits"] = "none"
        try:  # L1-L5: the same rules whoever records a category (services/ledger.py)
            category, details = category_details_check(subtype=subtype, details=details)
        except RuleError as error:
            add_rule_error(self, error)
            return cleaned
        self.instance.person = person
        self.instance.category = category
        self.instance.subtype = subtype
        self.instance.details = details
        return cleaned

    def record_changes(self) -> list[str]:
        return [name for name in self.changed_data if name not in ("person",)]


class BenefitForm(LedgerForm):
    class Meta:
        model = Benefit
        fields = ["benefit_type", "monthly_amount", "since"]
        error_messages = {
            "benefit_type": {"required": _("请选择保障类型。")},
            "monthly_amount": {
                "invalid": _("金额请填写数字，例如 1420 或 1420.50。"),
                "max_digits": _("金额过大，请核对。"),
                "max_decimal_places": _("金额最多保留两位小数。"),
            },
            "since": {"invalid": _("日期格式应为 2026-11-29。")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["person"] = ScopedPersonField(
                user=self.for_user,
                error_messages={"required": _("请从家庭档案页面为成员添加保障。")},
            )

    def clean_monthly_amount(self):
        amount = self.cleaned_data.get("monthly_amount")
        if amount is not None and amount < 0:
            raise ValidationError(_("金额不能为负数。"))
        if amount is not None and amount > 100000:
            raise ValidationError(_("月金额超过 10 万元，请核对。"))
        return amount

    def clean_since(self):
        value = self.cleaned_data.get("since")
        _not_in_future(value, "起始日期")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("person"):
            self.instance.person = cleaned["person"]
        return cleaned

    def record_changes(self) -> list[str]:
        return [name for name in self.changed_data if name != "person"]


class NeedForm(LedgerForm):
    class Meta:
        model = Need
        fields = ["need_type", "person", "description", "status"]
        error_messages = {"need_type": {"required": _("请选择需求类型。")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["description"].max_length = 500
        self.fields["description"].widget.attrs.update(rows=4, maxlength=500)
        self.fields["person"].label = _("涉及成员（可不选）")
        self.fields["person"].required = False
        if self.instance.pk:
            household = self.instance.household
        else:
            self.fields["household"] = ScopedHouseholdField(
                user=self.for_user,
                error_messages={"required": _("请从家庭档案页面添加需求。")},
            )
            household = self._household_from_data()
        members = household.members.all() if household else Person.objects.none()
        self.fields["person"].queryset = members
        self.fields["person"].error_messages["invalid_choice"] = _("所选成员不属于该家庭。")

    def _household_from_data(self) -> Household | None:
        raw = self.data.get(self.add_prefix("household")) or self.initial.get("household")
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            return None
        return scope_queryset(self.for_user, Household.objects.all()).filter(pk=pk).first()

    def clean_description(self):
        text = self.cleaned_data.get("description", "").strip()
        if len(text) > 500:
            raise ValidationError(_("需求描述请控制在 500 字以内。"))
        return text

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("household"):
            self.instance.household = cleaned["household"]
        return cleaned

    def record_changes(self) -> list[str]:
        return [name for name in self.changed_data if name != "household"]
