"""Changing the ledger from the back office (issue 3, item 5).

Households and persons carry a version column: a save names the version its form was opened
at, and is refused when someone saved in between (SECURITY G3). Every change is audited with
the names of the changed fields, never their values (C1, C3), goes on the household timeline
(L7), and refreshes the file's completeness score (L1-L5).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from portal import identity

from ..actor import Actor
from ..enums import AuditAction, TimelineKind
from ..models import Benefit, Household, Need, Person, PersonCategory
from ..scope import scope_require
from .charity import ledger_snapshot, listings_recheck
from .errors import RuleError
from .events import event_record
from .ledger import (
    category_details_check,
    household_head_check,
    household_refresh_completeness,
    household_require_open,
    person_id_check,
    person_identifiers,
)


class StaleEditError(RuleError):
    """G3: the record was saved by someone else after this form was opened."""

    message = (
        "保存未生效：在您打开此页面后，其他工作人员已修改了这条记录。"
        "为避免覆盖对方的修改，请重新打开页面，核对最新内容后再修改。"
    )


# Identifier columns are labelled by the form field the user typed into.
_LABEL_ALIASES = {"id_number": "id_number_masked", "phone": "phone_masked"}


def field_labels(model: type[models.Model], names: Iterable[str]) -> str:
    labels = []
    for name in names:
        field = model._meta.get_field(_LABEL_ALIASES.get(name, name))
        labels.append(str(field.verbose_name))
    return "、".join(labels)


def person_update_summary(name: str, names: Iterable[str]) -> str:
    return f"修改成员 {name} 的{field_labels(Person, names)}"


def household_update_summary(names: Iterable[str]) -> str:
    return f"修改档案：{field_labels(Household, names)}"


def _versioned_update(instance: models.Model, *, expected_version: int, changes: dict) -> None:
    """One UPDATE ... WHERE version = expected; nothing is written when it matches no row."""
    updated = (
        type(instance)
        .objects.filter(pk=instance.pk, version=expected_version)
        .update(**changes, version=F("version") + 1, updated_at=timezone.now())
    )
    if updated != 1:
        raise StaleEditError
    instance.refresh_from_db()


@transaction.atomic
def records_versioned_update(
    *, model: type[models.Model], changes: list[tuple[int, int, dict]]
) -> None:
    """`_versioned_update` for many records at once (a roster import): (pk, the version the
    changes were worked out from, the new values). The rows are locked and their versions
    compared first; one that moved on refuses the whole batch (G3), so nothing stale is
    written. Each record's version goes up by one."""
    from ..bulk import bulk_update_rows

    now = timezone.now()
    for start in range(0, len(changes), 1000):
        chunk = changes[start : start + 1000]
        current = dict(
            model.objects.select_for_update()
            .filter(pk__in=[pk for pk, _version, _values in chunk])
            .values_list("pk", "version")
        )
        groups: dict[tuple[str, ...], list[tuple]] = {}
        for pk, version, values in chunk:
            if current.get(pk) != version:
                raise StaleEditError
            names = tuple(sorted(values))
            groups.setdefault(names, []).append(
                (pk, *(values[name] for name in names), version + 1, now)
            )
        for names, rows in groups.items():
            bulk_update_rows(model, [*names, "version", "updated_at"], rows)


@transaction.atomic
def household_update(
    *, actor: Actor, household: Household, changes: dict, expected_version: int
) -> Household:
    """Save the changed fields of a file unless it changed since the form was opened (G3)."""
    scope_require(actor, household)
    household_require_open(household)
    if not changes:
        return household
    names = list(changes)
    values = dict(changes)
    before = None
    if "community" in values:  # the scope columns follow the community
        community = values["community"]
        if community.pk != household.community_id:
            scope_require(actor, community)  # B8: a file moves only within the jurisdiction
            before = ledger_snapshot(household=household)  # D1: its members move
        values.update(district_id=community.district_id, street_id=community.street_id)
    _versioned_update(household, expected_version=expected_version, changes=values)
    if before is not None:
        listings_recheck(actor=actor, before=before)
    event_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=household,
        detail={"fields": names},
        household=household,
        timeline=TimelineKind.FILE_UPDATED,
        summary=household_update_summary(names),
    )
    return household


@transaction.atomic
def person_update(
    *,
    person: Person,
    changes: dict,
    expected_version: int,
    actor: Actor,
    id_number: str = "",
    phone: str = "",
) -> Person:
    """Save a member's changed fields; a new ID number also sets birth date and sex (G3).
    The rules of person_create hold here too: one head, one file per ID number."""
    scope_require(actor, person.household)
    household_require_open(person.household)
    names = list(changes)
    values = dict(changes)
    if "relation" in values and person.exited_on is None:
        household_head_check(
            household=person.household, relation=values["relation"], exclude_pk=person.pk
        )
    if "name" in values:
        values["name"] = values["name"].strip()
        values["name_initials"] = identity.pinyin_initials(values["name"])
    if id_number:
        id_number = identity.normalize_id_number(id_number)
        person_id_check(actor=actor, id_number=id_number, exclude_pk=person.pk)
        values.update(
            person_identifiers(id_number=id_number),
            birth_date=identity.birth_date_from_id(id_number),
            sex=identity.sex_from_id(id_number),
        )
        names.append("id_number")
    if phone:
        values.update(person_identifiers(phone=phone))
        names.append("phone")
    if not names:
        return person
    before = ledger_snapshot(persons=[person]) if id_number else None  # D1: sex, birth date
    _versioned_update(person, expected_version=expected_version, changes=values)
    if before is not None:
        listings_recheck(actor=actor, before=before)
    household_refresh_completeness(person.household)
    event_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=person,
        detail={"fields": names},
        household=person.household,
        timeline=TimelineKind.MEMBER_UPDATED,
        summary=person_update_summary(person.name, names),
    )
    return person


RECORD_TIMELINE_KIND = {
    PersonCategory: TimelineKind.CATEGORY,
    Benefit: TimelineKind.BENEFIT,
    Need: TimelineKind.NEED,
}


def _record_household(record: models.Model) -> Household:
    return record.household if isinstance(record, Need) else record.person.household


def record_summary(verb: str, record: models.Model) -> str:
    person = getattr(record, "person", None)
    who = f"（{person.name}）" if person is not None else ""
    return f"{verb}{record._meta.verbose_name}：{record}{who}"


@transaction.atomic
def ledger_record_save(*, actor: Actor, record: models.Model, changed_fields: list[str]) -> None:
    """Save a category, benefit or need record of a file (L1-L5), audited and on the timeline.
    A category's items are checked against its ledger standard here, whoever saves it."""
    household = _record_household(record)
    scope_require(actor, household)
    household_require_open(household)
    if isinstance(record, Need) and record.person_id and record.person.household_id != household.pk:
        raise RuleError("所选成员不属于该家庭。", field="person")
    if isinstance(record, PersonCategory):
        record.category, record.details = category_details_check(
            subtype=record.subtype, details=record.details
        )
        taken = PersonCategory.objects.filter(person=record.person, subtype=record.subtype)
        if taken.exclude(pk=record.pk).exists():
            raise RuleError("该成员已登记这一类别，请直接修改原记录。", field="subtype")
    created = record.pk is None
    if not created and not changed_fields:
        return
    changes_category = isinstance(record, PersonCategory) and not created
    before = ledger_snapshot(persons=[record.person_id]) if changes_category else None  # D1
    record.save()
    if before is not None:
        listings_recheck(actor=actor, before=before)
    household_refresh_completeness(household)
    event_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=record,
        detail={"fields": changed_fields},
        household=household,
        timeline=RECORD_TIMELINE_KIND[type(record)],
        summary=record_summary("新增" if created else "修改", record),
    )


@transaction.atomic
def ledger_record_delete(*, actor: Actor, record: models.Model) -> None:
    """Remove a category, benefit or need record; the timeline and audit keep the trace."""
    household = _record_household(record)
    scope_require(actor, household)
    household_require_open(household)
    summary = record_summary("删除", record)
    event_record(
        actor=actor,
        action=AuditAction.DELETE,
        obj=record,
        household=household,
        timeline=RECORD_TIMELINE_KIND[type(record)],
        summary=summary,
    )
    before = (
        ledger_snapshot(persons=[record.person_id]) if isinstance(record, PersonCategory) else None
    )
    record.delete()
    if before is not None:
        listings_recheck(actor=actor, before=before)  # D1: one fewer with this category
    household_refresh_completeness(household)
