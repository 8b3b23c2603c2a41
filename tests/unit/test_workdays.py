"""F4: working days follow China's official calendar; F1-F3 deadlines count them.

Real dates: the 2025 and 2026 schedules of the State Council (built in through chinese_calendar),
and 2027, for which no schedule was published when this was written (provisional: the law only).
"""

import datetime as dt

import pytest
from django.core.cache import cache
from lunar_python import Solar

from backoffice import workdays
from backoffice.enums import DeadlineState, WorkdaySource
from backoffice.models import WorkdayOverride, WorkdayYear
from backoffice.workdays import Due, add_workdays, deadline_state, is_workday

pytestmark = pytest.mark.django_db

D = dt.date


def test_a_report_on_the_eve_of_national_day_2026_is_due_on_8_october():
    """F1 + F4 (DESIGN): the period starts the next day; Oct 1-7 2026 are off."""
    assert add_workdays(D(2026, 9, 30), 1) == Due(D(2026, 10, 8))


def test_a_make_up_saturday_counts_as_a_working_day():
    """F4: 2026-02-14 (Saturday) is a 调休上班 day before the Spring Festival."""
    assert add_workdays(D(2026, 2, 13), 1) == Due(D(2026, 2, 14))
    assert is_workday(D(2026, 2, 14))


def test_a_make_up_sunday_in_2025_is_a_working_day():
    """F4: 2025-01-26 (Sunday) was worked to lengthen the Spring Festival."""
    assert is_workday(D(2025, 1, 26))
    assert not is_workday(D(2025, 1, 25))  # the Saturday before stays off


def test_national_day_and_mid_autumn_2025_push_a_deadline_to_9_october():
    """F1 + F4: National Day and Mid-Autumn 2025 ran together from Oct 1 to Oct 8."""
    assert add_workdays(D(2025, 9, 30), 1) == Due(D(2025, 10, 9))


def test_labour_day_2025_pushes_a_deadline_to_6_may():
    assert add_workdays(D(2025, 4, 30), 1) == Due(D(2025, 5, 6))


def test_the_ledger_deadline_of_two_working_days_skips_the_weekend():
    """F1: in the ledger within 2 working days; Friday + 2 is Tuesday."""
    assert add_workdays(D(2026, 11, 27), 2) == Due(D(2026, 12, 1))


def test_zero_working_days_is_the_same_day_when_it_is_a_working_day():
    assert add_workdays(D(2026, 11, 27), 0) == Due(D(2026, 11, 27))


def test_zero_working_days_from_a_holiday_is_the_next_working_day():
    """A period never ends on a rest day (Civil Code art. 203)."""
    assert add_workdays(D(2026, 10, 1), 0) == Due(D(2026, 10, 8))


@pytest.mark.parametrize("n", [-1, workdays.MAX_WORKDAYS + 1])
def test_a_count_out_of_range_is_refused(n):
    with pytest.raises(ValueError):
        add_workdays(D(2026, 9, 30), n)


def test_a_datetime_counts_as_its_date():
    assert add_workdays(dt.datetime(2026, 9, 30, 23, 59), 1).date == D(2026, 10, 8)


def test_the_2027_new_years_eve_is_the_5th_of_february():
    """The lunar library agrees with the almanac: 除夕 2027 is Friday 2027-02-05."""
    assert "除夕" in Solar.fromYmd(2027, 2, 5).getLunar().getFestivals()


def test_the_2027_new_years_eve_is_a_provisional_holiday():
    """F4: without the official 2027 schedule the law alone decides, marked provisional."""
    status = workdays.day_status(D(2027, 2, 5))
    assert not status.is_workday
    assert status.provisional and status.source == WorkdaySource.STATUTORY
    assert status.name == "春节"
    due = add_workdays(D(2027, 2, 4), 1)
    assert due == Due(D(2027, 2, 11), provisional=True, provisional_years=(2027,))


def test_the_law_gives_these_rest_days_in_2027():
    """国务院《全国年节及纪念日放假办法》(2024), with 补假 for weekend holidays (art. 6)."""
    assert dict(workdays.statutory_holidays(2027)) == {
        D(2027, 1, 1): "元旦",
        D(2027, 2, 5): "春节",  # 除夕, Friday
        D(2027, 2, 6): "春节",
        D(2027, 2, 7): "春节",
        D(2027, 2, 8): "春节",
        D(2027, 2, 9): "春节补假",  # for Saturday the 6th
        D(2027, 2, 10): "春节补假",  # for Sunday the 7th
        D(2027, 4, 5): "清明节",
        D(2027, 5, 1): "劳动节",  # Saturday
        D(2027, 5, 2): "劳动节",  # Sunday
        D(2027, 5, 3): "劳动节补假",
        D(2027, 5, 4): "劳动节补假",
        D(2027, 6, 9): "端午节",
        D(2027, 9, 15): "中秋节",
        D(2027, 10, 1): "国庆节",
        D(2027, 10, 2): "国庆节",  # Saturday
        D(2027, 10, 3): "国庆节",  # Sunday
        D(2027, 10, 4): "国庆节补假",
        D(2027, 10, 5): "国庆节补假",
    }


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_rest_day_the_law_gives_was_a_rest_day_in_the_official_schedule(year):
    """The provisional estimate never calls a real holiday a working day (checked on the
    two years published under the 2024 law)."""
    for day in workdays.statutory_holidays(year):
        assert not is_workday(day), day


def test_a_deadline_inside_an_official_year_is_not_provisional():
    assert not add_workdays(D(2026, 12, 30), 1).provisional  # Thursday the 31st


def test_a_deadline_that_crosses_into_2027_is_provisional():
    """The flag propagates from the days counted over, not from the start date."""
    due = add_workdays(D(2026, 12, 31), 1)
    assert due == Due(D(2027, 1, 4), provisional=True, provisional_years=(2027,))


def test_an_override_wins_over_the_official_schedule():
    """F4: staff correct a day without a release."""
    WorkdayOverride.objects.create(date=D(2026, 10, 8), is_workday=False, name="测试调整")
    assert add_workdays(D(2026, 9, 30), 1) == Due(D(2026, 10, 9))
    assert add_workdays(D(2026, 2, 13), 1) == Due(D(2026, 2, 14))  # bystander date unchanged


def test_an_override_makes_its_own_date_official():
    WorkdayOverride.objects.create(date=D(2027, 2, 11), is_workday=False, name="2027 春节")
    status = workdays.day_status(D(2027, 2, 11))
    assert not status.is_workday and not status.provisional
    assert status.source == WorkdaySource.OVERRIDE and status.name == "2027 春节"
    assert workdays.day_status(D(2027, 2, 12)).provisional  # the rest of 2027 is not


def test_a_make_up_day_entered_for_2027_is_a_working_day():
    WorkdayOverride.objects.create(date=D(2027, 2, 20), is_workday=True, name="2027 春节调休上班")
    assert is_workday(D(2027, 2, 20))  # a Saturday
    assert add_workdays(D(2027, 2, 19), 1).date == D(2027, 2, 20)


def test_a_year_marked_official_is_no_longer_provisional():
    WorkdayYear.objects.create(year=2027, official=True)
    assert add_workdays(D(2027, 2, 4), 1) == Due(D(2027, 2, 11))
    assert not workdays.year_is_provisional(2027)


def test_a_year_row_not_marked_official_keeps_the_year_provisional():
    WorkdayYear.objects.create(year=2027, official=False)
    assert workdays.year_is_provisional(2027)


def test_the_years_built_into_the_package_are_official():
    assert not workdays.year_is_provisional(2025)
    assert not workdays.year_is_provisional(2026)
    assert workdays.has_builtin_schedule(2026) and not workdays.has_builtin_schedule(2027)
    assert workdays.provisional_years([2025, 2026, 2027, 2028]) == [2027, 2028]


def test_official_days_carry_their_chinese_names():
    assert workdays.day_status(D(2026, 10, 1)).name == "国庆节"
    assert workdays.day_status(D(2026, 2, 14)).name == "春节调休上班"


def test_a_change_to_the_overrides_is_seen_at_once_and_a_deletion_too():
    assert add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 8)  # loads the copy
    row = WorkdayOverride.objects.create(date=D(2026, 10, 8), is_workday=False, name="测试")
    assert add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 9)
    row.delete()
    assert add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 8)


def test_a_change_made_by_another_process_is_seen_once_the_shared_version_moves(monkeypatch):
    assert add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 8)  # loads the copy
    # bulk_create sends no signal: to this process it looks like another process's write.
    WorkdayOverride.objects.bulk_create(
        [WorkdayOverride(date=D(2026, 10, 8), is_workday=False, name="别处录入")]
    )
    monkeypatch.setattr(workdays, "RECHECK_SECONDS", 0)
    assert add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 8)  # version unchanged
    cache.set(workdays.VERSION_KEY, "bumped by another process")
    assert add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 9)


def test_deadlines_still_work_when_the_shared_cache_is_down(monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(workdays.cache, "get", down)
    monkeypatch.setattr(workdays, "RECHECK_SECONDS", 0)
    assert add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 8)
    assert add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 8)


def test_thousands_of_deadlines_read_the_override_tables_once(django_assert_max_num_queries):
    """Triage computes a deadline per row: the tables are read once per process, not per row."""
    start = D(2026, 1, 1)
    with django_assert_max_num_queries(2):
        for offset in range(3000):
            add_workdays(start + dt.timedelta(days=offset % 700), 1 + offset % 3)


@pytest.mark.parametrize(
    "due, state",
    [
        (D(2026, 9, 29), DeadlineState.OVERDUE),
        (D(2026, 9, 30), DeadlineState.DUE_TODAY),
        (D(2026, 10, 8), DeadlineState.AT_RISK),  # the next working day after the holiday
        (D(2026, 10, 9), DeadlineState.ON_TRACK),
    ],
)
def test_a_deadline_is_overdue_due_today_at_risk_or_on_track(due, state):
    """F1-F3 in the triage queue; "at risk" means due by the next working day (F4)."""
    assert deadline_state(due, D(2026, 9, 30)) == state


def test_a_deadline_on_monday_is_at_risk_on_the_friday_before():
    assert deadline_state(D(2026, 11, 30), D(2026, 11, 27)) == DeadlineState.AT_RISK
    assert deadline_state(D(2026, 12, 1), D(2026, 11, 27)) == DeadlineState.ON_TRACK


def test_deadline_states_have_chinese_labels():
    assert [str(state.label) for state in DeadlineState] == [
        "已逾期",
        "今日到期",
        "即将到期",
        "正常",
    ]
