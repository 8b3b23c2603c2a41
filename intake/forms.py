"""The public report form (F1, U2, D2, D4, E1, E5, G5). Works on a phone without JavaScript.

Every bad field gets a Chinese message and the page comes back with everything typed kept
(files excepted: browsers never refill a file input, and the page says so). The file limits it
announces are read from the settings the server enforces.
"""

from __future__ import annotations

import copy
import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.choices import normalize_choices
from django.utils.functional import cached_property, lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal import identity
from portal.enums import SUBTYPES_BY_CATEGORY, Category, Subtype

from .areas import community_choices, district_choices, kept_once_found, street_choices
from .enums import PROXY_REPORTERS, PUBLIC_REPORTER_TYPES, AttachmentKind, UrgencyReason
from .services import ReportFields, subject_birth_and_child
from .uploads import CleanUpload, UploadError, clean_upload

AREA_CODE = re.compile(r"[0-9]{12}")
NAME_RE = re.compile(r"^[\u3400-\u9fff·•A-Za-z ]{2,40}$")
CATEGORY_OF_SUBTYPE = {sub: cat for cat, subs in SUBTYPES_BY_CATEGORY.items() for sub in subs}
BLANK = [("", "请选择")]


# Built once: the labels stay lazy (translated when shown), and validating a POST looks the
# choice up in this list instead of rebuilding it from the enums each time.
SUBTYPE_CHOICES = BLANK + [
    (
        format_lazy("{} {}", str(cat), Category(cat).label),
        [(sub, Subtype(sub).label) for sub in subs],
    )
    for cat, subs in SUBTYPES_BY_CATEGORY.items()
]


def megabytes(size: int) -> str:
    """`10` for 10 MiB: the form, its script and the server count sizes alike."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def upload_limits() -> dict[str, int | str]:
    """G5: the file limits the form announces, its script checks and the server enforces."""
    return {
        "max_files": settings.INTAKE_MAX_FILES,
        "max_file_bytes": settings.INTAKE_MAX_FILE_BYTES,
        "max_total_bytes": settings.INTAKE_MAX_UPLOAD_BYTES,
        "max_file_mb": megabytes(settings.INTAKE_MAX_FILE_BYTES),
        "max_total_mb": megabytes(settings.INTAKE_MAX_UPLOAD_BYTES),
    }


def _supporting_files_help() -> str:
    return _(
        "最多 %(count)d 个，PDF/JPG/PNG，每个不超过 %(file)s MB；连同委托书，附件合计不超过 "
        "%(total)s MB。"
    ) % {
        "count": settings.INTAKE_MAX_FILES,
        "file": megabytes(settings.INTAKE_MAX_FILE_BYTES),
        "total": megabytes(settings.INTAKE_MAX_UPLOAD_BYTES),
    }


def _entrustment_file_help() -> str:
    return _("PDF/JPG/PNG，不超过 %(file)s MB。") % {
        "file": megabytes(settings.INTAKE_MAX_FILE_BYTES)
    }


def _text(label, *, max_length, required=True, rows=None, help_text="", required_message=""):
    widget = forms.Textarea(attrs={"rows": rows, "maxlength": max_length}) if rows else None
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=widget,
        help_text=help_text,
        error_messages={
            "required": required_message or _("请填写此项。"),
            "max_length": _("请控制在 %(limit_value)d 字以内（现在 %(show_value)d 字）。"),
        },
    )


class SharedChoicesMixin:
    """Choices built once and shared by every copy of the form, never copied.

    Django deep-copies each form's fields on every request, and each copy of a choice field
    and of its widget normalizes its choices again (lazy labels and all). These choices are
    only ever replaced, never changed in place, so the copies share one list; `use_choices`
    takes a list that `normalize_choices` has already made."""

    def __deepcopy__(self, memo):
        result = copy.copy(self)  # as Field.__deepcopy__, with the widget's choices shared
        memo[id(self)] = result
        result.widget = copy.copy(self.widget)
        result.widget.attrs = self.widget.attrs.copy()
        memo[id(self.widget)] = result.widget
        result.error_messages = self.error_messages.copy()
        result.validators = self.validators[:]
        return result

    def use_choices(self, normalized: list) -> None:
        self._choices = self.widget._choices = normalized


class SharedChoiceField(SharedChoicesMixin, forms.ChoiceField):
    pass


class SharedMultipleChoiceField(SharedChoicesMixin, forms.MultipleChoiceField):
    pass


_AREAS_IN = {"street": street_choices, "community": community_choices}


@kept_once_found
def area_choices(kind: str, code: str = "") -> list:
    """The areas of one level after BLANK, normalized once per process (once they exist)."""
    rows = district_choices() if kind == "district" else _AREAS_IN[kind](code)
    return normalize_choices(BLANK + list(rows)) if rows else []


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked in `ReportForm.clean_supporting_files`."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [f for f in files if f]


class ReportForm(forms.Form):
    form_token = forms.UUIDField(widget=forms.HiddenInput)
    # E5: a field people never see; software that fills every field gives itself away.
    website = forms.CharField(required=False, label=_("网址（请留空）"))

    reporter_type = SharedChoiceField(
        label=_("您是当事人的"),
        choices=BLANK + PUBLIC_REPORTER_TYPES,
        error_messages={"required": _("请选择您的身份。")},
    )
    reporter_name = _text(
        _("您的姓名"), max_length=40, required_message=_("请填写您的姓名，便于工作人员联系。")
    )
    reporter_phone = forms.CharField(
        label=_("您的联系电话"),
        max_length=24,
        error_messages={"required": _("请填写联系电话，工作人员会用它联系您。")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    proxy_organisation = _text(
        _("代理机构名称"),
        max_length=100,
        required=False,
        help_text=_("村（居）委会或社工机构代理申请时填写，例如：东华门街道多福巷社区居委会。"),
    )
    entrustment_statement = _text(
        _("委托说明"),
        max_length=500,
        required=False,
        rows=3,
        help_text=_("写明当事人何时、以何种方式委托贵单位代为申请；也可以上传委托书。"),
    )
    entrustment_file = forms.FileField(
        label=_("委托书（可选）"),
        required=False,
        help_text=lazy(_entrustment_file_help, str)(),
    )

    subject_name = _text(
        _("当事人姓名"), max_length=40, required_message=_("请填写遇到困难的当事人姓名。")
    )
    subject_id_number = forms.CharField(
        label=_("当事人身份证号（可选）"),
        max_length=24,
        required=False,
        help_text=_("填写后可更快核实；不清楚可以不填。"),
    )
    subject_phone = forms.CharField(
        label=_("当事人电话（可选）"),
        max_length=24,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    subject_is_child = forms.BooleanField(label=_("当事人未满 14 周岁"), required=False)
    district = SharedChoiceField(
        label=_("所在区"), choices=BLANK, error_messages={"required": _("请选择所在区。")}
    )
    # The messages name the buttons as they are labelled (the buttons show without script).
    street = SharedChoiceField(
        label=_("街道（乡镇）"),
        choices=BLANK,
        error_messages={
            "required": _("请选择街道（乡镇）；列表是空的时，请先点“列出街道（乡镇）”。"),
            "invalid_choice": _("所选街道（乡镇）不属于所选的区，请重新选择。"),
        },
    )
    community = SharedChoiceField(
        label=_("社区（村）"),
        choices=BLANK,
        error_messages={
            "required": _("请选择社区（村）；列表是空的时，请先点“列出社区（村）”。"),
            "invalid_choice": _("所选社区（村）不属于所选街道，请重新选择。"),
        },
    )
    address = _text(
        _("详细住址"),
        max_length=200,
        required_message=_("请填写详细住址，便于工作人员上门。"),
        help_text=_("写到门牌号，例如：多福巷 12 号院 3-201。"),
    )

    subtype = SharedChoiceField(
        label=_("困难类别"),
        choices=SUBTYPE_CHOICES,
        error_messages={"required": _("请选择最接近的困难类别；拿不准可选“其他困难”。")},
    )
    what_happened = _text(
        _("遇到了什么困难"),
        max_length=2000,
        rows=5,
        required_message=_("请简要说明遇到的困难。"),
    )
    help_needed = _text(
        _("需要什么帮助"), max_length=1000, rows=3, required_message=_("请说明需要什么帮助。")
    )
    benefits_received = _text(
        _("目前已享受的救助保障（可选）"),
        max_length=200,
        required=False,
        help_text=_("例如：城市低保、残疾人两项补贴；没有可不填。"),
    )
    urgency_reasons = SharedMultipleChoiceField(
        label=_("是否有紧急情况"),
        choices=UrgencyReason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("有生命危险请立即拨打 110 或 120。"),
    )
    supporting_files = MultipleFileField(
        label=_("证明材料（可选）"),
        required=False,
        help_text=lazy(_supporting_files_help, str)(),
    )

    consent = forms.BooleanField(
        label=_("我已阅读上方的个人信息保护告知，同意工作人员为核实和帮扶处理以上信息"),
        error_messages={"required": _("请阅读个人信息保护告知并勾选同意，否则无法受理。")},
    )
    guardian_consent = forms.BooleanField(
        label=_("我是该儿童的监护人，或已取得监护人同意"), required=False
    )
    guardian_name = _text(_("监护人姓名"), max_length=40, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].use_choices(area_choices("district") or BLANK)
        street, community = self.fields["street"], self.fields["community"]
        street.use_choices(area_choices("street", self._raw_code("district")) or BLANK)
        community.use_choices(area_choices("community", self._raw_code("street")) or BLANK)
        self.uploads: list[tuple[AttachmentKind, CleanUpload]] = []

    def _raw(self, name: str) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix(name), "") or "")
        return str(self.initial.get(name, "") or "")

    def _raw_code(self, name: str) -> str:
        """An area code as sent, or "" when it is not one: anything else would be looked up
        (a NUL in it was a server error on PostgreSQL, found by the issue 19 fuzzing)."""
        value = self._raw(name)
        return value if AREA_CODE.fullmatch(value) else ""

    # Field checks ---------------------------------------------------------------------------

    def _clean_name(self, name: str) -> str:
        value = self.cleaned_data.get(name, "").strip()
        if value and not NAME_RE.match(value):
            raise ValidationError(_("请填写真实姓名：2 至 40 个汉字或字母，少数民族姓名可含“·”。"))
        return value

    def clean_reporter_name(self):
        return self._clean_name("reporter_name")

    def clean_subject_name(self):
        return self._clean_name("subject_name")

    def clean_guardian_name(self):
        return self._clean_name("guardian_name")

    def _clean_phone(self, name: str) -> str:
        raw = self.cleaned_data.get(name, "").strip()
        if not raw:
            return ""
        try:
            return identity.normalize_phone(raw)
        except identity.PhoneError as exc:
            raise ValidationError(str(exc)) from None

    def clean_reporter_phone(self):
        return self._clean_phone("reporter_phone")

    def clean_subject_phone(self):
        return self._clean_phone("subject_phone")

    def clean_subject_id_number(self):
        raw = self.cleaned_data.get("subject_id_number", "").strip()
        if not raw:
            return ""
        try:
            return identity.normalize_id_number(raw)
        except identity.IdNumberError as exc:
            raise ValidationError(f"{exc}。不清楚可以不填。") from None

    def clean_address(self):
        address = self.cleaned_data.get("address", "").strip()
        if address and len(address) < 4:
            raise ValidationError(_("住址太短，请写到街巷和门牌号。"))
        return address

    @cached_property
    def files_over_total(self) -> str:
        """G5: the message when all files of the report together exceed the announced total,
        else "". Checked before any file is read or re-encoded."""
        names = (self.add_prefix("entrustment_file"), self.add_prefix("supporting_files"))
        files = [f for name in names for f in self.files.getlist(name) if f]
        total = sum(f.size for f in files)
        if total <= settings.INTAKE_MAX_UPLOAD_BYTES:
            return ""
        return _(
            "附件合计不能超过 %(limit)s MB（这次选择了 %(count)d 个文件，共 %(total)s MB），"
            "请压缩图片或减少附件后重新选择。"
        ) % {
            "limit": megabytes(settings.INTAKE_MAX_UPLOAD_BYTES),
            "count": len(files),
            "total": megabytes(total),
        }

    def clean_entrustment_file(self):
        uploaded = self.cleaned_data.get("entrustment_file")
        if uploaded and self.files_over_total:
            raise ValidationError(self.files_over_total)
        return self._clean_file(uploaded, "委托书")

    def _clean_file(self, uploaded, label: str):
        if not uploaded:
            return None
        try:
            return clean_upload(uploaded)
        except UploadError as exc:
            raise ValidationError(f"{label}“{uploaded.name}”：{exc}") from None

    def clean_supporting_files(self):
        files = self.cleaned_data.get("supporting_files") or []
        if len(files) > settings.INTAKE_MAX_FILES:
            raise ValidationError(
                _("证明材料最多上传 %(count)d 个文件。") % {"count": settings.INTAKE_MAX_FILES}
            )
        if files and self.files_over_total:
            raise ValidationError(self.files_over_total)
        cleaned, errors = [], []
        for uploaded in files:
            try:
                cleaned.append(self._clean_file(uploaded, "材料"))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned

    # Rules across fields ----------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):  # E5: the honeypot was filled in
            raise ValidationError(_("提交未成功，请稍后重试。"))
        self._check_proxy(cleaned)
        self._check_child(cleaned)
        if (
            not cleaned.get("subject_phone")
            and not cleaned.get("reporter_phone")
            and "reporter_phone" not in self.errors
        ):
            self.add_error("subject_phone", _("请至少留一个联系电话。"))
        if cleaned.get("entrustment_file"):
            self.uploads.append((AttachmentKind.ENTRUSTMENT, cleaned["entrustment_file"]))
        for upload in cleaned.get("supporting_files") or []:
            self.uploads.append((AttachmentKind.SUPPORTING, upload))
        return cleaned

    def _check_proxy(self, cleaned):
        """U2: a committee or agency applying for someone shows that it was entrusted."""
        if cleaned.get("reporter_type") not in PROXY_REPORTERS:
            return
        if not cleaned.get("proxy_organisation"):
            self.add_error("proxy_organisation", _("代理申请请填写贵单位名称。"))
        has_file = bool(cleaned.get("entrustment_file")) or "entrustment_file" in self.errors
        if not cleaned.get("entrustment_statement") and not has_file:
            self.add_error(
                "entrustment_statement", _("代理申请请填写委托说明，或上传当事人签字的委托书。")
            )

    def _check_child(self, cleaned):
        """D4: for a child under 14 the guardian's consent is required."""
        if "subject_id_number" in self.errors:
            return
        fields = self._fields_for_age(cleaned)
        _birth, is_child = subject_birth_and_child(fields, timezone.localdate())
        if not is_child:
            return
        if not cleaned.get("guardian_consent"):
            self.add_error(
                "guardian_consent", _("当事人未满 14 周岁：需要监护人同意，请勾选确认。")
            )
        if not cleaned.get("guardian_name") and "guardian_name" not in self.errors:
            self.add_error("guardian_name", _("请填写监护人姓名。"))

    def _fields_for_age(self, cleaned) -> ReportFields:
        return self._build(cleaned, id_number=cleaned.get("subject_id_number", ""))

    def _build(self, cleaned, *, id_number: str) -> ReportFields:
        subtype = cleaned.get("subtype") or Subtype.OTHER
        is_proxy = cleaned.get("reporter_type") in PROXY_REPORTERS
        return ReportFields(
            reporter_type=cleaned.get("reporter_type", ""),
            reporter_name=cleaned.get("reporter_name", ""),
            reporter_phone=cleaned.get("reporter_phone", ""),
            subject_name=cleaned.get("subject_name", ""),
            subject_id_number=id_number,
            subject_phone=cleaned.get("subject_phone", ""),
            subject_declared_child=bool(cleaned.get("subject_is_child")),
            district_code=cleaned.get("district", ""),
            street_code=cleaned.get("street", ""),
            community_code=cleaned.get("community", ""),
            address=cleaned.get("address", ""),
            category=str(CATEGORY_OF_SUBTYPE.get(subtype, Category.S6)),
            subtype=subtype,
            what_happened=cleaned.get("what_happened", "").strip(),
            help_needed=cleaned.get("help_needed", "").strip(),
            benefits_received=cleaned.get("benefits_received", "").strip(),
            urgency_reasons=list(cleaned.get("urgency_reasons") or []),
            proxy_organisation=cleaned.get("proxy_organisation", "") if is_proxy else "",
            entrustment_statement=cleaned.get("entrustment_statement", "") if is_proxy else "",
            guardian_name=cleaned.get("guardian_name", ""),
        )

    def report_fields(self) -> ReportFields:
        return self._build(self.cleaned_data, id_number=self.cleaned_data["subject_id_number"])


# Required fields say so to assistive technology as well as with the visible mark (the form
# is `novalidate`: the server's Chinese messages, not the browser's, explain what is missing).
for _field in ReportForm.base_fields.values():
    if _field.required and not _field.widget.is_hidden:
        _field.widget.attrs["aria-required"] = "true"


class StatusLookupForm(forms.Form):
    reference = forms.CharField(
        label=_("受理编号"),
        max_length=24,
        error_messages={"required": _("请填写回执上的受理编号。")},
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    code = forms.CharField(
        label=_("查询码"),
        max_length=12,
        error_messages={"required": _("请填写回执上的 8 位查询码。")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
