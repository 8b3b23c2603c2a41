"""Issue 18 item 5 (M5): the city sets the date by which every file must be complete (L1-L5)
and have a plan (L7); the city, districts and streets see their progress against it, area by
area within their scope, and the files that hold them back.

The `ledger` fixture: `home` and `assigned` in 东华门街道, `other_street` in 景山街道 (both
东城区), `far` in 朝阳区.
"""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from backoffice.enums import AuditAction
from backoffice.models import AuditEvent, FileDeadline, Household, Plan
from backoffice.workdays import add_workdays

URL = "/admin/file-deadline/"
DONGCHENG = "110101000000"
CHAOYANG = "110105000000"
DONGHUAMEN = "110101001000"


@pytest.fixture
def progress(ledger):
    """home: complete with a plan; assigned: half complete, no plan; other_street: complete,
    no plan; far: complete with a plan."""
    for name, score, plan in [
        ("home", 100, True),
        ("assigned", 50, False),
        ("other_street", 100, False),
        ("far", 100, True),
    ]:
        household = ledger[name]
        Household.objects.filter(pk=household.pk).update(completeness=score)
        if plan:
            Plan.objects.create(household=household, number=1, goals="稳定基本生活")
    return ledger


def menu(client) -> str:
    html = client.get("/admin/").content.decode()
    props = re.search(r'id="wagtail-sidebar-props"[^>]*>(.*?)</script>', html, re.S)[1]
    return json.dumps(json.loads(props), ensure_ascii=False)


def rows(page: str) -> dict[str, list[str]]:
    """The progress table as {area name: [在册, 完整, 有计划, 两项, 未完成, 完成率]}."""
    table = re.search(r'id="progress-table">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert table, "no progress table"
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        if len(cells) == 7:
            found[cells[0]] = cells[1:]
    return found


def test_m5_the_city_sets_the_years_deadline_and_moves_it_audited(login_as, ledger):
    client = login_as("city")
    year = timezone.localdate().year
    page = client.get(URL).content.decode()
    assert f"市民政局尚未设定 {year} 年度的完成期限" in page
    response = client.post(URL, {"due_on": f"{year}-12-31", "note": "全市统一"})
    assert response.status_code == 302
    page = client.get(URL).content.decode()
    assert f"{year}年12月31日" in page and "说明：全市统一" in page
    deadline = FileDeadline.objects.get(year=year)
    assert deadline.due_on == dt.date(year, 12, 31) and deadline.set_by_name
    audited = AuditEvent.objects.filter(object_type="backoffice.filedeadline")
    assert audited.get(action=AuditAction.CREATE).object_id == str(deadline.pk)
    client.post(URL, {"due_on": f"{year}-12-30", "note": "全市统一"})
    moved = audited.get(action=AuditAction.UPDATE)
    assert moved.detail == {"fields": ["due_on"]}
    assert FileDeadline.objects.get(year=year).due_on == dt.date(year, 12, 30)


def test_m5_a_bad_date_is_refused_in_chinese_and_nothing_is_saved(login_as, ledger):
    client = login_as("city")
    year = timezone.localdate().year
    page = client.post(URL, {"due_on": f"{year + 1}-01-31"}).content.decode()
    assert f"完成期限应在 {year} 年之内。" in page
    page = client.post(URL, {"due_on": "明年春天"}).content.decode()
    assert "日期格式应为" in page
    page = client.post(URL, {"due_on": ""}).content.decode()
    assert "请填写完成期限。" in page
    assert not FileDeadline.objects.exists()
    assert client.get(URL, {"year": "1999"}).status_code == 404
    assert client.get(URL, {"year": "abc"}).status_code == 404


@pytest.mark.parametrize("username", ["dongcheng", "street"])
def test_m5_districts_and_streets_follow_the_deadline_but_cannot_set_it(login_as, ledger, username):
    client = login_as(username)
    page = client.get(URL).content.decode()
    assert "年度建档完成期限" in page and "保存期限" not in page
    year = timezone.localdate().year
    assert client.post(URL, {"due_on": f"{year}-12-31"}).status_code in (302, 403)
    assert not FileDeadline.objects.exists()


@pytest.mark.parametrize("username", ["worker", "auditor", "editor"])
def test_m5_roles_that_keep_no_area_do_not_see_it(login_as, ledger, username):
    client = login_as(username)
    response = client.get(URL)
    assert response.status_code in (302, 403)
    assert "完成率" not in response.content.decode()
    assert "年度建档期限" not in menu(client)


def test_m5_the_city_sees_districts_and_drills_down_to_streets(login_as, progress):
    client = login_as("city")
    page = client.get(URL).content.decode()
    assert "年度建档期限" in menu(client)
    table = rows(page)
    assert table["东城区"][:5] == ["3", "2", "1", "1", "2"]
    assert table["朝阳区"][:5] == ["1", "1", "1", "1", "0"]
    assert f"?year={timezone.localdate().year}&amp;area={DONGCHENG}" in page
    page = client.get(URL, {"area": DONGCHENG}).content.decode()
    table = rows(page)
    assert table["东华门街道"] == ["2", "1", "1", "1", "1", "50%"]
    assert table["景山街道"] == ["1", "1", "0", "0", "1", "0%"]
    assert "朝阳区" not in table
    assert progress["assigned"].file_number in page
    assert progress["other_street"].file_number in page
    assert progress["far"].file_number not in page  # only what holds 东城区 back
    assert progress["home"].file_number not in page  # complete with a plan


def test_m5_a_district_sees_its_streets_and_no_other_district(login_as, progress):
    client = login_as("dongcheng")
    table = rows(client.get(URL).content.decode())
    assert set(table) >= {"东华门街道", "景山街道"} and "朝阳区" not in table
    assert client.get(URL, {"area": CHAOYANG}).status_code == 404
    assert client.get(URL, {"area": "110105001024"}).status_code == 404


def test_m5_a_street_sees_its_communities_and_the_files_holding_it_back(login_as, progress):
    client = login_as("street")
    page = client.get(URL).content.decode()
    table = rows(page)
    assert list(table) == ["多福巷社区居委会"]  # 110101001001, where both files are
    assert sum(int(r[0]) for r in table.values()) == 2
    assert progress["assigned"].file_number in page and "50%" in page and "尚未制定" in page
    assert progress["other_street"].file_number not in page
    assert client.get(URL, {"area": DONGCHENG}).status_code == 404


def test_m5_working_days_left_and_days_late_follow_the_calendar(login_as, progress):
    client = login_as("street")
    today = timezone.localdate()
    due = add_workdays(today, 5).date
    FileDeadline.objects.create(year=due.year, due_on=due)
    page = client.get(URL, {"year": due.year}).content.decode()
    assert "还剩 5 个工作日" in page
    late = today - dt.timedelta(days=3)
    FileDeadline.objects.filter(year=late.year).delete()
    FileDeadline.objects.create(year=late.year, due_on=late)
    page = client.get(URL, {"year": late.year}).content.decode()
    assert "已过期限 3 天，仍有 1 户未完成" in page
