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

from ..enums import AuditAction, HouseholdStatus, TimelineKind
from ..models import Benefit, Household, Need, Person, PersonCategory
from .audit import audit_record
from .ledger import household_refresh_completeness, person_identifiers
from .timeline import timeline_add


class EditRefusedError(Exception):
    """A save the rules refuse; `message` tells the user why, in Chinese."""

    message = ""

    def __str__(self) -> str:
        return self.message


class ClosedFileError(EditRefusedError):
    """D3: a file that left the ledger stays as it was when it left: readable, not edited."""

    message = (
        "该家庭已整户退出台账，档案只读，不能修改。"
        "如情况变化需要重新帮扶，请先在家庭档案页办理重新纳入。"
    )


def _refuse_closed(household: Household) -> None:
    if household.status != HouseholdStatus.ACTIVE:
        raise ClosedFileError


class StaleEditError(EditRefusedError):
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
def household_update(
    *, household: Household, changes: dict, expected_version: int, request
) -> Household:
    """Save the changed fields of a file unless it changed since the form was opened (G3)."""
    _refuse_closed(household)
    if not changes:
        return household
    names = list(changes)
    values = dict(changes)
    if "community" in values:  # the scope columns follow the community
        community = values["community"]
        values.update(district_id=community.district_id, street_id=community.street_id)
    _versioned_update(household, expected_version=expected_version, changes=values)
    audit_record(
        action=AuditAction.UPDATE, request=request, obj=household, detail={"fields": names}
    )
    timeline_add(
        household=household,
        kind=TimelineKind.FILE_UPDATED,
        summary=f"修改档案：{field_labels(Household, names)}",
        user=request.user,
    )
    return household


@transaction.atomic
def person_update(
    *,
    person: Person,
    changes: dict,
    expected_version: int,
    request,
    id_number: str = "",
    phone: str = "",
) -> Person:
    """Save a member's changed fields; a new ID number also sets birth date and sex (G3)."""
    _refuse_closed(person.household)
    names = list(changes)
    values = dict(changes)
    if "name" in values:
        values["name"] = values["name"].strip()
        values["name_initials"] = identity.pinyin_initials(values["name"])
    if id_number:
        id_number = identity.normalize_id_number(id_number)
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
    _versioned_update(person, expected_version=expected_version, changes=values)
    household_refresh_completeness(person.household)
    audit_record(action=AuditAction.UPDATE, request=request, obj=person, detail={"fields": names})
    timeline_add(
        household=person.household,
        kind=TimelineKind.MEMBER_UPDATED,
        summary=f"修改成员 {person.name} 的{field_labels(Person, names)}",
        user=request.user,
    )
    return person


def person_id_taken(*, id_number: str, exclude_pk: int | None = None) -> bool:
    """One person, one file: is this ID number already on record for someone else?"""
    index = identity.blind_index(identity.normalize_id_number(id_number), kind="id")
    found = Person.objects.filter(id_number_index=index)
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return found.exists()


RECORD_TIMELINE_KIND = {
    PersonCategory: TimelineKind.CATEGORY,
    Benefit: TimelineKind.BENEFIT,
    Need: TimelineKind.NEED,
}


def _record_household(record: models.Model) -> Household:
    return record.household if isinstance(record, Need) else record.person.household


def _record_summary(verb: str, record: models.Model) -> str:
    person = getattr(record, "person", None)
    who = f"（{person.name}）" if person is not None else ""
    return f"{verb}{record._meta.verbose_name}：{record}{who}"


@transaction.atomic
def ledger_record_save(*, record: models.Model, changed_fields: list[str], request) -> None:
    """Save a category, benefit or need record of a file (L1-L5), audited and on the timeline."""
    household = _record_household(record)
    _refuse_closed(household)
    created = record.pk is None
    if not created and not changed_fields:
        return
    record.save()
    household_refresh_completeness(household)
    audit_record(
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        request=request,
        obj=record,
        detail={"fields": changed_fields},
    )
    timeline_add(
        household=household,
        kind=RECORD_TIMELINE_KIND[type(record)],
        summary=_record_summary("新增" if created else "修改", record),
        user=request.user,
    )


@transaction.atomic
def ledger_record_delete(*, record: models.Model, request) -> None:
    """Remove a category, benefit or need record; the timeline and audit keep the trace."""
    household = _record_household(record)
    _refuse_closed(household)
    summary = _record_summary("删除", record)
    audit_record(action=AuditAction.DELETE, request=request, obj=record)
    record.delete()
    household_refresh_completeness(household)
    timeline_add(
        household=household,
        kind=RECORD_TIMELINE_KIND[type(record)],
        summary=summary,
        user=request.user,
    )
