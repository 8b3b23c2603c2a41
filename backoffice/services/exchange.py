"""Data exchange (issue 15: D1, U12, U1, F2, F3): rosters and department lists in, matched
against the ledger; scoped, masked exports out.

An import goes: upload (kept privately, E2) -> check in the background (every row read, matched
against the ledger by blind index and classified; nothing written) -> preview (totals per
outcome, every error with its row, column and reason, a workbook of the bad rows) -> confirm
-> apply in the background, all or nothing: the rows are checked again against the ledger as
it is then, inside the one transaction that writes them, so a failure at row 99,999 leaves the
ledger as it was. The command `import_roster` runs the same steps in the foreground.

What a row means is decided here, by the rules the rest of the ledger uses: `lead_check` for
leads (F2, F3), `category_details_check` for categories (L1-L5), the scope for jurisdiction
(B1, B8), one person one file by the blind index (L7); and written by the ledger's services,
in bulk where a roster needs it (`leads_register`, `records_versioned_update`,
`events_record_bulk`, `households_refresh_completeness`), one by one where rows are few
(`referral_create`, the hand-over of a lead filed elsewhere). The audit holds field names,
never values (C3).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import io
import json
import logging
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from intake.deletions import files_delete_on_commit
from intake.enums import OPEN_STATUSES
from intake.models import Report
from intake.uploads import PRIVATE_ALIAS
from portal import identity
from portal.storage_down import storage_failure

from ..actor import Actor, user_actor
from ..bulk import filter_in
from ..children import child_record_check, sees_children
from ..enums import (
    DEPARTMENT_ROSTERS,
    LEAD_ROSTERS,
    AreaLevel,
    AuditAction,
    BenefitType,
    Channel,
    DisabilityGrade,
    DisabilityType,
    Employment,
    Health,
    HouseholdStatus,
    NeedStatus,
    NeedType,
    ReferralKind,
    ReferralStatus,
    ReferralTargetType,
    RosterImportStatus,
    RosterKind,
    RowOutcome,
    Subtype,
    TimelineKind,
)
from ..models import (
    Area,
    Benefit,
    Household,
    Need,
    Person,
    PersonCategory,
    Referral,
    RosterImport,
)
from ..models.exchange import KEEP_HOURS
from ..models.ledger import HOUSEHOLD_SCOPE
from ..resources.exchange import (
    BAD_ROWS_HEADERS,
    MONITOR_TYPES,
    ROW_KEY,
    SUBTYPE_LABELS,
    Difference,
    LeadRosterResource,
    RosterDataset,
    RosterResource,
    RosterRow,
    choice_labels,
    resource_of,
    rule_errors,
)
from ..scope import in_scope, scope_queryset
from ..spreadsheets import SpreadsheetError, XlsxWriter, table_rows
from .errors import RuleError
from .events import event_record, events_record_bulk
from .ledger import (
    ClosedFileError,
    category_details_check,
    households_refresh_completeness,
    person_identifiers,
)
from .ledger_edits import (
    household_update_summary,
    person_update_summary,
    record_summary,
    records_versioned_update,
)
from .referrals import referral_create
from .triage import Lead, lead_check, leads_register
from .triage import _hand_over as hand_over

logger = logging.getLogger(__name__)

# Who may bring which kind in (the role's permission; the rows are cut to the scope).
KIND_PERMISSIONS = {
    **{kind: "backoffice.import_roster" for kind in LEAD_ROSTERS},
    **{kind: "backoffice.import_department_list" for kind in DEPARTMENT_ROSTERS},
}
ERRORS_SHOWN = 200  # errors listed on the preview page; all of them are in the workbook
SAMPLES_SHOWN = 20  # rows shown per outcome on the preview page
PROGRESS_EVERY = 1000  # rows between two progress reports


class ExchangeError(RuleError):
    """An import or export that cannot go ahead; the message says why."""


def kinds_for(user) -> list[tuple[str, str]]:
    """The roster kinds `user` may import, as (value, label)."""
    return [
        (kind.value, kind.label)
        for kind in RosterKind
        if user.has_perm(KIND_PERMISSIONS[kind]) and _ledger_scope(user)
    ]


def _ledger_scope(user) -> bool:
    from ..scope import user_scope

    return user_scope(user).level not in ("none", "assigned")


# The divisions, by name ----------------------------------------------------------------------

SUFFIXES = (
    "居民委员会",
    "村民委员会",
    "居委会",
    "村委会",
    "社区",
    "村",
    "街道办事处",
    "街道",
    "地区",
)


def _forms(name: str) -> list[str]:
    """A division's name as people write it: no spaces, then without its committee suffixes,
    one after another (永安里社区居委会, 永安里社区, 永安里), the fullest form first."""
    name = "".join(str(name).split())
    forms = [name]
    while True:
        suffix = next(
            (s for s in SUFFIXES if forms[-1].endswith(s) and len(forms[-1]) > len(s)), None
        )
        if suffix is None:
            return forms
        forms.append(forms[-1][: -len(suffix)])


class AreaDirectory:
    """Beijing's divisions, read once per import: 区, 街道（乡镇）and 社区（村）by name (or code),
    each within its parent. Areas are reference data (7,901 rows)."""

    def __init__(self):
        self.by_code: dict[str, Area] = {}
        self.named: dict[tuple[str, str, str], Area] = {}
        self.found: dict[tuple[str, str, str], Area | None] = {}
        named: list[tuple[int, tuple[str, str, str], Area]] = []
        for area in Area.objects.only(
            "code", "name", "level", "parent_id", "district_id", "street_id", "aliases"
        ):
            self.by_code[area.code] = area
            aliases = [alias for alias in area.aliases.replace("，", ",").split(",") if alias]
            for name in (area.name, *aliases):
                for depth, form in enumerate(_forms(name)):
                    named.append((depth, (area.level, area.parent_id or "", form), area))
        # A name as written wins over another division's name without its suffix.
        for _depth, key, area in sorted(named, key=lambda entry: entry[0]):
            self.named.setdefault(key, area)

    def find(self, level: str, parent: str, text: str) -> Area | None:
        """The division of `level` under `parent` named `text` (a roster names the same few
        hundred divisions 100,000 times: each answer is kept)."""
        key = (level, parent, text)
        try:
            return self.found[key]
        except KeyError:
            found = self.found[key] = self._find(level, parent, text)
            return found

    def _find(self, level: str, parent: str, text: str) -> Area | None:
        text = "".join(str(text).split())
        if text in self.by_code and self.by_code[text].level == level:
            found = self.by_code[text]
            return found if not parent or found.parent_id == parent else None
        for form in _forms(text):
            found = self.named.get((level, parent, form))
            if found is not None:
                return found
        return None

    def community(self, *, district: str, street: str, community: str) -> Area:
        city = "110000000000"
        found_district = self.find(AreaLevel.DISTRICT, city, district)
        if found_district is None:
            raise RuleError(f"“{district}”不是北京市的区，请从下拉列表中选择。", field="district")
        found_street = self.find(AreaLevel.STREET, found_district.code, street)
        if found_street is None:
            raise RuleError(
                f"{found_district.name}没有“{street}”这个街道（乡镇），请从下拉列表中选择。",
                field="street",
            )
        found = self.find(AreaLevel.COMMUNITY, found_street.code, community)
        if found is None:
            raise RuleError(
                f"{found_street.name}没有“{community}”这个社区（村），请从下拉列表中选择。",
                field="community",
            )
        return found

    def name(self, code: str | None) -> str:
        area = self.by_code.get(code or "")
        return area.name if area else ""


# What the ledger holds about a roster's people ----------------------------------------------


@dataclass
class HouseholdFacts:
    """A file as the rules read it. It answers the one scope function as a Household would
    (its scope columns), so that matching 100,000 rows builds no model instance per row."""

    scope_fields = HOUSEHOLD_SCOPE
    _default_manager = Household._default_manager

    pk: int
    version: int
    status: str
    district_id: str
    street_id: str
    community_id: str
    address: str
    file_number: str

    def light(self) -> Household:
        """A Household carrying what the scope, the audit and the timeline read."""
        return Household(
            pk=self.pk,
            status=self.status,
            district_id=self.district_id,
            street_id=self.street_id,
            community_id=self.community_id,
            file_number=self.file_number,
            address=self.address,
        )


@dataclass
class PersonFacts:
    pk: int
    version: int
    name: str
    exited_on: dt.date | None
    birth_date: dt.date
    id_number_masked: str
    phone_index: str
    phone_masked: str
    education: str
    employment: str
    health: str
    household: HouseholdFacts
    in_scope: bool = False
    categories: dict[str, tuple[int, str, dict]] = field(default_factory=dict)  # by subtype
    benefits: dict[str, tuple[int, Decimal | None, dt.date | None]] = field(default_factory=dict)
    needs: list[tuple[int, int | None, str, str]] = field(default_factory=list)  # open, household
    referred: set[str] = field(default_factory=set)  # benefit types of open U1 referrals

    def light(self) -> Person:
        return Person(
            pk=self.pk,
            name=self.name,
            birth_date=self.birth_date,
            id_number_masked=self.id_number_masked,
            household_id=self.household.pk,
        )


PERSON_VALUES = (
    "pk",
    "id_number_index",
    "version",
    "name",
    "exited_on",
    "birth_date",
    "id_number_masked",
    "phone_index",
    "phone_masked",
    "education",
    "employment",
    "health",
    "household_id",
    "household__version",
    "household__status",
    "household__district_id",
    "household__street_id",
    "household__community_id",
    "household__address",
    "household__file_number",
)
OPEN_NEEDS = (NeedStatus.OPEN, NeedStatus.IN_PROGRESS)


@transaction.atomic  # one snapshot of the ledger for the window
def ledger_facts(*, actor: Actor, indexes: list[str]) -> tuple[list, dict[str, str]]:
    """For each blind index, the person on record and what the rules read of their file, or
    None; and, for indexes not in the ledger, the open lead or report already in the actor's
    queue. A handful of queries for a window of up to 2,000 rows."""
    found: dict[str, PersonFacts] = {}
    for values in filter_in(Person.objects, "id_number_index", indexes).values_list(*PERSON_VALUES):
        (pk, index, version, name, exited_on, birth, masked, phone_index, phone_masked) = values[:9]
        education, employment, health = values[9:12]
        household = HouseholdFacts(values[12], *values[13:])
        facts = PersonFacts(
            pk,
            version,
            name,
            exited_on,
            birth,
            masked,
            phone_index,
            phone_masked,
            education,
            employment,
            health,
            household,
        )
        facts.in_scope = in_scope(actor, household)
        found.setdefault(index, facts)
    persons = {facts.pk: facts for facts in found.values()}
    households: dict[int, list[PersonFacts]] = {}
    for facts in persons.values():
        households.setdefault(facts.household.pk, []).append(facts)
    for pk, person_id, subtype, category, details in filter_in(
        PersonCategory.objects, "person_id", persons
    ).values_list("pk", "person_id", "subtype", "category", "details"):
        persons[person_id].categories[subtype] = (pk, category, details or {})
    for pk, person_id, kind, amount, since in filter_in(
        Benefit.objects, "person_id", persons
    ).values_list("pk", "person_id", "benefit_type", "monthly_amount", "since"):
        persons[person_id].benefits[kind] = (pk, amount, since)
    for pk, household_id, person_id, need_type, status in filter_in(
        Need.objects.filter(status__in=OPEN_NEEDS), "household_id", households
    ).values_list("pk", "household_id", "person_id", "need_type", "status"):
        for facts in households[household_id]:
            facts.needs.append((pk, person_id, need_type, status))
    for household_id, benefit_type in (
        filter_in(Referral.objects, "household_id", households)
        .filter(
            kind=ReferralKind.ELIGIBLE_NOT_ENROLLED,
            status__in=(ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED),
        )
        .values_list("household_id", "benefit_type")
    ):
        for facts in households[household_id]:
            facts.referred.add(benefit_type)
    missing = [index for index in indexes if index not in found]
    reported = dict(
        scope_queryset(
            actor,
            filter_in(Report.objects, "subject_id_index", missing).filter(status__in=OPEN_STATUSES),
        ).values_list("subject_id_index", "reference")
    )
    return [found.get(index) for index in indexes], reported


# What a row means: the rules, kind by kind ------------------------------------------------------


@dataclass
class RowPlan:
    """What confirming a row writes. Leads go to the triage queue (F2, F3); the rest changes
    a file already in the ledger, through the same rules as a form would."""

    lead: Lead | None = None
    holder: int | None = None  # B8: the person's id in the jurisdiction that holds the file
    person: PersonFacts | None = None
    person_values: dict = field(default_factory=dict)
    person_fields: list[str] = field(default_factory=list)
    household_values: dict = field(default_factory=dict)
    household_fields: list[str] = field(default_factory=list)
    new_categories: list[tuple[str, str, dict, dt.date | None]] = field(default_factory=list)
    category_updates: list[tuple[int, str, str, dict]] = field(default_factory=list)
    new_benefits: list[tuple[str, Decimal | None, dt.date | None]] = field(default_factory=list)
    benefit_updates: list[tuple[int, str, dict]] = field(default_factory=list)
    new_needs: list[tuple[str, str, bool]] = field(default_factory=list)  # (type, text, member's)
    need_updates: list[tuple[int, str, dict]] = field(default_factory=list)
    referrals: list[tuple[str, str]] = field(default_factory=list)  # U1: (benefit, reason)

    @property
    def changes_file(self) -> bool:
        return bool(
            self.person_values
            or self.household_values
            or self.new_categories
            or self.category_updates
            or self.new_benefits
            or self.benefit_updates
            or self.new_needs
            or self.need_updates
        )

    @property
    def changes_completeness(self) -> bool:
        """L1-L5: what the completeness score reads changed (not a phone or an address)."""
        return bool(
            set(self.person_values) & {"employment", "education", "health"}
            or self.new_categories
            or self.category_updates
            or self.new_benefits
            or self.new_needs
            or self.need_updates
        )


# F2: the benefit an approval of each S1 subtype grants.
S1_BENEFITS = {
    Subtype.DIBAO_URBAN: BenefitType.DIBAO,
    Subtype.DIBAO_RURAL: BenefitType.DIBAO,
    Subtype.LOW_INCOME: BenefitType.LOW_INCOME,
    Subtype.EXTREME_POVERTY: BenefitType.EXTREME_POVERTY,
}
S1_SUBTYPES = tuple(S1_BENEFITS)
SEVERE_GRADES = ("1", "2")  # L4: GB/T 26341-2010 grades one and two
APPROVAL_HELP = "入户访谈，了解生活状况和帮扶需求，制定帮扶措施。"


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value or "（空）"))


NEED_LABELS = choice_labels(NeedType)


def need_type_of(text: str) -> str:
    """帮扶需求 as written: the need type whose name it holds (照料护理, 医疗...), else 其他."""
    for code, label in NEED_LABELS().items():
        if code != NeedType.OTHER and label in text:
            return code
    return NeedType.OTHER


def _lead(resource: LeadRosterResource, row: RosterRow, community: Area) -> Lead:
    notes = "；".join(f"{header}：{value}" for header, value in row.notes)
    if resource.kind == RosterKind.APPROVAL:
        benefit = BenefitType(S1_BENEFITS[row.subtype]).label
        situation = f"经审批纳入{Subtype(row.subtype).label}，月救助金额 {row.amount} 元。"
        help_needed = APPROVAL_HELP
        benefits = f"{benefit} {row.amount} 元/月（{row.started_on:%Y-%m-%d} 审批通过）"
    else:
        situation, help_needed, benefits = row.situation, row.help_needed, ""
    if notes:
        situation = f"{situation}\n名册其他信息：{notes}"
    return Lead(
        route=resource.route,
        started_on=row.started_on,
        name=row.name,
        community=community,
        address=row.address,
        subtype=row.subtype,
        situation=situation,
        help_needed=help_needed,
        id_number=row.id_number,
        phone=getattr(row, "phone", ""),
        benefits_received=benefits,
    )


def _add_category(row, facts, plan, subtype: str, *, since, details: dict) -> None:
    """A category the person does not hold yet, through THE category rules (L1-L5)."""
    if subtype in facts.categories or any(entry[0] == subtype for entry in plan.new_categories):
        return
    category, cleaned = category_details_check(subtype=subtype, details=details)
    plan.new_categories.append((subtype, category, cleaned, since))
    labels = SUBTYPE_LABELS()
    held = "、".join(labels[s] for s in facts.categories) or "（无）"
    row.differences.append(Difference("人员类别", held, f"新增：{labels[subtype]}"))


def _refer(row, facts, plan, benefit: str, reason: str) -> None:
    """U1: eligible for `benefit` but not receiving it, and not already referred for it."""
    if benefit in facts.benefits or benefit in facts.referred:
        return
    plan.referrals.append((benefit, reason))
    row.differences.append(
        Difference("资源链接", "—", f"转介街道：{BenefitType(benefit).label}（符合条件未享受）")
    )


def _set_person(row, facts, plan, name: str, value: str, label: str, choices) -> None:
    if getattr(facts, name) == value:
        return
    plan.person_values[name] = value
    plan.person_fields.append(name)
    row.differences.append(
        Difference(label, _label(choices, getattr(facts, name)), _label(choices, value))
    )


def _contact(session, row, facts, plan) -> None:
    """Lead rosters: phone, address and community as the sweep or the approval found them."""
    phone = getattr(row, "phone", "")
    if phone and identity.blind_index(phone, kind="phone") != facts.phone_index:
        plan.person_values.update(person_identifiers(phone=phone))
        plan.person_fields.append("phone")
        row.differences.append(
            Difference("联系电话", facts.phone_masked or "（空）", identity.mask_phone(phone))
        )
    household = facts.household
    if "".join(row.address.split()) != "".join(household.address.split()):
        plan.household_values["address"] = row.address
        plan.household_fields.append("address")
        row.differences.append(Difference("现住址", household.address, row.address))
    community = row.community_area
    if community.code != household.community_id:
        # B8: the file moves within the jurisdiction only (the row's community is in scope).
        plan.household_values.update(
            community_id=community.code,
            district_id=community.district_id,
            street_id=community.street_id,
        )
        plan.household_fields.append("community")
        row.differences.append(
            Difference("社区（村）", session.areas.name(household.community_id), community.name)
        )


def _propose_survey(session, row, facts, plan) -> None:
    _contact(session, row, facts, plan)
    _add_category(row, facts, plan, row.subtype, since=row.started_on, details={})
    need_type = need_type_of(row.help_needed)
    if not any(kind == need_type for _pk, _person, kind, _status in facts.needs):
        plan.new_needs.append((need_type, row.help_needed[:500], True))
        row.differences.append(
            Difference(
                "帮扶需求",
                "（无此类需求）",
                f"新增：{NeedType(need_type).label}：{row.help_needed}",
            )
        )


def _propose_approval(session, row, facts, plan) -> None:
    _contact(session, row, facts, plan)
    _add_category(row, facts, plan, row.subtype, since=row.started_on, details={})
    benefit = S1_BENEFITS[row.subtype]
    label = BenefitType(benefit).label
    existing = facts.benefits.get(benefit)
    if existing is None:
        plan.new_benefits.append((benefit, row.amount, row.started_on))
        row.differences.append(Difference("享受保障", "（无）", f"{label} {row.amount} 元/月"))
    elif existing[1] != row.amount:
        plan.benefit_updates.append(
            (existing[0], benefit, {"monthly_amount": row.amount, "since": row.started_on})
        )
        row.differences.append(
            Difference(f"{label}（月金额）", f"{existing[1]} 元", f"{row.amount} 元")
        )


def _holds_s1(facts) -> bool:
    return any(category == "S1" for _pk, category, _details in facts.categories.values())


def _propose_disability(session, row, facts, plan) -> None:
    kind, grade = row.disability_type, row.disability_grade
    severe = grade in SEVERE_GRADES
    type_label = _label(DISABILITY_TYPES, kind)
    grade_label = _label(DISABILITY_GRADES, grade)
    held = facts.categories.get(Subtype.SEVERE_DISABILITY)
    if held is not None:
        pk, _category, details = held
        if not severe:
            row.reasons.append(
                f"残联名单为{grade_label}残疾，与台账中重度残疾人（S4）的认定不符，请人工核实。"
            )
        elif (details.get("disability_type"), details.get("disability_grade")) != (kind, grade):
            wanted = {**details, "disability_type": kind, "disability_grade": grade}
            category, cleaned = category_details_check(
                subtype=Subtype.SEVERE_DISABILITY, details=wanted
            )
            plan.category_updates.append((pk, Subtype.SEVERE_DISABILITY, category, cleaned))
            before = (
                f"{_label(DISABILITY_TYPES, details.get('disability_type'))}"
                f"{_label(DISABILITY_GRADES, details.get('disability_grade'))}"
            )
            row.differences.append(Difference("残疾类别和等级", before, type_label + grade_label))
    elif severe:
        _add_category(
            row,
            facts,
            plan,
            Subtype.SEVERE_DISABILITY,
            since=None,
            details={"disability_type": kind, "disability_grade": grade},
        )
    if facts.health in ("", Health.HEALTHY, Health.CHRONIC):
        _set_person(row, facts, plan, "health", Health.DISABLED, "健康状况", Health.choices)
    if severe:
        _refer(
            row,
            facts,
            plan,
            BenefitType.DISABILITY_CARE,
            f"残联名单：{type_label}{grade_label}，未享受重度残疾人护理补贴，请街道核实办理。",
        )
    if _holds_s1(facts):
        _refer(
            row,
            facts,
            plan,
            BenefitType.DISABILITY_LIVING,
            f"残联名单：{type_label}{grade_label}，属社会救助对象，未享受困难残疾人生活补贴，"
            "请街道核实办理。",
        )


def _propose_education(session, row, facts, plan) -> None:
    for subtype in (Subtype.CHILD_IN_DIFFICULTY, Subtype.LEFT_BEHIND, Subtype.EMERGENCY_SHELTER):
        held = facts.categories.get(subtype)
        if held is None:
            continue
        pk, _category, details = held
        if details.get("schooling") != row.schooling:
            category, cleaned = category_details_check(
                subtype=subtype, details={**details, "schooling": row.schooling}
            )
            plan.category_updates.append((pk, subtype, category, cleaned))
            row.differences.append(
                Difference("就学情况", details.get("schooling") or "（空）", row.schooling)
            )
        break
    if "在读" in row.schooling or "在校" in row.schooling:
        _set_person(row, facts, plan, "employment", Employment.STUDENT, "就业状况", EMPLOYMENTS)


def _propose_human_resources(session, row, facts, plan) -> None:
    _set_person(row, facts, plan, "employment", row.employment, "就业状况", EMPLOYMENTS)


def _propose_health(session, row, facts, plan) -> None:
    _set_person(row, facts, plan, "health", Health.SERIOUS, "健康状况", Health.choices)
    _add_category(
        row,
        facts,
        plan,
        Subtype.SERIOUS_ILLNESS,
        since=row.diagnosed_on,
        details={"emergency_situation": f"罹患{row.illness}（卫健部门名单）"},
    )
    if _holds_s1(facts):
        _refer(
            row,
            facts,
            plan,
            BenefitType.MEDICAL,
            f"卫健名单：罹患{row.illness}，属社会救助对象，未享受医疗救助，请街道核实办理。",
        )


def _propose_housing(session, row, facts, plan) -> None:
    housing = [(pk, status) for pk, _p, kind, status in facts.needs if kind == NeedType.HOUSING]
    if row.housing_status == "guaranteed" and housing:
        for pk, status in housing:
            plan.need_updates.append((pk, NeedType.HOUSING, {"status": NeedStatus.MET}))
            row.differences.append(
                Difference(
                    "住房需求", _label(NeedStatus.choices, status), "已解决（住建名单：在保）"
                )
            )
    elif row.housing_status == "waiting" and not housing:
        plan.new_needs.append((NeedType.HOUSING, f"住房保障轮候中（{row.housing_type}）", False))
        row.differences.append(Difference("帮扶需求", "（无住房需求）", "新增：住房（轮候中）"))


def _propose_agriculture(session, row, facts, plan) -> None:
    receives = any(b in facts.benefits for b in set(S1_BENEFITS.values()))
    if not _holds_s1(facts) and not receives:
        kind = dict(MONITOR_TYPES)[row.monitor_type]
        _refer(
            row,
            facts,
            plan,
            BenefitType.DIBAO,
            f"防止返贫监测对象（{kind}，{row.monitored_on:%Y-%m-%d} 纳入监测），未享受社会救助，"
            "请街道核实是否符合低保或低收入条件。",
        )


DISABILITY_TYPES = DisabilityType.choices
DISABILITY_GRADES = DisabilityGrade.choices
EMPLOYMENTS = Employment.choices

PROPOSALS: dict[str, Callable] = {
    RosterKind.SURVEY: _propose_survey,
    RosterKind.APPROVAL: _propose_approval,
    RosterKind.DISABILITY: _propose_disability,
    RosterKind.EDUCATION: _propose_education,
    RosterKind.HUMAN_RESOURCES: _propose_human_resources,
    RosterKind.HEALTH: _propose_health,
    RosterKind.HOUSING: _propose_housing,
    RosterKind.AGRICULTURE: _propose_agriculture,
}

OUTSIDE_AREA = "所在社区（村）不属于您的辖区，本行不导入。"
FILED_ELSEWHERE_LEAD = (
    "该身份证号对应的人员已在其他辖区建档（一人一档）：确认后登记为线索，并移交其所在辖区办理。"
)
FILED_ELSEWHERE = "该人员已在其他辖区建档，不属您的辖区，本行不导入。"
NOT_IN_LEDGER = "台账中没有该身份证号的人员。"
CLOSED_FILE = "该人员或其家庭已退出台账，本行未更新；如需重新帮扶，请在家庭档案页办理重新纳入。"
NAME_MISMATCH = "与台账中该身份证号登记的姓名不一致，请核对姓名或身份证号。"


def row_classify(session: ImportSession, resource: RosterResource, row: RosterRow) -> None:
    """Decide what `row` means for the ledger (its outcome, reasons, differences and plan);
    raise RuleError (with the field at fault) for a row that cannot be taken."""
    actor, facts = session.actor, row.match
    plan = row.plan = RowPlan()
    if isinstance(resource, LeadRosterResource):
        community = session.areas.community(
            district=row.district, street=row.street, community=row.community
        )
        row.community_area = community
        if not in_scope(actor, community):
            row.outcome = RowOutcome.OUTSIDE
            row.reasons.append(OUTSIDE_AREA)
            return
        if facts is None or not facts.in_scope:
            lead = _lead(resource, row, community)
            lead_check(actor=actor, lead=lead, today=session.today)  # F2, F3
            plan.lead = lead
            if facts is not None:  # B8: filed elsewhere
                plan.holder = facts.pk
                row.outcome = RowOutcome.HANDOVER
                row.reasons.append(FILED_ELSEWHERE_LEAD)
                return
            reference = session.reported.get(row.id_index)
            if reference:
                plan.lead = None
                row.outcome = RowOutcome.REPORTED
                row.reasons.append(f"已在分派研判中（受理编号 {reference}），未重复登记。")
                return
            row.outcome = RowOutcome.LEAD
            return
    elif facts is None:
        row.outcome = RowOutcome.UNMATCHED
        row.reasons.append(NOT_IN_LEDGER)
        return
    elif not facts.in_scope:
        row.outcome = RowOutcome.OUTSIDE
        row.reasons.append(FILED_ELSEWHERE)
        return
    if not session.sees_children:  # B4: reads the birth date (a no-op for who sees children)
        child_record_check(actor, facts)
    if facts.name != row.name:
        raise RuleError(NAME_MISMATCH, field="name")
    if facts.household.status != HouseholdStatus.ACTIVE or facts.exited_on:
        row.outcome = RowOutcome.CLOSED
        row.reasons.append(CLOSED_FILE)
        return
    plan.person = facts
    PROPOSALS[resource.kind](session, row, facts, plan)
    if plan.referrals:
        row.outcome = RowOutcome.REFERRAL
    elif plan.changes_file:
        row.outcome = RowOutcome.DIFFERENT
    else:
        row.outcome = RowOutcome.CONSISTENT


# Writing what confirmed rows propose -------------------------------------------------------------

RECORD_TIMELINE = {
    PersonCategory: TimelineKind.CATEGORY,
    Benefit: TimelineKind.BENEFIT,
    Need: TimelineKind.NEED,
}


def _record_event(verb: str, record, household: Household, fields: list[str]) -> dict:
    return {
        "action": AuditAction.CREATE if verb == "新增" else AuditAction.UPDATE,
        "obj": record,
        "detail": {"fields": fields},
        "household": household,
        "timeline": RECORD_TIMELINE[type(record)],
        "summary": record_summary(verb, record),
    }


@transaction.atomic
def roster_changes_apply(*, actor: Actor, plans: list[RowPlan]) -> int:
    """Write what a batch of confirmed roster rows proposes for files already in the ledger,
    under the rules a form's save obeys: open files only (D3) in the actor's scope (B1, B8),
    versions checked (G3: a file changed since the rows were checked refuses the batch),
    categories through `category_details_check` (L1-L5), the completeness score refreshed,
    each change audited by field name (C1, C3) and written on the file's timeline (L7).
    Returns how many files were changed."""
    plans = [plan for plan in plans if plan.changes_file]
    if not plans:
        return 0
    households = {plan.person.household.pk: plan.person.household.light() for plan in plans}
    statuses = dict(
        Household.objects.select_for_update().filter(pk__in=households).values_list("pk", "status")
    )
    for pk, household in households.items():
        if statuses.get(pk) != HouseholdStatus.ACTIVE:
            raise ClosedFileError
        if not in_scope(actor, household):
            raise RuleError("名单涉及的家庭档案不在您的辖区内，未导入。")
    events: list[dict] = []
    person_changes: list[tuple[int, int, dict]] = []
    household_changes: dict[int, tuple[int, dict, list[str]]] = {}
    categories, category_updates, benefits, benefit_updates = [], [], [], []
    needs, need_updates = [], []
    for plan in plans:
        facts = plan.person
        household = households[facts.household.pk]
        person = facts.light()
        if plan.person_values:
            person_changes.append((facts.pk, facts.version, plan.person_values))
            events.append(
                {
                    "action": AuditAction.UPDATE,
                    "obj": person,
                    "detail": {"fields": plan.person_fields},
                    "household": household,
                    "timeline": TimelineKind.MEMBER_UPDATED,
                    "summary": person_update_summary(facts.name, plan.person_fields),
                }
            )
        if plan.household_values:  # two members of one file: their changes go together
            version, values, names = household_changes.get(
                facts.household.pk, (facts.household.version, {}, [])
            )
            values.update(plan.household_values)
            names.extend(name for name in plan.household_fields if name not in names)
            household_changes[facts.household.pk] = (version, values, names)
        for subtype, _category, details, since in plan.new_categories:
            category, cleaned = category_details_check(subtype=subtype, details=details)
            categories.append(
                PersonCategory(
                    person=person, category=category, subtype=subtype, since=since, details=cleaned
                )
            )
        for pk, subtype, _category, details in plan.category_updates:
            category, cleaned = category_details_check(subtype=subtype, details=details)
            record = PersonCategory(
                pk=pk, person=person, category=category, subtype=subtype, details=cleaned
            )
            category_updates.append(record)
            events.append(_record_event("修改", record, household, ["details"]))
        for kind, amount, since in plan.new_benefits:
            benefits.append(
                Benefit(person=person, benefit_type=kind, monthly_amount=amount, since=since)
            )
        for pk, kind, values in plan.benefit_updates:
            record = Benefit(pk=pk, person=person, benefit_type=kind, **values)
            benefit_updates.append(record)
            events.append(_record_event("修改", record, household, sorted(values)))
        for kind, description, for_person in plan.new_needs:
            needs.append(
                Need(
                    household=household,
                    person=person if for_person else None,
                    need_type=kind,
                    description=description,
                )
            )
        for pk, kind, values in plan.need_updates:
            record = Need(pk=pk, household=household, need_type=kind, **values)
            need_updates.append(record)
            events.append(_record_event("修改", record, household, sorted(values)))
    records_versioned_update(model=Person, changes=person_changes)
    records_versioned_update(
        model=Household,
        changes=[(pk, version, values) for pk, (version, values, _n) in household_changes.items()],
    )
    for pk, (_version, _values, names) in household_changes.items():
        events.append(
            {
                "action": AuditAction.UPDATE,
                "obj": households[pk],
                "detail": {"fields": names},
                "household": households[pk],
                "timeline": TimelineKind.FILE_UPDATED,
                "summary": household_update_summary(names),
            }
        )
    # The fields each kind of record changes: F2's benefit amount and date, a need's status.
    PersonCategory.objects.bulk_update(category_updates, ["category", "details"])
    Benefit.objects.bulk_update(benefit_updates, ["monthly_amount", "since"])
    Need.objects.bulk_update(need_updates, ["status"])
    for records, names in (
        (categories, ["subtype", "since", "details"]),
        (benefits, ["benefit_type", "monthly_amount", "since"]),
        (needs, ["need_type", "description"]),
    ):
        if records:
            type(records[0]).objects.bulk_create(records, batch_size=1000)
            for record in records:
                household = households[
                    record.household_id if isinstance(record, Need) else record.person.household_id
                ]
                events.append(_record_event("新增", record, household, names))
    households_refresh_completeness(
        plan.person.household.pk for plan in plans if plan.changes_completeness
    )
    events_record_bulk(actor=actor, events=events)
    return len(households)


# One run over the rows (the check, or the confirmation) ------------------------------------------


class BadRows:
    """The workbook of the rows with errors (issue 15, item 2): the user's own columns as they
    uploaded them, the reason in the first column, the row number in the last, so that they
    fix the rows and upload them again. Written as errors are found, to a temporary file."""

    def __init__(self, headers: list[str]):
        self.headers = headers
        self.file = None
        self.writer = None

    def add(self, number: int, values: list, reasons: str) -> None:
        if self.writer is None:
            self.file = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
            self.writer = XlsxWriter(self.file)
            self.writer.start_sheet(
                "有错误的行",
                [BAD_ROWS_HEADERS[0], *self.headers, BAD_ROWS_HEADERS[1]],
                widths=[60, *(16 for _ in self.headers), 10],
            )
        self.writer.write_row([reasons, *values, number])

    def finish(self):
        """The finished workbook (a file object at its start), or None when no row failed."""
        if self.writer is None:
            return None
        self.writer.close()
        self.file.seek(0)
        return self.file


class ImportSession:
    """One pass of a roster through its resource: the rules' context (actor, divisions, what
    the ledger holds for the current window of rows), and what the pass found."""

    def __init__(self, *, actor: Actor, kind: str, dry_run: bool, headers: list[str], progress):
        self.actor, self.kind, self.dry_run = actor, kind, dry_run
        self.headers = headers
        self.progress = progress
        self.areas = AreaDirectory()
        self.today = timezone.localdate()
        # B4, asked once rather than of every row (a permission check each: ~10% of a pass).
        self.sees_children = sees_children(actor)
        self.reported: dict[str, str] = {}
        self.seen: dict[str, int] = {}
        self.totals: Counter = Counter()
        self.referrals = 0
        self.done = 0
        self.refused = False  # a row failed: nothing more is written, all is rolled back
        self.errors: list[dict] = []
        self.samples: dict[str, list[dict]] = {}
        self.bad_rows = BadRows(headers)
        self.versions: dict[tuple[str, int], int] = {}  # files this pass changed, new versions

    # Asked by the resource.
    def facts_for(self, indexes: list[str]) -> list:
        facts, self.reported = ledger_facts(actor=self.actor, indexes=indexes)
        return facts

    def repeat_of(self, row: RosterRow) -> str:
        """L7: one person, one row. The reason a row repeats an earlier row's ID number, or
        "" (asked of every row whose number reads, whatever else is wrong with it)."""
        first = self.seen.setdefault(row.id_index, row.number)
        if first != row.number:
            return f"与第 {first} 行的身份证号重复，同一人只能出现一次。"
        return ""

    def classify(self, resource: RosterResource, row: RosterRow) -> None:
        try:
            row_classify(self, resource, row)
        except RuleError as error:
            raise rule_errors(resource, error) from None

    def row_done(self, row: RosterRow) -> None:
        self.totals[row.outcome] += 1
        if row.plan is not None:
            self.referrals += len(row.plan.referrals)
        shown = self.samples.setdefault(row.outcome, [])
        if len(shown) < SAMPLES_SHOWN:
            shown.append(
                {
                    "row": row.number,
                    "name": row.name,
                    "id": identity.mask_id_number(row.id_number),
                    "reasons": row.reasons,
                    "differences": [[d.label, d.before, d.after] for d in row.differences],
                    "notes": row.notes,
                }
            )
        self._tick()

    def row_invalid(self, values: dict, error: ValidationError) -> None:
        self.refused = True
        self.totals[RowOutcome.ERROR] += 1
        number = values.get(ROW_KEY)
        messages = getattr(error, "error_dict", None) or {NON_FIELD_ERRORS: error.messages}
        reasons = []
        for column, problems in messages.items():
            for problem in problems:
                text = problem.message if hasattr(problem, "message") else str(problem)
                if isinstance(problem, ValidationError):
                    text = "；".join(problem.messages)
                where = "" if column == NON_FIELD_ERRORS else column
                reasons.append(f"{where}：{text}" if where else text)
                if len(self.errors) < ERRORS_SHOWN:
                    self.errors.append({"row": number, "column": where, "reason": text})
        self.bad_rows.add(number, [values.get(h, "") for h in self.headers], "；".join(reasons))
        self._tick()

    def row_failed(self, values: dict, errors: list) -> None:
        """A row raised something that is not a rule's refusal: a fault, not the user's. The
        whole pass stops (and rolls back) with it."""
        raise errors[0].error

    def write(self, rows: list[RosterRow]) -> None:
        """Confirmation: what a batch of rows proposes, into the ledger (inside the pass's
        transaction)."""
        actor = self.actor
        leads = [row.plan.lead for row in rows if row.outcome == RowOutcome.LEAD]
        if leads:
            leads_register(actor=actor, leads=leads)
        handovers = [row for row in rows if row.outcome == RowOutcome.HANDOVER]
        if handovers:
            # B8: `lead_hand_over` for each, its leads registered together and its holders
            # read in one query (a dozen queries a row otherwise: 500 rows of a sweep).
            holders = Person.objects.select_related("household").in_bulk(
                [row.plan.holder for row in handovers]
            )
            ids = leads_register(actor=actor, leads=[row.plan.lead for row in handovers])
            reports = Report.objects.in_bulk(ids)
            for row, pk in zip(handovers, ids, strict=True):
                hand_over(report=reports[pk], person=holders[row.plan.holder], actor=actor)
        plans = [
            row.plan for row in rows if row.outcome in (RowOutcome.DIFFERENT, RowOutcome.REFERRAL)
        ]
        self._versions_follow(plans)
        roster_changes_apply(actor=actor, plans=plans)
        for plan in plans:
            household, person = plan.person.household.light(), plan.person.light()
            for benefit, reason in plan.referrals:
                referral_create(
                    household=household,
                    person=person,
                    kind=ReferralKind.ELIGIBLE_NOT_ENROLLED,
                    target_type=ReferralTargetType.STREET_DEPARTMENT,
                    target=f"{self.areas.name(household.street_id)}（{BenefitType(benefit).label}）",
                    description=reason,
                    benefit_type=benefit,
                    actor=actor,
                )

    def _versions_follow(self, plans: list[RowPlan]) -> None:
        """A file this import changed in an earlier batch is at the version it gave it: a later
        row read it before that batch was written, and must not be taken for a stale edit
        (G3 guards against other people's saves, not against this import's own)."""
        for plan in plans:
            facts = plan.person
            household = facts.household
            facts.version = self.versions.get(("person", facts.pk), facts.version)
            household.version = self.versions.get(("household", household.pk), household.version)
        for plan in plans:
            facts = plan.person
            if plan.person_values:
                self.versions[("person", facts.pk)] = facts.version + 1
            if plan.household_values:
                self.versions[("household", facts.household.pk)] = facts.household.version + 1

    def finish(self) -> None:
        if self.progress:
            self.progress(self.done)

    def _tick(self) -> None:
        self.done += 1
        if self.progress and self.done % PROGRESS_EVERY == 0:
            self.progress(self.done)

    # Read by the lifecycle.
    @property
    def error_count(self) -> int:
        return self.totals[RowOutcome.ERROR]

    def counts(self) -> dict[str, int]:
        """The command's line: {"rows", "created", "updated", "referrals", "unchanged",
        "errors"} (what was written, or on a check what confirming would write)."""
        totals = self.totals
        created = totals[RowOutcome.LEAD] + totals[RowOutcome.HANDOVER]
        updated = totals[RowOutcome.DIFFERENT] + totals[RowOutcome.REFERRAL]
        errors = totals[RowOutcome.ERROR]
        rows = sum(totals.values())
        return {
            "rows": rows,
            "created": created,
            "updated": updated,
            "referrals": self.referrals,
            "unchanged": rows - created - updated - errors,
            "errors": errors,
        }


# The import's life: upload, check, confirm, apply, cancel, expire -------------------------------

UPLOAD_EXTENSIONS = (".xlsx", ".csv", ".txt")
HEADER_SEARCH_ROWS = 5  # a title line or two above the headers is tolerated


def _scope_label(actor: Actor) -> str:
    profile = getattr(actor.user, "staff_profile", None)
    area = getattr(profile, "area", None)
    return area.name if area is not None else "北京市"


def _enqueue(task_name: str, import_id: int) -> None:
    from .. import tasks

    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task.enqueue(import_id))


@transaction.atomic
def roster_import_create(
    *, actor: Actor, kind: str, upload, name: str, queue: bool = True
) -> RosterImport:
    """Keep an uploaded roster privately (E2) and queue its check (the command runs it itself:
    `queue=False`). The file is refused here when its kind is not the actor's to import, or
    its name, size or type is wrong."""
    if kind not in dict(kinds_for(actor.user)):
        raise PermissionDenied
    name = os.path.basename(name or "")[:200]
    extension = os.path.splitext(name)[1].lower()
    if extension in (".xlsm", ".xltm", ".xlsb", ".xls"):
        raise ExchangeError("请上传 .xlsx 工作簿或 .csv 文件；含宏的 .xlsm 和旧版 .xls 不接受。")
    if extension not in UPLOAD_EXTENSIONS:
        raise ExchangeError("请上传 .xlsx 工作簿或 .csv 文件。")
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    from ..spreadsheets import MAX_UPLOAD_BYTES

    if size > MAX_UPLOAD_BYTES:
        raise ExchangeError(
            f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请分成几个文件分批导入。"
        )
    if size == 0:
        raise ExchangeError("文件是空的。")
    digest = hashlib.sha256()
    upload.seek(0)
    while chunk := upload.read(1 << 20):
        digest.update(chunk)
    upload.seek(0)
    roster_import = RosterImport(
        owner=actor.user,
        kind=kind,
        original_name=name,
        size=size,
        sha256=digest.hexdigest(),
        scope_label=_scope_label(actor),
    )
    # Stored under a random name: the user's file name stays in the row, not on the disk.
    roster_import.upload.save(f"roster-{os.urandom(12).hex()}{extension}", File(upload), save=False)
    roster_import.save()
    event_record(
        actor=actor,
        action=AuditAction.IMPORT,
        obj=roster_import,
        detail={"phase": "upload", "kind": kind, "bytes": size},
    )
    if queue:
        _enqueue("roster_import_check_task", roster_import.pk)
    return roster_import


def _claim(import_id: int, *, status: str, to: str, **changes) -> bool:
    """Only one worker runs a step of an import (a task may be delivered twice)."""
    return bool(
        RosterImport.objects.filter(pk=import_id, status=status).update(status=to, **changes)
    )


def _header_row(rows: Iterator) -> list[str]:
    for seen, (_number, cells) in enumerate(rows, 1):
        texts = [str(cell).strip() for cell in cells]
        if "姓名" in texts and "公民身份号码" in texts:
            return texts
        if seen >= HEADER_SEARCH_ROWS:
            break
    raise SpreadsheetError(
        "找不到表头：第一行应为列名（姓名、公民身份号码……）。请下载本类名单的模板，按模板填写后上传。"
    )


def _rows_file_write(roster_import: RosterImport) -> None:
    """Read the upload once (E2 checks in backoffice/spreadsheets.py) into the rows file, one
    JSON list a line, and check its headers against the kind's: any order, none missing,
    other columns kept as notes and reported as unknown."""
    resource = resource_of(roster_import.kind)
    known = resource.headers()
    required = [h for h in known if h not in resource.optional_headers]
    with roster_import.upload.open("rb") as upload, tempfile.TemporaryFile() as out:
        rows = table_rows(upload, name=roster_import.original_name)
        headers = _header_row(rows)
        headers = [h or f"第{i + 1}列" for i, h in enumerate(headers)]
        repeated = sorted({h for h in headers if headers.count(h) > 1})
        if repeated:
            raise SpreadsheetError(f"表头“{'、'.join(repeated)}”出现了不止一次，请删除重复的列。")
        missing = [h for h in required if h not in headers]
        if missing:
            raise SpreadsheetError(
                f"缺少必需的列：{'、'.join(missing)}。表头须与模板一致（列的顺序不限）。"
            )
        count = 0
        for number, cells in rows:
            out.write(json.dumps([number, cells], ensure_ascii=False).encode() + b"\n")
            count += 1
        if count == 0:
            raise SpreadsheetError("文件中只有表头，没有数据行。")
        out.seek(0)
        roster_import.rows_file.save(f"rows-{os.urandom(12).hex()}.jsonl", File(out), save=False)
    roster_import.rows = count
    roster_import.preview = {
        "headers": headers,
        "unknown": [h for h in headers if h not in known and h not in BAD_ROWS_HEADERS],
    }
    RosterImport.objects.filter(pk=roster_import.pk).update(
        rows=count, rows_file=roster_import.rows_file.name, preview=roster_import.preview
    )


@contextmanager
def _rows(roster_import: RosterImport):
    with roster_import.rows_file.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8")
        try:
            yield text
        finally:
            text.detach()


class _Progress:
    """Rows done, written where the import's page reads them while the pass runs inside its
    own transaction: through a connection of its own, which commits at once. Best effort: a
    database that cannot take the write right now (SQLite while the pass holds its write
    lock) skips a report rather than wait."""

    def __init__(self, import_id: int):
        self.import_id = import_id
        self.connection = None

    def __call__(self, done: int) -> None:
        try:
            if self.connection is None:
                self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
                self.connection.ensure_connection()
                with self.connection.cursor() as cursor:
                    if self.connection.vendor == "sqlite":
                        cursor.execute("PRAGMA busy_timeout = 0")
                    elif self.connection.vendor == "postgresql":
                        cursor.execute("SET lock_timeout = '200ms'")
            with self.connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {RosterImport._meta.db_table} SET done = %s WHERE id = %s",  # noqa: S608
                    [done, self.import_id],
                )
        except Exception:  # noqa: BLE001 - progress is shown, not needed
            logger.debug("progress of import %s not written", self.import_id, exc_info=True)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _run(roster_import: RosterImport, *, actor: Actor, dry_run: bool, progress) -> ImportSession:
    """One pass over the rows through the kind's resource: import-export's `import_data`, in
    one transaction (rolled back on a check, or when any row fails)."""
    headers = roster_import.preview["headers"]
    with _code_left_out_of_gc():
        session = ImportSession(
            actor=actor,
            kind=roster_import.kind,
            dry_run=dry_run,
            headers=headers,
            progress=progress,
        )
        resource = resource_of(roster_import.kind)(session=session)
        dataset = RosterDataset(
            lambda: _rows(roster_import), headers=headers, rows=roster_import.rows
        )
        resource.import_data(
            dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
        )
    return session


@contextmanager
def _code_left_out_of_gc():
    """The objects alive before a pass (the loaded code and its modules: about a million) are
    left out of the cycle collector's full collections while it runs, and handed back after.
    A pass allocates enough to trigger several; each walked them all (~0.5 s): measured, a
    third of a 8,000-row pass. Objects are still freed as usual when nothing refers to them."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _preview(session: ImportSession, roster_import: RosterImport) -> dict:
    return {
        **roster_import.preview,
        "errors": session.errors,
        "samples": session.samples,
        "counts": session.counts(),
    }


def _save_bad_rows(session: ImportSession, roster_import: RosterImport) -> str:
    bad = session.bad_rows.finish()
    if bad is None:
        return ""
    with bad:
        roster_import.errors_file.save(f"errors-{os.urandom(12).hex()}.xlsx", File(bad), save=False)
    return roster_import.errors_file.name


def roster_import_check(*, import_id: int) -> RosterImport:
    """The background check (nothing is written): read the upload, match every row against
    the ledger as the importer's role and jurisdiction see it, and leave the preview."""
    if not _claim(import_id, status=RosterImportStatus.QUEUED, to=RosterImportStatus.CHECKING):
        return RosterImport.objects.get(pk=import_id)
    roster_import = RosterImport.objects.select_related("owner").get(pk=import_id)
    actor = user_actor(roster_import.owner, channel=Channel.IMPORT)
    progress = _Progress(import_id)
    try:
        _rows_file_write(roster_import)
        session = _run(roster_import, actor=actor, dry_run=True, progress=progress)
    except RuleError as refusal:  # the file itself: its format, size, headers
        _finish(roster_import, status=RosterImportStatus.INVALID, error=refusal.message)
    except Exception as exc:
        logger.exception("roster import %s: check failed", import_id)
        error = CHECK_STORE_DOWN if storage_failure(exc) else CHECK_FAILED
        _finish(roster_import, status=RosterImportStatus.FAILED, error=error)
    else:
        with transaction.atomic():
            errors_file = _save_bad_rows(session, roster_import)
            status = (
                RosterImportStatus.INVALID if session.error_count else RosterImportStatus.PREVIEW
            )
            RosterImport.objects.filter(pk=import_id).update(
                status=status,
                totals=dict(session.totals),
                preview=_preview(session, roster_import),
                errors_file=errors_file,
                done=session.done,
                checked_at=timezone.now(),
            )
            event_record(
                actor=actor,
                action=AuditAction.IMPORT,
                obj=roster_import,
                detail={"phase": "check", **session.counts()},
            )
    finally:
        progress.close()
    return RosterImport.objects.get(pk=import_id)


CHECK_FAILED = "校验时出错，未导入任何数据。请稍后重新上传；如仍出错，请联系系统管理员。"
APPLY_FAILED = (
    "写入台账时出错，已全部撤销，台账未作任何改动。请稍后重试；如仍出错，请联系系统管理员。"
)
# Issue 19: the file store down while the worker reads or writes the import's files.
CHECK_STORE_DOWN = (
    "文件存储服务暂不可用，未能读取上传的文件，未导入任何数据。请稍后重新上传；"
    "如仍失败，请联系系统管理员。"
)
APPLY_STORE_DOWN = (
    "文件存储服务暂不可用，写入已全部撤销，台账未作任何改动。请稍后重新上传；"
    "如仍失败，请联系系统管理员。"
)
EXPIRED = "上传已超过 {hours} 小时未确认，文件已删除，请重新上传。"


def _finish(roster_import: RosterImport, *, status: str, error: str = "") -> None:
    RosterImport.objects.filter(pk=roster_import.pk).update(
        status=status, error=error[:300], finished_at=timezone.now()
    )


def _require_open(roster_import: RosterImport, *, actor: Actor) -> None:
    if roster_import.owner_id != actor.user_id:
        raise PermissionDenied
    if roster_import.expires_at <= timezone.now():
        raise ExchangeError(EXPIRED.format(hours=KEEP_HOURS))


@transaction.atomic
def roster_import_confirm(
    *, actor: Actor, roster_import: RosterImport, queue: bool = True
) -> RosterImport:
    """The user confirms a checked import: it is applied in the background, all or nothing."""
    roster_import = RosterImport.objects.select_for_update().get(pk=roster_import.pk)
    _require_open(roster_import, actor=actor)
    if roster_import.kind not in dict(kinds_for(actor.user)):
        raise PermissionDenied
    if roster_import.status != RosterImportStatus.PREVIEW:
        raise ExchangeError(
            f"该导入{roster_import.get_status_display()}，不能确认。请刷新页面查看最新状态。"
        )
    roster_import.status = RosterImportStatus.APPLYING
    roster_import.confirmed_at = timezone.now()
    roster_import.started_at = None
    roster_import.done = 0
    roster_import.save(update_fields=["status", "confirmed_at", "started_at", "done"])
    event_record(
        actor=actor,
        action=AuditAction.IMPORT,
        obj=roster_import,
        detail={"phase": "confirm", "rows": roster_import.rows},
    )
    if queue:
        _enqueue("roster_import_apply_task", roster_import.pk)
    return roster_import


def roster_import_apply(*, import_id: int) -> RosterImport:
    """The background apply: every row checked again against the ledger as it is now and
    written, in one transaction with the import's new status. If any row fails now (the
    ledger changed since the preview), nothing is written and the new errors are shown."""
    claimed = RosterImport.objects.filter(
        pk=import_id, status=RosterImportStatus.APPLYING, started_at__isnull=True
    ).update(started_at=timezone.now())
    if not claimed:  # already running or run (a task may be delivered twice)
        return RosterImport.objects.get(pk=import_id)
    roster_import = RosterImport.objects.select_related("owner").get(pk=import_id)
    actor = user_actor(roster_import.owner, channel=Channel.IMPORT)
    progress = _Progress(import_id)
    try:
        with transaction.atomic():
            session = _run(roster_import, actor=actor, dry_run=False, progress=progress)
            if session.error_count:
                status = RosterImportStatus.INVALID
                phase = "refused"
            else:
                status, phase = RosterImportStatus.APPLIED, "applied"
            errors_file = _save_bad_rows(session, roster_import) if session.error_count else ""
            RosterImport.objects.filter(pk=import_id).update(
                status=status,
                totals=dict(session.totals),
                preview=_preview(session, roster_import),
                result=session.counts() if status == RosterImportStatus.APPLIED else {},
                errors_file=errors_file or roster_import.errors_file.name,
                done=session.done,
                finished_at=timezone.now(),
            )
            event_record(
                actor=actor,
                action=AuditAction.IMPORT,
                obj=roster_import,
                detail={"phase": phase, **session.counts()},
            )
    except RuleError as refusal:  # a file changed under the import (G3), or was closed (D3)
        _finish(roster_import, status=RosterImportStatus.FAILED, error=f"未导入：{refusal.message}")
    except Exception as exc:
        logger.exception("roster import %s: apply failed", import_id)
        error = APPLY_STORE_DOWN if storage_failure(exc) else APPLY_FAILED
        _finish(roster_import, status=RosterImportStatus.FAILED, error=error)
    finally:
        progress.close()
    roster_import.refresh_from_db()
    if roster_import.status == RosterImportStatus.APPLIED:
        # E2: the uploaded file goes once applied; the rows stay until the import expires,
        # for the department's feedback export.
        _delete_files(roster_import, "upload")
    return roster_import


@transaction.atomic
def roster_import_cancel(*, actor: Actor, roster_import: RosterImport) -> RosterImport:
    roster_import = RosterImport.objects.select_for_update().get(pk=roster_import.pk)
    if roster_import.owner_id != actor.user_id:
        raise PermissionDenied
    if roster_import.status not in (
        RosterImportStatus.QUEUED,
        RosterImportStatus.PREVIEW,
        RosterImportStatus.INVALID,
        RosterImportStatus.FAILED,
    ):
        raise ExchangeError(f"该导入{roster_import.get_status_display()}，不能取消。")
    roster_import.status = RosterImportStatus.CANCELLED
    roster_import.finished_at = timezone.now()
    roster_import.save(update_fields=["status", "finished_at"])
    event_record(
        actor=actor, action=AuditAction.IMPORT, obj=roster_import, detail={"phase": "cancel"}
    )
    _delete_files(roster_import, "upload", "rows_file", "errors_file")
    return roster_import


def _delete_files(roster_import: RosterImport, *names: str) -> None:
    """E2: the import's files go through the outbox (intake/deletions.py), deleted once this
    commits and tried again while the store is down; the fields are cleared in the same
    transaction, so no page offers a file that is going."""
    stored = {}
    for name in names:
        field = getattr(roster_import, name)
        if field:
            stored[name] = field.name
    if not stored:
        return
    with transaction.atomic():
        RosterImport.objects.filter(pk=roster_import.pk).update(**dict.fromkeys(stored, ""))
        files_delete_on_commit(PRIVATE_ALIAS, stored.values())
    for name in stored:
        setattr(roster_import, name, "")


def roster_imports_expire(*, now: dt.datetime | None = None) -> int:
    """E2: imports past their time lose their files; one still waiting expires (an apply that
    never finished, its worker gone, is marked failed). Returns how many imports changed."""
    now = now or timezone.now()
    changed = 0
    expired = RosterImport.objects.filter(expires_at__lte=now).exclude(
        upload="", rows_file="", errors_file=""
    )
    for roster_import in expired:
        _delete_files(roster_import, "upload", "rows_file", "errors_file")
        changed += 1
    waiting = RosterImport.objects.filter(
        expires_at__lte=now,
        status__in=(
            RosterImportStatus.QUEUED,
            RosterImportStatus.CHECKING,
            RosterImportStatus.PREVIEW,
        ),
    )
    changed += waiting.update(
        status=RosterImportStatus.EXPIRED,
        error=EXPIRED.format(hours=KEEP_HOURS),
        finished_at=now,
    )
    changed += RosterImport.objects.filter(
        expires_at__lte=now, status=RosterImportStatus.APPLYING
    ).update(status=RosterImportStatus.FAILED, error=APPLY_FAILED, finished_at=now)
    return changed


def roster_imports_of(user) -> QuerySet[RosterImport]:
    """A user's own imports (B1: nobody else's)."""
    return RosterImport.objects.filter(owner=user)


# Templates (the command roster_template and the download on the import page) ---------------------

TEMPLATE_ROWS = 5000  # rows that carry the lists and formats of a column


def roster_template(kind: str) -> bytes:
    """The workbook a user fills for `kind`: Chinese headers, the lists of allowed values on a
    sheet of their own and offered in each cell (data validation), ID and phone columns as
    text (an 18-digit number loses its last digits in a number cell), a sheet of guidance."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from ..resources.exchange import COLUMN_HELP, ChoiceWidget, DateWidget

    resource = resource_of(kind)
    headers = resource.headers()
    book = Workbook()
    sheet = book.active
    sheet.title = "名册"
    allowed = book.create_sheet("允许值")
    guide = book.create_sheet("填写说明")
    sheet.append(headers)
    sheet.freeze_panes = "A2"
    lists: dict[str, list[str]] = {}
    for header in headers:
        widget = resource.widget_for(header)
        if isinstance(widget, ChoiceWidget):
            lists[header] = widget.labels
    if issubclass(resource, LeadRosterResource):
        areas = Area.objects.order_by("code")
        lists["区"] = list(areas.filter(level=AreaLevel.DISTRICT).values_list("name", flat=True))
        for header, level in (
            ("街道（乡镇）", AreaLevel.STREET),
            ("社区（村）", AreaLevel.COMMUNITY),
        ):
            names = areas.filter(level=level, is_legal_unit=True).values_list("name", flat=True)
            lists[header] = list(dict.fromkeys(names))
    for position, (header, values) in enumerate(lists.items(), 1):
        letter = get_column_letter(position)
        allowed.cell(row=1, column=position, value=header).font = Font(bold=True)
        for row, value in enumerate(values, 2):
            allowed.cell(row=row, column=position, value=value)
        allowed.column_dimensions[letter].width = 24
        column = get_column_letter(headers.index(header) + 1)
        check = DataValidation(
            type="list",
            formula1=f"=允许值!${letter}$2:${letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="不在可选范围内",
            error="请从下拉列表中选择。",
        )
        check.add(f"{column}2:{column}{TEMPLATE_ROWS}")
        sheet.add_data_validation(check)
    for position, header in enumerate(headers, 1):
        letter = get_column_letter(position)
        sheet.cell(row=1, column=position).font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(12, 2 * len(header) + 6)
        widget = resource.widget_for(header)
        if header in ("公民身份号码", "联系电话"):
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, TEMPLATE_ROWS + 1):
                sheet.cell(row=row, column=position).number_format = "@"
        elif isinstance(widget, DateWidget):
            check = DataValidation(
                type="date",
                operator="greaterThan",
                formula1="36526",  # 2000-01-01
                showErrorMessage=True,
                errorTitle="日期有误",
                error="请填写日期，如 2026-11-20。",
            )
            check.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
            sheet.add_data_validation(check)
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
    guide.column_dimensions["A"].width = 20
    guide.column_dimensions["B"].width = 90
    lines = [
        (f"{RosterKind(kind).label}填写说明", ""),
        ("", ""),
        ("列名", "填写要求"),
        *((header, COLUMN_HELP.get(header, "")) for header in headers),
        ("", ""),
        ("其他列", "可以保留，导入时作为备注，不会写入台账的其他字段。"),
        ("一人一行", "同一身份证号只能出现一次。"),
        ("文件", "另存为 .xlsx 或 CSV（UTF-8）；不接受含宏的工作簿；不超过 30 MB、200000 行。"),
        ("导入", "上传后系统先校验并与台账比对，列出每行的结果和错误；确认后才写入台账。"),
    ]
    for line in lines:
        guide.append(line)
    guide["A1"].font = Font(bold=True, size=14)
    guide["A3"].font = guide["B3"].font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Exports (E3): a listing's current view, scoped, masked, escaped, audited, streamed -----------

EXPORT_REVERIFY_ROWS = 50  # more than a listing's page is a bulk export: the code is asked again
EXPORT_CHUNK = 2000


@dataclass(frozen=True)
class ExportLayout:
    listing: str  # the listing's URL prefix under /admin/
    title: str
    resource: type
    related: tuple[str, ...] = ()
    identifiers: bool = False  # full ID and phone numbers may be revealed (B3)
    audit_object: Callable = staticmethod(lambda record: record)


def _person_of(record):
    return record.person


def _household_of(record):
    return record.household


def export_layouts() -> dict[str, ExportLayout]:
    from ..resources import exchange as layouts

    return {
        layout.listing: layout
        for layout in (
            ExportLayout(
                "households",
                "家庭档案",
                layouts.HouseholdExport,
                ("district", "street", "community"),
            ),
            ExportLayout(
                "persons",
                "家庭成员",
                layouts.PersonExport,
                ("household__community",),
                identifiers=True,
            ),
            ExportLayout(
                "person-categories",
                "救助类别",
                layouts.PersonCategoryExport,
                ("person__household",),
                identifiers=True,
                audit_object=_person_of,
            ),
            ExportLayout(
                "benefits",
                "享受保障",
                layouts.BenefitExport,
                ("person__household",),
                identifiers=True,
                audit_object=_person_of,
            ),
            ExportLayout(
                "needs",
                "帮扶需求",
                layouts.NeedExport,
                ("household__community", "person"),
                audit_object=_household_of,
            ),
            ExportLayout(
                "cases",
                "个案帮扶台账",
                layouts.CaseExport,
                ("household", "worker"),
                audit_object=_household_of,
            ),
            ExportLayout(
                "referrals",
                "资源链接",
                layouts.ReferralExport,
                ("household",),
                audit_object=_household_of,
            ),
            ExportLayout(
                "reports", "分派研判", layouts.ReportExport, ("community",), identifiers=True
            ),
        )
    }


def export_code_needed(*, rows: int, reveal: bool) -> bool:
    """E3: above a page of rows, or with full numbers, the code is asked again."""
    return reveal or rows > EXPORT_REVERIFY_ROWS


def _chunks(iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@transaction.atomic
def export_start(
    *,
    actor: Actor,
    layout: ExportLayout,
    queryset: QuerySet,
    rows: int,
    file_format: str,
    filters: list[str],
    reveal: bool = False,
    reason: str = "",
) -> tuple[list[str], Iterator[list]]:
    """Record the export (C1) and give its header and its rows, produced as they are read
    (memory stays flat). Each row exported is audited with the export, in bulk, as it goes:
    an auditor finds who took a person's record out (C4); revealed numbers as reveals (B3).
    `filters` are the names of the listing's filters, never their values (C3)."""
    from ..permissions import user_can_reveal_identifiers

    if reveal and not (layout.identifiers and user_can_reveal_identifiers(actor.user)):
        raise PermissionDenied
    summary = event_record(
        actor=actor,
        action=AuditAction.EXPORT,
        detail={
            "listing": layout.listing,
            "format": file_format,
            "rows": rows,
            "filters": sorted(filters),
            "reveal": reveal,
            **({"reason": reason} if reveal else {}),
        },
    )
    resource = layout.resource(viewer=actor, reveal=reveal)
    getters = resource.cells()
    action = AuditAction.REVEAL if reveal else AuditAction.EXPORT
    detail = {"export": summary.pk, **({"reason": reason} if reveal else {})}

    def produce() -> Iterator[list]:
        if resource.record_values:  # values, not model instances (the resource's note)
            from ..resources.exchange import ValuesRecord

            read = ValuesRecord.reader(queryset.model, resource.record_values)
            rows = queryset.values_list(*resource.record_values).iterator(chunk_size=EXPORT_CHUNK)
            records = map(read, rows)
        else:
            records = queryset.select_related(*layout.related).iterator(chunk_size=EXPORT_CHUNK)
        for chunk in _chunks(records, EXPORT_CHUNK):
            resource.before_chunk(chunk)
            for record in chunk:
                yield [get(record) for get in getters]
            events_record_bulk(
                actor=actor,
                events=[
                    {"action": action, "obj": layout.audit_object(record), "detail": detail}
                    for record in chunk
                ],
            )

    return resource.headers(), produce()


# A department's list, back to it in its own layout (U12) ------------------------------------------

FEEDBACK_HEADERS = ["台账比对结果", "人员类别", "享受保障", "待街道办理的资源链接", "档案状态"]


def roster_feedback_available(roster_import: RosterImport) -> bool:
    return (
        roster_import.kind in DEPARTMENT_ROSTERS
        and bool(roster_import.rows_file)
        and roster_import.status in (RosterImportStatus.PREVIEW, RosterImportStatus.APPLIED)
        and roster_import.expires_at > timezone.now()
    )


def _feedback_columns(facts: PersonFacts | None) -> list[str]:
    if facts is None:
        return ["台账中未找到", "", "", "", ""]
    if not facts.in_scope:
        return ["已在其他辖区建档", "", "", "", ""]
    categories = "、".join(str(Subtype(s).label) for s in facts.categories)
    benefits = "、".join(
        f"{BenefitType(kind).label}" + (f" {amount} 元/月" if amount else "")
        for kind, (_pk, amount, _since) in facts.benefits.items()
    )
    referred = "、".join(str(BenefitType(kind).label) for kind in sorted(facts.referred) if kind)
    status = (
        "已退出" if facts.household.status != HouseholdStatus.ACTIVE or facts.exited_on else "在册"
    )
    return ["在台账（本辖区）", categories, benefits, referred, status]


@transaction.atomic
def roster_feedback_start(
    *, actor: Actor, roster_import: RosterImport, reveal: bool = False, reason: str = ""
) -> tuple[list[str], Iterator[list]]:
    """The department's rows in its own columns (the kind's template, so the file can come
    back as the same kind: a round trip), each with what the ledger holds now: in the ledger
    or not, categories, benefits, open U1 referrals, whether the file is open. ID numbers are
    masked unless revealed with a reason (B3); rows of other jurisdictions show no more than
    that (B8). Audited like an export (C1)."""
    from ..permissions import user_can_reveal_identifiers

    if roster_import.owner_id != actor.user_id:
        raise PermissionDenied
    if not roster_feedback_available(roster_import):
        raise ExchangeError("该导入的反馈表已不能下载（仅部门名单在上传后 72 小时内提供）。")
    if reveal and not user_can_reveal_identifiers(actor.user):
        raise PermissionDenied
    resource = resource_of(roster_import.kind)
    columns = resource.headers()
    headers = roster_import.preview["headers"]
    positions = [headers.index(h) if h in headers else None for h in columns]
    id_position = headers.index("公民身份号码")
    summary = event_record(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=roster_import,
        detail={"feedback": roster_import.pk, "rows": roster_import.rows, "reveal": reveal}
        | ({"reason": reason} if reveal else {}),
    )

    def produce() -> Iterator[list]:
        with _rows(roster_import) as lines:
            for chunk in _chunks((json.loads(line) for line in lines), EXPORT_CHUNK):
                indexes = []
                for _number, cells in chunk:
                    raw = cells[id_position] if id_position < len(cells) else ""
                    try:
                        number = identity.normalize_id_number(str(raw))
                        indexes.append(identity.blind_index(number, kind="id"))
                    except identity.IdNumberError:
                        indexes.append("")
                facts, _reported = ledger_facts(actor=actor, indexes=indexes)
                seen = []
                for (number, cells), found in zip(chunk, facts, strict=True):
                    values = [
                        cells[p] if p is not None and p < len(cells) else "" for p in positions
                    ]
                    raw = str(values[columns.index("公民身份号码")])
                    if not reveal:
                        values[columns.index("公民身份号码")] = identity.mask_id_number(raw)
                    yield [*values, *_feedback_columns(found), number]
                    if found is not None and found.in_scope:
                        seen.append(found.light())
                events_record_bulk(
                    actor=actor,
                    events=[
                        {
                            "action": AuditAction.REVEAL if reveal else AuditAction.EXPORT,
                            "obj": person,
                            "detail": {"export": summary.pk},
                        }
                        for person in seen
                    ],
                )

    return [*columns, *FEEDBACK_HEADERS, "原表行号"], produce()
