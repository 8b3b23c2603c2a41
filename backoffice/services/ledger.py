"""Ledger rules: creating files and members with protected identifiers, completeness (L1-L5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from .. import identity
from ..enums import Category, HouseholdStatus
from ..models import Area, Household, Person

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


@dataclass(frozen=True)
class MissingItem:
    person_name: str
    category: str
    item: str

    @property
    def label(self) -> str:
        return f"{self.person_name}：{ITEM_LABELS[self.item]}"


def household_missing_items(household: Household) -> tuple[list[MissingItem], int]:
    """The required items still missing for the members' categories, and the score (0-100)."""
    members = list(household.members.prefetch_related("categories", "benefits"))
    has_needs = household.needs.exists()
    missing: list[MissingItem] = []
    required = 0
    for person in members:
        for cat in person.categories.all():
            for item in LEDGER_STANDARDS[cat.category]:
                required += 1
                if item == "members":
                    ok = len(members) >= 1
                elif item == "benefits":
                    ok = bool(person.benefits.all()) or cat.details.get("benefits") == "none"
                elif item == "needs":
                    ok = has_needs
                elif item in PERSON_FIELDS:
                    ok = bool(getattr(person, item))
                else:
                    ok = bool(str(cat.details.get(item, "")).strip())
                if not ok:
                    missing.append(MissingItem(person.name, cat.category, item))
    score = 100 if required == 0 else round(100 * (required - len(missing)) / required)
    return missing, score


def household_refresh_completeness(household: Household) -> int:
    _missing, score = household_missing_items(household)
    Household.objects.filter(pk=household.pk).update(completeness=score)
    household.completeness = score
    return score


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
    *, community: Area, address: str, entry_route: str, entered_on: dt.date | None = None
) -> Household:
    entered_on = entered_on or dt.date.today()
    return Household.objects.create(
        file_number=next_file_number(community, entered_on.year),
        district_id=community.district_id,
        street_id=community.street_id,
        community=community,
        address=address,
        entry_route=entry_route,
        entered_on=entered_on,
        status=HouseholdStatus.ACTIVE,
    )


@transaction.atomic
def person_create(
    *,
    household: Household,
    name: str,
    relation: str,
    id_number: str = "",
    phone: str = "",
    sex: str = "",
    birth_date: dt.date | None = None,
    **fields,
) -> Person:
    """A member; birth date and sex come from the ID number when there is one."""
    if id_number:
        id_number = identity.normalize_id_number(id_number)
        birth_date = identity.birth_date_from_id(id_number)
        sex = identity.sex_from_id(id_number)
    ids = person_identifiers(id_number=id_number, phone=phone)
    return Person.objects.create(
        household=household,
        name=name.strip(),
        relation=relation,
        name_initials=identity.pinyin_initials(name),
        sex=sex,
        birth_date=birth_date,
        **ids,
        **fields,
    )


def person_search(queryset: QuerySet, query: str) -> QuerySet:
    """?q=: a full ID number or phone by blind index, pinyin initials, or part of a name."""
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
        return queryset.filter(name_initials__startswith=query.lower())
    return queryset.filter(name__contains=query)


def person_reveal(*, request, person: Person, field: str, reason: str) -> str:
    """The decrypted identifier, recorded with the reason (SECURITY B3, C1)."""
    from ..enums import AuditAction
    from .audit import audit_record

    encrypted = {"id_number": person.id_number_encrypted, "phone": person.phone_encrypted}[field]
    audit_record(
        action=AuditAction.REVEAL,
        request=request,
        obj=person,
        detail={"field": field, "reason": reason},
    )
    return identity.decrypt_value(encrypted) if encrypted else ""
