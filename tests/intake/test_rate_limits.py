"""Issue 13, item 8: the report form counts accepted reports and refused attempts apart
(SECURITY E5), so that a committee office filing its residents' reports from one address
is not stopped by its typos; status lookups keep their own limit.

Personas: the 多福巷 residents' committee office (one address, many reports, some typos), a
script trying the form over and over, a neighbour checking a receipt from the same network.
"""

import re

import pytest
from django.test import override_settings

from intake.models import Report
from intake.services import lookup_code_for
from tests.intake.conftest import report_data

pytestmark = pytest.mark.django_db

REFUSED_TYPO = {"reporter_phone": "12345"}  # a field to correct: nothing is written


def post(client, **overrides):
    return client.post("/report/", report_data(**overrides))


@override_settings(INTAKE_REPORTS_PER_IP_PER_HOUR=3, INTAKE_FAILED_REPORTS_PER_IP_PER_HOUR=10)
def test_e5_a_committee_office_correcting_its_typos_files_every_report_it_may(client):
    for _report in range(3):
        for _typo in range(3):
            response = post(client, **REFUSED_TYPO)
            assert response.status_code == 200
            assert "请填写有效的手机号码或固定电话" in response.content.decode()
        assert post(client).status_code == 302
    assert Report.objects.count() == 3  # nine typos on the way did not use up the limit


@override_settings(INTAKE_REPORTS_PER_IP_PER_HOUR=3, INTAKE_FAILED_REPORTS_PER_IP_PER_HOUR=100)
def test_e5_accepted_reports_have_a_strict_limit_of_their_own(client):
    for _ in range(3):
        assert post(client).status_code == 302
    refused = post(client)
    html = refused.content.decode()
    assert refused.status_code == 429
    assert "每小时最多受理 3 份反映" in html and "以后再提交" in html
    assert re.search(r"请在 <strong>\d\d:00</strong> 以后再提交", html)
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert Report.objects.count() == 3


@override_settings(INTAKE_REPORTS_PER_IP_PER_HOUR=30, INTAKE_FAILED_REPORTS_PER_IP_PER_HOUR=3)
def test_e5_a_script_trying_the_form_over_and_over_is_stopped(client):
    for _ in range(3):
        assert post(client, website="http://spam.example").status_code == 200
    refused = post(client)  # even a valid report: the address is over its limit
    assert refused.status_code == 429
    assert "每小时最多可提交 3 次未通过检查的表单" in refused.content.decode()
    assert not Report.objects.exists()


@override_settings(INTAKE_REPORTS_PER_IP_PER_HOUR=1)
def test_e5_a_double_click_is_counted_once(client):
    data = report_data()
    first = client.post("/report/", data)
    again = client.post("/report/", data)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert post(client).status_code == 429
    assert Report.objects.count() == 1


@override_settings(INTAKE_REPORTS_PER_IP_PER_HOUR=1, INTAKE_LOOKUPS_PER_IP_PER_HOUR=2)
def test_e5_status_lookups_keep_their_own_limit(client):
    post(client)
    report = Report.objects.get()
    assert post(client).status_code == 429  # the address may file no more reports
    code = lookup_code_for(report.reference)
    for _ in range(2):
        found = client.post("/report/status/", {"reference": report.reference, "code": code})
        assert found.status_code == 200 and 'id="public-status"' in found.content.decode()
    refused = client.post("/report/status/", {"reference": report.reference, "code": code})
    assert refused.status_code == 429
    assert "每小时最多查询 2 次" in refused.content.decode()


@override_settings(INTAKE_REPORTS_PER_IP_PER_HOUR=1)
def test_e5_the_limits_are_per_client_address(client):
    assert post(client).status_code == 302  # from 127.0.0.1
    assert client.post("/report/", report_data(), REMOTE_ADDR="198.51.100.7").status_code == 302
    assert client.post("/report/", report_data(), REMOTE_ADDR="198.51.100.7").status_code == 429
    assert Report.objects.count() == 2


def test_e5_the_default_limits_let_an_office_correct_more_than_it_files(settings):
    accepted = settings.INTAKE_REPORTS_PER_IP_PER_HOUR
    failed = settings.INTAKE_FAILED_REPORTS_PER_IP_PER_HOUR
    assert 20 <= accepted <= 50  # strict, yet a day's sweep of an office fits
    assert failed >= 3 * accepted  # every report may take a few corrections
    assert settings.INTAKE_LOOKUPS_PER_IP_PER_HOUR > 0
