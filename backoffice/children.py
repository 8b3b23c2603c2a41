"""Children under 14 (SECURITY B4), decided in one place.

Opening a child's record needs its own permission (`backoffice.view_child_record`). Whoever
lacks it never sees a child's name, birth date or identifiers on any surface: the household
page shows the member as "未满14周岁儿童", lists and search leave children out, forms offer no
child to choose, PDFs print the label, and free text that names a child (timeline lines,
notes) has the name replaced. Every surface asks this module; none decides on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone

from .enums import AuditAction, AuditOutcome, DenialReason
from .permissions import user_can_open_child_record

CHILD_AGE = 14
CHILD_LABEL = "未满14周岁儿童"
HIDDEN_NAME = "（儿童）"
CHILD_REFUSED = (
    "未满 14 周岁儿童的档案需要专门授权才能查看和办理；可以为其家庭办理，"
    "或请街道（乡镇）服务站办理。"
)


def _user(who):
    return getattr(who, "user", who)


def sees_children(who) -> bool:
    """Whether an actor (or a user) may see and work children's records."""
    if getattr(who, "system", False):
        return True
    user = _user(who)
    return user is not None and user_can_open_child_record(user)


def child_birth_cutoff(today: dt.date | None = None) -> dt.date:
    """The 14th birthday's date, counted back from today: born after it means under 14."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - CHILD_AGE)
    except ValueError:  # 29 February
        return today.replace(year=today.year - CHILD_AGE, day=28)


def is_child(person, *, today: dt.date | None = None) -> bool:
    birth = getattr(person, "birth_date", None)
    return birth is not None and birth > child_birth_cutoff(today)


def persons_visible(who, queryset: QuerySet, *, prefix: str = "") -> QuerySet:
    """`queryset` of persons (or of rows with a person at `prefix`, e.g. "person__") without
    the children the viewer may not see. Rows with no person stay."""
    if sees_children(who):
        return queryset
    cutoff = child_birth_cutoff()
    return queryset.exclude(**{f"{prefix}birth_date__gt": cutoff})


@dataclass
class ChildView:
    """What one viewer sees of the members of the households on a page."""

    sees: bool
    hidden: set[int] = field(default_factory=set)
    names: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, who, persons: Iterable, *, today: dt.date | None = None) -> ChildView:
        if sees_children(who):
            return cls(sees=True)
        hidden = [p for p in persons if is_child(p, today=today)]
        # Longer names first, so that 欧阳小雨 is replaced before 欧阳.
        names = sorted({p.name for p in hidden if p.name}, key=len, reverse=True)
        return cls(sees=False, hidden={p.pk for p in hidden}, names=names)

    def hides(self, person) -> bool:
        return person is not None and person.pk in self.hidden

    def label(self, person, *, whole_household: str = "全户") -> str:
        if person is None:
            return whole_household
        return CHILD_LABEL if self.hides(person) else person.name

    def redact(self, text: str) -> str:
        """Free text (timeline lines, notes, descriptions) without hidden children's names."""
        text = text or ""
        for name in self.names:
            text = text.replace(name, HIDDEN_NAME)
        return text


def child_view_of_households(who, household_ids: Iterable[int]) -> ChildView:
    """The ChildView of every member of these households (one query; none when allowed)."""
    from .models import Person

    if sees_children(who):
        return ChildView(sees=True)
    ids = list(household_ids)
    members = Person.objects.filter(household_id__in=ids, birth_date__gt=child_birth_cutoff())
    return ChildView.of(who, members.only("pk", "name", "birth_date"))


def child_record_check(who, person) -> None:
    """Services: refuse work on a child's record without the permission (RuleError)."""
    from .services.errors import RuleError

    if person is not None and not sees_children(who) and is_child(person):
        raise RuleError(CHILD_REFUSED, field="person")


def child_record_refuse(actor, person) -> None:
    """Views: opening a child's record without the permission answers 403, audited (C1)."""
    from .services.events import event_record

    if person is None or sees_children(actor) or not is_child(person):
        return
    event_record(
        actor=actor,
        action=AuditAction.DENIED,
        obj=person,
        outcome=AuditOutcome.DENIED,
        detail={"reason": DenialReason.CHILD_UNDER_14},
    )
    raise PermissionDenied
