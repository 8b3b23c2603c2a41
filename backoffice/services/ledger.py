"""Ledger rules: creating files and members with protected identifiers, completeness (L1-L5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Collate

from portal import identity

from ..actor import Actor
from ..enums import (
    SUBTYPES_BY_CATEGORY,
    AuditAction,
    Category,
    DisabilityGrade,
    DisabilityType,
    HouseholdStatus,
    Relation,
    Subtype,
    TimelineKind,
)
from ..models import Area, Benefit, Household, Need, Person, PersonCategory
from ..rhythm import follow_up_due
from ..scope import in_scope, scope_require
from .errors import RuleError
from .events import event_record

# L1-L5: what the file must hold for a member of each category. "benefits" and "needs" are
# records of their own; the other items are person fields or keys of PersonCategory.details.
LEDGER_STANDARDS: dict[str, tuple[str, ...]] = {
    Category.S1: ("members", "employment", "education", "benefits", "needs"),  # L1
    Category.S2: ("difficulty_type", "health", "caregiver", "guardian", "benefits", "needs"),  # L2
    Category.S3: ("schooling", "parents_situation", "health", "guardian", "benefits", "needs"),
    Category.S4: ("disability_type", "disability_grade", "health", "benefits", "needs"),  # L4
    Category.S5: ("basic_situation", "emergency_situation", "needs"),  # L5
    Category.S6: ("basic_situation", "emergency_situation", "needs"),  # L5
}
ITEM_LABELS = {
    "members": "家庭成员",
    "employment": "就业状况",
    "education": "文化程度",
    "benefits": "享受保障情况",
    "needs": "帮扶需求",
    "difficulty_type": "困难类型",
    "health": "健康状况",
    "caregiver": "照料人",
    "guardian": "监护人",
    "schooling": "就学情况",
    "parents_situation": "父母情况",
    "disability_type": "残疾类别",
    "disability_grade": "残疾等级",
    "basic_situation": "基本情况",
    "emergency_situation": "急难情形",
}
PERSON_FIELDS = {"employment", "education", "health"}


def _detail_items() -> dict[str, tuple[str, ...]]:
    """item -> the categories whose ledger standard asks for it, kept in PersonCategory.details."""
    items: dict[str, list[str]] = {}
    for category, needed in LEDGER_STANDARDS.items():
        for item in needed:
            if item in PERSON_FIELDS or item in ("members", "needs", "benefits"):
                continue
            items.setdefault(item, []).append(str(category))
    return {item: tuple(cats) for item, cats in items.items()}


DETAIL_ITEMS = _detail_items()
DETAIL_CHOICES = {
    "disability_type": DisabilityType.choices,
    "disability_grade": DisabilityGrade.choices,
}
BENEFIT_CATEGORIES = tuple(str(c) for c, items in LEDGER_STANDARDS.items() if "benefits" in items)
CATEGORY_OF_SUBTYPE = {sub: cat for cat, subs in SUBTYPES_BY_CATEGORY.items() for sub in subs}
SEVERE_GRADES = ("1", "2")


def category_details_check(*, subtype: str, details: Mapping[str, object]) -> tuple[str, dict]:
    """THE category rules (L1-L5), whoever records a category (form, triage, import): the
    category of the subtype, and its ledger-standard items, checked and cleaned.

    Only the items of the category's standard; coded items from their lists; S4 (L4) is a
    severe disability, grade one or two; for S2 (L2) the difficulty type is the subtype
    itself unless stated; "no benefits" only where the standard asks about benefits."""
    category = CATEGORY_OF_SUBTYPE.get(subtype)
    if category is None:
        raise RuleError("请从列表中选择救助类别。", field="subtype")
    cleaned: dict[str, str] = {}
    for item, raw in details.items():
        value = str(raw or "").strip()
        if not value:
            continue
        if item == "benefits":
            if category not in BENEFIT_CATEGORIES:
                raise RuleError("该类别的台账标准不含“享受保障情况”。", field="no_benefits")
            cleaned[item] = "none"
            continue
        if item not in DETAIL_ITEMS or category not in DETAIL_ITEMS[item]:
            label = ITEM_LABELS.get(item, item)
            raise RuleError(
                f"“{label}”不属于所选类别的台账事项，请清空或改选类别。",
                field=item if item in DETAIL_ITEMS else None,
            )
        if item in DETAIL_CHOICES and value not in dict(DETAIL_CHOICES[item]):
            raise RuleError(f"请从列表中选择{ITEM_LABELS[item]}。", field=item)
        cleaned[item] = value[:500]
    grade = cleaned.get("disability_grade")
    if category == Category.S4 and grade and grade not in SEVERE_GRADES:  # L4
        raise RuleError(
            "生活困难的重度残疾人应为一级或二级残疾，请核对残疾等级。", field="disability_grade"
        )
    if category == Category.S2 and "difficulty_type" not in cleaned:  # L2
        cleaned["difficulty_type"] = str(Subtype(subtype).label)
    return str(category), cleaned


@dataclass(frozen=True)
class MissingItem:
    person_name: str
    category: str
    item: str

    @property
    def label(self) -> str:
        return f"{self.person_name}：{ITEM_LABELS[self.item]}"


@dataclass(frozen=True)
class MemberFacts:
    """What the L1-L5 completeness rule looks at for one member: plain data, no queries."""

    name: str
    employment: str
    education: str
    health: str
    categories: Sequence[tuple[str, Mapping]]  # (category, PersonCategory.details)
    has_benefits: bool


def ledger_missing_items(
    *, members: Sequence[MemberFacts], has_needs: bool
) -> tuple[list[MissingItem], int]:
    """THE completeness rule (L1-L5): the required items still missing, and the score (0-100).

    Pure, so that one household read from the database (`household_missing_items`) and rows
    built in memory (bulk demo data) are judged by the same code.
    """
    missing: list[MissingItem] = []
    required = 0
    for person in members:
        for category, details in person.categories:
            for item in LEDGER_STANDARDS[category]:
                required += 1
                if item == "members":
                    ok = len(members) >= 1
                elif item == "benefits":
                    ok = person.has_benefits or details.get("benefits") == "none"
                elif item == "needs":
                    ok = has_needs
                elif item in PERSON_FIELDS:
                    ok = bool(getattr(person, item))
                else:
                    ok = bool(str(details.get(item, "")).strip())
                if not ok:
                    missing.append(MissingItem(person.name, category, item))
    score = 100 if required == 0 else round(100 * (required - len(missing)) / required)
    return missing, score


def household_missing_items(household: Household) -> tuple[list[MissingItem], int]:
    """The required items still missing for the members' categories, and the score (0-100)."""
    members = [
        MemberFacts(
            name=person.name,
            employment=person.employment,
            education=person.education,
            health=person.health,
            categories=[(cat.category, cat.details) for cat in person.categories.all()],
            has_benefits=bool(person.benefits.all()),
        )
        # D3: a member who left the ledger no longer has items to complete.
        for person in household.members.filter(exited_on__isnull=True).prefetch_related(
            "categories", "benefits"
        )
    ]
    return ledger_missing_items(members=members, has_needs=household.needs.exists())


def member_categories_text(categories: Iterable[str]) -> str:
    """ "S1 S4": the distinct categories, in order, as `Household.member_categories` keeps them."""
    return " ".join(sorted(set(categories)))


def household_refresh_completeness(household: Household) -> int:
    """Recompute what is derived from the members: the score (L1-L5) and their categories.

    Every service that changes members, categories, benefits or needs calls this.
    """
    _missing, score = household_missing_items(household)
    categories = member_categories_text(
        PersonCategory.objects.filter(person__household=household).values_list(
            "category", flat=True
        )
    )
    Household.objects.filter(pk=household.pk).update(
        completeness=score, member_categories=categories
    )
    household.completeness, household.member_categories = score, categories
    return score


@transaction.atomic
def households_refresh_completeness(household_ids: Iterable[int]) -> int:
    """`household_refresh_completeness` for many files at once (a roster import touches
    thousands): the same rule (`ledger_missing_items`) on members, categories, benefits and
    needs read a chunk of files at a time, written back in bulk. Returns how many files."""
    ids = sorted(set(household_ids))
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        members: dict[int, list] = {pk: [] for pk in chunk}
        persons = Person.objects.filter(household_id__in=chunk, exited_on__isnull=True)
        categories: dict[int, list] = {}
        for person_id, category, details in PersonCategory.objects.filter(
            person__household_id__in=chunk, person__exited_on__isnull=True
        ).values_list("person_id", "category", "details"):
            categories.setdefault(person_id, []).append((category, details))
        with_benefits = set(
            Benefit.objects.filter(person__household_id__in=chunk).values_list(
                "person_id", flat=True
            )
        )
        with_needs = set(
            Need.objects.filter(household_id__in=chunk).values_list("household_id", flat=True)
        )
        for pk, household_id, name, employment, education, health in persons.values_list(
            "pk", "household_id", "name", "employment", "education", "health"
        ):
            members[household_id].append(
                MemberFacts(
                    name=name,
                    employment=employment,
                    education=education,
                    health=health,
                    categories=categories.get(pk, []),
                    has_benefits=pk in with_benefits,
                )
            )
        all_categories: dict[int, list[str]] = {pk: [] for pk in chunk}
        for household_id, category in PersonCategory.objects.filter(
            person__household_id__in=chunk
        ).values_list("person__household_id", "category"):
            all_categories[household_id].append(category)
        households = []
        for pk in chunk:
            _missing, score = ledger_missing_items(members=members[pk], has_needs=pk in with_needs)
            households.append(
                Household(
                    pk=pk,
                    completeness=score,
                    member_categories=member_categories_text(all_categories[pk]),
                )
            )
        Household.objects.bulk_update(households, ["completeness", "member_categories"])
    return len(ids)


def person_identifiers(*, id_number: str = "", phone: str = "") -> dict[str, str]:
    """Validated, encrypted, indexed and masked identifier columns (SECURITY B3, D3)."""
    values: dict[str, str] = {}
    if id_number:
        normalized = identity.normalize_id_number(id_number)
        values.update(
            id_number_encrypted=identity.encrypt_value(normalized),
            id_number_index=identity.blind_index(normalized, kind="id"),
            id_number_masked=identity.mask_id_number(normalized),
        )
    if phone:
        normalized_phone = identity.normalize_phone(phone)
        values.update(
            phone_encrypted=identity.encrypt_value(normalized_phone),
            phone_index=identity.blind_index(normalized_phone, kind="phone"),
            phone_masked=identity.mask_phone(normalized_phone),
        )
    return values


def next_file_number(community: Area, year: int) -> str:
    prefix = f"{community.code[:9]}-{year}-"
    last = (
        Household.objects.filter(file_number__startswith=prefix)
        .order_by("-file_number")
        .values_list("file_number", flat=True)
        .first()
    )
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:05d}"


@transaction.atomic
def household_create(
    *,
    community: Area,
    address: str,
    entry_route: str,
    entered_on: dt.date | None = None,
    learned_on: dt.date | None = None,
    actor: Actor,
) -> Household:
    """Open a file (L7) in `community`, audited (C1) and first on its timeline."""
    scope_require(actor, community)  # B8: only in the actor's own jurisdiction
    entered_on = entered_on or dt.date.today()
    household = Household.objects.create(
        file_number=next_file_number(community, entered_on.year),
        district_id=community.district_id,
        street_id=community.street_id,
        community=community,
        address=address.strip(),
        entry_route=entry_route,
        entered_on=entered_on,
        learned_on=learned_on,
        status=HouseholdStatus.ACTIVE,
        # L6: the follow-up clock starts when the file is opened; each visit restarts it.
        next_visit_due=follow_up_due(entered_on),
    )
    event_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=household,
        household=household,
        timeline=TimelineKind.FILE_CREATED,
        summary=f"建档（{household.get_entry_route_display()}）",
    )
    return household


class ClosedFileError(RuleError):
    """D3: a file that left the ledger stays as it was when it left: readable, not edited."""

    message = (
        "该家庭已整户退出台账，档案只读，不能修改。"
        "如情况变化需要重新帮扶，请先在家庭档案页办理重新纳入。"
    )


def household_require_open(household: Household) -> None:
    if household.status != HouseholdStatus.ACTIVE:
        raise ClosedFileError


ONE_HEAD = "该家庭已有户主，一户只能登记一名户主。请改选与户主的关系。"


def household_head_check(*, household: Household, relation: str, exclude_pk=None) -> None:
    """One head per household (L7), also held by the database (`one_head_per_household`):
    among the members still in the ledger, at most one is the head."""
    if relation != Relation.HEAD:
        return
    heads = household.members.filter(relation=Relation.HEAD, exited_on__isnull=True)
    if exclude_pk is not None:
        heads = heads.exclude(pk=exclude_pk)
    if heads.exists():
        raise RuleError(ONE_HEAD, field="relation")


def person_by_id_number(id_number: str, *, exclude_pk=None) -> Person | None:
    """One person, one file: the person on record with this ID number, wherever filed."""
    index = identity.blind_index(identity.normalize_id_number(id_number), kind="id")
    found = Person.objects.select_related("household").filter(id_number_index=index)
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return found.first()


class FiledElsewhereError(RuleError):
    """One person, one file: the ID number is on record outside the actor's jurisdiction. The
    message says only that; who holds the file is not told (SECURITY B8). `holder` is for the
    service that hands the matter over, never for display."""

    message = "该身份证号对应的人员已在其他辖区建档（一人一档），不能在本辖区重复登记。"

    def __init__(self, holder: Person) -> None:
        super().__init__(field="id_number")
        self.holder = holder


def person_id_check(*, actor: Actor, id_number: str, exclude_pk=None) -> None:
    """One person, one file (L7): refuse an ID number already on record for someone else.
    Inside the actor's scope the message names the file; outside it, it does not (B8)."""
    holder = person_by_id_number(id_number, exclude_pk=exclude_pk)
    if holder is None:
        return
    if not in_scope(actor, holder.household):
        raise FiledElsewhereError(holder)
    raise RuleError(
        f"该身份证号已在台账中登记（档案 {holder.household.file_number}，{holder.name}）。"
        "一人一档，请勿重复登记。",
        field="id_number",
    )


@transaction.atomic
def person_create(
    *,
    actor: Actor,
    household: Household,
    name: str,
    relation: str,
    id_number: str = "",
    phone: str = "",
    sex: str = "",
    birth_date: dt.date | None = None,
    **fields,
) -> Person:
    """A member; birth date and sex come from the ID number when there is one. Audited (C1).

    Every way a person enters the ledger (form, triage, import) comes here: the file must be
    in the actor's scope and open, one head per household, one file per ID number."""
    scope_require(actor, household)
    household_require_open(household)
    household_head_check(household=household, relation=relation)
    if id_number:
        id_number = identity.normalize_id_number(id_number)
        person_id_check(actor=actor, id_number=id_number)
        birth_date = identity.birth_date_from_id(id_number)
        sex = identity.sex_from_id(id_number)
    if not sex or birth_date is None:
        raise RuleError("没有身份证号时，请填写性别和出生日期。", field="birth_date")
    ids = person_identifiers(id_number=id_number, phone=phone)
    person = Person.objects.create(
        household=household,
        name=name.strip(),
        relation=relation,
        name_initials=identity.pinyin_initials(name),
        sex=sex,
        birth_date=birth_date,
        **ids,
        **fields,
    )
    household_refresh_completeness(household)
    event_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=person,
        household=household,
        timeline=TimelineKind.MEMBER_ADDED,
        summary=f"新增成员 {person.name}（{person.get_relation_display()}）",
    )
    return person


def _starting_with(queryset: QuerySet, column: str, prefix: str, *, ordered: bool) -> QuerySet:
    """Rows whose `column` starts with `prefix`, if `ordered` in code-point order of `column`,
    in the form each database's indexes serve (P: person search at 1M persons, p95 <= 100 ms).

    A range `prefix <= column < prefix'` (the last character bumped) in code-point order: on
    SQLite the column's own BINARY collation and indexes; on PostgreSQL the column under
    COLLATE "C", served by the expression indexes `(column COLLATE "C", id)` of migration
    0014, which give both the range and the order, so a page of 50 is read off the index
    whatever the database's collation (LIKE 'x%' needed a sort of every match: 60 ms for 王).
    """
    following = ord(prefix[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # no string holds a lone surrogate
        following = 0xE000
    upper = prefix[:-1] + chr(following)
    if connections[queryset.db].vendor == "postgresql":
        queryset, column = queryset.alias(_code_points=Collate(column, "C")), "_code_points"
    found = queryset.filter(**{f"{column}__gte": prefix, f"{column}__lt": upper})
    if not ordered:
        return found
    return found.order_by(column, "id")


def person_search(queryset: QuerySet, query: str, *, order_by_match: bool = True) -> QuerySet:
    """?q=: a full ID number or phone (any spacing, either case of X) by blind index, the
    pinyin initials (zs) or the beginning of the name (张, 张三).

    With `order_by_match`, name and initials results come in code-point order of the column
    they matched (as an index gives them), not in the caller's order.
    """
    query = (query or "").strip()
    if not query:
        return queryset
    try:
        return queryset.filter(
            id_number_index=identity.blind_index(identity.normalize_id_number(query), kind="id")
        )
    except ValueError:
        pass
    compact = query.replace(" ", "").replace("-", "")
    if compact.lstrip("+").isdigit() and len(compact) >= 8:
        try:
            return queryset.filter(
                phone_index=identity.blind_index(identity.normalize_phone(query), kind="phone")
            )
        except ValueError:
            return queryset.none()
    if query.isascii() and query.isalpha():
        column, prefix = "name_initials", query.lower()
    else:
        column, prefix = "name", query
    return _starting_with(queryset, column, prefix, ordered=order_by_match)


def household_search(queryset: QuerySet, query: str, *, who) -> QuerySet:
    """?q= on the file list: a file number, words of the address, or any member as the person
    search finds one (name, pinyin initials, full ID or phone number). A child is found only by
    those who may see children (B4): otherwise the search would confirm a child's name."""
    from ..children import persons_visible

    query = (query or "").strip()
    if not query:
        return queryset
    members = persons_visible(who, person_search(Person.objects.all(), query, order_by_match=False))
    return queryset.filter(
        Q(file_number__icontains=query)
        | Q(address__icontains=query)
        | Q(pk__in=members.values("household_id"))
    )


def person_reveal(*, actor: Actor, person: Person, field: str, reason: str) -> str:
    """The decrypted identifier, recorded with the reason (SECURITY B3, C1)."""
    scope_require(actor, person)
    encrypted = {"id_number": person.id_number_encrypted, "phone": person.phone_encrypted}[field]
    event_record(
        actor=actor,
        action=AuditAction.REVEAL,
        obj=person,
        detail={"field": field, "reason": reason},
    )
    return identity.decrypt_value(encrypted) if encrypted else ""
