"""Issue 13, item 10: the demo's reports arrive over the past week, and each one's reference,
submission time, learned-on day (where the F1 clock starts) and later steps agree."""

import datetime as dt

import pytest
from django.utils import timezone

from backoffice.demo.reports import demo_reports_create
from intake.models import Report

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("today", [None, dt.date(2026, 11, 20)])
def test_each_demo_report_is_numbered_for_the_day_it_was_received(demo_users, today):
    demo_reports_create(count=30, seed=3, today=today)
    day = today or timezone.localdate()
    reports = list(Report.objects.all())
    assert len(reports) == 30
    received_days = set()
    for report in reports:
        received = timezone.localtime(report.submitted_at).date()
        received_days.add(received)
        assert report.reference.startswith(f"BJ{received:%y%m%d}-"), report.reference
        assert report.learned_on == received
        assert day - dt.timedelta(days=8) <= received <= day
        assert report.submitted_at <= report.status_changed_at
    assert len(received_days) > 3  # spread over the week, not all numbered for today
    if today is None:
        assert max(r.submitted_at for r in reports) <= timezone.now()
        assert max(r.status_changed_at for r in reports) <= timezone.now()


def test_assigned_demo_reports_were_assigned_after_they_arrived(demo_users):
    from backoffice.models import Triage

    demo_reports_create(count=20, seed=5)
    assigned = Triage.objects.select_related("report").exclude(assigned_at=None)
    assert assigned.exists()
    for triage in assigned:
        assert triage.report.submitted_at <= triage.assigned_at <= timezone.now()
