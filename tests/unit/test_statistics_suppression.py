"""SECURITY D2 (issue 16, P4): a published table holds no count of 1-9, and no hidden entry can
be worked out from its row or column total and the entries shown beside it."""

import random

import pytest

from backoffice.services.statistics import (
    COMPLEMENT_MARK,
    SMALL_MARK,
    Cell,
    table_suppress,
)

SMALL_MAX = 9


def _reader_range(mark) -> tuple[float, float]:
    """What the published mark tells a reader, written out apart from the code under test."""
    if mark == SMALL_MARK:
        return 1, SMALL_MAX
    if mark == COMPLEMENT_MARK:
        return SMALL_MAX + 1, float("inf")
    return mark, mark


def _lines(published):
    """(parts, whole) of every row and column of the published grid (totals last)."""
    rows, columns = len(published) - 1, len(published[0]) - 1
    for r in range(rows + 1):
        yield [published[r][c] for c in range(columns)], published[r][columns]
    for c in range(columns + 1):
        yield [published[r][c] for r in range(rows)], published[rows][c]


def _recoverable(published) -> list[str]:
    """Hidden entries whose value their line alone fixes: total minus the others' ranges."""
    found = []
    for parts, whole in _lines(published):
        ranges = [_reader_range(p) for p in parts]
        whole_range = _reader_range(whole)
        if whole in (SMALL_MARK, COMPLEMENT_MARK):
            low = max(sum(r[0] for r in ranges), whole_range[0])
            high = min(sum(r[1] for r in ranges), whole_range[1])
            if low >= high:
                found.append(f"total {whole} of {parts}")
        for index, part in enumerate(parts):
            if part not in (SMALL_MARK, COMPLEMENT_MARK):
                continue
            others = [r for i, r in enumerate(ranges) if i != index]
            low = max(whole_range[0] - sum(r[1] for r in others), ranges[index][0])
            high = min(whole_range[1] - sum(r[0] for r in others), ranges[index][1])
            if low >= high:
                found.append(f"cell {index} of {parts} = {whole}")
    return found


def _assert_safe(cells):
    table = table_suppress(cells, small_max=SMALL_MAX)
    published = table.published()
    small = [v for row in published for v in row if isinstance(v, int) and 1 <= v <= SMALL_MAX]
    assert not small, f"small counts published: {published}"
    assert not _recoverable(published), f"{_recoverable(published)} in {published}"
    # Nothing else was changed: shown entries are the true counts and totals.
    for r, row in enumerate(published):
        for c, value in enumerate(row):
            if isinstance(value, int):
                assert value == table.grid[r][c]
    return table, published


def test_d2_small_counts_are_shown_as_under_ten_and_their_row_partner_is_hidden():
    table, published = _assert_safe([[3, 40, 25], [12, 30, 50]])
    assert published[0][0] == "<10"
    # Row 0 would give 3 back from 68 - 40 - 25: its smallest other cell (25) is hidden too,
    # and column 0 (3 + 12 = 15) its partner 12.
    assert published[0][2] == "*" and published[1][0] == "*"
    assert published[0][1] == 40 and published[1][1] == 30
    assert published[2][3] == 160  # the grand total stays


def test_d2_zero_cells_stay_zero_and_are_never_hidden():
    table, published = _assert_safe([[0, 5, 20], [0, 30, 40]])
    assert published[0][0] == 0 and published[1][0] == 0 and published[2][0] == 0
    assert table.states[0][0] is Cell.SHOWN


def test_d2_a_small_total_is_hidden_too():
    _table, published = _assert_safe([[2, 0, 3], [50, 60, 70]])
    assert published[0][3] == "<10"  # the row total 5
    assert published[0][0] == "<10" and published[0][2] == "<10"


def test_d2_a_hidden_cell_is_not_given_away_by_the_marks_ranges():
    # 1 and 10 totalling 11: "<10" + "*" = 11 would fix both; the total is hidden as well.
    _table, published = _assert_safe([[1, 10], [40, 50]])
    assert published[0][2] != 11


def test_d2_a_table_without_small_counts_is_published_whole():
    table, published = _assert_safe([[10, 20], [30, 0]])
    assert published == [[10, 20, 30], [30, 0, 30], [40, 20, 60]]


def test_d2_an_empty_table_is_all_zero():
    _table, published = _assert_safe([[0, 0], [0, 0]])
    assert published == [[0, 0, 0], [0, 0, 0], [0, 0, 0]]


@pytest.mark.parametrize("seed", range(300))
def test_d2_random_tables_publish_no_small_count_and_no_recoverable_cell(seed):
    rng = random.Random(seed)
    rows, columns = rng.randint(1, 8), rng.randint(1, 7)
    # Mostly small counts and zeros, some large: the hard cases for complementary hiding.
    pick = [0, 0, 1, 2, 5, 9, 10, 11, 12, 30, 250]
    cells = [
        [rng.choice(pick) if rng.random() < 0.7 else rng.randint(0, 60) for _ in range(columns)]
        for _ in range(rows)
    ]
    _assert_safe(cells)
