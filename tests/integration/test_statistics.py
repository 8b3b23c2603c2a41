"""Issue 16 item 1 (U11): the ledger's counts area by area within the user's scope, a chart
beside each table, each table as an audited CSV file; roles that keep no area see none of it.

The `ledger` fixture: `home` (张三 S2 and the child 张小) and `assigned` (李四) in 东华门街道's
多福巷社区, `other_street` (nobody) in 景山街道 (both 东城区), `far` (王五) in 朝阳区.
"""

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.enums import AuditAction, Category, HouseholdStatus, NeedStatus, NeedType, Subtype
from backoffice.models import AuditEvent, Household, Need, Person, PersonCategory
from tests.integration.test_audit_register import detail_page

URL = "/admin/statistics/"
DONGCHENG = "110101000000"
CHAOYANG = "110105000000"
DONGHUAMEN = "110101001000"


@pytest.fixture
def counted(ledger):
    """张三 holds S2 twice (two subtypes) and S4; 王五 holds S1; needs in home (open, met) and
    far (open); a member and a household that left the ledger, which no table counts."""
    zhang, wang = ledger["zhang"], ledger["wang"]
    PersonCategory.objects.create(person=zhang, category=Category.S2, subtype=Subtype.ADVANCED_AGE)
    PersonCategory.objects.create(
        person=zhang, category=Category.S4, subtype=Subtype.SEVERE_DISABILITY
    )
    PersonCategory.objects.create(person=wang, category=Category.S1, subtype=Subtype.LOW_INCOME)
    home, far = ledger["home"], ledger["far"]
    Need.objects.create(household=home, need_type=NeedType.MEDICAL, status=NeedStatus.OPEN)
    Need.objects.create(household=home, need_type=NeedType.CARE, status=NeedStatus.MET)
    Need.objects.create(household=far, need_type=NeedType.LIVING, status=NeedStatus.OPEN)
    left = Person.objects.create(
        household=home,
        name="张离",
        relation="child",
        sex="male",
        birth_date=dt.date(1980, 1, 1),
        exited_on=dt.date(2025, 1, 1),
    )
    PersonCategory.objects.create(person=left, category=Category.S6, subtype=Subtype.OTHER)
    Household.objects.filter(pk=ledger["other_street"].pk).update(status=HouseholdStatus.EXITED)
    Need.objects.create(
        household=ledger["other_street"], need_type=NeedType.LIVING, status=NeedStatus.OPEN
    )
    return ledger


def table(page: str, key: str) -> dict[str, list[str]]:
    """A statistics table as {row heading: [cells]}, the totals row under 合计."""
    found = re.search(rf'id="{key}-table".*?</table>', page, re.S)
    assert found, f"no {key} table"
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", found.group(0), re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        rows[cells[0]] = cells[1:]
    return rows


def menu(client) -> str:
    html = client.get("/admin/").content.decode()
    props = re.search(r'id="wagtail-sidebar-props"[^>]*>(.*?)</script>', html, re.S)[1]
    return json.dumps(json.loads(props), ensure_ascii=False)


def test_u11_the_city_sees_households_and_persons_district_by_district(login_as, counted):
    client = login_as("city")
    assert "统计分析" in menu(client)
    page = client.get(URL).content.decode()
    households = table(page, "households")
    # 东城区: home and assigned (other_street left); 张三, 张小, 李四 (张离 left).
    assert households["东城区"] == ["2", "3"]
    assert households["朝阳区"] == ["1", "1"]
    assert households["西城区"] == ["0", "0"]  # a district without files is a row of zeros
    assert households["合计"] == ["3", "4"]
    assert f"?area={DONGCHENG}" in page


def test_u11_a_person_counts_in_each_category_held_and_once_in_the_total(login_as, counted):
    page = login_as("city").get(URL).content.decode()
    categories = table(page, "categories")
    header = re.search(r'id="categories-table".*?<thead>(.*?)</thead>', page, re.S).group(1)
    assert "困境老年人" in header and "S2" not in header and "人数合计（去重）" in header
    # 张三: S2 (two subtypes, counted once) and S4; distinct total 1. 张离 (S6) left.
    assert categories["东城区"] == ["0", "1", "0", "1", "0", "0", "1"]
    assert categories["朝阳区"] == ["1", "0", "0", "0", "0", "0", "1"]
    assert categories["合计"] == ["1", "1", "0", "1", "0", "0", "2"]


def test_u11_needs_are_counted_by_status_in_files_still_in_the_ledger(login_as, counted):
    page = login_as("city").get(URL).content.decode()
    needs = table(page, "needs")
    assert needs["东城区"] == ["1", "0", "1", "0", "2"]  # other_street's need: the file left
    assert needs["朝阳区"] == ["1", "0", "0", "0", "1"]


def test_u11_each_table_has_a_chart_in_svg_with_chinese_words(login_as, counted):
    page = login_as("city").get(URL).content.decode()
    for key in ("households", "categories", "needs"):
        svg = re.search(rf'<svg id="{key}-chart"[^>]*>(.*?)</svg>', page, re.S)
        assert svg, f"no chart for {key}"
        assert 'role="img"' in svg.group(0) and "<title>" in svg.group(1)
    people = re.search(r'<svg id="households-chart"[^>]*aria-label="([^"]*)"', page).group(1)
    assert "各地在册人数" in people and "东城区 3" in people and "朝阳区 1" in people
    statuses = re.search(r'<svg id="needs-chart"[^>]*aria-label="([^"]*)"', page).group(1)
    assert "待解决 2" in statuses and "已解决 1" in statuses
    assert "<script" not in re.search(r'id="households-table".*?</svg>', page, re.S).group(0)


def test_u11_the_city_drills_down_to_a_districts_streets(login_as, counted):
    client = login_as("city")
    page = client.get(URL, {"area": DONGCHENG}).content.decode()
    households = table(page, "households")
    assert households["东华门街道"] == ["2", "3"]
    assert households["景山街道"] == ["0", "0"]
    assert "朝阳区" not in households
    assert f'href="?area={DONGHUAMEN}"' in page  # a street opens its communities
    page = client.get(URL, {"area": DONGHUAMEN}).content.decode()
    households = table(page, "households")
    assert households["多福巷社区居委会"] == ["2", "3"]
    assert f'href="?area={DONGCHENG}"' in page  # back up to the district
    assert 'href="?area=110101001001"' not in page  # communities are the last level


def test_u11_a_district_sees_its_streets_and_no_other_district(login_as, counted):
    client = login_as("dongcheng")
    assert "统计分析" in menu(client)
    page = client.get(URL).content.decode()
    households = table(page, "households")
    assert households["东华门街道"] == ["2", "3"] and "朝阳区" not in households
    assert "王五" not in page
    assert client.get(URL, {"area": CHAOYANG}).status_code == 404
    assert client.get(URL, {"area": "110105001024"}).status_code == 404


def test_u11_a_street_sees_its_communities_and_cannot_go_up(login_as, counted):
    client = login_as("street")
    page = client.get(URL).content.decode()
    households = table(page, "households")
    assert households["多福巷社区居委会"] == ["2", "3"]
    assert households["合计"] == ["2", "3"]
    assert table(page, "needs")["合计"] == ["1", "0", "1", "0", "2"]
    assert client.get(URL, {"area": DONGCHENG}).status_code == 404


def test_u11_a_table_exports_as_csv_within_the_scope_and_is_audited(login_as, counted):
    client = login_as("dongcheng")
    response = client.get(URL, {"table": "households", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["区划代码", "街道（乡镇）", "在册户数", "在册人数"]
    assert [DONGHUAMEN, "东华门街道", "2", "3"] in rows
    assert rows[-1] == ["", "合计", "2", "3"]
    assert "朝阳区" not in text and "110105" not in text
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.actor_username == "dongcheng"
    assert event.detail == {"statistics": "在册家庭和人员", "area": "东城区", "format": "csv"}
    assert event.object_id == DONGCHENG
    page = detail_page(login_as("auditor"), event)  # C1: the auditor reads what left, in Chinese
    assert "统计表 在册家庭和人员" in page and "统计范围 东城区" in page
    assert "文件格式 csv" in page


def test_u11_a_drilled_down_table_exports_that_areas_rows(login_as, counted):
    client = login_as("city")
    response = client.get(URL, {"area": DONGCHENG, "table": "categories", "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][2] == "社会救助对象" and rows[0][-1] == "人数合计（去重）"
    assert [DONGHUAMEN, "东华门街道", "0", "1", "0", "1", "0", "0", "1"] in rows
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_id=DONGCHENG).exists()


def test_u11_an_unknown_table_is_not_found_and_nothing_is_audited(login_as, counted):
    client = login_as("city")
    assert client.get(URL, {"table": "persons", "format": "csv"}).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


@pytest.mark.parametrize("username", ["worker", "auditor", "editor"])
def test_u11_roles_that_keep_no_area_get_no_statistics(login_as, counted, username):
    client = login_as(username)
    for query in ({}, {"table": "households", "format": "csv"}):
        response = client.get(URL, query)
        assert response.status_code == 302 and response["Location"].startswith("/admin/")
        assert "在册人数" not in response.content.decode()
    assert "统计分析" not in menu(client)
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_u11_the_page_runs_the_same_queries_for_one_file_or_many(login_as, counted):
    """Aggregate queries only: more households add no query."""
    client = login_as("city")
    client.get(URL)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    home = counted["home"]
    for number in range(5):
        clone = Household.objects.get(pk=home.pk)
        clone.pk = None
        clone.file_number = f"{home.file_number}-{number}"
        clone.save()
        Person.objects.create(
            household=clone,
            name="复制",
            relation="head",
            sex="male",
            birth_date=dt.date(1960, 1, 1),
        )
    with CaptureQueriesContext(connection) as many:
        page = client.get(URL).content.decode()
    assert table(page, "households")["东城区"] == ["7", "8"]
    assert len(many.captured_queries) == len(few.captured_queries)


def test_l6_late_follow_up_visits_are_counted_area_by_area(login_as, counted):
    """L6: a visit due before today, or never scheduled, is late; due today or later is not."""
    today = timezone.localdate()
    Household.objects.filter(pk=counted["home"].pk).update(
        next_visit_due=today - dt.timedelta(days=1)
    )
    Household.objects.filter(pk=counted["assigned"].pk).update(next_visit_due=today)
    Household.objects.filter(pk=counted["far"].pk).update(next_visit_due=None)
    page = login_as("city").get(URL).content.decode()
    followups = table(page, "followups")
    assert followups["东城区"] == ["1", "1", "2"]
    assert followups["朝阳区"] == ["1", "0", "1"]
    chart = re.search(r'<svg id="followups-chart"[^>]*aria-label="([^"]*)"', page).group(1)
    assert "各地回访逾期户数" in chart and "东城区 1" in chart
    page = login_as("street").get(URL).content.decode()
    assert table(page, "followups")["多福巷社区居委会"] == ["1", "1", "2"]
