"""Issue 13 item 4 (M4): a station assigns a household to an agency's social worker and ends
the assignment; the worker sees the file only meanwhile; triage's assignment carries into the
file; the history is on the timeline and in the audit.

Personas: street (东华门街道 station, assigns), worker (the demo agency's social worker),
dongcheng (district). Bystander: the `assigned` household, served by `worker` throughout.
"""

import datetime as dt

from backoffice.demo.accounts import DEMO_AGENCY
from backoffice.enums import AuditAction, TimelineKind
from backoffice.models import AuditEvent, HouseholdAssignment, HouseholdEvent
from intake.enums import ReportStatus
from tests.integration.reports import file_report


def inspect(household) -> str:
    return f"/admin/households/inspect/{household.pk}/"


def test_m4_a_station_assigns_a_household_and_the_worker_then_sees_it(login_as, ledger, demo_users):
    home, worker = ledger["home"], demo_users["worker"]
    assert login_as("worker").get(inspect(home)).status_code == 404
    station = login_as("street")
    page = station.get(inspect(home)).content.decode()
    assert "（未分派）" in page and "分派</button>" in page
    response = station.post(
        f"/admin/households/{home.pk}/assign/", {"assign-worker": worker.pk}, follow=True
    )
    assert "已分派给社工" in response.content.decode()
    assert HouseholdAssignment.objects.filter(household=home, worker=worker).exists()
    assert HouseholdEvent.objects.filter(household=home, kind=TimelineKind.ASSIGNMENT).exists()
    assert AuditEvent.objects.filter(action=AuditAction.ASSIGN, object_id=str(home.pk)).exists()

    worker_client = login_as("worker")
    assert worker_client.get(inspect(home)).status_code == 200
    assert home.file_number in worker_client.get("/admin/households/").content.decode()


def test_m4_ending_the_assignment_takes_the_file_away_from_the_worker(login_as, ledger, demo_users):
    assigned, worker = ledger["assigned"], demo_users["worker"]
    assignment = HouseholdAssignment.objects.get(household=assigned, worker=worker)
    station = login_as("street")
    refused = station.post(
        f"/admin/households/{assigned.pk}/assignments/{assignment.pk}/end/",
        {"reason": ""},
        follow=True,
    )
    assert "请写明结束分派的原因" in refused.content.decode()
    station.post(
        f"/admin/households/{assigned.pk}/assignments/{assignment.pk}/end/",
        {"reason": "社工调岗，改由他人承接"},
    )
    assert not HouseholdAssignment.objects.filter(household=assigned).exists()
    line = HouseholdEvent.objects.get(household=assigned, kind=TimelineKind.ASSIGNMENT)
    assert "社工调岗" in line.summary
    assert AuditEvent.objects.filter(action=AuditAction.ASSIGN_END).exists()
    worker_client = login_as("worker")
    assert worker_client.get(inspect(assigned)).status_code == 404
    assert assigned.file_number not in worker_client.get("/admin/households/").content.decode()


def test_m4_only_workers_of_the_districts_agencies_can_be_assigned(login_as, ledger, demo_users):
    home = ledger["home"]
    response = login_as("street").post(
        f"/admin/households/{home.pk}/assign/",
        {"assign-worker": demo_users["dongcheng"].pk},
        follow=True,
    )
    assert "所选社工不属于服务该区的社工机构" in response.content.decode()
    assert not HouseholdAssignment.objects.filter(household=home).exists()


def test_m4_the_worker_and_the_city_cannot_assign(login_as, ledger, demo_users):
    home, worker = ledger["home"], demo_users["worker"]
    for username in ("worker", "city"):
        response = login_as(username).post(
            f"/admin/households/{home.pk}/assign/", {"assign-worker": worker.pk}
        )
        assert response.status_code in (302, 403, 404)
    assert not HouseholdAssignment.objects.filter(household=home).exists()


def test_m4_triages_agency_assignment_carries_into_the_file(login_as, demo_users):
    from backoffice.models import Agency, Household

    report = file_report(name="吴桂香", id_number="")
    station = login_as("street")
    station.post(
        f"/admin/reports/{report.pk}/assign/",
        {"agency": Agency.objects.get(name=DEMO_AGENCY).pk, "worker": demo_users["worker"].pk},
    )
    station.post(
        f"/admin/reports/{report.pk}/visit/",
        {"visited_on": dt.date.today().isoformat(), "visitors": "社工", "findings": "属实"},
    )
    station.post(
        f"/admin/reports/{report.pk}/accept/",
        {"relation": "head", "need_type": "living", "sex": "female", "birth_date": "1945-01-01"},
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED
    household = Household.objects.get(members__name="吴桂香")
    assert household.assignments.filter(worker=demo_users["worker"]).exists()
    page = login_as("worker").get(inspect(household)).content.decode()
    assert "吴桂香" in page and "（未分派）" not in page


def test_m4_the_case_form_offers_the_station_staff_and_the_assigned_workers(
    login_as, ledger, demo_users
):
    home = ledger["home"]
    HouseholdAssignment.objects.create(
        household=home,
        worker=demo_users["worker"],
        agency=demo_users["worker"].staff_profile.agency,
    )
    page = login_as("dongcheng").get(f"/admin/cases/new/?household={home.pk}").content.decode()
    for name in ("东华门演示", "社工演示"):
        assert name in page
