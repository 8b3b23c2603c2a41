"""Statistics of the ledger (issue 16): counts area by area within the user's scope (U11), and
the small-cell suppression that every published table passes through (SECURITY D2, P4).

The counts are aggregate queries (about one per table, grouped by the area column of the
level below or by kind; a fixed number per page, whatever the number of areas and files); no
ledger row is loaded into Python. The F1-F3 clocks are counted in one grouped query over the
reports, with each day's due date (working days, F4) joined in as a table of values. The
suppression is a pure function of a table of counts and knows nothing about the ledger.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import uuid
from dataclasses import dataclass, field
from enum import Enum

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from intake.enums import OPEN_STATUSES, ReportStatus
from intake.models import Report

from ..enums import (
    OPEN_CASE_STATUSES,
    OPEN_REFERRAL_STATUSES,
    SUBTYPES_BY_CATEGORY,
    AreaLevel,
    BenefitType,
    Category,
    EntryRoute,
    HouseholdStatus,
    NeedStatus,
    NeedType,
    ReferralKind,
    ReferralStatus,
    Sex,
    Subtype,
    VisitKind,
)
from ..models import (
    Area,
    Benefit,
    CaseSession,
    Household,
    Need,
    Person,
    PersonCategory,
    Referral,
    Visit,
)
from ..models import Case as CaseFile
from ..models.casework import MIN_SESSIONS
from ..scope import scope_of, scope_queryset
from ..workdays import add_workdays
from .deadlines import AREA_COLUMN, FILE_COMPLETE, ROWS_BELOW, with_plan
from .triage import DEADLINES
from .visits import followup_late

# --- SECURITY D2: small-cell suppression --------------------------------------------------------

SMALL_MARK = "<10"
# A cell hidden only so that a small one cannot be worked out from a total. It is never small
# itself (small ones are all marked "<10"), so a reader knows it holds at least ten.
COMPLEMENT_MARK = "*"


class Cell(Enum):
    SHOWN = "shown"
    SMALL = "small"  # 1..STATISTICS_SMALL_CELL_MAX, shown as "<10"
    COMPLEMENT = "complement"  # hidden to protect a small cell, shown as "*"


@dataclass(frozen=True)
class SuppressedTable:
    """A table of counts with its totals, as it may be published.

    `grid` is the table with the row totals as its last column and the column totals as its
    last row (the grand total in the corner); `states` tells, entry by entry, what is shown.
    """

    grid: tuple[tuple[int, ...], ...]
    states: tuple[tuple[Cell, ...], ...]
    small_max: int

    def shown(self, row: int, column: int) -> int | str:
        state = self.states[row][column]
        if state is Cell.SMALL:
            return SMALL_MARK
        if state is Cell.COMPLEMENT:
            return COMPLEMENT_MARK
        return self.grid[row][column]

    def published(self) -> list[list[int | str]]:
        """What leaves the back office: the grid with hidden entries replaced by their mark."""
        return [[self.shown(r, c) for c in range(len(self.grid[0]))] for r in range(len(self.grid))]


def _lines(rows: int, columns: int) -> list[tuple[list[tuple[int, int]], tuple[int, int]]]:
    """Every relation of the grid as (parts, whole): each row of cells (the totals row too)
    sums to its row total, each column of cells (the totals column too) to its column total."""
    lines = [([(r, c) for c in range(columns)], (r, columns)) for r in range(rows + 1)]
    lines += [([(r, c) for r in range(rows)], (rows, c)) for c in range(columns + 1)]
    return lines


def reader_bounds(state: Cell, value: int, small_max: int) -> tuple[float, float]:
    """What a reader of the published table knows of one entry, by its mark."""
    if state is Cell.SMALL:
        return 1, small_max
    if state is Cell.COMPLEMENT:
        return small_max + 1, math.inf
    return value, value


def derived_bounds(
    parts: list[tuple[float, float]], whole: tuple[float, float], index: int | None
) -> tuple[float, float]:
    """The range of one entry of a line (`index` into `parts`, or None for the whole) that its
    line's total and the other entries leave open, intersected with its own mark's range."""
    if index is None:
        low = sum(p[0] for p in parts)
        high = sum(p[1] for p in parts)
        own = whole
    else:
        others = [p for i, p in enumerate(parts) if i != index]
        low = whole[0] - sum(p[1] for p in others)
        high = whole[1] - sum(p[0] for p in others)
        own = parts[index]
    return max(low, own[0]), min(high, own[1])


def _pinned(grid, states, small_max, line) -> bool:
    """Whether one hidden entry of `line` can be worked out exactly from that line alone."""
    parts, whole = line
    part_bounds = [reader_bounds(states[r][c], grid[r][c], small_max) for r, c in parts]
    whole_bounds = reader_bounds(states[whole[0]][whole[1]], grid[whole[0]][whole[1]], small_max)
    for index, (r, c) in [*enumerate(parts), (None, whole)]:
        if states[r][c] is Cell.SHOWN:
            continue
        low, high = derived_bounds(part_bounds, whole_bounds, index)
        if low >= high:
            return True
    return False


def _next_complement(grid, states, line) -> tuple[int, int] | None:
    """The entry to hide next in a line: its smallest non-zero shown cell, else its total."""
    parts, whole = line
    shown = [(grid[r][c], (r, c)) for r, c in parts if states[r][c] is Cell.SHOWN and grid[r][c]]
    if shown:
        return min(shown)[1]
    r, c = whole
    if states[r][c] is Cell.SHOWN and grid[r][c]:
        return whole
    return None


def table_suppress(cells: list[list[int]], *, small_max: int | None = None) -> SuppressedTable:
    """SECURITY D2: hide every count of 1..`small_max` (STATISTICS_SMALL_CELL_MAX) in a table
    and in its row, column and grand totals, then hide complementary entries until no hidden
    entry can be worked out from its row or column: a line (row or column, with its total)
    never holds exactly one hidden entry, and the marks' ranges ("<10" is 1-9, "*" is 10 or
    more) never leave one hidden entry a single possible value (a row of 1 and 10 totalling
    11 would tell both). The line's smallest non-zero shown cell is hidden next, else its
    total; this repeats until nothing changes.

    Zero stays 0 and is never hidden: a zero identifies nobody, and hiding it would not
    protect a neighbour (a hidden zero is still known to be at least 0, so it adds no
    uncertainty to a line's sum); a reader learns that nobody in an area has an attribute,
    which is what a count is for.

    Limitation: protection is against each row and column read alone, as D2 asks. A line of
    nine cells of 1 whose total is 9, with nothing else non-zero, stays exactly known (every
    cell must be 1): nothing else in the line can be hidden, and the loop leaves it so.
    """
    if small_max is None:
        small_max = settings.STATISTICS_SMALL_CELL_MAX
    rows = len(cells)
    columns = len(cells[0]) if rows else 0
    if any(len(row) != columns for row in cells):
        raise ValueError("every row of a table must have the same number of cells")
    if any(value < 0 for row in cells for value in row):
        raise ValueError("counts cannot be negative")
    grid = [[*row, sum(row)] for row in cells]
    grid.append([sum(grid[r][c] for r in range(rows)) for c in range(columns + 1)])
    states = [
        [Cell.SMALL if 1 <= value <= small_max else Cell.SHOWN for value in row] for row in grid
    ]
    lines = _lines(rows, columns)
    changed = True
    while changed:
        changed = False
        for line in lines:
            while _pinned(grid, states, small_max, line):
                target = _next_complement(grid, states, line)
                if target is None:
                    break  # the limitation in the docstring
                states[target[0]][target[1]] = Cell.COMPLEMENT
                changed = True
    return SuppressedTable(
        grid=tuple(tuple(row) for row in grid),
        states=tuple(tuple(row) for row in states),
        small_max=small_max,
    )


# --- U11: the ledger's counts within the user's scope ---------------------------------------------

# Age bands (years at today's date): children, working age, the elderly, advanced age.
AGE_BANDS = [("age_0_17", "0-17岁", 0, 18), ("age_18_59", "18-59岁", 18, 60)]
AGE_BANDS += [("age_60_79", "60-79岁", 60, 80), ("age_80", "80岁及以上", 80, None)]

# F1-F3: the statutory clocks counted, as (key, route, which clock, working days); the
# days come from triage.DEADLINES, the one place they are set.
CLOCKS = [
    ("report_visit", EntryRoute.REPORT, "visit", "群众反映：入户访谈"),
    ("report_ledger", EntryRoute.REPORT, "ledger", "群众反映：纳入台账"),
    ("approval_visit", EntryRoute.APPROVAL, "visit", "救助审批：入户访谈"),
    ("survey_ledger", EntryRoute.SURVEY, "ledger", "摸排调查：纳入台账"),
]
CLOCK_STATES = [
    ("on_time", "按期完成"),
    ("late", "逾期完成"),
    ("open_late", "未完成，已逾期"),
    ("open", "未完成，未到期"),
]


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass
class AreaRow:
    """A row of a table: an area of the level below (`code` its area code), or, in a table
    by kind (`StatisticsTable.row_heading` set), one kind (`code` the kind's value)."""

    code: str
    name: str
    values: dict[str, int] = field(default_factory=dict)


@dataclass
class StatisticsTable:
    """One table: a row per area of the level below (or per kind), and the column totals."""

    key: str
    title: str
    columns: list[Column]
    rows: list[AreaRow]
    # The column whose values the table's chart draws row by row; None: the totals row
    # column by column (categories, statuses).
    chart_column: str | None = None
    chart_title: str = ""
    # The heading of the rows when they are kinds, not areas (needs by type...).
    row_heading: str | None = None
    # The totals when rows overlap (a person holds two subtypes): distinct counts, not sums.
    total_values: dict[str, int] | None = None
    note: str = ""

    @property
    def by_area(self) -> bool:
        return self.row_heading is None

    def chart_bars(self) -> list[tuple[str, int]]:
        """(label, value) of the table's chart: the chart column row by row, or the totals
        column by column without the last (the table's own total)."""
        if self.chart_column:
            return [(row.name, row.values.get(self.chart_column, 0)) for row in self.rows]
        totals = self.totals
        return [(c.label, totals[c.key]) for c in self.columns[:-1]]

    @property
    def totals(self) -> dict[str, int]:
        if self.total_values is not None:
            return {c.key: self.total_values.get(c.key, 0) for c in self.columns}
        return {c.key: sum(row.values.get(c.key, 0) for row in self.rows) for c in self.columns}

    def cells(self, row: AreaRow) -> list[int]:
        return [row.values.get(c.key, 0) for c in self.columns]

    @property
    def body(self) -> list[tuple[AreaRow, list[int]]]:
        return [(row, self.cells(row)) for row in self.rows]

    @property
    def total_cells(self) -> list[int]:
        totals = self.totals
        return [totals[c.key] for c in self.columns]

    @property
    def total_label(self) -> str:
        return "合计（去重）" if self.total_values is not None else "合计"


# The page's sections, in order, and the tables of each.
SECTIONS = [
    ("persons", "人员和家庭", ["households", "categories", "category_households", "subtypes"]),
    ("persons_by", "性别和年龄", ["sexes", "ages"]),
    ("needs", "需求、保障和资源链接", ["needs", "need_types", "benefits", "referrals"]),
    ("work", "工作落实情况", ["clocks", "clock_areas", "followups", "cases", "files"]),
]


@dataclass
class AreaStatistics:
    area: Area | None  # the area looked at; None for all of Beijing
    rows_level: str
    tables: list[StatisticsTable]
    drill_down: bool

    def table(self, key: str) -> StatisticsTable | None:
        return next((t for t in self.tables if t.key == key), None)

    def sections(self) -> list[tuple[str, str, list[StatisticsTable]]]:
        found = {t.key: t for t in self.tables}
        return [
            (key, title, [found[k] for k in keys if k in found]) for key, title, keys in SECTIONS
        ]


def _row_areas(who, area: Area | None, rows_level: str) -> list[tuple[str, str]]:
    """(code, name) of the areas that are the rows, within `who`'s scope."""
    if area is None or area.level == AreaLevel.CITY:
        areas = Area.objects.filter(level=AreaLevel.DISTRICT)
    elif area.level == AreaLevel.COMMUNITY:
        areas = Area.objects.filter(pk=area.pk)
    else:
        areas = Area.objects.filter(parent=area, level=rows_level)
    return list(scope_queryset(who, areas).order_by("code").values_list("code", "name"))


def _within(queryset, *, who, area: Area | None, prefix: str):
    """`queryset` in `who`'s scope and under `area` (through the area column at `prefix`)."""
    queryset = scope_queryset(who, queryset)
    if area is not None and area.level != AreaLevel.CITY:
        queryset = queryset.filter(**{f"{prefix}{AREA_COLUMN[area.level]}": area.pk})
    return queryset.order_by()


def _grouped(queryset, *, who, area: Area | None, prefix: str, rows_level: str, **counts):
    """{area code: {name: count}} of `queryset` in `who`'s scope under `area`, grouped by the
    area column of the rows' level: one aggregate query."""
    group = f"{prefix}{rows_level}_id"
    found = _within(queryset, who=who, area=area, prefix=prefix).values(group).annotate(**counts)
    return {entry.pop(group): entry for entry in found}


def _by_kind(queryset, *, who, area: Area | None, prefix: str, kind: str, **counts):
    """{kind: {name: count}} of `queryset` in `who`'s scope under `area`: one query."""
    found = _within(queryset, who=who, area=area, prefix=prefix).values(kind).annotate(**counts)
    return {entry.pop(kind): entry for entry in found}


def _with_on_time(row: AreaRow) -> AreaRow:
    values = row.values
    values["visits_on_time"] = values.get("households", 0) - values.get("visits_late", 0)
    return row


def _years_before(today: dt.date, years: int) -> dt.date:
    """The birthday `years` years ago (29 February counts from the 28th, as children.py
    does): born on or before it means at least `years` old today."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def _age_counts(today: dt.date) -> dict[str, Count]:
    """One conditional count per age band: ages compared in SQL against birthday cutoffs."""
    counts = {}
    for key, _label, low, high in AGE_BANDS:
        band = Q()
        if low:
            band &= Q(birth_date__lte=_years_before(today, low))
        if high is not None:
            band &= Q(birth_date__gt=_years_before(today, high))
        counts[key] = Count("id", filter=band)
    return counts


# --- F1-F3: deadlines met on time, late, or still running -----------------------------------------


# How one clock of a report stands, as in triage.report_clocks: done by its due date or
# after it; still running (the report open) past its due date or not; "" when the report was
# closed without it (merged, rejected) or its route has no such clock. {done} is the column of
# the day it was done, {due} the expression of its due date.
_CLOCK_STATE = """CASE WHEN route_code = %s THEN ''
    WHEN {done} IS NOT NULL AND {done} <= {due} THEN 'on_time'
    WHEN {done} IS NOT NULL THEN 'late'
    WHEN is_open AND {due} < %s THEN 'open_late'
    WHEN is_open THEN 'open'
    ELSE '' END"""
# The due dates, one row per day a clock started on: the day, the visit's (F1, F2), a public
# report's entry in the ledger (F1), a survey's (F3).
_VISIT_DUE = "dues.column2"
_LEDGER_DUE = "CASE WHEN route_code = %s THEN dues.column4 ELSE dues.column3 END"


def _clock_rows(reports, *, group: str):
    """The reports as rows of what their clocks need, each computed once: area, route, open
    or not, the day the clock started, the first intake interview, the acceptance."""
    first_visit = (
        Visit.objects.filter(report=OuterRef("pk"), kind=VisitKind.INTAKE_INTERVIEW)
        .order_by("visited_on")
        .values("visited_on")[:1]
    )
    return reports.annotate(
        area_code=F(group),
        route_code=F("route"),
        is_open=ExpressionWrapper(Q(status__in=OPEN_STATUSES), output_field=BooleanField()),
        started=F("learned_on"),
        visited=Subquery(first_visit, output_field=DateField()),
        accepted=Case(
            When(status=ReportStatus.ACCEPTED, then=TruncDate("status_changed_at")),
            output_field=DateField(),
        ),
    ).values("area_code", "route_code", "is_open", "started", "visited", "accepted")


def _clock_counts(who, *, area: Area | None, rows_level: str, today: dt.date):
    """F1-F3: {area code: {clock key: {state: count}}} of the reports and leads in scope.

    Two aggregate queries: the days the clocks started on (a few hundred a year, whatever
    the number of reports), then the counts grouped by area, route and state. The due date
    of each day is counted on the official calendar (F4, workdays.add_workdays) and joined
    in as a table of values; the reports are a derived table, so that each report's first
    interview is looked up once."""
    reports = _within(
        Report.objects.filter(route__in=list(DEADLINES)), who=who, area=area, prefix=""
    )
    days = sorted(reports.values_list("learned_on", flat=True).distinct())
    if not days:
        return {}
    connection = connections[reports.db]
    as_date = connection.ops.adapt_datefield_value
    visit_days, ledger_days = DEADLINES[EntryRoute.REPORT]
    survey_days = DEADLINES[EntryRoute.SURVEY][1]
    dues = [
        as_date(value)
        for day in days
        for value in (
            day,
            add_workdays(day, visit_days).date,
            add_workdays(day, ledger_days).date,
            add_workdays(day, survey_days).date,
        )
    ]
    inner, params = (
        _clock_rows(reports, group=f"{rows_level}_id").query.get_compiler(reports.db).as_sql()
    )
    if connection.vendor == "postgresql":
        inner += " OFFSET 0"  # kept a derived table: PostgreSQL would inline it back
    visit_state = _CLOCK_STATE.format(done="visited", due=_VISIT_DUE)
    ledger_state = _CLOCK_STATE.format(done="accepted", due=_LEDGER_DUE)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(days))
    # Only constants and the ORM's own SQL (values passed as parameters) are put together.
    sql = (
        f"SELECT area_code, route_code, {visit_state}, {ledger_state}, COUNT(*) "  # noqa: S608
        f"FROM ({inner}) clocks JOIN (VALUES {values}) dues ON dues.column1 = clocks.started "
        "GROUP BY 1, 2, 3, 4"
    )
    survey, approval, today_value = (
        EntryRoute.SURVEY.value,
        EntryRoute.APPROVAL.value,
        as_date(today),
    )
    arguments = [
        *(survey, today_value),  # the visit's state
        *(approval, survey, survey, today_value),  # the ledger entry's state
        *params,
        *dues,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, arguments)
        found = cursor.fetchall()
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for code, route, visit_state_found, ledger_state_found, number in found:
        area_counts = counts.setdefault(code, {})
        for which, state in (("visit", visit_state_found), ("ledger", ledger_state_found)):
            if state:
                clock = area_counts.setdefault(f"{route}_{which}", {})
                clock[state] = clock.get(state, 0) + number
    return counts


def _clock_tables(counts, areas: list[tuple[str, str]]) -> list[StatisticsTable]:
    columns = [*(Column(k, label) for k, label in CLOCK_STATES), Column("all", "合计")]

    def values(clocks: list[dict[str, int]]) -> dict[str, int]:
        found = {k: sum(clock.get(k, 0) for clock in clocks) for k, _label in CLOCK_STATES}
        found["all"] = sum(found.values())
        return found

    by_clock = [
        AreaRow(
            code=key,
            name=label,
            values=values([counts.get(code, {}).get(key, {}) for code, _name in areas]),
        )
        for key, _route, _which, label in CLOCKS
    ]
    by_area = [
        AreaRow(code=code, name=name, values=values(list(counts.get(code, {}).values())))
        for code, name in areas
    ]
    return [
        StatisticsTable(
            key="clocks",
            title="法定时限落实情况（按事项）",
            columns=columns,
            rows=by_clock,
            chart_column="late",
            chart_title="各事项逾期完成数",
            row_heading="事项（时限）",
            note="群众反映：1个工作日内入户访谈、2个工作日内纳入台账；救助审批：1个工作日内入户"
            "访谈；摸排调查：3个工作日内纳入台账。按工作日历计算，含已退出台账的家庭。",
        ),
        StatisticsTable(
            key="clock_areas",
            title="法定时限落实情况（按地区）",
            columns=columns,
            rows=by_area,
            chart_column="open_late",
            chart_title="各地未完成且已逾期数",
        ),
    ]


def _counts(who, *, area: Area | None, rows_level: str, today: dt.date) -> dict:
    """The aggregate queries of `area_statistics`, as plain dicts of counts (by area code or
    by kind): what the page is drawn from, and what a rollup stores (see below)."""
    where = {"who": who, "area": area, "rows_level": rows_level}
    inside = {"who": who, "area": area}
    active = HouseholdStatus.ACTIVE
    ready = FILE_COMPLETE & Q(has_plan=True)
    households = _grouped(
        with_plan(Household.objects.filter(status=active)),
        prefix="",
        households=Count("id"),
        visits_late=Count("id", filter=followup_late(today)),
        complete=Count("id", filter=FILE_COMPLETE),
        planned=Count("id", filter=Q(has_plan=True)),
        ready=Count("id", filter=ready),
        **where,
    )
    persons = _grouped(
        Person.objects.filter(household__status=active, exited_on__isnull=True),
        prefix="household__",
        persons=Count("id"),
        **{s.value: Count("id", filter=Q(sex=s)) for s in Sex},
        **_age_counts(today),
        **where,
    )
    held = PersonCategory.objects.filter(
        person__household__status=active, person__exited_on__isnull=True
    )
    categories = _grouped(
        held,
        prefix="person__household__",
        # A member may hold one category under two subtypes: persons, not records, are counted.
        **{c.value: Count("person", filter=Q(category=c), distinct=True) for c in Category},
        any_category=Count("person", distinct=True),
        **{
            f"{c.value}_households": Count("person__household", filter=Q(category=c), distinct=True)
            for c in Category
        },
        any_households=Count("person__household", distinct=True),
        **where,
    )
    subtypes = _by_kind(
        held,
        prefix="person__household__",
        kind="subtype",
        persons=Count("person", distinct=True),
        households=Count("person__household", distinct=True),
        **inside,
    )
    needs = _grouped(
        Need.objects.filter(household__status=active),
        prefix="household__",
        **{s.value: Count("id", filter=Q(status=s)) for s in NeedStatus},
        all_needs=Count("id"),
        **where,
    )
    need_types = _by_kind(
        Need.objects.filter(household__status=active),
        prefix="household__",
        kind="need_type",
        **{s.value: Count("id", filter=Q(status=s)) for s in NeedStatus},
        all_needs=Count("id"),
        **inside,
    )
    benefits_held = Benefit.objects.filter(
        person__household__status=active, person__exited_on__isnull=True
    )
    benefits = _by_kind(
        benefits_held,
        prefix="person__household__",
        kind="benefit_type",
        persons=Count("person", distinct=True),
        households=Count("person__household", distinct=True),
        **inside,
    )
    benefit_totals = _within(benefits_held, prefix="person__household__", **inside).aggregate(
        persons=Count("person", distinct=True), households=Count("person__household", distinct=True)
    )
    referrals = _by_kind(
        Referral.objects.all(),
        prefix="household__",
        kind="kind",
        **{s.value: Count("id", filter=Q(status=s)) for s in ReferralStatus},
        overdue=Count("id", filter=Q(status__in=OPEN_REFERRAL_STATUSES, due_on__lt=today)),
        all_referrals=Count("id"),
        **inside,
    )
    sessions = (
        CaseSession.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(held=Count("id"))
        .values("held")
    )
    enough = Q(sessions_held__gte=MIN_SESSIONS)
    cases = _grouped(
        CaseFile.objects.annotate(sessions_held=Coalesce(Subquery(sessions), 0)),
        prefix="household__",
        enough=Count("id", filter=enough),
        short_open=Count("id", filter=~enough & Q(status__in=OPEN_CASE_STATUSES)),
        short_closed=Count("id", filter=~enough & ~Q(status__in=OPEN_CASE_STATUSES)),
        all_cases=Count("id"),
        **where,
    )
    clocks = _clock_counts(who, area=area, rows_level=rows_level, today=today)
    return {
        "today": today.isoformat(),
        "households": households,
        "persons": persons,
        "categories": categories,
        "subtypes": subtypes,
        "needs": needs,
        "need_types": need_types,
        "benefits": benefits,
        "benefit_totals": benefit_totals,
        "referrals": referrals,
        "cases": cases,
        "clocks": clocks,
    }


def area_statistics(
    who, *, area: Area | None = None, today: dt.date | None = None
) -> AreaStatistics:
    """U11: in `who`'s scope (under `area` when given), one row per area of the level below
    (or per kind): households in the ledger and their members still in it; members and
    households by category (S1-S6; counted in each category held, and once in the distinct
    total) and subtype; members by sex and age band; needs by status and type; benefits;
    referrals by kind and outcome; the F1-F3 clocks; follow-up visits against L6; cases
    with five sessions (U10); files complete (L1-L5) with a plan (L7). A bounded number of
    aggregate queries, whatever the number of areas and files."""
    today = today or timezone.localdate()
    rows_level = ROWS_BELOW[AreaLevel.CITY if area is None else area.level]
    counts = _counts(who, area=area, rows_level=rows_level, today=today)
    return _assemble(counts, area=area, areas=_row_areas(who, area, rows_level))


def _assemble(counts: dict, *, area: Area | None, areas: list[tuple[str, str]]) -> AreaStatistics:
    """The page's tables from the counts of `_counts` and the rows' areas."""
    today = dt.date.fromisoformat(counts["today"])
    level = AreaLevel.CITY if area is None else area.level
    rows_level = ROWS_BELOW[level]
    households, persons, categories = counts["households"], counts["persons"], counts["categories"]
    subtypes, needs, need_types = counts["subtypes"], counts["needs"], counts["need_types"]
    benefits, benefit_totals = counts["benefits"], counts["benefit_totals"]
    referrals, cases, clocks = counts["referrals"], counts["cases"], counts["clocks"]

    def rows(*sources: dict) -> list[AreaRow]:
        return [
            AreaRow(
                code=code,
                name=name,
                values={k: v for source in sources for k, v in source.get(code, {}).items()},
            )
            for code, name in areas
        ]

    def kinds(source: dict, choices) -> list[AreaRow]:
        return [
            AreaRow(code=value, name=str(label), values=dict(source.get(value, {})))
            for value, label in choices
        ]

    category_totals = {
        k: sum(row.get(k, 0) for row in categories.values()) for k in ("any_category",)
    } | {"any_households": sum(row.get("any_households", 0) for row in categories.values())}
    subtype_rows = [
        AreaRow(
            code=subtype,
            name=f"{Category(category).label}：{Subtype(subtype).label}",
            values=dict(subtypes.get(subtype, {})),
        )
        for category, members in SUBTYPES_BY_CATEGORY.items()
        for subtype in members
    ]
    tables = [
        StatisticsTable(
            key="households",
            title="在册家庭和人员",
            columns=[Column("households", "在册户数"), Column("persons", "在册人数")],
            rows=rows(households, persons),
            chart_column="persons",
            chart_title="各地在册人数",
        ),
        StatisticsTable(
            key="categories",
            title="按类别分的在册人员",
            columns=[
                *(Column(c.value, str(c.label)) for c in Category),
                Column("any_category", "人数合计（去重）"),
            ],
            rows=rows(categories),
            chart_title="各类别在册人数",
            note="一人属于多个类别的，在每个类别中各计一次，在合计中只计一次。",
        ),
        StatisticsTable(
            key="category_households",
            title="按类别分的在册家庭",
            columns=[
                *(Column(f"{c.value}_households", str(c.label)) for c in Category),
                Column("any_households", "户数合计（去重）"),
            ],
            rows=rows(categories),
            chart_title="各类别在册户数",
            note="家庭中有成员属于某一类别即计入该类别；一户在合计中只计一次。",
        ),
        StatisticsTable(
            key="subtypes",
            title="按类别和细类分的在册人员和家庭",
            columns=[Column("persons", "人数"), Column("households", "户数")],
            rows=subtype_rows,
            chart_column="persons",
            chart_title="各细类在册人数",
            row_heading="类别：细类",
            total_values={
                "persons": category_totals["any_category"],
                "households": category_totals["any_households"],
            },
            note="一人属于多个细类的，在每个细类中各计一次，在合计中只计一次。",
        ),
        StatisticsTable(
            key="sexes",
            title="按性别分的在册人员",
            columns=[*(Column(s.value, str(s.label)) for s in Sex), Column("persons", "合计")],
            rows=rows(persons),
            chart_title="在册人员性别构成",
        ),
        StatisticsTable(
            key="ages",
            title="按年龄段分的在册人员",
            columns=[
                *(Column(key, label) for key, label, _low, _high in AGE_BANDS),
                Column("persons", "合计"),
            ],
            rows=rows(persons),
            chart_title="在册人员年龄构成",
            note=f"年龄按今天（{today:%Y-%m-%d}）计算的周岁。",
        ),
        StatisticsTable(
            key="needs",
            title="按状态分的需求",
            columns=[
                *(Column(s.value, str(s.label)) for s in NeedStatus),
                Column("all_needs", "需求合计"),
            ],
            rows=rows(needs),
            chart_title="各状态需求数",
        ),
        StatisticsTable(
            key="need_types",
            title="按类型和状态分的需求",
            columns=[
                *(Column(s.value, str(s.label)) for s in NeedStatus),
                Column("all_needs", "需求合计"),
            ],
            rows=kinds(need_types, NeedType.choices),
            chart_column="all_needs",
            chart_title="各类型需求数",
            row_heading="需求类型",
        ),
        StatisticsTable(
            key="benefits",
            title="按类型分的享受保障情况",
            columns=[Column("persons", "人数"), Column("households", "户数")],
            rows=kinds(benefits, BenefitType.choices),
            chart_column="persons",
            chart_title="各类保障享受人数",
            row_heading="保障类型",
            total_values=benefit_totals,
            note="一人享受多项保障的，在每项中各计一次，在合计中只计一次。",
        ),
        StatisticsTable(
            key="referrals",
            title="按类型和办理结果分的资源链接",
            columns=[
                *(Column(s.value, str(s.label)) for s in ReferralStatus),
                Column("overdue", "其中逾期未办结"),
                Column("all_referrals", "合计"),
            ],
            rows=kinds(referrals, ReferralKind.choices),
            chart_column="all_referrals",
            chart_title="各类型资源链接数",
            row_heading="链接类型",
            note="含已退出台账的家庭。",
        ),
        *_clock_tables(clocks, areas),
        StatisticsTable(
            key="followups",
            title="回访情况（每三个月至少一次）",
            columns=[
                Column("visits_late", "回访逾期或未安排"),
                Column("visits_on_time", "按期"),
                Column("households", "在册户数"),
            ],
            rows=[_with_on_time(row) for row in rows(households)],
            chart_column="visits_late",
            chart_title="各地回访逾期户数",
        ),
        StatisticsTable(
            key="cases",
            title="个案服务次数（每个个案至少五次）",
            columns=[
                Column("enough", "已满五次"),
                Column("short_open", "不足五次，服务中"),
                Column("short_closed", "不足五次，已结案"),
                Column("all_cases", "个案合计"),
            ],
            rows=rows(cases),
            chart_column="short_open",
            chart_title="各地不足五次且服务中的个案数",
            note="含已退出台账的家庭的个案。",
        ),
        StatisticsTable(
            key="files",
            title="档案完整和帮扶计划",
            columns=[
                Column("complete", "档案完整"),
                Column("planned", "已制定帮扶计划"),
                Column("ready", "完整且有计划"),
                Column("households", "在册户数"),
            ],
            rows=rows(households),
            chart_column="ready",
            chart_title="各地档案完整且有计划的户数",
        ),
    ]
    return AreaStatistics(
        area=area,
        rows_level=rows_level,
        tables=tables,
        drill_down=level in (AreaLevel.CITY, AreaLevel.DISTRICT),
    )


# --- The rollup: the pages of the city, districts and streets from stored counts ----------------

# Measured at 1M persons on PostgreSQL (tests/bench/statistics.py), the page's aggregate queries
# take about 10 s for the city and 2-3.5 s for the busiest street (members and their categories
# and benefits joined to their households, counted distinct; a dozen queries each reading the
# 100,000 members of a busy street: not an index away from the 150 ms asked for), so the pages
# of the city, the districts and the streets are drawn from a rollup:
# the counts of `_counts` for the whole area (computed with the system's scope), stored in the
# cache by `statistics_refresh` (cron, `manage.py statistics_refresh`) and refreshed in the
# background when a page finds them older than STATISTICS_ROLLUP_SECONDS. A community's page and an
# agency worker's (scoped to assigned households, not to an area) stay live. Which rows a user
# sees is still decided live by the scope (`_row_areas`), and a user reaches an area's rollup only
# through `progress_area`, which refuses an area outside the scope.

ROLLUP_LEVELS = (AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.STREET)
ROLLUP_KEY = "statistics:rollup:v1:{}"
ROLLUP_REFRESHING_KEY = "statistics:rollup:v1:refreshing:{}"
# A rollup older than this is not shown: the page counts live instead (cron stopped for a day).
ROLLUP_KEEP_SECONDS = 24 * 3600
CITY_KEY = "city"


def rollup_seconds() -> int:
    """STATISTICS_ROLLUP_SECONDS: the age after which a page asks for a fresh rollup."""
    return int(getattr(settings, "STATISTICS_ROLLUP_SECONDS", 600))


def _rollup_name(area: Area | None) -> str:
    return CITY_KEY if area is None else area.pk


def _rolled_up(who, area: Area | None) -> bool:
    """Whether `who`'s page of `area` is drawn from the rollup: an area of the city, a district
    or a street, seen by a user whose scope is an area (not a list of assigned households)."""
    level = AreaLevel.CITY if area is None else area.level
    return level in ROLLUP_LEVELS and scope_of(who).level in ("all", "district", "street")


def rollup_store(area: Area | None, *, today: dt.date | None = None) -> dict:
    """Count everything under `area` (None: all of Beijing) and store it; the stored entry."""
    from ..actor import system_actor

    today = today or timezone.localdate()
    rows_level = ROWS_BELOW[AreaLevel.CITY if area is None else area.level]
    counts = _counts(system_actor(), area=area, rows_level=rows_level, today=today)
    # `version` names this count: what was drawn from it can be kept as long as it is shown.
    entry = {"at": timezone.now(), "version": uuid.uuid4().hex, "counts": counts}
    cache.set(ROLLUP_KEY.format(_rollup_name(area)), entry, ROLLUP_KEEP_SECONDS)
    return entry


def statistics_refresh(codes: list[str] | None = None) -> int:
    """Refresh the rollups of the areas of `codes` ("city" for all of Beijing), or of the city,
    every district and every street; the number refreshed."""
    if codes is None:
        areas = [None, *Area.objects.filter(level__in=ROLLUP_LEVELS[1:]).order_by("code")]
    else:
        found = {a.pk: a for a in Area.objects.filter(pk__in=codes, level__in=ROLLUP_LEVELS[1:])}
        areas = [
            None if code == CITY_KEY else found[code]
            for code in codes
            if code == CITY_KEY or code in found
        ]
    for area in areas:
        rollup_store(area)
        cache.delete(ROLLUP_REFRESHING_KEY.format(_rollup_name(area)))
    return len(areas)


def _recount_reaches_here() -> bool:
    """Whether a recount by the background worker reaches this process's pages: the cache is
    shared (Redis), or tasks run in this process. Without either (no REDIS_URL, a separate
    worker) a stale page recounts its own area itself, slowly but not wrongly."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks.backends.immediate import ImmediateBackend

    shared = not isinstance(caches["default"], LocMemCache)
    return shared or isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], ImmediateBackend)


def rollup_refresh_request(who, area: Area | None) -> bool:
    """Ask the background worker to refresh the rollup of `who`'s page of `area` (one the
    caller found in `who`'s scope), unless that is already asked or the page is live; whether
    it was asked now."""
    from ..tasks import statistics_refresh_task

    if not _rolled_up(who, area):
        return False
    name = _rollup_name(area)
    if not _recount_reaches_here():
        rollup_store(area)
        return True
    # The mark lapses by itself if a worker loses the task; the task removes it when done.
    if not cache.add(ROLLUP_REFRESHING_KEY.format(name), True, max(rollup_seconds(), 300)):
        return False
    statistics_refresh_task.enqueue(name)
    return True


@dataclass(frozen=True)
class ServedStatistics:
    statistics: AreaStatistics
    # When the counts were taken (None: live, at this request); whether a refresh is asked.
    counted_at: dt.datetime | None = None
    refreshing: bool = False
    # Names the rollup's count and what the page draws from it (None: live): the page's tables
    # and charts, drawn once per count and area and kept in the cache (views/statistics.py).
    version: str | None = None


def area_statistics_served(who, *, area: Area | None = None) -> ServedStatistics:
    """The page's statistics: from the rollup for the city, a district or a street (refreshed
    in the background when older than STATISTICS_ROLLUP_SECONDS, counted now when missing), live
    otherwise. The numbers are those of `area_statistics` at the time of the rollup."""
    if not _rolled_up(who, area):
        return ServedStatistics(statistics=area_statistics(who, area=area))
    name = _rollup_name(area)
    entry = cache.get(ROLLUP_KEY.format(name))
    if entry is None:
        entry = rollup_store(area)
    elif (timezone.now() - entry["at"]).total_seconds() >= rollup_seconds():
        if rollup_refresh_request(who, area):
            # Shown at once when already done (a worker that ran it inline, as in the tests).
            entry = cache.get(ROLLUP_KEY.format(name)) or entry
    rows_level = ROWS_BELOW[AreaLevel.CITY if area is None else area.level]
    statistics = _assemble(entry["counts"], area=area, areas=_row_areas(who, area, rows_level))
    refreshing = cache.get(ROLLUP_REFRESHING_KEY.format(name)) is not None
    rows = [(row.code, row.name) for row in statistics.tables[0].rows]
    version = f"{name}:{entry['version']}:{hashlib.sha256(repr(rows).encode()).hexdigest()[:16]}"
    return ServedStatistics(
        statistics=statistics, counted_at=entry["at"], refreshing=refreshing, version=version
    )
