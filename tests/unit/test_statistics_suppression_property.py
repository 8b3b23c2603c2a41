"""Issue 16 item 4 (SECURITY D2, P4), as a property: for random tables full of small counts and
zeros, no published cell holds 1-9, and no hidden entry's exact value follows from its row or
its column given what is published (the other entries and the total). The same for the linked
tables of a release (citywide by district, each district by street: a district's row citywide
is its own table's totals row), suppressed together by `lines_suppress`.

What a reader knows of an entry is written out here, apart from the code under test: a number
is itself, "<10" is 1 to 9, "*" is 10 or more (a hidden complement is never small: small
counts are all "<10"). An entry of a line is then bounded by the line's total minus the
others' ranges; it is recoverable when that leaves a single value.

Lines of at most eight entries: a line of nine 1s whose total is 9 stays known by design
(table_suppress's docstring).
"""

from __future__ import annotations

import math

import pytest

from backoffice.services.releases import TOTAL, lines_suppress
from backoffice.services.statistics import COMPLEMENT_MARK, SMALL_MARK, Cell, table_suppress

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SMALL_MAX = 9
HIDDEN = (SMALL_MARK, COMPLEMENT_MARK)

# Counts as a ledger's areas give them: many zeros, many small, some large.
counts = st.one_of(
    st.just(0), st.integers(1, SMALL_MAX), st.integers(SMALL_MAX + 1, 40), st.integers(41, 500)
)


def reader_range(mark) -> tuple[float, float]:
    if mark == SMALL_MARK:
        return 1, SMALL_MAX
    if mark == COMPLEMENT_MARK:
        return SMALL_MAX + 1, math.inf
    return mark, mark


def recoverable(parts: list, whole) -> list[str]:
    """The hidden entries of one published line (parts summing to whole) fixed by it."""
    ranges = [reader_range(p) for p in parts]
    total = reader_range(whole)
    found = []
    if whole in HIDDEN:
        low = max(sum(r[0] for r in ranges), total[0])
        high = min(sum(r[1] for r in ranges), total[1])
        if low >= high:
            found.append(f"the total of {parts}")
    for index, part in enumerate(parts):
        if part not in HIDDEN:
            continue
        others = [r for i, r in enumerate(ranges) if i != index]
        low = max(total[0] - sum(r[1] for r in others), ranges[index][0])
        high = min(total[1] - sum(r[0] for r in others), ranges[index][1])
        if low >= high:
            found.append(f"entry {index} of {parts} = {whole}")
    return found


def assert_published_safely(value: int, published) -> None:
    """A published entry: the true count, "<10" for 1-9, "*" for a hidden count of 10 or more;
    zero is never hidden."""
    if published == SMALL_MARK:
        assert 1 <= value <= SMALL_MAX
    elif published == COMPLEMENT_MARK:
        assert value > SMALL_MAX
    else:
        assert published == value and not 1 <= value <= SMALL_MAX


@settings(max_examples=400, deadline=None)
@given(
    st.integers(1, 7).flatmap(
        lambda columns: st.lists(
            st.lists(counts, min_size=columns, max_size=columns), min_size=1, max_size=7
        )
    )
)
def test_d2_a_published_table_holds_no_small_count_and_hides_nothing_recoverable(cells):
    table = table_suppress(cells, small_max=SMALL_MAX)
    published = table.published()
    rows, columns = len(cells), len(cells[0])
    for r in range(rows + 1):
        for c in range(columns + 1):
            assert_published_safely(table.grid[r][c], published[r][c])
    assert [list(row[:columns]) for row in table.grid[:rows]] == cells
    leaks = []
    for r in range(rows + 1):
        leaks += recoverable(published[r][:columns], published[r][columns])
    for c in range(columns + 1):
        leaks += recoverable([published[r][c] for r in range(rows)], published[rows][c])
    assert not leaks, (cells, published)


# districts -> streets -> counts by column
hierarchies = st.integers(1, 4).flatmap(
    lambda columns: st.lists(
        st.lists(st.lists(counts, min_size=columns, max_size=columns), min_size=1, max_size=4),
        min_size=1,
        max_size=5,
    )
)


@settings(max_examples=300, deadline=None)
@given(hierarchies)
def test_d2_linked_release_tables_hide_nothing_recoverable_in_any_of_them(districts):
    """The release's shape: a citywide table of districts, and a table of streets per district
    whose totals row is the district's citywide row; every line of every table is safe."""
    columns = [f"c{i}" for i in range(len(districts[0][0]))]
    every = [*columns, TOTAL]
    values, lines = {}, []
    for d, streets in enumerate(districts):
        for s, row in enumerate(streets):
            for c, value in zip(columns, row, strict=True):
                values[(d, s, c)] = value
            values[(d, s, TOTAL)] = sum(row)
        for c in every:
            values[(d, None, c)] = sum(values[(d, s, c)] for s in range(len(streets)))
    for c in every:
        values[(None, None, c)] = sum(values[(d, None, c)] for d in range(len(districts)))
    tables = [((None, None), [(d, None) for d in range(len(districts))])]
    tables += [((d, None), [(d, s) for s in range(len(st_))]) for d, st_ in enumerate(districts)]
    for parent, children in tables:
        for code in [*children, parent]:
            lines.append(([(*code, c) for c in columns], (*code, TOTAL)))
        for c in every:
            lines.append(([(*code, c) for code in children], (*parent, c)))
    states = lines_suppress(values, lines, small_max=SMALL_MAX)

    def mark(key):
        state = states[key]
        if state is Cell.SMALL:
            return SMALL_MARK
        if state is Cell.COMPLEMENT:
            return COMPLEMENT_MARK
        return values[key]

    for key, value in values.items():
        assert_published_safely(value, mark(key))
    leaks = []
    for parts, whole in lines:
        leaks += recoverable([mark(p) for p in parts], mark(whole))
    assert not leaks, (districts, leaks)


def test_d2_a_lone_small_cell_and_its_complement_are_both_hidden():
    """The example a reader would try first: one small count in a row and a column."""
    table = table_suppress([[5, 20], [30, 40]], small_max=SMALL_MAX)
    published = table.published()
    assert published[0][0] == SMALL_MARK
    assert published[0][1] == COMPLEMENT_MARK and published[1][0] == COMPLEMENT_MARK
    assert not recoverable(published[0][:2], published[0][2])
