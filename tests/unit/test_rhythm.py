"""L6 and D3 count calendar months: a visit is due *at most* 3 months after the last one."""

import datetime as dt

import pytest

from backoffice.rhythm import add_months, checkin_due, follow_up_due


@pytest.mark.parametrize(
    "last_visit, due",
    [
        (dt.date(2026, 11, 29), dt.date(2027, 2, 28)),  # no 29 February in 2027: never later
        (dt.date(2027, 11, 29), dt.date(2028, 2, 29)),  # a leap year keeps the day
        (dt.date(2026, 8, 31), dt.date(2026, 11, 30)),
        (dt.date(2026, 12, 15), dt.date(2027, 3, 15)),  # across the year end
        (dt.date(2026, 1, 31), dt.date(2026, 4, 30)),
    ],
)
def test_l6_the_next_follow_up_is_due_three_calendar_months_later_clamped(last_visit, due):
    assert follow_up_due(last_visit) == due


def test_d3_the_check_in_is_three_months_after_the_exit():
    assert checkin_due(dt.date(2026, 11, 30)) == dt.date(2027, 2, 28)


def test_months_can_be_counted_backwards():
    assert add_months(dt.date(2026, 5, 31), -3) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 2, 15), -3) == dt.date(2025, 11, 15)
