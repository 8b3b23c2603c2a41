"""The divisions as the public form needs them: district -> street -> community.

The area model belongs to the back office; intake names it through
`settings.INTAKE_AREA_MODEL` (like AUTH_USER_MODEL) and relies only on its columns
code, name, level, district_id, street_id and is_legal_unit.

The divisions are reference data loaded by a migration or `load_areas`, so each process keeps
the lists it has built (a new load takes effect when the web processes restart).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.apps import apps
from django.conf import settings

Choices = tuple[tuple[str, str], ...]
T = TypeVar("T")


def kept_once_found(build: Callable[..., T]) -> Callable[..., T]:
    """Keep a non-empty answer for the life of the process; an empty one is asked again."""
    found: dict[tuple, T] = {}

    @wraps(build)
    def choices(*args: str) -> T:
        if args not in found:
            result = build(*args)
            if not result:
                return result
            found[args] = result
        return found[args]

    return choices


def area_model():
    return apps.get_model(settings.INTAKE_AREA_MODEL)


@kept_once_found
def district_choices() -> Choices:
    rows = area_model().objects.filter(level="district").order_by("code")
    return tuple((row.code, row.name) for row in rows)


@kept_once_found
def street_choices(district_code: str) -> Choices:
    if not district_code:
        return ()
    rows = (
        area_model()
        .objects.filter(level="street", district_id=district_code, is_legal_unit=True)
        .order_by("code")
    )
    return tuple((row.code, row.name) for row in rows)


@kept_once_found
def community_choices(street_code: str) -> Choices:
    if not street_code:
        return ()
    rows = area_model().objects.filter(level="community", street_id=street_code).order_by("code")
    return tuple((row.code, row.name) for row in rows)
