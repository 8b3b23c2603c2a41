"""Issue 4, item 5: the triage queue and workspace (F1-F4, D2, B1, B7, C1, G4).

Personas: street (东华门街道 station), dongcheng (district), worker (agency, assigned reports
only), city (reads everything), auditor (nothing). Bystander: a report from 朝阳区.
"""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from backoffice.demo.accounts import DEMO_AGENCY
from backoffice.enums import AuditAction
from backoffice.models import Agency, AuditEvent, Household, Person, Triage
from backoffice.services.triage import AcceptChoices, TriageError, report_accept
from intake.enums import ReportStatus
from portal import identity
from tests.conftest import as_actor, is_postgres
from tests.integration.reports import SUBJECT_ID, file_report


@pytest.fixture
def reports(demo_users):
    return {
        "home": file_report(),
        "urgent": file_report(name="钱大爷", id_number="", urgent=True),
        "other_street": file_report(
            community="110101002001", street="110101002000", name="李桂芬", id_number=""
        ),
        "far": file_report(
            community="110105001024",
            street="110105001000",
            district="110105000000",
            name="王五",
            id_number="",
        ),
    }


SCOPES = [
    ("city", ["home", "urgent", "other_street", "far"], []),
    ("dongcheng", ["home", "urgent", "other_street"], ["far"]),
    ("street", ["home", "urgent"], ["other_street", "far"]),
]


@pytest.mark.parametrize("username, visible, hidden", SCOPES)
def test_b1_each_role_sees_the_reports_of_its_jurisdiction(
    login_as, reports, username, visible, hidden
):
    client = login_as(username)
    queue = client.get("/admin/reports/").content.decode()
    for key in visible:
        assert reports[key].reference in queue
        assert client.get(f"/admin/reports/{reports[key].pk}/").status_code == 200
    for key in hidden:
        assert reports[key].reference not in queue
        assert client.get(f"/admin/reports/{reports[key].pk}/").status_code == 404


def test_b1_an_agency_worker_sees_only_reports_assigned_to_it(login_as, reports, demo_users):
    client = login_as("worker")
    assert reports["home"].reference not in client.get("/admin/reports/").content.decode()
    Triage.objects.create(report=reports["home"], worker=demo_users["worker"])
    queue = client.get("/admin/reports/").content.decode()
    assert reports["home"].reference in queue and reports["urgent"].reference not in queue


@pytest.mark.parametrize("username", ["auditor", "editor"])
def test_roles_without_triage_work_cannot_open_the_queue(login_as, reports, username):
    client = login_as(username)
    assert client.get("/admin/reports/").status_code in (302, 403)
    assert client.get(f"/admin/reports/{reports['home'].pk}/").status_code == 404


def test_d2_urgent_reports_come_first(login_as, reports):
    queue = login_as("street").get("/admin/reports/").content.decode()
    assert queue.index(reports["urgent"].reference) < queue.index(reports["home"].reference)


@time_machine.travel(dt.datetime(2026, 10, 8, 9, 0, tzinfo=dt.UTC), tick=False)
def test_f1_f4_a_report_of_30_september_is_due_a_visit_on_8_october(login_as, demo_users):
    report = file_report(learned_on=dt.date(2026, 9, 30))
    html = login_as("street").get("/admin/reports/").content.decode()
    assert "10-08（今日到期）" in html  # visit: 1 working day after the National Day holiday
    assert "10-09（即将到期）" in html  # ledger: 2 working days
    page = login_as("street").get(f"/admin/reports/{report.pk}/").content.decode()
    assert "2026-10-08 前" in page and "今日到期" in page


@time_machine.travel(dt.datetime(2026, 10, 8, 9, 0, tzinfo=dt.UTC), tick=False)
def test_f1_the_queue_shows_the_interview_clock_done_once_the_visit_is_recorded(
    login_as, demo_users
):
    report = file_report(learned_on=dt.date(2026, 9, 30))
    client = login_as("street")
    response = client.post(
        f"/admin/reports/{report.pk}/visit/",
        {"visited_on": "2026-10-08", "visitors": "街道 王敏", "findings": "独居", "needs": "助餐"},
    )
    assert response.status_code == 302
    html = client.get("/admin/reports/").content.decode()
    assert "10-08（已完成）" in html  # the visit clock stopped on time
    assert "10-09（即将到期）" in html  # the ledger clock still runs


def test_the_queue_labels_urgency_and_offers_only_the_streets_in_scope(login_as, reports):
    html = login_as("dongcheng").get("/admin/reports/").content.decode()
    assert "<td>紧急</td>" in html and "<td>True</td>" not in html
    assert ">东华门街道</option>" in html and ">建外街道</option>" not in html


@time_machine.travel(dt.datetime(2026, 2, 16, 9, 0, tzinfo=dt.UTC), tick=False)
def test_f1_f4_the_make_up_saturday_counts_and_a_missed_visit_is_overdue(login_as, demo_users):
    file_report(learned_on=dt.date(2026, 2, 13))
    html = login_as("street").get("/admin/reports/").content.decode()
    assert "02-14（已逾期）" in html  # 2026-02-14 was a make-up working Saturday


@time_machine.travel(dt.datetime(2027, 2, 3, 9, 0, tzinfo=dt.UTC), tick=False)
def test_f4_a_deadline_in_a_year_without_official_data_is_marked_provisional(login_as, demo_users):
    report = file_report(learned_on=dt.date(2027, 2, 3))
    page = login_as("street").get(f"/admin/reports/{report.pk}/").content.decode()
    assert "2027 年官方放假安排尚未录入" in page


def test_duplicates_by_id_phone_and_name_are_shown_side_by_side(login_as, reports):
    twin = file_report(name="孙玉珍")  # same ID, phone and name
    page = login_as("street").get(f"/admin/reports/{twin.pk}/").content.decode()
    assert f"反映 {reports['home'].reference}" in page
    assert SUBJECT_ID not in page and identity.mask_id_number(SUBJECT_ID) in page


def test_b7_the_reporter_is_hidden_from_the_agency(login_as, reports, demo_users):
    Triage.objects.create(report=reports["home"], worker=demo_users["worker"])
    worker_page = login_as("worker").get(f"/admin/reports/{reports['home'].pk}/").content
    assert "周建华" not in worker_page.decode()
    station_page = login_as("street").get(f"/admin/reports/{reports['home'].pk}/").content
    assert "周建华" in station_page.decode()


def test_assign_visit_accept_carries_the_report_into_the_ledger(login_as, reports, demo_users):
    report = reports["home"]
    client = login_as("street")
    agency = Agency.objects.get(name=DEMO_AGENCY)
    response = client.post(
        f"/admin/reports/{report.pk}/assign/",
        {"agency": agency.pk, "worker": demo_users["worker"].pk},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.ASSIGNED
    # The agency's worker makes the home-visit interview (F1).
    worker = login_as("worker")
    response = worker.post(
        f"/admin/reports/{report.pk}/visit/",
        {
            "visited_on": dt.date.today().isoformat(),
            "visitors": "社工演示、居委会刘红梅",
            "findings": "老人右腿骨折，独自居住，冰箱无存粮",
            "needs": "助餐、上门照料",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.VISITED
    # The agency cannot decide.
    assert worker.post(
        f"/admin/reports/{report.pk}/accept/", {"need_type": "care"}
    ).status_code in (
        302,
        403,
    )
    assert report.triage.household is None
    # The station accepts with no retyping.
    client = login_as("street")
    response = client.post(
        f"/admin/reports/{report.pk}/accept/", {"relation": "head", "need_type": "care"}
    )
    household = Household.objects.get()
    assert response["Location"] == f"/admin/households/inspect/{household.pk}/"
    person = household.members.get()
    assert person.name == "孙玉珍" and person.birth_date == dt.date(1940, 2, 2)
    assert identity.decrypt_value(person.id_number_encrypted) == SUBJECT_ID
    assert person.phone_masked == "136****2222"
    assert household.community_id == "110101001001" and household.address == "多福巷3号"
    assert household.entry_route == "report" and household.learned_on == report.learned_on
    assert person.categories.get().subtype == "living_alone"
    assert household.needs.get().description == "上门照料"
    assert household.visits.count() == 1  # the interview moved into the file
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED
    page = client.get(f"/admin/households/inspect/{household.pk}/").content.decode()
    assert f"群众反映 {report.reference} 纳入台账" in page
    actions = set(
        AuditEvent.objects.filter(
            object_id=str(report.pk), object_type="intake.report"
        ).values_list("action", flat=True)
    )
    assert {AuditAction.ASSIGN, AuditAction.VISIT, AuditAction.ACCEPT} <= actions


def test_f1_accepting_before_the_home_visit_is_refused(login_as, reports):
    client = login_as("street")
    response = client.post(
        f"/admin/reports/{reports['home'].pk}/accept/",
        {"relation": "head", "need_type": "care"},
        follow=True,
    )
    assert "请先记录入户访谈" in response.content.decode()
    assert not Household.objects.exists()


def test_without_an_id_number_sex_and_birth_date_are_asked(login_as, reports, rf, demo_users):
    report = reports["urgent"]
    client = login_as("street")
    client.post(
        f"/admin/reports/{report.pk}/visit/",
        {"visited_on": dt.date.today().isoformat(), "visitors": "站长", "findings": "情况属实"},
    )
    response = client.post(
        f"/admin/reports/{report.pk}/accept/",
        {"relation": "head", "need_type": "living"},
        follow=True,
    )
    assert "请填写当事人的性别和出生日期" in response.content.decode()
    response = client.post(
        f"/admin/reports/{report.pk}/accept/",
        {"relation": "head", "need_type": "living", "sex": "male", "birth_date": "1938-05-01"},
    )
    assert response.status_code == 302
    assert Person.objects.get().birth_date == dt.date(1938, 5, 1)


def test_a_person_already_in_the_ledger_keeps_one_file(login_as, reports, rf, demo_users):
    first, second = reports["home"], file_report()
    client = login_as("street")
    for report in (first, second):
        client.post(
            f"/admin/reports/{report.pk}/visit/",
            {"visited_on": dt.date.today().isoformat(), "visitors": "站长", "findings": "属实"},
        )
        client.post(
            f"/admin/reports/{report.pk}/accept/", {"relation": "head", "need_type": "care"}
        )
    assert Household.objects.count() == 1 and Person.objects.count() == 1


def test_merge_request_info_and_reject_need_clear_input(login_as, reports):
    client = login_as("street")
    home, urgent = reports["home"], reports["urgent"]
    html = client.post(f"/admin/reports/{urgent.pk}/reject/", {"reject-reason": ""}).content
    assert "请写明原因" in html.decode()
    client.post(f"/admin/reports/{urgent.pk}/request-info/", {"info-reason": "请补充联系电话"})
    urgent.refresh_from_db()
    assert urgent.status == ReportStatus.NEEDS_INFO
    html = client.post(f"/admin/reports/{urgent.pk}/merge/", {"into": "BJ000000-0000-0000"}).content
    assert "找不到该受理编号" in html.decode()
    client.post(f"/admin/reports/{urgent.pk}/merge/", {"into": home.reference.lower()})
    urgent.refresh_from_db()
    assert urgent.status == ReportStatus.MERGED and urgent.triage.merged_into == home
    client.post(f"/admin/reports/{home.pk}/reject/", {"reject-reason": "经核实不属于救助范围"})
    home.refresh_from_db()
    assert home.status == ReportStatus.REJECTED and home.triage.note == "经核实不属于救助范围"


def test_a_closed_report_refuses_further_actions(login_as, reports):
    client = login_as("street")
    report = reports["home"]
    client.post(f"/admin/reports/{report.pk}/reject/", {"reject-reason": "经核实不属于救助范围"})
    response = client.post(
        f"/admin/reports/{report.pk}/request-info/", {"info-reason": "再补充一下"}, follow=True
    )
    assert "该反映已由其他工作人员处理" in response.content.decode()


def test_g4_two_staff_accepting_at_once_make_one_ledger_entry(transactional_db, areas):
    """G4 with two threads; on SQLite writers queue (IMMEDIATE), on PostgreSQL the row lock."""
    if not is_postgres():
        pytest.skip("the concurrent accept is exercised on PostgreSQL (make test-postgres)")
    from django.contrib.auth import get_user_model

    from backoffice.demo.accounts import demo_accounts_create
    from backoffice.services.triage import report_visit_record

    demo_accounts_create()
    report = file_report()
    station = get_user_model().objects.get(username="street")

    actor = as_actor(station)
    report_visit_record(
        report_id=report.pk,
        visited_on=dt.date.today(),
        visitors="站长",
        findings="属实",
        needs="",
        actor=actor,
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def accept():
        try:
            barrier.wait()
            report_accept(report_id=report.pk, choices=AcceptChoices(), actor=actor)
            outcomes.append("accepted")
        except TriageError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted", "refused"]
    assert Household.objects.count() == 1 and Person.objects.count() == 1


def test_f1_the_station_reveals_the_persons_phone_with_a_reason_to_call_them(login_as, reports):
    """Issue 13 item 5: the phone is masked in triage; calling within a working day needs it."""
    report = reports["home"]
    client = login_as("street")
    workspace = client.get(f"/admin/reports/{report.pk}/").content.decode()
    assert "136****2222" in workspace and "13600002222" not in workspace
    assert f"/admin/reports/{report.pk}/reveal/" in workspace
    refused = client.post(f"/admin/reports/{report.pk}/reveal/", {"field": "subject_phone"})
    assert "请填写查看完整号码的工作原因" in refused.content.decode()
    assert "13600002222" not in refused.content.decode()
    shown = client.post(
        f"/admin/reports/{report.pk}/reveal/",
        {"field": "subject_phone", "reason": "电话联系当事人约定入户"},
    ).content.decode()
    assert "13600002222" in shown
    event = AuditEvent.objects.get(action=AuditAction.REVEAL, object_id=str(report.pk))
    assert event.detail == {"field": "subject_phone", "reason": "电话联系当事人约定入户"}
    reporter = client.post(
        f"/admin/reports/{report.pk}/reveal/",
        {"field": "reporter_phone", "reason": "核实反映情况"},
    ).content.decode()
    assert "13700001111" in reporter


def test_f1_without_the_permission_no_number_is_revealed(login_as, reports, demo_users):
    from backoffice.models import Agency

    report = reports["home"]
    Triage.objects.create(
        report=report, agency=Agency.objects.get(name=DEMO_AGENCY), worker=demo_users["worker"]
    )
    for username in ("worker", "dongcheng"):
        response = login_as(username).post(
            f"/admin/reports/{report.pk}/reveal/",
            {"field": "subject_phone", "reason": "电话联系当事人"},
        )
        assert response.status_code in (302, 403)
        assert b"13600002222" not in response.content
    assert login_as("street").get(f"/admin/reports/{reports['far'].pk}/reveal/").status_code == 404
