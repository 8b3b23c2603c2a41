"""The roster kinds of issue 15, declared once each, on django-import-export (D1, U12, F2, F3).

A kind is a `RosterResource`: its columns with their Chinese headers, and the widgets that
read a cell into a value or refuse it with a Chinese reason. What a row then means for the
ledger (a lead, proposed updates, a U1 referral...) is decided by the rules in
services/exchange.py, which the resource asks through its `session`; the resource never
writes by itself.

What is kept of django-import-export: the declarative resources, fields and widgets; its
import loop (`import_data`) with its dry run, its all-or-nothing transaction (a row that fails
rolls every row back), its row results and totals, its bulk hooks (`use_bulk`: rows are
written in batches through `bulk_create`/`bulk_update`, here routed to the ledger's bulk
services) and an instance loader. What is replaced, and why (measured at 100,000 rows):
- the file reading (tablib over openpyxl: 62 s for 100,000 rows) by backoffice/spreadsheets.py
  and a dataset that streams the rows read once (`RosterDataset`), so memory stays flat;
- the instance loader: `CachedInstanceLoader` loads every instance of the file in one query
  (100,000 parameters, 100,000 model instances); `LedgerMatchLoader` matches by blind index
  a window of rows at a time, with what the rules need (household, categories, benefits,
  needs) in a handful of queries per window;
- `Result` keeps a bounded sample of rows instead of every RowResult, and the errors go to
  the bad-rows workbook as they are found;
- saving: a row's "instance" is a plan of ledger changes, written by the ledger's services
  in bulk (COPY for audit and timeline lines), never by `instance.save()`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import get_language
from import_export import resources, widgets
from import_export.fields import Field
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import Result, RowResult

from portal import identity

from ..enums import (
    SUBTYPES_BY_CATEGORY,
    WRITING_OUTCOMES,
    Category,
    DisabilityGrade,
    DisabilityType,
    Employment,
    EntryRoute,
    RosterKind,
    RowOutcome,
    Subtype,
)
from ..forms.ledger import NAME_RE

ROW_KEY = "__row__"  # the row's number in the user's file, first item of every dataset row
# The bad-rows workbook adds these two columns; uploaded again, they are neither notes nor
# unknown columns.
BAD_ROWS_REASON = "错误原因"
BAD_ROWS_NUMBER = "原表行号"
BAD_ROWS_HEADERS = (BAD_ROWS_REASON, BAD_ROWS_NUMBER)
EXCEL_EPOCH = dt.date(1899, 12, 30)
NAME_INVALID = "请填写真实姓名：2 至 40 个汉字或字母，少数民族姓名可含“·”。"


# Widgets: one cell in, a value or a Chinese reason out ------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class TextWidget(widgets.Widget):
    def __init__(self, *, required: bool = True, max_length: int = 200, missing: str = ""):
        super().__init__()
        self.required, self.max_length, self.missing = required, max_length, missing

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text and self.required:
            raise ValueError(self.missing or "必填，请填写。")
        if len(text) > self.max_length:
            raise ValueError(f"不能超过 {self.max_length} 个字。")
        return text


class NameWidget(TextWidget):
    def __init__(self):
        super().__init__(max_length=40, missing="请填写姓名。")

    def clean(self, value, row=None, **kwargs):
        name = super().clean(value)
        if not NAME_RE.match(name):
            raise ValueError(NAME_INVALID)
        return name


class IdNumberWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if isinstance(value, int | float):
            # Excel keeps 15 significant digits: an 18-digit number typed into a number cell
            # has lost its last digits for good.
            raise ValueError(
                "身份证号被 Excel 存成了数字，末几位已经丢失：请把这一列设为“文本”格式后重新填写。"
            )
        text = _text(value)
        if not text:
            raise ValueError("请填写公民身份号码。")
        try:
            return identity.normalize_id_number(text)
        except identity.IdNumberError as exc:
            raise ValueError(f"{exc}。") from None


class PhoneWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return ""
        try:
            return identity.normalize_phone(text)
        except identity.PhoneError as exc:
            raise ValueError(f"{exc}。") from None


class ChoiceWidget(widgets.Widget):
    """A value from a list: its label (as the template's list offers it) or its code."""

    def __init__(self, choices, *, required: bool = True, aliases: dict | None = None):
        super().__init__()
        self.choices = [(str(code), str(label)) for code, label in choices]
        self.required = required
        self.lookup = {label: code for code, label in self.choices}
        self.lookup.update({code: code for code, _label in self.choices})
        self.lookup.update(aliases or {})

    @property
    def labels(self) -> list[str]:
        return [label for _code, label in self.choices]

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            if self.required:
                raise ValueError("必填，请从下拉列表中选择。")
            return ""
        code = self.lookup.get(text) or self.lookup.get(text.replace(" ", ""))
        if code is None:
            shown = "、".join(self.labels[:12]) + ("等" if len(self.labels) > 12 else "")
            raise ValueError(f"“{text}”不在可选范围内，请从下拉列表中选择（{shown}）。")
        return code


def subtype_choices(*categories: str) -> list[tuple[str, str]]:
    wanted = [sub for cat in categories for sub in SUBTYPES_BY_CATEGORY[cat]]
    return [(code, label) for code, label in Subtype.choices if code in wanted]


class DateWidget(widgets.Widget):
    """2026-11-20, 2026/11/20, 2026.11.20, 2026年11月20日, 20261120, or an Excel date."""

    FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")

    def __init__(self, *, required: bool = True):
        super().__init__()
        self.required = required

    def clean(self, value, row=None, today=None, **kwargs):
        """`today`: the import's day (its session's), so that 100,000 rows do not each ask for
        the current timezone and date (~7% of an import's time)."""
        if isinstance(value, int | float) and 20000 < value < 80000:
            day = EXCEL_EPOCH + dt.timedelta(days=int(value))
        else:
            text = _text(value).split(" ")[0]
            if not text:
                if self.required:
                    raise ValueError("请填写日期，格式如 2026-11-20。")
                return None
            day = None
            try:
                day = dt.date.fromisoformat(text) if len(text) == 10 else None
            except ValueError:
                day = None
            for pattern in () if day else self.FORMATS:
                try:
                    day = dt.datetime.strptime(text, pattern).date()
                    break
                except ValueError:
                    continue
            if day is None:
                raise ValueError("日期格式应为 2026-11-20。")
        if day > (today or timezone.localdate()):
            raise ValueError("日期不能晚于今天。")
        return day


class AmountWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = _text(value).replace(",", "").removesuffix("元")
        if not text:
            raise ValueError("请填写月救助金额（元）。")
        try:
            amount = Decimal(text).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise ValueError("金额应为数字，如 1420 或 1420.50。") from None
        if amount < 0 or amount >= Decimal("100000"):
            raise ValueError("金额应在 0 至 99999 元之间。")
        return amount


# The row and its outcome -----------------------------------------------------------------------


@dataclass
class Difference:
    """One proposed update, field by field (issue 15, item 2): what the ledger says, what the
    roster says. Identifiers are shown masked."""

    label: str
    before: str
    after: str


@dataclass
class RosterRow:
    """One row of a roster: the values read from it, then what the rules made of it."""

    number: int
    notes: list[tuple[str, str]] = field(default_factory=list)  # columns the kind does not know
    id_index: str = ""  # the blind index of the ID number (D3)
    match: object = None  # services.exchange.PersonFacts, or None: not in the ledger
    outcome: str = ""
    reasons: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    plan: object = None  # what confirmation writes (services.exchange.RowPlan)

    def __str__(self) -> str:  # import-export names a row's object with it
        return f"第 {self.number} 行"


class RosterRowResult(RowResult):
    outcome = ""


class RosterResult(Result):
    """Totals of every row, but only a sample of rows kept (100,000 RowResults would be a few
    hundred MB); errors are handed to the session, which writes the bad-rows workbook."""

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        self.invalid_count = 0

    def append_row_result(self, row_result):
        pass  # the session keeps its samples (after_import_row)

    def append_invalid_row(self, number, row, validation_error):
        self.invalid_count += 1
        self.session.row_invalid(row, validation_error)

    def append_error_row(self, number, row, errors):
        self.error_rows.append(number)
        self.session.row_failed(row, errors)

    def has_errors(self):
        return bool(self.base_errors or self.error_rows)

    def has_validation_errors(self):
        return bool(self.invalid_count)


# The rows, streamed --------------------------------------------------------------------------


class RosterDataset:
    """What import-export iterates: the rows read from the upload (one JSON list a line),
    streamed window by window. Each window is shown to `prefetch` (the instance loader) before
    its rows are handed out, so that a window is matched against the ledger in one go."""

    WINDOW = 2000

    def __init__(self, open_rows, *, headers: list[str], rows: int):
        self.open_rows = open_rows  # a callable giving a fresh text stream of the JSON lines
        self.headers = [ROW_KEY, *headers]
        self.rows = rows
        self.prefetch = None

    def __len__(self) -> int:
        return self.rows

    def __iter__(self):
        width = len(self.headers)
        with self.open_rows() as lines:
            window = []
            for line in lines:
                number, cells = json.loads(line)
                row = [number, *cells[: width - 1]]
                if len(row) < width:
                    row.extend([""] * (width - len(row)))
                window.append(row)
                if len(window) >= self.WINDOW:
                    yield from self._release(window)
                    window = []
            yield from self._release(window)

    def _release(self, window):
        if window and self.prefetch is not None:
            self.prefetch(window)
        return window


class LedgerMatchLoader(BaseInstanceLoader):
    """Finds each row's person in the ledger by the blind index of the ID number (D3: the
    number itself is never stored in clear), a window of rows at a time."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        self.column = resource.fields["id_number"].column_name
        self.position = dataset.headers.index(self.column) if dataset is not None else None
        self.found: dict[str, object] = {}
        self.indexes: dict[str, str] = {}
        if dataset is not None:
            dataset.prefetch = self.prefetch

    def prefetch(self, window):
        indexes = {}
        for row in window:
            raw = row[self.position]
            if isinstance(raw, str) and raw:
                try:
                    indexes[raw] = identity.blind_index(raw, kind="id")
                except identity.IdNumberError:
                    continue
        self.indexes = indexes
        self.found = dict(
            zip(indexes, self.resource.session.facts_for(list(indexes.values())), strict=True)
        )

    def index_of(self, row) -> str:
        """The blind index of the row's ID number ("" when the number is not valid)."""
        return self.indexes.get(row.get(self.column), "")

    def get_instance(self, row):
        return self.found.get(row.get(self.column))


# The resources --------------------------------------------------------------------------------


class RosterResource(resources.Resource):
    """A roster kind. Subclasses declare the columns (Fields with Chinese `column_name`s)."""

    kind: RosterKind
    # Columns a file may leave out; every other declared column must be there, in any order.
    optional_headers: tuple[str, ...] = ()

    name = Field(attribute="name", column_name="姓名", widget=NameWidget())
    id_number = Field(attribute="id_number", column_name="公民身份号码", widget=IdNumberWidget())

    class Meta:
        use_bulk = True
        batch_size = 1000
        skip_diff = True
        skip_html_diff = True
        store_instance = True
        use_transactions = True
        import_id_fields = ["id_number"]
        instance_loader_class = LedgerMatchLoader

    def __init__(self, *, session=None, **kwargs):
        super().__init__(**kwargs)
        self.session = session
        self.column_of = {f.attribute: f.column_name for f in self.fields.values()}
        self.cells = [(f.attribute, f.column_name, f.widget) for f in self.get_import_fields()]

    @classmethod
    def headers(cls) -> list[str]:
        return [f.column_name for f in cls().get_import_fields()]

    @classmethod
    def widget_for(cls, header: str):
        for column in cls.fields.values():
            if column.column_name == header:
                return column.widget
        return None

    def get_result_class(self):
        session = self.session
        return lambda: RosterResult(session=session)

    def get_row_result_class(self):
        return RosterRowResult

    def init_instance(self, row=None):
        known = {*self.column_of.values(), *BAD_ROWS_HEADERS}
        notes = [
            (header, _text(value))
            for header, value in row.items()
            if header != ROW_KEY and header not in known and _text(value)
        ]
        return RosterRow(number=row[ROW_KEY], notes=notes)

    def get_or_init_instance(self, instance_loader, row):
        instance = self.init_instance(row)
        instance.match = instance_loader.get_instance(row)
        instance.id_index = instance_loader.index_of(row)
        return instance, instance.match is None

    def import_instance(self, instance, row, **kwargs):
        """Each cell through its widget, then the row through the rules (the session): what
        it means for the ledger is known before import-export decides to skip or save it.

        The loop over the fields is import-export's (`Resource.import_instance`) without its
        per-row cost (the import order worked out again for every row, each field's path
        split, ~10 us a field): the same widgets, the errors keyed by column."""
        errors = {}
        today = getattr(self.session, "today", None)
        for attribute, column, widget in self.cells:
            if column not in row:
                continue  # an optional column the file leaves out
            try:
                setattr(instance, attribute, widget.clean(row[column], row=row, today=today))
            except ValueError as error:
                errors[column] = ValidationError(str(error), code="invalid")
        id_column = self.column_of["id_number"]
        if id_column not in errors and instance.id_index:
            repeat = self.session.repeat_of(instance)  # L7: one person, one row
            if repeat:
                errors[id_column] = ValidationError(repeat, code="repeat")
        if errors:
            raise ValidationError(errors)
        self.session.classify(self, instance)  # raises ValidationError on a refused rule

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        if import_validation_errors:
            raise ValidationError(import_validation_errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        return not import_validation_errors and instance.outcome not in WRITING_OUTCOMES

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        self._write(self.create_instances, dry_run)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        self._write(self.update_instances, dry_run)

    def _write(self, instances: list, dry_run: bool) -> None:
        """A batch of rows that write, on confirmation only, and not once a row was refused:
        the whole import is rolled back at its end anyway (all or nothing)."""
        try:
            if instances and not dry_run and not self.session.refused:
                self.session.write(list(instances))
        finally:
            instances.clear()

    def after_import_row(self, row, row_result, **kwargs):
        instance = row_result.instance
        row_result.instance = None  # nothing of the row is kept past this point
        if instance is None:
            return
        row_result.outcome = instance.outcome
        if instance.outcome in (RowOutcome.LEAD, RowOutcome.HANDOVER):
            row_result.import_type = RowResult.IMPORT_TYPE_NEW
        elif instance.outcome in (RowOutcome.DIFFERENT, RowOutcome.REFERRAL):
            row_result.import_type = RowResult.IMPORT_TYPE_UPDATE
        self.session.row_done(instance)

    def after_import(self, dataset, result, **kwargs):
        self.session.finish()


def rule_errors(resource: RosterResource, error) -> ValidationError:
    """A service's refusal (RuleError with a field) as import-export's per-column errors."""
    column = resource.column_of.get(error.field) if error.field else None
    return ValidationError({column or NON_FIELD_ERRORS: [error.message]})


class LeadRosterResource(RosterResource):
    """Rosters that bring people in: where they live decides the jurisdiction (B8)."""

    route: str = ""

    phone = Field(attribute="phone", column_name="联系电话", widget=PhoneWidget())
    district = Field(attribute="district", column_name="区", widget=TextWidget(max_length=20))
    street = Field(attribute="street", column_name="街道（乡镇）", widget=TextWidget(max_length=64))
    community = Field(
        attribute="community", column_name="社区（村）", widget=TextWidget(max_length=64)
    )
    address = Field(attribute="address", column_name="现住址", widget=TextWidget(max_length=200))


class SurveyResource(LeadRosterResource):
    """摸排名册 (D1, F3): elderly, children and disabled people found in a survey sweep. A person
    not in the ledger becomes a lead whose 3-working-day clock runs from 调查完成日期; one in
    the ledger gets the differences proposed field by field."""

    kind = RosterKind.SURVEY
    route = EntryRoute.SURVEY

    subtype = Field(
        attribute="subtype",
        column_name="人员类别",
        widget=ChoiceWidget(subtype_choices("S2", "S3", "S4")),
    )
    situation = Field(
        attribute="situation",
        column_name="困难情形",
        widget=TextWidget(max_length=3000, missing="请写明摸排了解到的困难情形。"),
    )
    help_needed = Field(
        attribute="help_needed",
        column_name="帮扶需求",
        widget=TextWidget(max_length=1000, missing="请写明帮扶需求。"),
    )
    started_on = Field(attribute="started_on", column_name="调查完成日期", widget=DateWidget())

    class Meta(RosterResource.Meta):
        import_order = (
            "name",
            "id_number",
            "phone",
            "district",
            "street",
            "community",
            "address",
            "subtype",
            "situation",
            "help_needed",
            "started_on",
        )


class ApprovalResource(LeadRosterResource):
    """社会救助审批名单 (F2, S1): a person not in the ledger becomes a lead with the home visit
    due 1 working day after 审批通过日期; one in the ledger gets the category and the benefit."""

    kind = RosterKind.APPROVAL
    route = EntryRoute.APPROVAL
    optional_headers = ("联系电话",)

    subtype = Field(
        attribute="subtype",
        column_name="救助类别",
        widget=ChoiceWidget(subtype_choices("S1"), aliases={"低保": "dibao_urban"}),
    )
    started_on = Field(attribute="started_on", column_name="审批通过日期", widget=DateWidget())
    amount = Field(attribute="amount", column_name="月救助金额（元）", widget=AmountWidget())

    class Meta(RosterResource.Meta):
        import_order = (
            "name",
            "id_number",
            "phone",
            "district",
            "street",
            "community",
            "address",
            "subtype",
            "started_on",
            "amount",
        )


GRADE_ALIASES = {f"{n}级": code for code, n in (("1", "一"), ("2", "二"), ("3", "三"), ("4", "四"))}
GRADE_ALIASES.update({f"{code}级": code for code in ("1", "2", "3", "4")})


class DisabilityResource(RosterResource):
    """残联：残疾人名单 (U12, L4, U1)."""

    kind = RosterKind.DISABILITY
    disability_type = Field(
        attribute="disability_type",
        column_name="残疾类别",
        widget=ChoiceWidget(DisabilityType.choices),
    )
    disability_grade = Field(
        attribute="disability_grade",
        column_name="残疾等级",
        widget=ChoiceWidget(DisabilityGrade.choices, aliases=GRADE_ALIASES),
    )


class EducationResource(RosterResource):
    """教育：就学情况名单 (U12, L3)."""

    kind = RosterKind.EDUCATION
    optional_headers = ("学校名称",)
    schooling = Field(
        attribute="schooling",
        column_name="就学情况",
        widget=TextWidget(max_length=100, missing="请填写就学情况，如“在读小学”。"),
    )
    school = Field(attribute="school", column_name="学校名称", widget=TextWidget(required=False))


class HumanResourcesResource(RosterResource):
    """人社：就业参保名单 (U12, L1)."""

    kind = RosterKind.HUMAN_RESOURCES
    optional_headers = ("参保情况",)
    employment = Field(
        attribute="employment",
        column_name="就业状况",
        widget=ChoiceWidget(Employment.choices),
    )
    insurance = Field(
        attribute="insurance",
        column_name="参保情况",
        widget=TextWidget(required=False, max_length=200),
    )


class HealthResource(RosterResource):
    """卫健：大病患者名单 (U12, L5, U1)."""

    kind = RosterKind.HEALTH
    optional_headers = ("确诊日期",)
    illness = Field(
        attribute="illness",
        column_name="疾病名称",
        widget=TextWidget(max_length=100, missing="请填写疾病名称。"),
    )
    diagnosed_on = Field(
        attribute="diagnosed_on", column_name="确诊日期", widget=DateWidget(required=False)
    )


HOUSING_STATUSES = [("guaranteed", "在保"), ("waiting", "轮候"), ("left", "已退出")]


class HousingResource(RosterResource):
    """住建：住房保障名单 (U12)."""

    kind = RosterKind.HOUSING
    housing_type = Field(
        attribute="housing_type",
        column_name="住房保障方式",
        widget=TextWidget(max_length=50, missing="请填写住房保障方式，如“公共租赁住房”。"),
    )
    housing_status = Field(
        attribute="housing_status",
        column_name="保障状态",
        widget=ChoiceWidget(HOUSING_STATUSES),
    )


MONITOR_TYPES = [
    ("unstable", "脱贫不稳定户"),
    ("marginal", "边缘易致贫户"),
    ("sudden", "突发严重困难户"),
]


class AgricultureResource(RosterResource):
    """农业农村：防止返贫监测对象名单 (U12, U1)."""

    kind = RosterKind.AGRICULTURE
    monitor_type = Field(
        attribute="monitor_type",
        column_name="监测对象类别",
        widget=ChoiceWidget(MONITOR_TYPES),
    )
    monitored_on = Field(attribute="monitored_on", column_name="纳入监测日期", widget=DateWidget())


RESOURCES: dict[str, type[RosterResource]] = {
    resource.kind: resource
    for resource in (
        SurveyResource,
        ApprovalResource,
        DisabilityResource,
        EducationResource,
        HumanResourcesResource,
        HealthResource,
        HousingResource,
        AgricultureResource,
    )
}


def resource_of(kind: str) -> type[RosterResource]:
    return RESOURCES[RosterKind(kind)]


def row_dict(headers: list[str], values: list) -> OrderedDict:
    return OrderedDict(zip(headers, values, strict=False))


def choice_labels(choices) -> callable:
    """The labels of a TextChoices, translated once per language."""
    translated: dict[str, dict[str, str]] = {}

    def labels() -> dict[str, str]:
        language = get_language()
        if language not in translated:
            translated[language] = {value: str(label) for value, label in choices.choices}
        return translated[language]

    return labels


SUBTYPE_LABELS = choice_labels(Subtype)
CATEGORY_LABELS = choice_labels(Category)


# What to write in each column of a template (its 填写说明 sheet).
COLUMN_HELP = {
    "姓名": "必填。与身份证一致，2 至 40 个汉字或字母，少数民族姓名可含“·”。",
    "公民身份号码": "必填。18 位（或 15 位旧号码）；本列已设为文本格式，请勿改为数字。",
    "联系电话": "可不填。手机号或北京固定电话。",
    "区": "必填。从下拉列表中选择。",
    "街道（乡镇）": "必填。从下拉列表中选择，须属于所填的区。",
    "社区（村）": "必填。从下拉列表中选择，须属于所填的街道（乡镇）。",
    "现住址": "必填。门牌号到户。",
    "人员类别": "必填。从下拉列表中选择：困境老年人、困境儿童或重度残疾人的细类。",
    "困难情形": "必填。摸排了解到的基本情况和困难。",
    "帮扶需求": "必填。如：照料护理、医疗、基本生活。",
    "调查完成日期": (
        "必填。基本情况调查完成的日期，如 2026-11-20；纳入台账期限从次日起按工作日计算。"
    ),
    "救助类别": "必填。从下拉列表中选择：城市低保、农村低保、低收入、特困供养。",
    "审批通过日期": "必填。如 2026-11-20；入户访谈期限从次日起按工作日计算。",
    "月救助金额（元）": "必填。数字，如 1420。",
    "残疾类别": "必填。从下拉列表中选择。",
    "残疾等级": "必填。一级至四级。",
    "就学情况": "必填。如：在读小学、在读初中、辍学。",
    "学校名称": "可不填。",
    "就业状况": "必填。从下拉列表中选择。",
    "参保情况": "可不填。",
    "疾病名称": "必填。",
    "确诊日期": "可不填。如 2026-11-20。",
    "住房保障方式": "必填。如：公共租赁住房、租赁补贴。",
    "保障状态": "必填。在保、轮候或已退出。",
    "监测对象类别": "必填。从下拉列表中选择。",
    "纳入监测日期": "必填。如 2026-11-20。",
}


# Exports: each ledger listing's columns ------------------------------------------------------


class ValuesRecord:
    """A listing's row read with `values_list` rather than as a model instance (3-4x faster
    at 100,000 rows: no Model.__init__, signals or datetime columns nobody exports), carrying
    what the columns and the audit read: its values as attributes, related rows as nested
    records ("household__community__name" -> record.household.community.name), `_meta`, and
    the model's properties and `__str__` (the audit label) computed on these values."""

    def __init__(self, meta, values: dict):
        self._meta = meta
        self.__dict__.update(values)

    @classmethod
    def reader(cls, model, names: tuple[str, ...]):
        """A function turning one `values_list(*names)` row into a record of `model`."""
        nested: dict[str, list[tuple[int, str]]] = {}
        plain: list[tuple[int, str]] = []
        for position, name in enumerate(names):
            head, sep, rest = name.partition("__")
            if sep:
                nested.setdefault(head, []).append((position, rest))
            else:
                plain.append((position, name))
        related = []
        for head, parts in nested.items():
            target = model._meta.get_field(head).related_model
            related.append(
                (head, [p for p, _ in parts], cls.reader(target, tuple(n for _, n in parts)))
            )
        meta = model._meta

        def read(row) -> ValuesRecord:
            values = {name: row[position] for position, name in plain}
            for head, positions, inner in related:
                values[head] = inner([row[p] for p in positions])
            return cls(meta, values)

        return read

    def __getattr__(self, name):
        found = getattr(self._meta.model, name, None)
        if isinstance(found, property):
            return found.fget(self)
        raise AttributeError(name)

    def __str__(self) -> str:
        return self._meta.model.__str__(self)


class ExportResource(resources.Resource):
    """The columns of a listing's export. import-export's declarative fields and `dehydrate_*`
    methods are kept; rows are written one by one into a stream (services/exchange.py) rather
    than into the in-memory tablib Dataset that `Resource.export` builds.

    `reveal` (B3: a permission and a written reason, audited) shows full ID and phone numbers;
    otherwise the masked copies. `viewer` (the actor) decides what of a child shows (B4) where
    the listing itself does not leave children out.

    `record_values`: when a layout declares every column its getters and the audit read, its
    rows are read as values (`ValuesRecord`) instead of model instances."""

    record_values: tuple[str, ...] = ()

    def __init__(self, *, viewer=None, reveal: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.viewer = viewer
        self.reveal = reveal
        self.labels: dict[tuple, dict] = {}

    def choice(self, record, name: str) -> str:
        """`get_<name>_display()` without its cost per call (the choices made hashable and
        every label translated again: 3 ms a row for a person's five coded fields): the
        labels of each field translated once per export."""
        key = (record._meta.model, name)
        labels = self.labels.get(key)
        if labels is None:
            field = record._meta.get_field(name)
            labels = self.labels[key] = {v: str(label) for v, label in field.flatchoices}
        value = getattr(record, name)
        return labels.get(value, value or "")

    def cells(self):
        """One callable per column, in order: the dehydrate method, else the field itself."""
        getters = []
        for name, column in self.fields.items():
            method = getattr(self, f"dehydrate_{name}", None)
            getters.append(method if method is not None else column.get_value)
        return getters

    @classmethod
    def headers(cls) -> list[str]:
        return [column.column_name for column in cls.fields.values()]

    def identifier(self, encrypted: str, masked: str) -> str:
        if self.reveal and encrypted:
            return identity.decrypt_value(encrypted)
        return masked

    def before_chunk(self, records: list) -> None:
        """Read what a chunk of rows needs in one go (children to hide...)."""


class HouseholdExport(ExportResource):
    file_number = Field(attribute="file_number", column_name="档案编号")
    district = Field(attribute="district__name", column_name="区")
    street = Field(attribute="street__name", column_name="街道（乡镇）")
    community = Field(attribute="community__name", column_name="社区（村）")
    address = Field(attribute="address", column_name="住址")
    status = Field(column_name="状态")
    entry_route = Field(column_name="建档来源")
    entered_on = Field(attribute="entered_on", column_name="纳入台账日期")
    next_visit_due = Field(attribute="next_visit_due", column_name="下次回访截止")
    completeness = Field(attribute="completeness", column_name="完整度（%）")
    categories = Field(column_name="成员类别")

    def dehydrate_status(self, household):
        return self.choice(household, "status")

    def dehydrate_entry_route(self, household):
        return self.choice(household, "entry_route")

    def dehydrate_categories(self, household):
        labels = CATEGORY_LABELS()
        return "、".join(labels.get(code, code) for code in household.member_categories.split())


class PersonExport(ExportResource):
    # What the columns below read, and the audit label (name, masked ID number).
    record_values = (
        "pk",
        "name",
        "sex",
        "birth_date",
        "id_number_encrypted",
        "id_number_masked",
        "phone_encrypted",
        "phone_masked",
        "relation",
        "education",
        "employment",
        "health",
        "exited_on",
        "household__file_number",
        "household__community__name",
    )

    name = Field(attribute="name", column_name="姓名")
    sex = Field(column_name="性别")
    birth_date = Field(attribute="birth_date", column_name="出生日期")
    id_number = Field(column_name="公民身份号码")
    phone = Field(column_name="联系电话")
    relation = Field(column_name="与户主关系")
    education = Field(column_name="文化程度")
    employment = Field(column_name="就业状况")
    health = Field(column_name="健康状况")
    file_number = Field(attribute="household__file_number", column_name="档案编号")
    community = Field(attribute="household__community__name", column_name="社区（村）")
    categories = Field(column_name="救助类别")
    exited_on = Field(attribute="exited_on", column_name="退出日期")

    def before_chunk(self, records):
        from ..bulk import filter_in
        from ..models import PersonCategory

        self.categories_of: dict[int, list[str]] = {}
        for person_id, subtype in filter_in(
            PersonCategory.objects, "person_id", [p.pk for p in records]
        ).values_list("person_id", "subtype"):
            self.categories_of.setdefault(person_id, []).append(SUBTYPE_LABELS()[subtype])

    def dehydrate_sex(self, person):
        return self.choice(person, "sex")

    def dehydrate_id_number(self, person):
        return self.identifier(person.id_number_encrypted, person.id_number_masked)

    def dehydrate_phone(self, person):
        return self.identifier(person.phone_encrypted, person.phone_masked)

    def dehydrate_relation(self, person):
        return self.choice(person, "relation")

    def dehydrate_education(self, person):
        return self.choice(person, "education")

    def dehydrate_employment(self, person):
        return self.choice(person, "employment")

    def dehydrate_health(self, person):
        return self.choice(person, "health")

    def dehydrate_categories(self, person):
        return "、".join(self.categories_of.get(person.pk, []))


class MemberRecordExport(ExportResource):
    """Categories and benefits: records of one member (children left out by the listing)."""

    name = Field(attribute="person__name", column_name="姓名")
    id_number = Field(column_name="公民身份号码")
    file_number = Field(attribute="person__household__file_number", column_name="档案编号")

    def dehydrate_id_number(self, record):
        person = record.person
        return self.identifier(person.id_number_encrypted, person.id_number_masked)


class PersonCategoryExport(MemberRecordExport):
    category = Field(column_name="类别")
    subtype = Field(column_name="细类")
    since = Field(attribute="since", column_name="认定日期")

    def dehydrate_category(self, record):
        return self.choice(record, "category")

    def dehydrate_subtype(self, record):
        return self.choice(record, "subtype")


class BenefitExport(MemberRecordExport):
    benefit_type = Field(column_name="保障类型")
    monthly_amount = Field(attribute="monthly_amount", column_name="月金额（元）")
    since = Field(attribute="since", column_name="起始日期")

    def dehydrate_benefit_type(self, record):
        return self.choice(record, "benefit_type")


class NeedExport(ExportResource):
    file_number = Field(attribute="household__file_number", column_name="档案编号")
    community = Field(attribute="household__community__name", column_name="社区（村）")
    need_type = Field(column_name="需求类型")
    person = Field(column_name="涉及成员")
    status = Field(column_name="状态")
    recorded_on = Field(attribute="recorded_on", column_name="登记日期")
    description = Field(column_name="需求描述")

    def before_chunk(self, records):
        from ..children import child_view_of_households

        self.child_view = child_view_of_households(
            self.viewer, {need.household_id for need in records}
        )

    def dehydrate_need_type(self, need):
        return self.choice(need, "need_type")

    def dehydrate_person(self, need):
        return self.child_view.label(need.person)  # B4

    def dehydrate_status(self, need):
        return self.choice(need, "status")

    def dehydrate_description(self, need):
        return self.child_view.redact(need.description)  # B4


class CaseExport(ExportResource):
    number = Field(column_name="个案")
    file_number = Field(attribute="household__file_number", column_name="档案编号")
    subject = Field(attribute="subject_name", column_name="服务对象")
    group = Field(column_name="帮扶对象类别")
    services = Field(column_name="服务类型")
    worker = Field(column_name="负责社工")
    opened_on = Field(attribute="opened_on", column_name="开案日期")
    sessions = Field(column_name="已服务/计划次数")
    status = Field(column_name="状态")

    def dehydrate_number(self, case):
        return f"个案 {case.pk}"

    def dehydrate_group(self, case):
        return self.choice(case, "group")

    def dehydrate_services(self, case):
        return case.service_type_labels()

    def dehydrate_worker(self, case):
        return case.worker.get_full_name() or case.worker.get_username()

    def dehydrate_sessions(self, case):
        return f"{case.session_count} / {case.planned_sessions}"

    def dehydrate_status(self, case):
        return self.choice(case, "status")


class ReferralExport(ExportResource):
    number = Field(column_name="资源链接")
    file_number = Field(attribute="household__file_number", column_name="档案编号")
    kind = Field(column_name="链接类型")
    target = Field(attribute="target", column_name="对接部门或组织")
    benefit_type = Field(column_name="涉及的保障")
    sent_on = Field(attribute="sent_on", column_name="发送日期")
    due_on = Field(attribute="due_on", column_name="反馈期限")
    status = Field(column_name="状态")
    overdue = Field(column_name="逾期")

    def dehydrate_number(self, referral):
        return f"链接 {referral.pk}"

    def dehydrate_kind(self, referral):
        return self.choice(referral, "kind")

    def dehydrate_benefit_type(self, referral):
        return self.choice(referral, "benefit_type") if referral.benefit_type else ""

    def dehydrate_status(self, referral):
        return self.choice(referral, "status")

    def dehydrate_overdue(self, referral):
        return "已逾期" if getattr(referral, "is_overdue", False) else ""


class ReportExport(ExportResource):
    """The triage queue; the reporter's identity is never exported (B7)."""

    reference = Field(attribute="reference", column_name="受理编号")
    urgent = Field(column_name="紧急")
    route = Field(column_name="来源")
    name = Field(column_name="当事人姓名")
    id_number = Field(column_name="当事人身份证号")
    phone = Field(column_name="当事人电话")
    community = Field(attribute="community__name", column_name="社区（村）")
    subtype = Field(column_name="困难类别")
    status = Field(column_name="环节")
    learned_on = Field(attribute="learned_on", column_name="知悉日期")

    def hidden(self, report) -> bool:
        from ..children import sees_children

        return report.subject_is_child and not sees_children(self.viewer)

    def dehydrate_urgent(self, report):
        return "紧急" if report.urgent else ""

    def dehydrate_route(self, report):
        return self.choice(report, "route")

    def dehydrate_name(self, report):
        from ..children import CHILD_LABEL

        return CHILD_LABEL if self.hidden(report) else report.subject_name

    def dehydrate_id_number(self, report):
        if self.hidden(report):
            return ""
        return self.identifier(report.subject_id_encrypted, report.subject_id_masked)

    def dehydrate_phone(self, report):
        if self.hidden(report):
            return ""
        return self.identifier(report.subject_phone_encrypted, report.subject_phone_masked)

    def dehydrate_subtype(self, report):
        return self.choice(report, "subtype")

    def dehydrate_status(self, report):
        return self.choice(report, "status")
