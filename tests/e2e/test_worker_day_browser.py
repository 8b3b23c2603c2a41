"""Issue 5 in a real browser: the `worker` signs in with a TOTP code, opens my-work, records a
follow-up visit (L6) and a case session (U10), and sees both on the household timeline (L7)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from backoffice.actor import system_actor
from backoffice.demo.accounts import DEMO_AGENCY, demo_accounts_create
from backoffice.enums import EntryRoute, Relation
from backoffice.models import Agency, Area, Household, HouseholdAssignment
from backoffice.services.areas import areas_load
from backoffice.services.ledger import household_create, person_create
from portal.services import home_page_ensure
from tests.e2e.conftest import SCREENSHOTS, sign_in
from tests.integration.casework import open_elderly_case

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


SYSTEM = system_actor()  # fixtures build the ledger as a command would


@pytest.fixture
def caseload(live_server):
    areas_load(Area)
    home_page_ensure()
    demo_accounts_create()
    worker = get_user_model().objects.get(username="worker")
    station = get_user_model().objects.get(username="street")
    household = household_create(
        actor=SYSTEM,
        community=Area.objects.get(code="110101001001"),
        address="多福巷12号院3-201",
        entry_route=EntryRoute.REPORT,
        entered_on=dt.date.today() - dt.timedelta(days=200),
    )
    Household.objects.filter(pk=household.pk).update(
        next_visit_due=dt.date.today() - dt.timedelta(days=5)
    )
    person = person_create(
        actor=SYSTEM,
        household=household,
        name="赵桂兰",
        relation=Relation.HEAD,
        sex="female",
        birth_date=dt.date(1941, 4, 2),
    )
    HouseholdAssignment.objects.create(
        household=household, worker=worker, agency=Agency.objects.get(name=DEMO_AGENCY)
    )
    case = open_elderly_case(household=household, person=person, user=station, worker=worker)
    return live_server, household, case


def test_the_worker_runs_the_day_from_my_work(desktop, caseload):
    server, household, case = caseload
    page = desktop
    sign_in(page, server.url, "worker")
    page.goto(server.url + "/admin/my-work/")
    assert household.file_number in page.content()  # the follow-up visit is overdue
    assert "0 / 5" in page.content()  # the case has no session yet
    with page.expect_navigation():
        page.click(f"#visits a[href='/admin/households/{household.pk}/visits/new/']")
    page.fill("#id_visited_on", dt.date.today().isoformat())
    page.fill("#id_visitors", "社工演示")
    page.fill("#id_findings", "老人精神状态良好，腿伤恢复中")
    if page.locator("#id_measures_progress").count():
        page.fill("#id_measures_progress", "暂无帮扶计划措施")
    with page.expect_navigation():
        page.click("button:has-text('保存走访记录')")
    page.goto(server.url + f"/admin/cases/{case.pk}/")
    page.fill("#id_held_on", dt.date.today().isoformat())
    page.fill("#id_content", "上门陪伴聊天，讲解高龄津贴政策")
    page.check("input[name=change_degree] >> nth=1")
    with page.expect_navigation():
        page.click("button:has-text('保存服务记录')")
    page.goto(server.url + f"/admin/households/inspect/{household.pk}/")
    timeline = page.locator("#timeline-title").locator("xpath=..").inner_text()
    today = dt.date.today().isoformat()
    assert f"跟踪回访（{today}，社工演示）" in timeline
    assert f"个案 {case.pk} 第 1 次服务（{today}）" in timeline
    page.screenshot(path=str(SCREENSHOTS / "worker-timeline.png"), full_page=True)
