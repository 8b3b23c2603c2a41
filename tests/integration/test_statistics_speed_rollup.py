"""Issue 16 item 4 (scale): the back-office statistics of the city, the districts and the streets
are drawn from a rollup (counts stored by `statistics_refresh`, refreshed in the background when
older than STATISTICS_ROLLUP_SECONDS). It shows the numbers the live count gives, a stale one is
recounted by the task, a user still sees only their own areas, and a community's page stays live.

The files are those of test_statistics_tables (today is Monday 30 November 2026, 09:00 Beijing).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command

from backoffice.actor import system_actor
from backoffice.enums import EntryRoute
from backoffice.models import Area, Person
from backoffice.services.ledger import household_create
from backoffice.services.statistics import area_statistics, rollup_store
from backoffice.tasks import statistics_refresh_task
from tests.integration import test_statistics_tables as files
from tests.integration.test_statistics import table
from tests.integration.test_statistics_tables import (
    DONGCHENG,
    DONGHUAMEN,
    JINGSHAN,
    NOW,
    URL,
    member,
)

CHAOYANG_STREET = "110105001000"

# The files and the frozen clock of test_statistics_tables.
frozen, tables, clocks = files.frozen, files.tables, files.clocks
pytestmark = pytest.mark.usefixtures("frozen")


def _plus(cells: list[str], added: int) -> list[str]:
    """A households-and-persons row after `added` households of one member each."""
    return [str(int(cell) + added) for cell in cells]


@pytest.fixture
def rollup(settings):
    """Rollups kept for ten minutes, as in production (the suite's settings recount at once)."""
    settings.STATISTICS_ROLLUP_SECONDS = 600


def _live_tables(username: str, area_code: str | None) -> dict[str, dict[str, list[str]]]:
    """Every table of the live count, as the page would print it: {key: {row: [cells]}}."""
    user = get_user_model().objects.get(username=username)
    area = Area.objects.get(pk=area_code) if area_code else None
    found = {}
    for t in area_statistics(user, area=area).tables:
        rows = {row.name: [str(v) for v in cells] for row, cells in t.body}
        rows[t.total_label] = [str(v) for v in t.total_cells]
        found[t.key] = rows
    return found


def _add_household(community_code: str) -> None:
    household = household_create(
        actor=system_actor(),
        community=Area.objects.get(code=community_code),
        address="新增1号",
        entry_route=EntryRoute.REPORT,
    )
    member(household, "新来的", dt.date(1950, 5, 5))


def test_u11_the_rollup_pages_show_the_numbers_of_the_live_count(login_as, tables, clocks, rollup):
    for username, code in (
        ("city", None),
        ("dongcheng", None),
        ("dongcheng", DONGHUAMEN),
        ("street", None),
    ):
        client = login_as(username)
        page = client.get(URL, {"area": code} if code else {}).content.decode()
        assert "数据更新于 2026-11-30 09:00" in page, username
        own = code or get_user_model().objects.get(username=username).staff_profile.area_id
        live = _live_tables(username, None if username == "city" else own)
        for key, rows in live.items():
            shown = table(page, key)
            for name, cells in rows.items():
                assert shown[name] == cells, (username, code, key, name)


def test_u11_the_rollup_is_kept_then_recounted_by_the_task_once_stale(login_as, tables, rollup):
    client = login_as("city")
    before = table(client.get(URL).content.decode(), "households")["东城区"]
    _add_household("110101001001")
    # Within ten minutes: the stored counts, with the time they were taken.
    page = client.get(URL).content.decode()
    assert table(page, "households")["东城区"] == before
    assert "数据更新于 2026-11-30 09:00" in page
    # Eleven minutes later the page asks for a recount; the worker (inline here) does it.
    with time_machine.travel(NOW + dt.timedelta(minutes=11), tick=False):
        page = client.get(URL).content.decode()
    assert table(page, "households")["东城区"] == _plus(before, 1)
    assert "数据更新于 2026-11-30 09:11" in page


def test_u11_the_task_the_command_and_the_button_recount(login_as, tables, rollup):
    client = login_as("dongcheng")

    def shown() -> list[str]:
        return table(client.get(URL).content.decode(), "households")["东华门街道"]

    before = shown()
    _add_household("110101001001")
    assert shown() == before  # the rollup, still fresh
    statistics_refresh_task.enqueue(DONGCHENG)
    assert shown() == _plus(before, 1)
    _add_household("110101001001")
    call_command("statistics_refresh", "--area", DONGCHENG)
    assert shown() == _plus(before, 2)
    _add_household("110101001001")
    response = client.post(URL, {"refresh": "1"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert table(page, "households")["东华门街道"] == _plus(before, 3)
    assert "已请求重新统计" in page
    # The whole city, every district and every street at once.
    _add_household("110101001001")
    call_command("statistics_refresh")
    assert shown() == _plus(before, 4)


def test_u11_a_street_never_gets_another_areas_rollup(login_as, tables, clocks, rollup):
    for area in Area.objects.filter(code__in=[DONGCHENG, JINGSHAN, CHAOYANG_STREET]):
        rollup_store(area)
    rollup_store(None)
    own = login_as("street")
    page = own.get(URL).content.decode()
    live = _live_tables("street", DONGHUAMEN)
    # 东华门街道's own numbers, not the district's or the city's stored ones.
    for key in ("households", "clocks", "need_types"):
        shown = table(page, key)
        assert all(shown[name] == cells for name, cells in live[key].items()), key
    for code in (JINGSHAN, CHAOYANG_STREET, DONGCHENG):
        assert own.get(URL, {"area": code}).status_code == 404
        assert own.post(URL + f"?area={code}", {"refresh": "1"}).status_code == 404
    own_total = table(page, "households")["合计"]
    district = login_as("dongcheng")  # the same browser, now the district's
    assert table(district.get(URL).content.decode(), "households")["合计"] != own_total
    assert district.get(URL, {"area": CHAOYANG_STREET}).status_code == 404
    assert "东华门街道" in district.get(URL).content.decode()


def test_u11_a_communitys_page_stays_live(login_as, tables, rollup):
    client = login_as("dongcheng")
    page = client.get(URL, {"area": "110101001001"}).content.decode()
    assert "数据更新于" not in page
    before = table(page, "households")["多福巷社区居委会"]
    _add_household("110101001001")
    page = client.get(URL, {"area": "110101001001"}).content.decode()
    assert table(page, "households")["多福巷社区居委会"] == _plus(before, 1)
    assert Person.objects.filter(name="新来的").count() == 1


def test_u11_two_pages_of_one_street_keep_their_own_links(login_as, tables, rollup):
    """The tables drawn from a rollup are kept once per count and area: the street's own page
    (no area in its address) and the district's page of that street link their exports and
    rows each their own way, whichever was drawn first."""
    own = login_as("street").get(URL).content.decode()
    assert 'href="?table=ages&amp;format=xlsx"' in own
    district = login_as("dongcheng").get(URL, {"area": DONGHUAMEN}).content.decode()
    assert f'href="?area={DONGHUAMEN}&amp;table=ages&amp;format=xlsx"' in district
    assert table(district, "ages") == table(own, "ages")


def test_u11_without_a_shared_cache_a_stale_page_recounts_itself(
    login_as, tables, rollup, monkeypatch
):
    """No Redis and a separate worker: the worker's recount would land in its own memory, so
    the page recounts its area itself instead of asking the worker."""
    from backoffice.services import statistics

    client = login_as("city")
    before = table(client.get(URL).content.decode(), "households")["东城区"]
    _add_household("110101001001")
    monkeypatch.setattr(statistics, "_recount_reaches_here", lambda: False)

    class Refused:
        def enqueue(self, *args, **kwargs):
            raise AssertionError("the worker's count would not reach this page")

    monkeypatch.setattr("backoffice.tasks.statistics_refresh_task", Refused())
    with time_machine.travel(NOW + dt.timedelta(minutes=11), tick=False):
        page = client.get(URL).content.decode()
    assert table(page, "households")["东城区"] == _plus(before, 1)
    assert "数据更新于 2026-11-30 09:11" in page
