"""Recording what happened (SECURITY C1, L7): one function writes the audit entry and, where a
household is concerned, the line of its timeline, together, in the caller's transaction.

The audit entry holds field names, never values (C3). The timeline is the file's history as
staff read it on the household page. A write that would land on a household outside the
actor's scope is refused here, as a last line behind each service's own checks (B1, B8):
every service that writes records an event, inside its transaction, so the refusal undoes
the write.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils import timezone

from ..actor import Actor
from ..enums import AuditAction, AuditOutcome, TimelineKind
from ..models import AuditEvent, Household, HouseholdEvent
from ..scope import scope_require


def event_record(
    *,
    actor: Actor,
    action: AuditAction,
    obj: models.Model | None = None,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    detail: dict[str, Any] | None = None,
    household: Household | None = None,
    timeline: TimelineKind | None = None,
    summary: str = "",
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Append one audit event; with `timeline`, also one line on `household`'s timeline."""
    if household is not None:
        scope_require(actor, household)
    at = at or timezone.now()
    object_type = object_id = object_label = ""
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = str(obj.pk)
        object_label = str(getattr(obj, "audit_label", None) or obj)[:200]
    event = AuditEvent.objects.create(
        at=at,
        actor_id=actor.user_id,
        actor_username=actor.username[:150],
        actor_role=actor.role,
        channel=actor.channel,
        ip=actor.ip,
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label,
        detail=detail or {},
    )
    if timeline is not None:
        if household is None:
            raise ValueError("a timeline line needs its household")
        HouseholdEvent.objects.create(
            household=household,
            kind=timeline,
            summary=summary[:200],
            actor=actor.user if actor.is_authenticated else None,
            actor_name=actor.name,
            at=at,
        )
    return event
