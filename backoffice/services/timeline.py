"""The household timeline (L7: one file): what happened to a household, in order.

Every service that changes a file adds one line here; later work (visits, plans, cases,
referrals, exits) does the same, so the household page reads as the file's history.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ..enums import TimelineKind
from ..models import Household, HouseholdEvent


def _actor_name(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "系统"
    return (user.get_full_name() or user.get_username())[:150]


def timeline_add(
    *,
    household: Household,
    kind: TimelineKind,
    summary: str,
    user=None,
    at: dt.datetime | None = None,
) -> HouseholdEvent:
    """Append one line to the household's timeline."""
    return HouseholdEvent.objects.create(
        household=household,
        kind=kind,
        summary=summary[:200],
        actor=user if getattr(user, "is_authenticated", False) else None,
        actor_name=_actor_name(user),
        at=at or timezone.now(),
    )
