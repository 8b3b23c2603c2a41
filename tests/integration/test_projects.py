"""Issue 18 item 2 (M1, M2): a district publishes a purchased-service project (streets,
period, services, budget), binds the agencies that deliver it, and records its review (评审)
and supervision visits (督导) with findings. Stations served and the agencies bound read it;
nobody outside the district sees it (SECURITY B1)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from backoffice.demo.accounts import DEMO_AGENCY
from backoffice.enums import AuditAction, ProjectCheckResult, ServiceKind
from backoffice.models import Agency, Area, AuditEvent, ProjectCheck, ServiceProject
from backoffice.services.projects import ProjectData, project_save
from backoffice.workdays import add_workdays
from tests.conftest import as_actor

DONGCHENG = "110101000000"
DONGHUAMEN = "110101001000"
JINGSHAN = "110101002000"
CHAOYANG_STREET = "110105001000"


def form_data(**changes) -> dict:
    year = timezone.localdate().year
    data = {
        "district": DONGCHENG,
        "name": "东华门街道困难群众帮扶服务项目",
        "streets": [DONGHUAMEN],
        "agencies": [str(Agency.objects.get(name=DEMO_AGENCY).pk)],
        "starts_on": f"{year}-01-01",
        "ends_on": f"{year}-12-31",
        "services": [ServiceKind.HOME_VISIT, ServiceKind.CASE],
        "budget": "360000",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def project(ledger, demo_users):
    return project_save(
        actor=as_actor(demo_users["dongcheng"]),
        data=ProjectData(
            district=Area.objects.get(code=DONGCHENG),
            name="东华门街道困难群众帮扶服务项目",
            streets=[Area.objects.get(code=DONGHUAMEN)],
            agencies=[Agency.objects.get(name=DEMO_AGENCY)],
            starts_on=timezone.localdate() - dt.timedelta(days=30),
            ends_on=timezone.localdate() + dt.timedelta(days=300),
            services=[ServiceKind.HOME_VISIT, ServiceKind.CASE],
            budget=Decimal("360000"),
        ),
    )


def test_m2_a_district_creates_a_project_and_sees_it_as_staff_read_it(login_as, ledger):
    client = login_as("dongcheng")
    assert client.get("/admin/projects/new/").status_code == 200
    response = client.post("/admin/projects/new/", form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    project = ServiceProject.objects.get()
    assert project.services == ["home_visit", "case"] and project.budget == Decimal("360000")
    assert list(project.streets.values_list("code", flat=True)) == [DONGHUAMEN]
    audit = AuditEvent.objects.get(object_type="backoffice.serviceproject", action="create")
    assert audit.object_id == str(project.pk)
    page = client.get(f"/admin/projects/inspect/{project.pk}/").content.decode()
    assert "入户走访、个案帮扶" in page and "东华门街道" in page and DEMO_AGENCY in page
    assert "未发布" in page and "发布项目" in page and "360,000.00 元" in page
    listing = client.get("/admin/projects/").content.decode()
    assert "东华门街道困难群众帮扶服务项目" in listing and "360,000.00" in listing


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"streets": [CHAOYANG_STREET]}, "所选街道不在您的辖区内。"),
        ({"streets": None}, "请至少选择一个服务街道（乡镇）。"),
        ({"ends_on": "2020-01-01"}, "服务期结束不能早于开始。"),
        ({"starts_on": "明年"}, "日期格式应为"),
        ({"budget": "三十万"}, "预算应为金额"),
        ({"budget": "0"}, "预算应大于 0 元。"),
        ({"services": None}, "请至少选择一项购买服务内容。"),
        ({"services": ["lunch"]}, "所选服务内容不存在。"),
        ({"name": ""}, "请填写项目名称。"),
    ],
)
def test_m2_bad_input_is_refused_in_chinese_and_nothing_is_saved(
    login_as, ledger, changes, message
):
    page = login_as("dongcheng").post("/admin/projects/new/", form_data(**changes))
    assert message in page.content.decode()
    assert not ServiceProject.objects.exists()


def test_m2_publishing_needs_an_agency_and_is_audited(login_as, project):
    client = login_as("dongcheng")
    project.agencies.clear()
    client.post(f"/admin/projects/{project.pk}/publish/")
    project.refresh_from_db()
    assert project.published_on is None
    page = client.get(f"/admin/projects/inspect/{project.pk}/").content.decode()
    assert "发布前请先确定承接机构。" in page
    project.agencies.add(Agency.objects.get(name=DEMO_AGENCY))
    client.post(f"/admin/projects/{project.pk}/publish/")
    project.refresh_from_db()
    assert project.published_on == timezone.localdate()
    page = client.get(f"/admin/projects/inspect/{project.pk}/").content.decode()
    assert "服务期内" in page and "发布项目" not in page
    assert AuditEvent.objects.filter(
        object_type="backoffice.serviceproject", action=AuditAction.UPDATE
    ).exists()


def test_m2_reviews_and_supervision_are_recorded_with_findings_and_deadlines(login_as, project):
    client = login_as("dongcheng")
    url = f"/admin/projects/{project.pk}/checks/new/"
    today = timezone.localdate()
    client.post(
        url, {"kind": "supervision", "held_on": f"{today}", "findings": "x", "result": "passed"}
    )
    assert not ProjectCheck.objects.exists()  # supervision only after publishing
    page = client.get(f"/admin/projects/inspect/{project.pk}/").content.decode()
    assert "项目发布后才能督导。" in page
    client.post(
        url,
        {
            "kind": "review",
            "held_on": f"{today}",
            "findings": "方案中回访频次未写明",
            "result": "rectify",
        },
    )
    review = ProjectCheck.objects.get()
    assert review.rectify_by == add_workdays(today, 20).date
    client.post(f"/admin/projects/{project.pk}/publish/")
    client.post(
        url,
        {
            "kind": "supervision",
            "held_on": f"{today}",
            "agency": str(Agency.objects.get(name=DEMO_AGENCY).pk),
            "findings": "抽看 5 户走访记录，均按时回访",
            "result": ProjectCheckResult.PASSED,
        },
    )
    assert ProjectCheck.objects.count() == 2
    client.post(
        url,
        {
            "kind": "review",
            "held_on": f"{today + dt.timedelta(days=2)}",
            "findings": "x",
            "result": "passed",
        },
    )
    assert ProjectCheck.objects.count() == 2
    page = client.get(f"/admin/projects/inspect/{project.pk}/").content.decode()
    assert "日期不能晚于今天。" in page
    assert "方案中回访频次未写明" in page and "限期整改" in page and "督导" in page
    assert f"{review.rectify_by:%Y-%m-%d}" in page
    # The agency bound reads the findings about it.
    worker_page = login_as("worker").get(f"/admin/projects/inspect/{project.pk}/")
    assert "抽看 5 户走访记录，均按时回访" in worker_page.content.decode()


def test_m2_who_sees_a_project_and_who_may_change_it(client, login_as, project, demo_users):
    inspect = f"/admin/projects/inspect/{project.pk}/"
    street = login_as("street")
    page = street.get(inspect).content.decode()
    assert project.name in page and "发布项目" not in page and "保存记录" not in page
    street.post(f"/admin/projects/{project.pk}/publish/")
    assert street.get(f"/admin/projects/edit/{project.pk}/").status_code in (302, 403)
    project.refresh_from_db()
    assert project.published_on is None
    assert project.name in login_as("city").get("/admin/projects/").content.decode()
    assert project.name in login_as("worker").get("/admin/projects/").content.decode()
    # 景山街道's station and an agency not bound to the project see nothing of it.
    jingshan = Area.objects.get(code="110101002001")
    assert jingshan.street_id == JINGSHAN
    assert login_as("worker2").get(inspect).status_code == 404
    assert login_as("auditor").get(inspect).status_code in (302, 403, 404)


def test_m2_a_stale_edit_is_refused(login_as, project):
    client = login_as("dongcheng")
    url = f"/admin/projects/edit/{project.pk}/"
    data = form_data(version=str(project.version), name="改名一")
    assert client.post(url, data).status_code == 302
    page = client.post(url, form_data(version=str(project.version), name="改名二"))
    assert "该项目已被他人修改" in page.content.decode()
    project.refresh_from_db()
    assert project.name == "改名一"
    updated = AuditEvent.objects.get(object_type="backoffice.serviceproject", action="update")
    assert updated.detail["fields"] == ["name", "starts_on", "ends_on"]
