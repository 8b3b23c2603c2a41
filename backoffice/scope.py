"""The one jurisdiction scope (SECURITY B1, M3): every ledger query goes through `scope_queryset`.

city > district > street > community; agency workers see only households assigned to them.
A model takes part by declaring `scope_fields`, a mapping from scope level to the column that
holds the area code of that level (and, for agency work, "assigned" to the worker's user id
column). A user without a ledger role sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from .enums import AreaLevel, Role


@dataclass(frozen=True)
class Scope:
    level: str  # "all", "district", "street", "community", "assigned" or "none"
    area_code: str | None = None
    user_id: int | None = None

    @property
    def is_everything(self) -> bool:
        return self.level == "all"


NOTHING = Scope("none")


def user_scope(user) -> Scope:
    """Which ledger rows the user may see, from their role and jurisdiction."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    profile = getattr(user, "staff_profile", None)
    if profile is None:
        return NOTHING
    role = profile.role
    if role == Role.CITY_BUREAU:
        return Scope("all")
    if role in (Role.DISTRICT_BUREAU, Role.STREET_STATION) and profile.area_id:
        level = profile.area.level
        if level == AreaLevel.CITY:
            return Scope("all")
        if level in (AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY):
            return Scope(level, area_code=profile.area_id)
    if role == Role.AGENCY_WORKER:
        return Scope("assigned", user_id=user.pk)
    return NOTHING


def scope_queryset(user, queryset: QuerySet) -> QuerySet:
    """Restrict `queryset` to what `user` may see. Anything outside answers 404 upstream."""
    scope = user_scope(user)
    if scope.is_everything:
        return queryset
    fields: dict[str, str] = getattr(queryset.model, "scope_fields", {})
    if scope.level == "assigned":
        column = fields.get("assigned")
        return queryset.filter(**{column: scope.user_id}).distinct() if column else queryset.none()
    column = fields.get(scope.level)
    if scope.level == "none" or column is None:
        return queryset.none()
    return queryset.filter(**{column: scope.area_code})
