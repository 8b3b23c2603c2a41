"""Who acts (STYLE 11): services receive an Actor, never the HTTP request.

An actor is a user (or the system itself) with their role, jurisdiction scope, the address
they came from and how they came: the web, a management command, a background task or an
import. Views build one from the request (`request_actor`); commands, tasks and the demo seed
build their own, so the same services, rules and audit trail serve every way in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from portal.client import client_address

from .enums import Channel
from .scope import EVERYTHING, Scope, user_scope

SYSTEM_NAME = "系统"


@dataclass(frozen=True, eq=False)
class Actor:
    user: Any | None
    channel: str = Channel.WEB
    ip: str | None = None
    # A command or task acting for the bureau itself (no user): sees and may do everything.
    system: bool = False

    @cached_property
    def scope(self) -> Scope:
        return EVERYTHING if self.system else user_scope(self.user)

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user is not None and getattr(self.user, "is_authenticated", False))

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.is_authenticated else None

    @property
    def username(self) -> str:
        return self.user.get_username() if self.is_authenticated else ""

    @property
    def name(self) -> str:
        """How the timeline and printouts name the actor."""
        if not self.is_authenticated:
            return SYSTEM_NAME
        return (self.user.get_full_name() or self.user.get_username())[:150]

    @property
    def role(self) -> str:
        if self.system:
            return "system"
        profile = getattr(self.user, "staff_profile", None) if self.is_authenticated else None
        if profile is not None:
            return profile.role
        if self.is_authenticated and self.user.is_superuser:
            return "superuser"
        return ""

    def can(self, permission: str) -> bool:
        if self.system:
            return True
        return self.is_authenticated and self.user.has_perm(permission)


def request_actor(request) -> Actor:
    """The actor of a web request (kept on the request: one per request)."""
    actor = getattr(request, "_backoffice_actor", None)
    if actor is None:
        user = getattr(request, "user", None)
        actor = Actor(user=user, channel=Channel.WEB, ip=client_address(request))
        request._backoffice_actor = actor
    return actor


def user_actor(user, *, channel: str, ip: str | None = None) -> Actor:
    """A user acting outside a web request: a task run for its owner, a seeded demo action."""
    return Actor(user=user, channel=channel, ip=ip)


def system_actor(channel: str = Channel.COMMAND) -> Actor:
    return Actor(user=None, channel=channel, system=True)
