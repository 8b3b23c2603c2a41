"""Calendar-month rhythms of the ledger: follow-up visits (L6) and the check-in after an exit (D3).

Unlike the statutory filing deadlines (F1-F3, working days, `backoffice.workdays`), these
count calendar months. A month later than a day that the target month lacks (the 29th-31st)
is that month's last day, so "3 months after 2026-11-29" is 2027-02-28: the next visit is due
*at most* 3 months after the last one (L6), never a day later.
"""

from __future__ import annotations

import calendar
import datetime as dt

FOLLOW_UP_MONTHS = 3  # L6: every household is visited at least once every 3 months
CHECKIN_MONTHS = 3  # D3 / issue 5: a household that left is checked on 3 months later


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def follow_up_due(last_visit: dt.date) -> dt.date:
    """L6: the latest date the next follow-up visit may take place."""
    return add_months(last_visit, FOLLOW_UP_MONTHS)


def checkin_due(exited_on: dt.date) -> dt.date:
    """D3: when a household that left the ledger gets its check-in visit."""
    return add_months(exited_on, CHECKIN_MONTHS)
