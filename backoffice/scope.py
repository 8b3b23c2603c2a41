"""The one jurisdiction scope (SECURITY B1, M3): every ledger query goes through `scope_queryset`.

city > district > street > community; agency workers see only households assigned to them.
A model takes part by declaring `scope_fields`, a mapping from scope level to the column that
holds the area code of that level (and, for agency work, "assigned" to the worker's user id
column). A user without a ledger role sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

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
EVERYTHING = Scope("all")


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
        from .models.staff import agency_access

        # B6, M3: without an agreement in force and the worker's own pledge, nothing.
        if not agency_access(profile).allowed:
            return NOTHING
        return Scope("assigned", user_id=user.pk)
    return NOTHING


def scope_of(who) -> Scope:
    """The scope of an actor (backoffice/actor.py) or of a user."""
    scope = getattr(who, "scope", None)
    return scope if isinstance(scope, Scope) else user_scope(who)


def scope_queryset(who, queryset: QuerySet) -> QuerySet:
    """Restrict `queryset` to what `who` (an actor or a user) may see. Anything outside answers
    404 upstream."""
    scope = scope_of(who)
    if scope.is_everything:
        return queryset
    # A model lists its scope columns, or several such lists when more than one jurisdiction
    # sees a row (a handover: the sender and the receiver); a row is seen when any one matches.
    declared = getattr(queryset.model, "scope_fields", {})
    alternatives = declared if isinstance(declared, list | tuple) else (declared,)
    if scope.level == "none":
        return queryset.none()
    value = scope.user_id if scope.level == "assigned" else scope.area_code
    columns = [fields[scope.level] for fields in alternatives if scope.level in fields]
    if not columns:
        return queryset.none()
    matches = Q(**{columns[0]: value})
    for column in columns[1:]:
        matches |= Q(**{column: value})
    found = queryset.filter(matches)
    # An agency worker reaches rows through assignments: one row per assignment otherwise.
    return found.distinct() if scope.level == "assigned" else found


def in_scope(who, obj) -> bool:
    """Whether `who` may see `obj`: from the row's own area columns when it has them, else
    through the database (agency assignments, rows that belong to a household)."""
    scope = scope_of(who)
    if scope.is_everything:
        return True
    if scope.level == "none" or obj is None or obj.pk is None:
        return False
    declared = getattr(type(obj), "scope_fields", {})
    column = declared.get(scope.level) if isinstance(declared, dict) else None
    if column is not None and "__" not in column and scope.level != "assigned":
        return getattr(obj, column) == scope.area_code
    return scope_queryset(who, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def scope_require(who, obj) -> None:
    """SECURITY B1, B8: refuse a write that would land on a record outside the scope."""
    from .services.errors import OutOfScopeError

    if not in_scope(who, obj):
        raise OutOfScopeError
