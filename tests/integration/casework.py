"""Helpers for the case-assistance and resource-linking tests (issue 5, U1-U10)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backoffice.enums import Category, ChangeDegree, ServiceType, Subtype
from backoffice.models import PersonCategory
from backoffice.services.cases import case_open, session_record
from tests.conftest import as_actor


def today() -> dt.date:
    return timezone.localdate()


def days_ago(n: int) -> dt.date:
    return today() - dt.timedelta(days=n)


def give_category(person, category: str, subtype: str) -> None:
    PersonCategory.objects.get_or_create(
        person=person, subtype=subtype, defaults={"category": category}
    )


def open_elderly_case(*, household, person, user, worker=None, planned: int = 5, opened=None):
    """An S2 case (U6) for a person who holds the category."""
    give_category(person, Category.S2, Subtype.LIVING_ALONE)
    return case_open(
        household=household,
        person=person,
        group=Category.S2,
        service_types=[ServiceType.EMOTIONAL_COMFORT, ServiceType.POLICY_INFORMATION],
        goals="缓解孤独感，了解高龄津贴政策",
        planned_sessions=planned,
        worker=worker or user,
        opened_on=opened or days_ago(30),
        actor=as_actor(user),
    )


def record_sessions(case, n: int, *, user, start: int = 20) -> None:
    for i in range(n):
        session_record(
            case=case,
            held_on=days_ago(start - i),
            worker=user,
            content=f"第{i + 1}次上门陪伴聊天",
            change_degree=ChangeDegree.SOME,
            actor=as_actor(user),
        )
