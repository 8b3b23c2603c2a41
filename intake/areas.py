"""The divisions as the public form needs them: district -> street -> community.

The area model belongs to the back office; intake names it through
`settings.INTAKE_AREA_MODEL` (like AUTH_USER_MODEL) and relies only on its columns
code, name, level, district_id, street_id and is_legal_unit.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings


def area_model():
    return apps.get_model(settings.INTAKE_AREA_MODEL)


def district_choices() -> list[tuple[str, str]]:
    rows = area_model().objects.filter(level="district").order_by("code")
    return [(row.code, row.name) for row in rows]


def street_choices(district_code: str) -> list[tuple[str, str]]:
    if not district_code:
        return []
    rows = (
        area_model()
        .objects.filter(level="street", district_id=district_code, is_legal_unit=True)
        .order_by("code")
    )
    return [(row.code, row.name) for row in rows]


def community_choices(street_code: str) -> list[tuple[str, str]]:
    if not street_code:
        return []
    rows = area_model().objects.filter(level="community", street_id=street_code).order_by("code")
    return [(row.code, row.name) for row in rows]
