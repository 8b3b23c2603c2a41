"""Issue 5, item 6: /admin/my-work/, a worker's day: due today, overdue, at risk (F1-F4).

Personas: street (东华门街道 station), worker (agency: assigned reports only), auditor (none).
"""

import datetime as dt

import pytest
import time_machine

from backoffice.models import Triage
from tests.integration.test_triage import file_report

# 2026-10-09 is a Friday, the second working day after the National Day holiday.
FRIDAY = dt.datetime(2026, 10, 9, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def deadlines(demo_users):
    return {
        # learned 09-30: visit due 10-08 (overdue on 10-09), ledger due 10-09 (today)
        "late": file_report(name="孙玉珍", id_number="", learned_on=dt.date(2026, 9, 30)),
        # learned 10-08: visit due 10-09 (today), ledger due 10-10 (a make-up Saturday: at risk)
        "today": file_report(name="钱大爷", id_number="", learned_on=dt.date(2026, 10, 8)),
        # another street of Dongcheng: not the station's
        "elsewhere": file_report(
            name="李桂芬",
            id_number="",
            community="110101002001",
            street="110101002000",
            learned_on=dt.date(2026, 9, 30),
        ),
    }


@time_machine.travel(FRIDAY, tick=False)
def test_f1_the_station_sees_overdue_due_today_and_at_risk_deadlines(login_as, deadlines):
    html = login_as("street").get("/admin/my-work/").content.decode()
    overdue = html[html.index('id="overdue"') : html.index('id="due-today"')]
    due_today = html[html.index('id="due-today"') : html.index('id="at-risk"')]
    at_risk = html[html.index('id="at-risk"') :]
    assert deadlines["late"].reference in overdue and "入户访谈" in overdue
    assert deadlines["late"].reference in due_today and deadlines["today"].reference in due_today
    assert deadlines["today"].reference in at_risk and "2026-10-10" in at_risk
    assert deadlines["elsewhere"].reference not in html  # B1: another street's report


@time_machine.travel(FRIDAY, tick=False)
def test_an_agency_worker_sees_only_what_is_assigned(login_as, deadlines, demo_users):
    Triage.objects.create(report=deadlines["today"], worker=demo_users["worker"])
    html = login_as("worker").get("/admin/my-work/").content.decode()
    assert deadlines["today"].reference in html
    assert deadlines["late"].reference not in html


def test_roles_without_a_caseload_have_no_my_work(login_as, demo_users):
    assert login_as("auditor").get("/admin/my-work/").status_code in (302, 403)


def test_my_work_is_in_the_menu_for_ledger_roles(login_as, demo_users):
    html = login_as("worker").get("/admin/").content.decode()
    assert "/admin/my-work/" in html


@time_machine.travel(FRIDAY, tick=False)
def test_the_admin_home_opens_on_the_days_work(login_as, deadlines):
    html = login_as("street").get("/admin/").content.decode()
    assert "我的工作 · 10月9日" in html and "项已逾期" in html


def test_demo_reports_fill_a_living_triage_queue(login_as, demo_users):
    from backoffice.demo.reports import demo_reports_create
    from intake.models import Report

    demo_reports_create(count=20, seed=3, today=dt.date(2026, 11, 20))
    assert Report.objects.count() == 20
    assert Report.objects.filter(urgent=True).exists()
    assert Report.objects.filter(status="visited").exists()
    queue = login_as("street").get("/admin/reports/").content.decode()
    assert "已逾期" in queue


def test_l6_u10_u1_overdue_visits_short_cases_and_waiting_referrals_show(
    login_as, ledger, demo_users
):
    from backoffice.models import Household
    from backoffice.services.referrals import referral_create
    from tests.integration.casework import as_actor, days_ago, open_elderly_case, record_sessions

    station = demo_users["street"]
    home = ledger["home"]
    Household.objects.filter(pk=home.pk).update(next_visit_due=days_ago(3))
    case = open_elderly_case(household=home, person=ledger["zhang"], user=station)
    record_sessions(case, 2, user=station)
    referral_create(
        household=home,
        kind="still_in_difficulty",
        target_type="charity",
        target="北京市慈善协会",
        description="助餐费用",
        help_mode="one_to_one",
        sent_on=days_ago(30),
        due_on=days_ago(2),
        actor=as_actor(station),
    )
    html = login_as("street").get("/admin/my-work/").content.decode()
    visits = html[html.index('id="visits"') : html.index('id="cases"')]
    cases = html[html.index('id="cases"') : html.index('id="referrals"')]
    referrals = html[html.index('id="referrals"') :]
    assert home.file_number in visits and "已超期 " in visits
    assert f"/admin/cases/{case.pk}/" in cases and "2 / 5" in cases
    assert "北京市慈善协会" in referrals and "已逾期" in referrals
    other = login_as("dongcheng")  # the district sees it too; the far 朝阳 file is nobody's here
    assert ledger["far"].file_number not in other.get("/admin/my-work/").content.decode()


@time_machine.travel(FRIDAY, tick=False)
def test_the_daily_digest_mails_each_worker_without_personal_data(deadlines, demo_users):
    import io

    from django.core import mail
    from django.core.management import call_command

    demo_users["street"].email = "station@example.org"
    demo_users["street"].save()
    demo_users["auditor"].email = "auditor@example.org"
    demo_users["auditor"].save()
    call_command("send_daily_digest", stdout=io.StringIO())
    recipients = {m.to[0]: m for m in mail.outbox}
    assert "station@example.org" in recipients and "auditor@example.org" not in recipients
    body = recipients["station@example.org"].body
    assert "已逾期：1 项" in body and deadlines["late"].reference in body
    assert "孙玉珍" not in body and "多福巷" not in body


@time_machine.travel(dt.datetime(2026, 10, 3, 2, 0, tzinfo=dt.UTC), tick=False)
def test_no_digest_on_a_holiday(deadlines, demo_users):
    import io

    from django.core import mail
    from django.core.management import call_command

    demo_users["street"].email = "station@example.org"
    demo_users["street"].save()
    out = io.StringIO()
    call_command("send_daily_digest", stdout=out)
    assert "不是工作日" in out.getvalue() and not mail.outbox
