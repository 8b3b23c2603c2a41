"""Helpers for the plan (L7), follow-up visit (L6) and exit (D3) tests of issue 5."""

from __future__ import annotations

import datetime as dt

from backoffice.enums import MeasureStatus, VisitKind
from backoffice.models import Household
from backoffice.services.plans import MeasureInput, plan_current, plan_revise
from backoffice.services.visits import visit_record
from tests.conftest import as_actor

# The day most tests live on (time_machine); the ledger fixture's files are moved before it.
TODAY = dt.date(2026, 11, 29)
NOON_BEIJING = dt.datetime(2026, 11, 29, 4, 0, tzinfo=dt.UTC)
ON_FILE_SINCE = dt.date(2026, 6, 1)


def on_file_since(*households: Household, day: dt.date = ON_FILE_SINCE) -> None:
    """Move the files' entry back, so visits on fixed dates fall within their stay."""
    for household in households:
        Household.objects.filter(pk=household.pk).update(entered_on=day)
        household.refresh_from_db()


MEASURES = [
    MeasureInput(
        content="协助申请高龄津贴",
        responsible="东华门街道社会保障所",
        starts_on=dt.date(2026, 12, 1),
        due_on=dt.date(2027, 1, 31),
    ),
    MeasureInput(
        content="每周两次上门助餐",
        responsible="东华门街道养老驿站",
        due_on=dt.date(2027, 3, 31),
        status=MeasureStatus.IN_PROGRESS,
    ),
]


def draw_up_plan(household: Household, user, *, measures=MEASURES, goals="老人每日有人照料"):
    """A plan for the household, first version or the next one."""
    current = plan_current(household)
    return plan_revise(
        household=household,
        goals=goals,
        measures=measures,
        change_note="" if current is None else "回访后调整",
        based_on=current.number if current else 0,
        expected_version=current.version if current else None,
        actor=as_actor(user),
    )


def record_visit(household: Household, user, *, on: dt.date, kind=VisitKind.FOLLOW_UP, **extra):
    values = {
        "visitors": "社工王丽、居委会刘红梅",
        "findings": "老人独居，精神尚好，冰箱有存粮",
        "measures_progress": "助餐每周两次已落实",
    }
    values.update(extra)
    return visit_record(
        household=household, kind=kind, visited_on=on, actor=as_actor(user), **values
    )


def plan_form(
    *,
    goals: str = "老人每日有人照料",
    measures: list[dict] | None = None,
    change_note: str = "",
    based_on: int = 0,
    version: int | str = "",
) -> dict:
    """The POST of the plan form, with its measures formset (prefix "measures")."""
    rows = (
        measures
        if measures is not None
        else [{"content": "协助申请高龄津贴", "responsible": "街道社保所", "due_on": "2027-01-31"}]
    )
    data = {
        "goals": goals,
        "change_note": change_note,
        "based_on": based_on,
        "version": version,
        "measures-TOTAL_FORMS": len(rows),
        "measures-INITIAL_FORMS": 0,
        "measures-MIN_NUM_FORMS": 0,
        "measures-MAX_NUM_FORMS": 20,
    }
    for index, row in enumerate(rows):
        row = {"status": "planned", "starts_on": "", **row}
        for key, value in row.items():
            data[f"measures-{index}-{key}"] = value
    return data


def visit_form(**overrides) -> dict:
    data = {
        "kind": "follow_up",
        "visited_on": TODAY.isoformat(),
        "visitors": "社工王丽",
        "findings": "老人独居，精神尚好",
        "measures_progress": "",
        "needs": "",
    }
    data.update(overrides)
    return data
