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
import hashlib
from typing import Any

from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone

from ..actor import Actor
from ..enums import AuditAction, AuditOutcome, DenialReason, TimelineKind
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


@transaction.atomic
def events_record_bulk(
    *, actor: Actor, events: list[dict[str, Any]], at: dt.datetime | None = None
) -> int:
    """`event_record` for many events at once (a roster import writes thousands): each dict
    holds event_record's keywords (action, obj, detail, household, timeline, summary). The same
    rule holds: a household outside the actor's scope refuses the whole batch (B1, B8), the
    audit holds field names, never values (C3). Written with COPY where the database has it."""
    from ..bulk import bulk_insert

    at = at or timezone.now()
    checked: set[int] = set()
    audit_rows, timeline_rows = [], []
    actor_user_id = actor.user_id if actor.is_authenticated else None
    for event in events:
        household = event.get("household")
        if household is not None and household.pk not in checked:
            scope_require(actor, household)
            checked.add(household.pk)
        obj = event.get("obj")
        object_type = object_id = object_label = ""
        if obj is not None:
            object_type = obj._meta.label_lower
            object_id = str(obj.pk)
            object_label = str(getattr(obj, "audit_label", None) or obj)[:200]
        audit_rows.append(
            (
                at,
                actor.user_id,
                actor.username[:150],
                actor.role,
                actor.channel,
                actor.ip,
                event["action"],
                event.get("outcome", AuditOutcome.SUCCESS),
                object_type,
                object_id,
                object_label,
                event.get("detail") or {},
            )
        )
        timeline = event.get("timeline")
        if timeline is not None:
            if household is None:
                raise ValueError("a timeline line needs its household")
            timeline_rows.append(
                (
                    household.pk,
                    at,
                    timeline,
                    event.get("summary", "")[:200],
                    actor_user_id,
                    actor.name,
                )
            )
    bulk_insert(AuditEvent, AUDIT_COLUMNS, audit_rows)
    bulk_insert(HouseholdEvent, TIMELINE_COLUMNS, timeline_rows)
    return len(audit_rows)


AUDIT_COLUMNS = (
    "at",
    "actor_id",
    "actor_username",
    "actor_role",
    "channel",
    "ip",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "object_label",
    "detail",
)
TIMELINE_COLUMNS = ("household_id", "at", "kind", "summary", "actor_id", "actor_name")


# C1: denied access. A user probing ids could otherwise write one row per request into a table
# that can never be pruned (C2). Identical denials are counted in the shared cache (Redis in
# production, so all web nodes count together) over fixed windows of DENIAL_WINDOW_SECONDS:
# the first of a window is written, then one more row at each power of ten (10, 100, 1000...)
# carrying the count so far, and the first of the next window carries the final count of the
# one before. Between powers of ten the log says "at least"; the exact total of a window is
# written when the same user is denied the same way again within DENIAL_COUNT_KEEP_SECONDS.
DENIAL_WINDOW_SECONDS = 300
DENIAL_COUNT_KEEP_SECONDS = 24 * 3600


def _denial_key(actor: Actor, reason: str, route: str) -> str:
    """Identical denials: same user, same reason, same URL pattern (the 500 ids of one
    enumeration are one pattern; the path itself would make each its own). Hashed: a route
    holds characters and lengths a cache key may not."""
    identity = f"{actor.user_id}|{AuditAction.DENIED}|{reason}|{route}"
    return "audit-denied:" + hashlib.sha256(identity.encode()).hexdigest()[:32]


def denial_record(
    *,
    actor: Actor,
    reason: DenialReason,
    status: int,
    path: str,
    route: str,
    query_keys: list[str] | None = None,
) -> AuditEvent | None:
    """Count one denied access of `actor`; write the audit event when the count calls for one
    (see DENIAL_WINDOW_SECONDS). Returns the event written, or None when only counted.

    `path` and `query_keys` must already be free of personal data (C3); `route` is the URL
    pattern the path matched ("" when none), which groups an enumeration into one count.
    """
    now = timezone.now()
    window = int(now.timestamp()) // DENIAL_WINDOW_SECONDS
    key = _denial_key(actor, reason, route)
    try:
        count = _denial_count(f"{key}:{window}")
        previous = _denial_previous(key, window) if count == 1 else None
    except Exception:  # noqa: BLE001 - the audit must not depend on the cache being up
        count, previous = None, None
    if count is not None and not _denial_milestone(count):
        return None
    detail: dict[str, Any] = {
        "reason": str(reason),
        "status": status,
        "path": path,
        "route": route,
        "window_seconds": DENIAL_WINDOW_SECONDS,
        # None: the cache was unavailable, every denial is written.
        "count": count,
    }
    if query_keys:
        detail["query_keys"] = query_keys
    if previous is not None:
        detail["previous_window"] = previous
    return event_record(
        actor=actor, action=AuditAction.DENIED, outcome=AuditOutcome.DENIED, detail=detail, at=now
    )


def _denial_count(counter: str) -> int:
    if cache.add(counter, 1, timeout=DENIAL_COUNT_KEEP_SECONDS):
        return 1
    try:
        return cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.add(counter, 1, timeout=DENIAL_COUNT_KEEP_SECONDS)
        return 1


def _denial_previous(key: str, window: int) -> dict[str, Any] | None:
    """The final count of the last window that had such a denial, when it is still kept."""
    last = cache.get(f"{key}:last")
    cache.set(f"{key}:last", window, timeout=DENIAL_COUNT_KEEP_SECONDS)
    if last is None or last == window:
        return None
    count = cache.get(f"{key}:{last}")
    if count is None:
        return None
    started = dt.datetime.fromtimestamp(last * DENIAL_WINDOW_SECONDS, tz=dt.UTC)
    return {"started": started.isoformat(), "count": count}


def _denial_milestone(count: int) -> bool:
    """1, 10, 100, 1000...: a handful of rows for any flood."""
    while count % 10 == 0:
        count //= 10
    return count == 1
