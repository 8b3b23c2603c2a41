"""Working days on China's official calendar (F4), for the statutory deadlines of F1-F3.

A day's status comes from the first of these that knows it:

1. `WorkdayOverride` rows that city-bureau staff enter in the admin (工作日历). An override
   always wins and its date counts as official.
2. The `chinese_calendar` package: the State Council's published schedules, 2004-2026 in the
   pinned version. It raises NotImplementedError for any other year.
3. The law alone: weekends, plus the statutory holidays of 国务院《全国年节及纪念日放假办法》
   (2024 revision, in force from 2025): 元旦 1 day, 春节 4 days (除夕 to 正月初三), 清明节
   (the solar-term day), 劳动节 May 1-2, 端午节 (农历五月初五), 中秋节 (农历八月十五),
   国庆节 Oct 1-3. Its article 6 adds a weekday off (补假) for each of those days that falls on
   a weekend. Make-up working days (调休上班) cannot be known before the State Council announces
   them, so these days are *provisional*.

When is a day provisional: it has no override, `chinese_calendar` does not know its year, and
no `WorkdayYear` row marks that year official. Staff enter the announced schedule as overrides
(the rest days beyond the law and the make-up working days), then mark the year official, which
ends the warning for the days that simply follow the law.

Counting (Civil Code art. 201): a period of N working days starts the day after the event and
ends on the N-th working day after it. N = 0 means "the same day": the event's own date when it
is a working day, else the next working day, since a period never ends on a rest day (art. 203).
Every answer of `add_workdays` is therefore a working day.

Performance: deadlines are computed for thousands of rows per page. Each process keeps a copy
of the two small override tables, reloaded when they change: a save or delete drops this
process's copy at once (model signals) and, once committed, bumps a version in Django's cache,
which other processes look at no more than once every RECHECK_SECONDS. With a per-process
cache (local memory, no Redis) other processes still reload within MAX_AGE_SECONDS. Per-year
day sets and the results of `add_workdays` are memoized.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

import chinese_calendar
from django.core.cache import cache
from django.db import transaction
from lunar_python import Lunar, Solar

from .enums import DeadlineState, WorkdaySource

logger = logging.getLogger(__name__)
ONE_DAY = dt.timedelta(days=1)
# Far beyond any statutory period (F1-F3 count 1 to 3 working days); keeps a typo cheap.
MAX_WORKDAYS = 2500
VERSION_KEY = "backoffice:workdays:version"
RECHECK_SECONDS = 2.0
MAX_AGE_SECONDS = 300.0
MEMO_LIMIT = 100_000
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class Due:
    """A deadline: its date, and whether it rests on days without official data (F4)."""

    date: dt.date
    provisional: bool = False
    provisional_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class DayStatus:
    day: dt.date
    is_workday: bool
    provisional: bool
    source: WorkdaySource
    name: str = ""  # the holiday, make-up day or override name, when there is one


@dataclass(frozen=True)
class _Snapshot:
    """This process's copy of the override tables."""

    overrides: Mapping[dt.date, tuple[bool, str]]
    official_years: frozenset[int]
    version: object
    loaded_at: float
    due_memo: dict[tuple[dt.date, int], Due] = field(default_factory=dict)


_snapshot: _Snapshot | None = None
_UNKNOWN = object()  # the shared cache did not answer
_checked_at = 0.0


def _load(version: object, now: float) -> _Snapshot:
    from .models import WorkdayOverride, WorkdayYear

    overrides = {
        day: (workday, name)
        for day, workday, name in WorkdayOverride.objects.values_list("date", "is_workday", "name")
    }
    years = WorkdayYear.objects.filter(official=True).values_list("year", flat=True)
    return _Snapshot(MappingProxyType(overrides), frozenset(years), version, now)


def _calendar() -> _Snapshot:
    global _snapshot, _checked_at
    now = time.monotonic()
    snapshot = _snapshot
    if snapshot is not None and now - _checked_at < RECHECK_SECONDS:
        return snapshot
    version = _shared_version()
    if (
        snapshot is None
        or (version is not _UNKNOWN and version != snapshot.version)
        or now - snapshot.loaded_at > MAX_AGE_SECONDS
    ):
        snapshot = _load(version, now)
        _snapshot = snapshot
    _checked_at = now
    return snapshot


def _shared_version() -> object:
    # Deadlines must not fail while the shared cache is down: MAX_AGE_SECONDS still applies.
    try:
        return cache.get(VERSION_KEY)
    except Exception:
        return _UNKNOWN


def _forget() -> None:
    global _snapshot
    _snapshot = None


def _publish() -> None:
    _forget()
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    except Exception:
        logger.warning(
            "Working-day calendar changed but the shared cache is down: other processes "
            "reload it within %s s",
            MAX_AGE_SECONDS,
        )


def calendar_changed() -> None:
    """Called whenever an override or a year row is written: drop cached copies."""
    _forget()
    # Other processes must not reload before the change is visible to them.
    transaction.on_commit(_publish)


def calendar_reset() -> None:
    """Forget this process's copy (tests whose rolled-back rows must not leak into the next)."""
    _forget()


def _as_date(day: dt.date) -> dt.date:
    return day.date() if isinstance(day, dt.datetime) else day


def _solar_date(solar: Solar) -> dt.date:
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def _lunar_date(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of a day of the lunar year that starts in `year` (non-leap month)."""
    return _solar_date(Lunar.fromYmd(year, month, day).getSolar())


@lru_cache(maxsize=256)
def statutory_holidays(year: int) -> Mapping[dt.date, str]:
    """The rest days the law alone gives in `year`, with their names (no 调休 known).

    The 2024 law is applied to every year: only years without built-in data reach this
    (2027 on, and before 2004, where the answer is a rough, provisional estimate).

    补假 (article 6): each statutory day that falls on a weekend, or on a day already off for
    another festival, moves to the first free weekday after its festival.
    """
    spring = _lunar_date(year, 1, 1)
    qingming = _solar_date(Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"])
    festivals = [
        ("元旦", [dt.date(year, 1, 1)]),
        ("春节", [spring - ONE_DAY, spring, spring + ONE_DAY, spring + 2 * ONE_DAY]),
        ("清明节", [qingming]),
        ("劳动节", [dt.date(year, 5, 1), dt.date(year, 5, 2)]),
        ("端午节", [_lunar_date(year, 5, 5)]),
        ("中秋节", [_lunar_date(year, 8, 15)]),
        ("国庆节", [dt.date(year, 10, 1), dt.date(year, 10, 2), dt.date(year, 10, 3)]),
    ]
    off: dict[dt.date, str] = {}
    for name, days in sorted(festivals, key=lambda festival: festival[1][0]):
        owed = 0
        for day in days:
            if day.weekday() >= 5 or day in off:
                owed += 1
            off.setdefault(day, name)
        day = days[-1]
        while owed:
            day += ONE_DAY
            if day.weekday() < 5 and day not in off:
                off[day] = f"{name}补假"
                owed -= 1
    return MappingProxyType(off)


@lru_cache(maxsize=64)
def _official_rest_days(year: int) -> frozenset[dt.date] | None:
    """Every rest day of `year` per `chinese_calendar`, or None when it has no data for it."""
    try:
        return frozenset(chinese_calendar.get_holidays(dt.date(year, 1, 1), dt.date(year, 12, 31)))
    except NotImplementedError:
        return None


def _official_name(day: dt.date) -> str:
    """The Chinese name `chinese_calendar` gives a holiday or make-up day ("" for plain days)."""
    try:
        rest, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return ""
    if not name:
        return ""
    try:
        name = chinese_calendar.Holiday(name).chinese
    except ValueError:
        pass
    return name if rest else f"{name}调休上班"


def _status(day: dt.date, calendar: _Snapshot, *, use_override: bool = True) -> DayStatus:
    if use_override and day in calendar.overrides:
        workday, name = calendar.overrides[day]
        return DayStatus(day, workday, False, WorkdaySource.OVERRIDE, name)
    official = _official_rest_days(day.year)
    if official is not None:
        return DayStatus(day, day not in official, False, WorkdaySource.OFFICIAL)
    name = statutory_holidays(day.year).get(day, "")
    workday = day.weekday() < 5 and not name
    provisional = day.year not in calendar.official_years
    return DayStatus(day, workday, provisional, WorkdaySource.STATUTORY, name)


def day_status(day: dt.date, *, ignore_override: bool = False) -> DayStatus:
    """What the calendar says about `day`, and on what data (F4).

    `ignore_override=True` answers as if the day had no override (the admin uses it to tell
    staff that an entry would change nothing).
    """
    day = _as_date(day)
    status = _status(day, _calendar(), use_override=not ignore_override)
    if status.source == WorkdaySource.OFFICIAL and not status.name:
        status = DayStatus(day, status.is_workday, False, status.source, _official_name(day))
    return status


def is_workday(day: dt.date) -> bool:
    """F4: weekends and public holidays are off, make-up working days (调休上班) are on."""
    return _status(_as_date(day), _calendar()).is_workday


def has_builtin_schedule(year: int) -> bool:
    """True for the years whose official schedule ships with `chinese_calendar`."""
    return _official_rest_days(year) is not None


def year_is_provisional(year: int) -> bool:
    """True when `year` has neither built-in official data nor a WorkdayYear marked official."""
    return _official_rest_days(year) is None and year not in _calendar().official_years


def provisional_years(years: Iterable[int]) -> list[int]:
    return sorted({year for year in years if year_is_provisional(year)})


def provisional_notice(year: int) -> str:
    return f"{year} 年官方放假安排尚未录入，期限按法定节假日推算，仅供参考"


def add_workdays(start: dt.date, n: int) -> Due:
    """The date N working days after `start` (F1-F4; see the module docstring for N = 0).

    The result is provisional when any day counted over, up to the result, rests on
    provisional data. add_workdays(2026-09-30, 1) is 2026-10-08 (National Day).
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("n must be an int")
    if not 0 <= n <= MAX_WORKDAYS:
        raise ValueError(f"n must be between 0 and {MAX_WORKDAYS}, not {n}")
    start = _as_date(start)
    calendar = _calendar()
    key = (start, n)
    due = calendar.due_memo.get(key)
    if due is not None:
        return due
    day = start if n == 0 else start + ONE_DAY
    wanted = max(n, 1)
    counted = 0
    years: set[int] = set()
    while True:
        status = _status(day, calendar)
        if status.provisional:
            years.add(day.year)
        if status.is_workday:
            counted += 1
            if counted == wanted:
                break
        day += ONE_DAY
    due = Due(date=day, provisional=bool(years), provisional_years=tuple(sorted(years)))
    if len(calendar.due_memo) >= MEMO_LIMIT:
        calendar.due_memo.clear()
    calendar.due_memo[key] = due
    return due


def deadline_state(due: dt.date, today: dt.date) -> DeadlineState:
    """Where a deadline stands on `today`: overdue, due today, due by the next working day
    (at risk), or on track."""
    due, today = _as_date(due), _as_date(today)
    if due < today:
        return DeadlineState.OVERDUE
    if due == today:
        return DeadlineState.DUE_TODAY
    if due <= add_workdays(today, 1).date:
        return DeadlineState.AT_RISK
    return DeadlineState.ON_TRACK


def weekday_name(day: dt.date) -> str:
    return WEEKDAY_NAMES[day.weekday()]
