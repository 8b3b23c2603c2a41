"""Writing the audit trail (SECURITY C1). Field names are recorded, never values (C3)."""

from __future__ import annotations

from typing import Any

from django.db import models

from ..enums import AuditAction, AuditOutcome
from ..models import AuditEvent


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def user_role(user) -> str:
    profile = getattr(user, "staff_profile", None) if user is not None else None
    if profile is not None:
        return profile.role
    if user is not None and getattr(user, "is_superuser", False):
        return "superuser"
    return ""


def audit_record(
    *,
    action: AuditAction,
    request=None,
    user=None,
    username: str = "",
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    obj: models.Model | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. `user` defaults to the request's authenticated user."""
    if user is None and request is not None and getattr(request, "user", None) is not None:
        if request.user.is_authenticated:
            user = request.user
    object_type = object_id = object_label = ""
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = str(obj.pk)
        object_label = str(getattr(obj, "audit_label", None) or obj)[:200]
    return AuditEvent.objects.create(
        actor_id=getattr(user, "pk", None),
        actor_username=(getattr(user, "username", "") or username)[:150],
        actor_role=user_role(user),
        ip=client_ip(request),
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label,
        detail=detail or {},
    )
