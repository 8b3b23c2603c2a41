"""Statistics of the ledger (issue 16): counts area by area within the user's scope (U11), and
the small-cell suppression that every published table passes through (SECURITY D2, P4).

The counts are aggregate queries (one per table, grouped by the area column of the level
below); no ledger row is loaded into Python. The suppression is a pure function of a table of
counts and knows nothing about the ledger.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from enum import Enum

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from ..enums import AreaLevel, Category, HouseholdStatus, NeedStatus
from ..models import Area, Household, Need, Person, PersonCategory
from ..scope import scope_queryset
from .deadlines import AREA_COLUMN, ROWS_BELOW
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


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass
class AreaRow:
    code: str
    name: str
    values: dict[str, int] = field(default_factory=dict)


@dataclass
class StatisticsTable:
    """One table: a row per area of the level below, and the column totals."""

    key: str
    title: str
    columns: list[Column]
    rows: list[AreaRow]
    # The column whose values the table's chart draws area by area; None: the totals row
    # column by column (categories, statuses).
    chart_column: str | None = None
    chart_title: str = ""

    def chart_bars(self) -> list[tuple[str, int]]:
        """(label, value) of the table's chart: the chart column area by area, or the totals
        column by column without the last (the table's own total)."""
        if self.chart_column:
            return [(row.name, row.values.get(self.chart_column, 0)) for row in self.rows]
        totals = self.totals
        return [(c.label, totals[c.key]) for c in self.columns[:-1]]

    @property
    def totals(self) -> dict[str, int]:
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


@dataclass
class AreaStatistics:
    area: Area | None  # the area looked at; None for all of Beijing
    rows_level: str
    tables: list[StatisticsTable]
    drill_down: bool

    def table(self, key: str) -> StatisticsTable | None:
        return next((t for t in self.tables if t.key == key), None)


def _row_areas(who, area: Area | None, rows_level: str) -> list[tuple[str, str]]:
    """(code, name) of the areas that are the rows, within `who`'s scope."""
    if area is None or area.level == AreaLevel.CITY:
        areas = Area.objects.filter(level=AreaLevel.DISTRICT)
    elif area.level == AreaLevel.COMMUNITY:
        areas = Area.objects.filter(pk=area.pk)
    else:
        areas = Area.objects.filter(parent=area, level=rows_level)
    return list(scope_queryset(who, areas).order_by("code").values_list("code", "name"))


def _grouped(queryset, *, who, area: Area | None, prefix: str, rows_level: str, **counts):
    """{area code: {name: count}} of `queryset` in `who`'s scope under `area`, grouped by the
    area column of the rows' level: one aggregate query."""
    queryset = scope_queryset(who, queryset)
    if area is not None and area.level != AreaLevel.CITY:
        queryset = queryset.filter(**{f"{prefix}{AREA_COLUMN[area.level]}": area.pk})
    group = f"{prefix}{rows_level}_id"
    found = queryset.order_by().values(group).annotate(**counts)
    return {entry.pop(group): entry for entry in found}


def _with_on_time(row: AreaRow) -> AreaRow:
    values = row.values
    values["visits_on_time"] = values.get("households", 0) - values.get("visits_late", 0)
    return row


def area_statistics(
    who, *, area: Area | None = None, today: dt.date | None = None
) -> AreaStatistics:
    """U11: in `who`'s scope (under `area` when given), one row per area of the level below:
    households in the ledger and their members still in it, members by category (S1-S6; a
    member counted in each category held, and once in the distinct total), needs by status,
    and follow-up visits late against L6."""
    today = today or timezone.localdate()
    level = AreaLevel.CITY if area is None else area.level
    rows_level = ROWS_BELOW[level]
    where = {"who": who, "area": area, "rows_level": rows_level}
    active = HouseholdStatus.ACTIVE
    households = _grouped(
        Household.objects.filter(status=active),
        prefix="",
        households=Count("id"),
        visits_late=Count("id", filter=followup_late(today)),
        **where,
    )
    persons = _grouped(
        Person.objects.filter(household__status=active, exited_on__isnull=True),
        prefix="household__",
        persons=Count("id"),
        **where,
    )
    categories = _grouped(
        PersonCategory.objects.filter(
            person__household__status=active, person__exited_on__isnull=True
        ),
        prefix="person__household__",
        # A member may hold one category under two subtypes: persons, not records, are counted.
        **{c.value: Count("person", filter=Q(category=c), distinct=True) for c in Category},
        any_category=Count("person", distinct=True),
        **where,
    )
    needs = _grouped(
        Need.objects.filter(household__status=active),
        prefix="household__",
        **{s.value: Count("id", filter=Q(status=s)) for s in NeedStatus},
        all_needs=Count("id"),
        **where,
    )
    areas = _row_areas(who, area, rows_level)

    def rows(*sources: dict) -> list[AreaRow]:
        return [
            AreaRow(
                code=code,
                name=name,
                values={k: v for source in sources for k, v in source.get(code, {}).items()},
            )
            for code, name in areas
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
    ]
    return AreaStatistics(
        area=area,
        rows_level=rows_level,
        tables=tables,
        drill_down=level in (AreaLevel.CITY, AreaLevel.DISTRICT),
    )
