"""Issue 16 item 3 (P4, SECURITY D2): `city` draws a public release from a snapshot, the
reviewer approves it, and only then does /statistics/ show it: charts and tables with "<10"
where counts are small, complementary cells hidden, each table as a CSV file holding exactly
the published cells.

The `ledger` fixture (tests/integration/conftest.py) plus, here, 16 more S1 members in
东华门街道 (so that some counts are ten or more) and 3 in 景山街道.
"""

import csv
import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from backoffice.enums import AuditAction, Category, Subtype
from backoffice.models import AuditEvent, Person, PersonCategory, StatisticsSnapshot
from backoffice.services.releases import release_find
from backoffice.services.snapshots import month_key, month_start
from portal.models import StatisticsReleasePage
from portal.services import home_page_ensure, site_sections_ensure
from tests.conftest import verified_login

SNAPSHOTS = "/admin/statistics/snapshots/"
SMALL = re.compile(r"^[1-9]$")


@pytest.fixture
def site(db):
    home = home_page_ensure()
    return site_sections_ensure(home)


def _members(household, count: int, prefix: str) -> None:
    for number in range(count):
        person = Person.objects.create(
            household=household,
            name=f"{prefix}{number}",
            relation="other",
            sex="female" if number % 2 else "male",
            birth_date=dt.date(1950 + number, 1, 1),
        )
        PersonCategory.objects.create(
            person=person, category=Category.S1, subtype=Subtype.LOW_INCOME
        )


@pytest.fixture
def snapshot(ledger, site):
    _members(ledger["assigned"], 16, "甲")
    _members(ledger["other_street"], 3, "乙")
    PersonCategory.objects.create(
        person=ledger["wang"], category=Category.S1, subtype=Subtype.LOW_INCOME
    )
    month = month_key(month_start(timezone.localdate()))
    call_command("statistics_snapshot", month=month)
    return StatisticsSnapshot.objects.get()


def _approve(page, reviewer) -> None:
    client = verified_login(Client(), reviewer)
    task_state = page.current_workflow_task_state
    response = client.post(
        f"/admin/pages/workflow/action/{page.pk}/approve/{task_state.pk}/", {"comment": "同意"}
    )
    assert response.status_code in (200, 302)


def _tables(html: str) -> list[list[list[str]]]:
    found = []
    for table in re.findall(r"<table[^>]*>(.*?)</table>", html, re.S):
        rows = []
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
            rows.append(
                [
                    re.sub(r"<[^>]+>", "", cell).strip().replace("&lt;", "<")
                    for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
                ]
            )
        found.append(rows)
    return found


def test_p4_city_generates_the_release_the_reviewer_approves_and_the_public_sees_it(
    client, login_as, demo_users, snapshot
):
    city = login_as("city")
    listing = city.get(SNAPSHOTS).content.decode()
    assert "生成公开发布稿并提交审核" in listing
    month = f"{snapshot.month:%Y-%m}"
    response = city.post(SNAPSHOTS, {"action": "release", "month": month})
    assert response.status_code == 302
    page = release_find(snapshot.month)
    assert page is not None and not page.live
    assert "待审核" in city.get(SNAPSHOTS).content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, actor_username="city", detail__statistics_release=month
    ).exists()
    url = page.url or f"/statistics/{page.slug}/"
    assert client.get(url).status_code == 404  # not public before the reviewer approves
    assert page.title not in client.get("/statistics/").content.decode()

    _approve(page, demo_users["reviewer"])
    page.refresh_from_db()
    assert page.live
    html = client.get(page.url).content.decode()
    assert "<script" not in html
    tables = _tables(html)
    city_categories = tables[0]
    assert city_categories[0][:3] == ["区", "特困人员", "低保对象"] or city_categories[0][0] == "区"
    rows = {row[0]: row[1:] for row in city_categories}
    # 东城区: 张三 S2 (1) and 19 S1; 朝阳区: 王五 S1 (1).
    assert rows["朝阳区"][0] == "<10"
    assert "<10" in rows["东城区"]
    assert rows["西城区"] == ["0"] * len(rows["西城区"])
    for table in tables:
        for row in table[1:]:
            assert not any(SMALL.match(cell) for cell in row[1:]), row
    # Charts in SVG beside the tables, with the marks and no bar for a hidden count.
    assert re.search(r'<svg id="chart-1"[^>]*role="img"', html)
    # The /statistics/ section opens on this release, with its charts and tables.
    section = client.get("/statistics/").content.decode()
    assert "最新一期" in section and page.title in section
    assert "<10" in section and '<svg id="chart-1"' in section
    assert f"{page.url}?csv=1" in section


def test_p4_each_table_downloads_as_csv_holding_exactly_the_published_cells(
    client, login_as, demo_users, snapshot
):
    login_as("city").post(SNAPSHOTS, {"action": "release", "month": f"{snapshot.month:%Y-%m}"})
    page = release_find(snapshot.month)
    _approve(page, demo_users["reviewer"])
    page.refresh_from_db()
    html = client.get(page.url).content.decode()
    tables = _tables(html)
    assert len(tables) >= 2
    for number in (1, 2, 3):
        response = client.get(f"{page.url}?csv={number}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows == tables[number - 1]
    assert client.get(f"{page.url}?csv=999").status_code == 404
    assert client.get(f"{page.url}?csv=x").status_code == 404


def test_p4_a_district_table_agrees_with_its_row_citywide(login_as, demo_users, snapshot):
    """A district's table's totals row and its row in the citywide table are the same entries,
    suppressed together: nothing hidden in one is shown in the other."""
    login_as("city").post(SNAPSHOTS, {"action": "release", "month": f"{snapshot.month:%Y-%m}"})
    page = release_find(snapshot.month)
    tables = {
        block.value["table_caption"]: block.value["data"]
        for block in page.body
        if block.block_type == "table"
    }
    citywide = {row[0]: row[1:] for row in tables["全市按类别分的在册人员（按区）"]}
    dongcheng = tables["东城区按类别分的在册人员（按街道）"]
    assert dongcheng[-1][0] == "合计"
    assert dongcheng[-1][1:] == citywide["东城区"]
    streets = {row[0]: row[1:] for row in dongcheng}
    assert streets["景山街道"][0] == "<10"  # 3 S1 members


def test_p4_only_the_city_generates_releases_and_only_once_a_month(login_as, demo_users, snapshot):
    month = f"{snapshot.month:%Y-%m}"
    district = login_as("dongcheng")
    assert "生成公开发布稿" not in district.get(SNAPSHOTS).content.decode()
    refused = district.post(SNAPSHOTS, {"action": "release", "month": month})
    assert refused.status_code == 302 and refused["Location"] == "/admin/"
    assert not StatisticsReleasePage.objects.filter(slug__startswith="ledger-stats-").exists()
    city = login_as("city")
    city.post(SNAPSHOTS, {"action": "release", "month": month})
    again = city.post(SNAPSHOTS, {"action": "release", "month": month}, follow=True)
    assert "已经生成" in again.content.decode()
    assert StatisticsReleasePage.objects.filter(slug__startswith="ledger-stats-").count() == 1


def test_p4_the_demo_publishes_a_release_once_and_a_second_run_changes_nothing(
    client, demo_users, capsys
):
    call_command("seed_demo", households=40, seed=7)
    assert "公开统计数据" in capsys.readouterr().out
    page = StatisticsReleasePage.objects.get(slug__startswith="ledger-stats-")
    assert page.live
    section = client.get("/statistics/").content.decode()
    assert "最新一期" in section and page.title in section and "<10" in section
    before = (
        list(StatisticsSnapshot.objects.values_list("id", "taken_at", "replaced")),
        list(StatisticsReleasePage.objects.values_list("id", "live_revision_id")),
    )
    call_command("seed_demo", "--if-empty", households=40, seed=7)
    assert "公开统计数据" not in capsys.readouterr().out
    after = (
        list(StatisticsSnapshot.objects.values_list("id", "taken_at", "replaced")),
        list(StatisticsReleasePage.objects.values_list("id", "live_revision_id")),
    )
    assert after == before


def _table(data, caption="各区低保对象人数"):
    return ("table", {"first_row_is_table_header": True, "table_caption": caption, "data": data})


def _release(site, body):
    from django.core.exceptions import ValidationError

    page = StatisticsReleasePage(
        title="2026年10月低保统计（手工）",
        slug="hand-2026-10",
        year=2026,
        month=10,
        issued_on=dt.date(2026, 11, 5),
        body=body,
    )
    try:
        page.full_clean()
    except ValidationError as error:
        return error.message_dict.get("body", [])
    return []


def test_d2_a_hand_edited_release_with_a_small_count_is_refused(site):
    header = ["区", "城市低保", "农村低保", "合计"]
    problems = _release(
        site,
        [_table([header, ["东城区", "5", "120", "125"], ["西城区", "30", "40", "70"]])],
    )
    assert any("须写作“<10”" in p and "东城区" not in p for p in problems), problems
    chart = (
        "chart",
        {"title": "各区特困人员", "unit": "人", "rows": [{"label": "东城区", "value": 3}]},
    )
    assert any("人数小于 10 不能画图" in p for p in _release(site, [chart]))


def test_d2_a_hidden_cell_a_reader_could_work_out_from_a_total_is_refused(site):
    header = ["区", "城市低保", "农村低保", "合计"]
    # one "<10" alone in its row beside a known total: 125 - 120 = 5
    alone = [header, ["东城区", "<10", "120", "125"], ["西城区", "30", "40", "70"]]
    assert any("推算出来" in p for p in _release(site, [_table(alone)]))
    # the same through the column totals
    column = [
        header,
        ["东城区", "<10", "*", "125"],
        ["西城区", "30", "40", "70"],
        ["合计", "35", "160", "195"],
    ]
    assert any("推算出来" in p for p in _release(site, [_table(column)]))
    # protected: two hidden cells in every line that holds one, none pinned
    safe = [
        header,
        ["东城区", "<10", "*", "125"],
        ["西城区", "*", "<10", "70"],
        ["朝阳区", "200", "300", "500"],
        ["合计", "*", "*", "695"],
    ]
    assert _release(site, [_table(safe)]) == []


def test_d2_a_generated_release_passes_the_same_check(login_as, snapshot):
    city = login_as("city")
    city.post(SNAPSHOTS, {"action": "release", "month": f"{snapshot.month:%Y-%m}"})
    page = release_find(snapshot.month)
    page.full_clean()  # what the editor's and the reviewer's form runs before saving
    assert "<10" in str(page.body.raw_data)  # it does hold suppressed cells


def test_p4_the_city_finds_the_release_button_from_the_statistics_page(login_as, snapshot):
    city = login_as("city")
    html = city.get("/admin/statistics/").content.decode()
    link = re.search(r'<a href="([^"]+)" id="snapshots-link">', html)
    assert link is not None and link.group(1) == SNAPSHOTS
    assert "生成公开发布稿并提交审核" in city.get(link.group(1)).content.decode()
