"""Issue 13 item 9 (F2, F3, F4): a station registers leads that do not come from the public:
a person approved for social assistance (home visit within 1 working day of the approval) and
a person found in a survey sweep (in the ledger within 3 working days of the basic
investigation). The queue runs the right clock for each, in working days."""

import datetime as dt

import time_machine

from backoffice.workdays import add_workdays
from intake.enums import ReporterType
from intake.models import Report

TODAY = dt.date(2026, 11, 27)  # a Friday: the clocks skip the weekend


def lead(route="approval", **overrides):
    data = {
        "route": route,
        "started_on": TODAY.isoformat(),
        "name": "钱秀芳",
        "id_number": "",
        "phone": "13500001234",
        "community": "110101001001",
        "address": "多福巷5号",
        "subtype": "dibao_urban" if route == "approval" else "living_alone",
        "situation": "经审批纳入城市低保，需入户了解生活状况。",
        "help_needed": "了解需求，制定帮扶计划",
    }
    data.update(overrides)
    return data


@time_machine.travel(dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC))
def test_f2_an_approval_lead_runs_the_one_working_day_visit_clock(login_as, areas):
    client = login_as("street")
    response = client.post("/admin/reports/leads/new/", lead())
    report = Report.objects.get(subject_name="钱秀芳")
    assert response.status_code == 302
    assert report.route == "approval" and report.learned_on == TODAY
    assert report.reporter_type == ReporterType.STAFF and report.category == "S1"
    assert report.subject_phone_masked == "135****1234"
    queue = client.get("/admin/reports/").content.decode()
    visit_due = add_workdays(TODAY, 1).date  # the next Monday
    assert visit_due == dt.date(2026, 11, 30)
    assert report.reference in queue and f"{visit_due:%m-%d}" in queue
    workspace = client.get(f"/admin/reports/{report.pk}/").content.decode()
    assert "入户访谈" in workspace


@time_machine.travel(dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC))
def test_f3_a_survey_lead_runs_the_three_working_day_ledger_clock(login_as, areas):
    client = login_as("street")
    client.post("/admin/reports/leads/new/", lead("survey", name="孙大爷"))
    report = Report.objects.get(subject_name="孙大爷")
    assert report.route == "survey" and report.category == "S2"
    due = add_workdays(TODAY, 3).date
    assert due == dt.date(2026, 12, 2)
    assert f"{due:%m-%d}" in client.get("/admin/reports/").content.decode()
    # F3: no home-visit interview is required before the file is opened.
    response = client.post(
        f"/admin/reports/{report.pk}/accept/",
        {"relation": "head", "need_type": "living", "sex": "male", "birth_date": "1940-01-01"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "accepted"


def test_a_lead_of_the_wrong_kind_or_place_is_refused_in_chinese(login_as, areas):
    client = login_as("street")
    wrong_kind = client.post("/admin/reports/leads/new/", lead(subtype="living_alone"))
    assert "该来源的线索应为：社会救助对象" in wrong_kind.content.decode()
    elsewhere = client.post("/admin/reports/leads/new/", lead(community="110105001024"))
    assert "不在您的辖区内" in elsewhere.content.decode()
    future = client.post(
        "/admin/reports/leads/new/",
        lead(started_on=(dt.date.today() + dt.timedelta(days=3)).isoformat()),
    )
    assert "审批通过日期不能晚于今天" in future.content.decode()
    assert not Report.objects.exists()


def test_only_triage_staff_register_leads_and_the_public_form_offers_no_staff_type(
    login_as, client, areas
):
    assert login_as("worker").get("/admin/reports/leads/new/").status_code in (302, 403)
    assert "工作人员登记" not in client.get("/report/").content.decode()
