"""Issue 18 item 3 (M1): unit costs per service and project year; the funds a year needs,
calculated from the ledger as it stands in the project's streets, times a service-radius
factor the district adjusts, exportable; a monthly statement per agency of the services its
people recorded, times the unit costs.

The `ledger` fixture's 东华门街道 holds `home` (made complete, with a plan) and `assigned`
(half complete, no plan, served by `worker`); one open report is filed there."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from backoffice.demo.accounts import DEMO_AGENCY
from backoffice.enums import ServiceKind, VisitKind
from backoffice.models import (
    Agency,
    Area,
    AuditEvent,
    Case,
    Household,
    Need,
    Plan,
    ServiceProject,
    UnitCost,
)
from backoffice.services.funds import default_factor, fund_estimate
from backoffice.services.plans import MeasureInput, plan_revise
from backoffice.services.projects import ProjectData, project_save
from backoffice.services.visits import visit_record
from tests.conftest import as_actor
from tests.integration.reports import file_report

COSTS = {
    "ledger_record": "100",
    "home_visit": "200",
    "needs_assessment": "150",
    "plan": "300",
    "case": "80",
    "return_visit": "120",
}
STREET = "110101001000"


@pytest.fixture
def project(ledger, demo_users) -> ServiceProject:
    today = timezone.localdate()
    Household.objects.filter(pk=ledger["home"].pk).update(completeness=100)
    Household.objects.filter(pk=ledger["assigned"].pk).update(completeness=50)
    Plan.objects.create(household=ledger["home"], number=1, goals="稳定基本生活")
    file_report()
    return project_save(
        actor=as_actor(demo_users["dongcheng"]),
        data=ProjectData(
            district=Area.objects.get(code="110101000000"),
            name="东华门项目",
            streets=[Area.objects.get(code=STREET)],
            agencies=[Agency.objects.get(name=DEMO_AGENCY)],
            starts_on=dt.date(today.year, 1, 1),
            ends_on=dt.date(today.year, 12, 31),
            services=list(ServiceKind.values),
            budget=Decimal("500000"),
        ),
    )


def costs_form(year, **changes):
    data = {"year": str(year), **{f"cost_{k}": v for k, v in COSTS.items()}}
    data.update(changes)
    return data


def test_m1_the_district_sets_unit_costs_per_year_with_chinese_errors(login_as, project):
    client = login_as("dongcheng")
    url = f"/admin/projects/{project.pk}/unit-costs/"
    year = project.starts_on.year
    assert "个案帮扶单价（元）" in client.get(url).content.decode()
    page = client.post(url, costs_form(year, cost_plan="-5")).content.decode()
    assert "单价不能为负数。" in page
    page = client.post(url, costs_form(year, cost_case="")).content.decode()
    assert "请填写单价。" in page
    page = client.post(url, costs_form(year - 3)).content.decode()
    assert "年度应在项目服务期内" in page
    assert not UnitCost.objects.exists()
    assert client.post(url, costs_form(year)).status_code == 302
    assert UnitCost.objects.filter(project=project, year=year).count() == 6
    assert UnitCost.objects.get(kind="plan").amount == Decimal("300")
    assert AuditEvent.objects.filter(
        object_type="backoffice.serviceproject", detail__year=year
    ).exists()


def test_m1_the_funds_follow_the_ledger_the_factor_and_the_districts_overrides(login_as, project):
    client = login_as("dongcheng")
    year = project.starts_on.year
    client.post(f"/admin/projects/{project.pk}/unit-costs/", costs_form(year))
    estimate = fund_estimate(project, year=year)
    (row,) = estimate.rows
    assert row.quantities == {
        "ledger_record": 2,  # the open report + `assigned`, incomplete
        "home_visit": 1,  # the report, not yet visited
        "needs_assessment": 2,
        "plan": 1,  # `assigned` has no plan
        "case": 0,
        "return_visit": 8,  # 2 households × 4 visits a year (L6)
    }
    assert row.factor == Decimal("1") and estimate.total == Decimal("1960.00")
    url = f"/admin/projects/{project.pk}/funds/"
    page = client.get(url, {"year": year}).content.decode()
    assert 'id="funds-total">1960.00<' in page and "在册 2 户" in page
    page = client.get(url, {"year": year, f"factor_{STREET}": "1.5"}).content.decode()
    assert 'id="funds-total">2940.00<' in page
    page = client.get(url, {"year": year, f"qty_{STREET}_return_visit": "4"}).content.decode()
    assert 'id="funds-total">1480.00<' in page
    page = client.get(url, {"year": year, f"factor_{STREET}": "九"}).content.decode()
    assert "东华门街道的服务半径系数应在 0.5 到 3 之间。" in page
    page = client.get(url, {"year": year, f"qty_{STREET}_plan": "-1"}).content.decode()
    assert "东华门街道的“制定帮扶方案”数量应为非负整数。" in page
    assert default_factor("长沟镇") == Decimal("1.2") and default_factor("东华门街道") == 1


def test_m1_the_estimate_exports_as_csv_audited(login_as, project):
    client = login_as("dongcheng")
    year = project.starts_on.year
    client.post(f"/admin/projects/{project.pk}/unit-costs/", costs_form(year))
    response = client.get(
        f"/admin/projects/{project.pk}/funds/",
        {"year": year, "format": "csv", f"factor_{STREET}": "1.5"},
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith(
        "街道（乡镇）,在册户数,在册人数,待解决需求,服务半径系数,建立台账数量"
    )
    assert "东华门街道,2,3,0,1.5," in text and text.splitlines()[-1].endswith(",2940.00")
    assert AuditEvent.objects.filter(action="export", object_type="backoffice.serviceproject")


def test_m1_the_monthly_statement_counts_what_each_agencys_people_recorded(
    login_as, project, ledger, demo_users
):
    client = login_as("dongcheng")
    today = timezone.localdate()
    client.post(f"/admin/projects/{project.pk}/unit-costs/", costs_form(today.year))
    worker = as_actor(demo_users["worker"])
    assigned = ledger["assigned"]
    plan_revise(
        household=assigned,
        goals="按时回访",
        measures=[MeasureInput(content="每季度回访", responsible="社工", due_on=today)],
        based_on=0,
        expected_version=None,
        actor=worker,
    )
    visit_record(
        household=assigned,
        kind=VisitKind.FOLLOW_UP,
        visited_on=today,
        visitors="社工",
        findings="生活稳定",
        measures_progress="已回访",
        actor=worker,
    )
    page = client.get(
        f"/admin/projects/{project.pk}/statement/", {"month": f"{today:%Y-%m}"}
    ).content.decode()
    assert DEMO_AGENCY in page
    # `assigned` entered the ledger today, assigned to the agency: a record built, a plan drawn
    # and a return visit made; no interview, no session.
    assert "<td>1（100.00 元）</td><td>0（0.00 元）</td>" in page
    assert "<td>1（300.00 元）</td><td>0（0.00 元）</td><td>1（120.00 元）</td>" in page
    assert "<td>520.00</td>" in page
    last_year = client.get(
        f"/admin/projects/{project.pk}/statement/", {"month": f"{today.year - 1}-06"}
    ).content.decode()
    assert "该年度尚未设定单价" in last_year and "<td>0</td>" in last_year
    bad = client.get(f"/admin/projects/{project.pk}/statement/", {"month": "六月"})
    assert "月份格式应为 2026-11。" in bad.content.decode()


@pytest.mark.parametrize("username", ["street", "worker", "city"])
def test_m1_only_the_district_sees_the_money(login_as, project, username):
    client = login_as(username)
    for part in ("unit-costs", "funds", "statement"):
        response = client.get(f"/admin/projects/{project.pk}/{part}/")
        assert response.status_code in (302, 403), (part, response.status_code)
    assert "资金测算" not in client.get(f"/admin/projects/inspect/{project.pk}/").content.decode()


def test_m1_an_agencys_people_read_their_own_agencys_statement_only(
    login_as, project, ledger, demo_users
):
    """The statement per agency is the agency's to read too (its own row, read-only): worker
    sees 阳光's services and amounts; 启航 (worker2's agency), bound to the same project,
    sees its own zeros and never 阳光's."""
    from backoffice.demo.accounts import DEMO_LAPSED_AGENCY
    from backoffice.services.projects import project_publish

    today = timezone.localdate()
    dongcheng = login_as("dongcheng")
    dongcheng.post(f"/admin/projects/{project.pk}/unit-costs/", costs_form(today.year))
    lapsed = Agency.objects.get(name=DEMO_LAPSED_AGENCY)
    project.agencies.add(lapsed)
    url = "/admin/agency-statement/"
    worker = as_actor(demo_users["worker"])
    visit_record(
        household=ledger["assigned"],
        kind=VisitKind.FOLLOW_UP,
        visited_on=today,
        visitors="社工",
        findings="生活稳定",
        measures_progress="已回访",
        actor=worker,
    )
    # Not published yet: nothing to read.
    own = login_as("worker").get(url).content.decode()
    assert "本机构没有承接已发布的服务项目" in own and "东华门项目" not in own
    project_publish(actor=as_actor(demo_users["dongcheng"]), project=project)
    own = login_as("worker").get(url, {"month": f"{today:%Y-%m}"}).content.decode()
    assert DEMO_AGENCY in own and "东华门项目" in own
    # `assigned`: a record built (100) and a return visit (120) this month.
    assert '<th scope="row">回访</th><td>1</td><td>120.00</td>' in own
    assert '<th scope="row">建立台账</th><td>1</td><td>100.00</td>' in own
    assert '<td class="amount">220.00</td>' in own
    assert DEMO_LAPSED_AGENCY not in own
    other = login_as("worker2").get(url, {"month": f"{today:%Y-%m}"}).content.decode()
    assert DEMO_LAPSED_AGENCY in other and "东华门项目" in other
    assert '<td class="amount">0.00</td>' in other and "220.00" not in other
    assert DEMO_AGENCY not in other
    # Read-only: nothing to post; the district's pages stay the district's.
    assert login_as("worker").post(url, {"month": f"{today:%Y-%m}"}).status_code == 405
    assert login_as("worker").get(f"/admin/projects/{project.pk}/statement/").status_code in (
        302,
        403,
    )
    bad = login_as("worker").get(url, {"month": "六月"}).content.decode()
    assert "月份格式应为 2026-11。" in bad


@pytest.mark.parametrize("username", ["street", "dongcheng", "city", "charity"])
def test_m1_the_agency_statement_page_is_for_agency_people_only(login_as, project, username):
    response = login_as(username).get("/admin/agency-statement/")
    assert response.status_code in (302, 403), response.status_code


def test_m1_the_peoples_open_needs_count_as_cases_to_serve(login_as, project, ledger, demo_users):
    """M1 names the people's needs: a household with a need still open and no case yet is a
    case to open, at five sessions (U10); one that has its case is not counted twice."""
    year = project.starts_on.year
    Need.objects.create(household=ledger["assigned"], need_type="care", description="需要照护")
    Need.objects.create(household=ledger["home"], need_type="living", description="取暖")
    Need.objects.create(
        household=ledger["home"], need_type="care", description="已解决", status="met"
    )
    (row,) = fund_estimate(project, year=year).rows
    assert row.quantities["case"] == 10 and row.open_needs == 2
    assert (row.households, row.persons) == (2, 3)
    Case.objects.create(
        household=ledger["home"],
        person=ledger["zhang"],
        group="S2",
        goals="取暖",
        worker=demo_users["worker"],
    )
    (row,) = fund_estimate(project, year=year).rows
    assert row.quantities["case"] == 10  # the home's case replaces its uncased need
    page = login_as("dongcheng").get(f"/admin/projects/{project.pk}/funds/").content.decode()
    assert "<td>2</td><td>3</td><td>2</td>" in page
    assert "有待解决需求、尚未立案的户数" in page


def test_m1_return_visits_follow_the_months_the_project_serves(project):
    """L6: one return visit every three months of service: a project from July to December
    pays for two a household in its year, not four."""
    year = project.starts_on.year
    ServiceProject.objects.filter(pk=project.pk).update(starts_on=dt.date(year, 7, 1))
    project.refresh_from_db()
    estimate = fund_estimate(project, year=year)
    (row,) = estimate.rows
    assert row.quantities["return_visit"] == 4 and estimate.visits_per_household == 2
    ServiceProject.objects.filter(pk=project.pk).update(starts_on=dt.date(year, 11, 15))
    project.refresh_from_db()
    assert fund_estimate(project, year=year).rows[0].quantities["return_visit"] == 2


def test_m1_the_demo_project_has_the_years_unit_costs_so_its_funds_show_amounts(
    login_as, ledger, demo_users
):
    """`make run`: dongcheng opens the demo project's funds and sees amounts, not only the
    warning that no unit cost is set."""
    from backoffice.demo.projects import DEMO_UNIT_COSTS, demo_project_create

    today = timezone.localdate()
    project = demo_project_create(today=today)
    assert project.published_on == today
    assert UnitCost.objects.filter(project=project, year=today.year).count() == len(DEMO_UNIT_COSTS)
    page = login_as("dongcheng").get(f"/admin/projects/{project.pk}/funds/").content.decode()
    assert "尚未设定单价" not in page
    total = fund_estimate(project, year=today.year).total
    assert total > 0 and f'id="funds-total">{total}<' in page
