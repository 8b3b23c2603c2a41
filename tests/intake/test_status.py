"""Issue 4, item 2: the status page shows coarse progress and no personal data (E5, B7)."""

import threading
import uuid

import pytest
from django.db import connection
from django.test import override_settings

from intake.enums import ReportStatus
from intake.forms import ReportForm
from intake.models import Report
from intake.services import lookup_code_for, report_submit
from tests.conftest import is_postgres
from tests.intake.conftest import report_data


@pytest.fixture
def filed(client, db):
    client.post("/report/", report_data())
    return Report.objects.get()


def lookup(client, reference, code):
    return client.post("/report/status/", {"reference": reference, "code": code})


def test_the_right_code_shows_the_progress_and_nothing_personal(client, filed):
    response = lookup(client, filed.reference, lookup_code_for(filed.reference))
    html = response.content.decode()
    assert "已受理" in html
    # The subject's phone whole or masked ("139" alone also turns up in the 8-digit code).
    for personal in ("赵桂兰", "多福巷", "13911112222", "139****", "刘红梅", "独居"):
        assert personal not in html
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "status, shown",
    [
        (ReportStatus.ASSIGNED, "已安排入户走访"),
        (ReportStatus.VISITED, "已安排入户走访"),
        (ReportStatus.ACCEPTED, "已纳入救助帮扶台账"),
        (ReportStatus.REFERRED, "已转介相关部门"),
        (ReportStatus.REJECTED, "已办结"),
    ],
)
def test_each_triage_status_maps_to_a_coarse_public_one(client, filed, status, shown):
    Report.objects.filter(pk=filed.pk).update(status=status)
    html = lookup(client, filed.reference, lookup_code_for(filed.reference)).content.decode()
    assert shown in html


def test_a_wrong_code_and_an_unknown_reference_get_the_same_answer(client, filed):
    wrong = lookup(client, filed.reference, "00000000").content.decode()
    unknown = lookup(client, "BJ000000-AAAA-AAAA", "12345678").content.decode()
    assert "受理编号或查询码不正确" in wrong and "受理编号或查询码不正确" in unknown
    assert "已受理</p>" not in wrong


def test_lookup_accepts_lowercase_and_spaces(client, filed):
    code = lookup_code_for(filed.reference)
    html = lookup(client, filed.reference.lower(), f"{code[:4]} {code[4:]}").content.decode()
    assert "已受理" in html and "不正确" not in html


def test_empty_lookup_fields_get_messages(client, db):
    html = lookup(client, "", "").content.decode()
    assert "请填写回执上的受理编号" in html and "请填写回执上的 8 位查询码" in html


@override_settings(INTAKE_LOOKUPS_PER_IP_PER_HOUR=3)
def test_e5_guessing_codes_is_rate_limited(client, filed):
    for _ in range(3):
        assert lookup(client, filed.reference, "11111111").status_code == 200
    response = lookup(client, filed.reference, lookup_code_for(filed.reference))
    assert response.status_code == 429


@pytest.mark.django_db(transaction=True)
def test_g2_two_simultaneous_posts_of_one_form_make_one_report(areas):
    """G2 with two threads: on PostgreSQL the unique form token decides; the loser gets the
    winner's report. (SQLite serialises writers, so the race is only real on PostgreSQL.)"""
    if not is_postgres():
        pytest.skip("the concurrent double submit is exercised on PostgreSQL (make test-postgres)")
    form = ReportForm(report_data())
    assert form.is_valid(), form.errors
    token = uuid.uuid4()
    barrier = threading.Barrier(2)
    results = []

    def post():
        try:
            barrier.wait()
            report, created = report_submit(
                form_token=token, fields=form.report_fields(), uploads=[]
            )
            results.append((report.reference, created))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Report.objects.count() == 1
    assert len({reference for reference, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, True]
