"""M5: every household's file complete (L1-L5) and with a plan (L7) by the date the city sets
for the year. The city sets the date; the city, districts and streets see their progress,
area by area within their scope, and the files that hold them back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ..actor import Actor
from ..enums import AreaLevel, AuditAction, HouseholdStatus
from ..models import Area, FileDeadline, Household, Plan
from ..permissions import user_can_set_file_deadline
from ..scope import scope_of, scope_queryset
from ..workdays import is_workday
from .errors import RuleError
from .events import event_record

HOLDING_BACK_SHOWN = 50
# The level whose areas are the rows when looking at an area of a level.
ROWS_BELOW = {
    AreaLevel.CITY: "district",
    AreaLevel.DISTRICT: "street",
    AreaLevel.STREET: "community",
    AreaLevel.COMMUNITY: "community",
}


@transaction.atomic
def file_deadline_set(*, actor: Actor, year: int, due_on: dt.date, note: str = "") -> FileDeadline:
    """The city bureau sets (or moves) the year's deadline; audited with what changed."""
    if not user_can_set_file_deadline(actor.user):
        raise RuleError("只有市民政局可以设定年度建档完成期限。")
    today = timezone.localdate()
    if not today.year - 1 <= year <= today.year + 1:
        raise RuleError("只能设定去年、今年或明年的期限。", field="year")
    if due_on.year != year:
        raise RuleError(f"完成期限应在 {year} 年之内。", field="due_on")
    current = FileDeadline.objects.select_for_update().filter(year=year).first()
    values = {
        "due_on": due_on,
        "note": note.strip(),
        "set_at": timezone.now(),
        "set_by": actor.user,
        "set_by_name": actor.name[:150],
    }
    if current is None:
        deadline = FileDeadline.objects.create(year=year, **values)
        event_record(
            actor=actor, action=AuditAction.CREATE, obj=deadline, detail={"fields": ["due_on"]}
        )
        return deadline
    changed = [f for f in ("due_on", "note") if getattr(current, f) != values[f]]
    for name, value in values.items():
        setattr(current, name, value)
    current.save()
    if changed:
        event_record(
            actor=actor, action=AuditAction.UPDATE, obj=current, detail={"fields": changed}
        )
    return current


@dataclass
class AreaProgress:
    code: str
    name: str
    households: int = 0
    complete: int = 0
    planned: int = 0
    ready: int = 0

    @property
    def behind(self) -> int:
        return self.households - self.ready

    @property
    def percent(self) -> int:
        return 100 if not self.households else self.ready * 100 // self.households


@dataclass
class Progress:
    year: int
    deadline: FileDeadline | None
    area: Area | None  # the area looked at; None for all of Beijing
    rows_level: str
    rows: list[AreaProgress]
    total: AreaProgress
    holding_back: list[Household] = field(default_factory=list)
    workdays_left: int | None = None
    days_late: int | None = None
    drill_down: bool = False


def _workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`."""
    days, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        days += is_workday(day)
    return days


# L1-L5: a file is complete when its score (services/ledger.household_refresh_completeness)
# is 100; L7: it has a plan. The year's progress and the statistics (issue 16) both count so.
FILE_COMPLETE = Q(completeness=100)


def with_plan(households: QuerySet) -> QuerySet:
    """`households` annotated `has_plan`: whether the file holds a plan (L7)."""
    return households.annotate(has_plan=Exists(Plan.objects.filter(household=OuterRef("pk"))))


def progress_area(who, code: str | None) -> Area | None:
    """The area to look at: one in `who`'s scope (404 otherwise, by the caller), or the
    user's own area when none is asked for."""
    if code:
        return scope_queryset(who, Area.objects.filter(pk=code)).first()
    scope = scope_of(who)
    return None if scope.is_everything else Area.objects.filter(pk=scope.area_code).first()


def deadline_progress(
    who, *, year: int, area: Area | None = None, today: dt.date | None = None
) -> Progress:
    """The year's progress in `who`'s scope (under `area` when given): one row per area of the
    level below, files complete, with a plan, and both; the files not yet both, least
    complete first."""
    today = today or timezone.localdate()
    level = AreaLevel.CITY if area is None else area.level
    rows_level = ROWS_BELOW[level]
    households = scope_queryset(who, Household.objects.filter(status=HouseholdStatus.ACTIVE))
    if area is not None and level != AreaLevel.CITY:
        households = households.filter(**{AREA_COLUMN[level]: area.pk})
    households = with_plan(households)
    group = f"{rows_level}_id"
    counted = (
        households.order_by()
        .values(group)
        .annotate(
            households=Count("id"),
            complete=Count("id", filter=FILE_COMPLETE),
            planned=Count("id", filter=Q(has_plan=True)),
            ready=Count("id", filter=FILE_COMPLETE & Q(has_plan=True)),
        )
    )
    names = dict(Area.objects.filter(pk__in=[c[group] for c in counted]).values_list("pk", "name"))
    rows = sorted(
        (
            AreaProgress(
                code=c[group],
                name=names.get(c[group], c[group]),
                households=c["households"],
                complete=c["complete"],
                planned=c["planned"],
                ready=c["ready"],
            )
            for c in counted
        ),
        key=lambda row: (row.percent, row.code),
    )
    total = AreaProgress(code="", name="合计")
    for row in rows:
        total.households += row.households
        total.complete += row.complete
        total.planned += row.planned
        total.ready += row.ready
    deadline = FileDeadline.objects.filter(year=year).first()
    progress = Progress(
        year=year,
        deadline=deadline,
        area=area,
        rows_level=rows_level,
        rows=rows,
        total=total,
        holding_back=list(_holding_back(households)[:HOLDING_BACK_SHOWN]),
        drill_down=level != AreaLevel.STREET and level != AreaLevel.COMMUNITY,
    )
    if deadline is not None:
        if today <= deadline.due_on:
            progress.workdays_left = _workdays_between(today, deadline.due_on)
        else:
            progress.days_late = (today - deadline.due_on).days
    return progress


# The household column that holds the code of an area of each level.
AREA_COLUMN = {
    AreaLevel.DISTRICT: "district_id",
    AreaLevel.STREET: "street_id",
    AreaLevel.COMMUNITY: "community_id",
}


def _holding_back(households: QuerySet) -> QuerySet:
    return (
        households.exclude(completeness=100, has_plan=True)
        .select_related("street", "community")
        .order_by("completeness", "has_plan", "file_number")
    )
