"""G1 at the database: a report and the rows that belong to it are written all or nothing,
in one round trip on PostgreSQL (portal/db.py), with the ORM inside atomic() elsewhere."""

import datetime as dt
import uuid

import pytest
from django.db import IntegrityError, connection
from django.db.models.functions import Now
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from intake.models import ConsentRecord, Notification, Report
from portal.db import insert_with_children

pytestmark = pytest.mark.django_db


def _report(**overrides) -> Report:
    now = timezone.now()
    values = {
        "reference": f"BJ261129-{uuid.uuid4().hex[:4].upper()}-TEST",
        "form_token": uuid.uuid4(),
        "submitted_at": now,
        "learned_on": dt.date(2026, 11, 29),
        "reporter_type": "neighbour",
        "reporter_name": "周建华",
        "subject_name": "孙玉珍",
        "district_id": "110101000000",
        "street_id": "110101001000",
        "community_id": "110101001001",
        "address": "多福巷3号院2-101",
        "category": "S2",
        "subtype": "living_alone",
        "what_happened": "独居老人摔伤。",
        "help_needed": "上门照料",
    }
    return Report(**{**values, **overrides})


def _consent(kind="privacy_notice") -> ConsentRecord:
    return ConsentRecord(kind=kind, notice_version="2026-11", given_by="周建华")


def test_g1_the_report_and_its_rows_are_written_and_linked(areas):
    report = _report()
    consent, notice = _consent(), Notification(recipient="duty@localhost", subject="s", body="b")
    with CaptureQueriesContext(connection) as queries:
        insert_with_children(report, [consent, notice])
    assert report.pk and not report._state.adding
    assert consent.report == report and notice.report_id == report.pk
    saved = Report.objects.get(pk=report.pk)
    assert saved.form_token == report.form_token
    assert list(saved.consents.values_list("given_by", flat=True)) == ["周建华"]
    assert list(saved.notifications.values_list("recipient", flat=True)) == ["duty@localhost"]
    if connection.vendor == "postgresql":
        # One statement list (in a savepoint here, because the test runs in a transaction).
        inserts = [q for q in queries.captured_queries if "INSERT" in q["sql"]]
        assert len(inserts) == 1 and inserts[0]["sql"].count("INSERT INTO") == 3


def test_g1_a_failing_child_row_leaves_no_report(areas):
    report = _report()
    with pytest.raises(IntegrityError):  # the same consent twice breaks (report, kind)
        insert_with_children(report, [_consent(), _consent()])
    assert not Report.objects.filter(form_token=report.form_token).exists()
    assert not ConsentRecord.objects.exists()
    insert_with_children(_report(), [_consent()])  # the connection is still usable
    assert Report.objects.count() == 1


def test_g2_a_second_report_with_the_same_form_token_is_refused_whole(areas):
    first = _report()
    insert_with_children(first, [_consent()])
    with pytest.raises(IntegrityError):
        insert_with_children(_report(form_token=first.form_token), [_consent()])
    assert Report.objects.count() == 1 and ConsentRecord.objects.count() == 1


def test_g1_rows_holding_an_expression_are_compiled_by_django(areas):
    """A value computed by the database (here Now()) takes Django's own INSERT compilation,
    for the parent and for a child, and the rows are linked all the same."""
    report = _report(status_changed_at=Now())
    consent = ConsentRecord(kind="privacy_notice", notice_version="2026-11", given_by="周建华")
    consent.given_at = Now()
    insert_with_children(report, [consent, _consent("entrustment")])
    saved = Report.objects.get(pk=report.pk)
    assert saved.status_changed_at is not None
    assert sorted(saved.consents.values_list("kind", flat=True)) == [
        "entrustment",
        "privacy_notice",
    ]
