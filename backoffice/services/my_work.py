"""A worker's day (issue 5, item 6): what a social worker or a station sees first after login.

Every list is cut by the one jurisdiction scope, so a station sees its street and an agency
worker the households and reports assigned to them. Deadlines are counted in working days
(F1-F4); "at risk" means due by the next working day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Min, Q

from intake.enums import OPEN_STATUSES
from intake.models import Report

from ..enums import DeadlineState, VisitKind
from ..scope import scope_queryset
from .cases import cases_short_of_sessions
from .referrals import referrals_waiting
from .triage import Clock, report_clocks
from .visits import checkins_due, visits_due, visits_overdue

REPORT_LIMIT = 300  # the oldest open reports are the ones whose clocks run out first
LIST_LIMIT = 50  # rows shown per list; the counts are of everything


@dataclass(frozen=True)
class ReportDeadline:
    report: Report
    clock: Clock


@dataclass
class MyWork:
    today: dt.date
    overdue: list[ReportDeadline] = field(default_factory=list)
    due_today: list[ReportDeadline] = field(default_factory=list)
    at_risk: list[ReportDeadline] = field(default_factory=list)
    visits_due: list = field(default_factory=list)
    visits_overdue: list = field(default_factory=list)
    checkins_due: list = field(default_factory=list)
    cases_short: list = field(default_factory=list)
    referrals_waiting: list = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "overdue": len(self.overdue),
            "due_today": len(self.due_today),
            "at_risk": len(self.at_risk),
            **self.totals,
        }

    @property
    def is_empty(self) -> bool:
        return not any(self.counts.values())


def _open_reports(user):
    return (
        scope_queryset(user, Report.objects.filter(status__in=OPEN_STATUSES))
        .select_related("community")
        .annotate(
            first_visit=Min("visits__visited_on", filter=Q(visits__kind=VisitKind.INTAKE_INTERVIEW))
        )
        .order_by("-urgent", "learned_on", "pk")[:REPORT_LIMIT]
    )


def my_work(*, user, today: dt.date) -> MyWork:
    """Everything due for `user` on `today`, most pressing first."""
    work = MyWork(today=today)
    buckets = {
        DeadlineState.OVERDUE: work.overdue,
        DeadlineState.DUE_TODAY: work.due_today,
        DeadlineState.AT_RISK: work.at_risk,
    }
    for report in _open_reports(user):
        for clock in report_clocks(report, today=today, visited_on=report.first_visit):
            if clock.state in buckets:
                buckets[clock.state].append(ReportDeadline(report=report, clock=clock))
    lists = {
        "visits_overdue": visits_overdue(user, today=today).select_related("community"),  # L6
        "visits_due": visits_due(user, today=today).select_related("community"),
        "checkins_due": checkins_due(user, today=today).select_related("community"),  # D3
        "cases_short": cases_short_of_sessions(user),  # U10
        "referrals_waiting": referrals_waiting(user, today=today),  # U1-U4
    }
    for name, queryset in lists.items():
        rows = list(queryset[:LIST_LIMIT])
        setattr(work, name, rows)
        work.totals[name] = len(rows) if len(rows) < LIST_LIMIT else queryset.count()
    return work
