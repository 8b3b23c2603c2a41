"""Issue 16 item 2 (U11): the monthly snapshot freezes the statistics (a command for cron, a
button for the city and the districts, audited), a month's report reads the same after the
ledger changed, and the month-by-month trends read from snapshots, within the user's scope.

The `ledger` fixture (tests/integration/conftest.py): `home` (张三 S2, 张小) and `assigned`
(李四) in 东华门街道, `other_street` in 景山街道 (both 东城区), `far` (王五) in 朝阳区; all
entered the ledger today.
"""

import csv
import datetime as dt
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from backoffice.actor import system_actor
from backoffice.enums import AuditAction, Category, EntryRoute, Subtype
from backoffice.models import (
    Area,
    AuditEvent,
    Household,
    LedgerExit,
    PersonCategory,
    StatisticsSnapshot,
    Visit,
)
from backoffice.services.ledger import household_create
from backoffice.services.snapshots import month_key, month_start
from tests.integration.test_statistics import table

URL = "/admin/statistics/snapshots/"
TRENDS = "/admin/statistics/trends/"
DONGCHENG = "110101000000"
CHAOYANG = "110105000000"
DONGHUAMEN = "110101001000"


@pytest.fixture
def this_month():
    return month_key(month_start(timezone.localdate()))


def test_the_command_takes_a_month_once_and_again_only_with_replace(ledger, this_month, capsys):
    call_command("statistics_snapshot", month=this_month)
    assert "统计快照" in capsys.readouterr().out
    snapshot = StatisticsSnapshot.objects.get()
    assert snapshot.data["areas"][DONGCHENG]["ledger"] == {
        "households": 3,
        "persons": 3,
    }
    with pytest.raises(CommandError, match="已经生成"):
        call_command("statistics_snapshot", month=this_month)
    call_command("statistics_snapshot", month=this_month, replace=True)
    snapshot.refresh_from_db()
    assert snapshot.replaced == 1 and StatisticsSnapshot.objects.count() == 1
    actions = list(
        AuditEvent.objects.filter(object_type="backoffice.statisticssnapshot")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [AuditAction.CREATE, AuditAction.UPDATE]
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("statistics_snapshot", month="2026/10")


def test_the_command_takes_the_month_just_ended_by_default(ledger):
    call_command("statistics_snapshot")
    snapshot = StatisticsSnapshot.objects.get()
    today = timezone.localdate()
    assert snapshot.month == month_start(month_start(today) - dt.timedelta(days=1))
    # The fixture's households entered this month: none in the month before.
    assert snapshot.data["areas"][snapshot.data["city"]]["flows"]["entered"] == 0


def test_u11_a_snapshot_reads_the_same_after_the_ledger_changed(login_as, ledger, this_month):
    client = login_as("city")
    response = client.post(URL, {"action": "take", "month": this_month})
    assert response.status_code == 302
    before = client.get(f"{URL}?month={this_month}").content.decode()
    assert table(before, "households")["东城区"] == ["3", "3"]
    # The ledger moves on: a new household in 东城区, a category for 李四, 朝阳区's file leaves.
    household_create(
        actor=system_actor(),
        community=Area.objects.get(code="110101001001"),
        address="东华门大街3号",
        entry_route=EntryRoute.REPORT,
    )
    li = ledger["assigned"].members.get()
    PersonCategory.objects.create(person=li, category=Category.S1, subtype=Subtype.LOW_INCOME)
    Household.objects.filter(pk=ledger["far"].pk).update(status="exited")
    live = client.get("/admin/statistics/").content.decode()
    assert table(live, "households")["东城区"] == ["4", "3"]
    after = client.get(f"{URL}?month={this_month}").content.decode()
    for key in ("households", "categories", "needs"):
        assert table(after, key) == table(before, key)
    assert table(after, "households")["朝阳区"] == ["1", "1"]


def test_u11_the_snapshot_tables_are_cut_to_the_users_area(login_as, ledger, this_month):
    call_command("statistics_snapshot", month=this_month)
    client = login_as("dongcheng")
    page = client.get(f"{URL}?month={this_month}").content.decode()
    households = table(page, "households")
    assert households["东华门街道"] == ["2", "3"]
    assert households["合计"] == ["3", "3"]
    assert "朝阳区" not in page
    assert client.get(f"{URL}?month={this_month}&area={CHAOYANG}").status_code == 404
    street = login_as("street")
    page = street.get(f"{URL}?month={this_month}").content.decode()
    assert table(page, "households")["东华门街道"] == ["2", "3"]
    assert street.get(f"{URL}?month={this_month}&area={DONGCHENG}").status_code == 404
    for username, url in (("worker", URL), ("editor", TRENDS), ("auditor", URL)):
        response = login_as(username).get(url)
        # The admin turns a refusal into a message on its home page.
        assert response.status_code == 302 and response["Location"] == "/admin/"


def test_the_city_drills_into_a_district_of_a_snapshot(login_as, ledger, this_month):
    call_command("statistics_snapshot", month=this_month)
    client = login_as("city")
    page = client.get(f"{URL}?month={this_month}").content.decode()
    assert f"area={DONGCHENG}" in page
    inside = client.get(f"{URL}?month={this_month}&area={DONGCHENG}").content.decode()
    assert table(inside, "households")["东华门街道"] == ["2", "3"]
    assert client.get(f"{URL}?month=2001-01").status_code == 404


def test_only_the_city_and_districts_take_snapshots(login_as, ledger, this_month):
    street = login_as("street")
    assert 'value="take"' not in street.get(URL).content.decode()
    refused = street.post(URL, {"action": "take", "month": this_month})
    assert refused.status_code == 302 and refused["Location"] == "/admin/"
    assert not StatisticsSnapshot.objects.exists()
    district = login_as("dongcheng")
    assert district.post(URL, {"action": "take", "month": this_month}).status_code == 302
    snapshot = StatisticsSnapshot.objects.get()
    assert snapshot.taken_by.username == "dongcheng"
    # A district's snapshot is the whole city's, frozen for everybody.
    assert snapshot.data["areas"][CHAOYANG]["ledger"]["households"] == 1
    again = district.post(URL, {"action": "take", "month": this_month}).content.decode()
    assert "已经生成" in again
    assert (
        district.post(URL, {"action": "take", "month": this_month, "replace": "on"}).status_code
        == 302
    )
    assert StatisticsSnapshot.objects.get().replaced == 1


def test_a_snapshot_table_downloads_as_csv_and_the_download_is_audited(
    login_as, ledger, this_month
):
    call_command("statistics_snapshot", month=this_month)
    client = login_as("dongcheng")
    response = client.get(f"{URL}?month={this_month}&table=households&format=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["区划代码", "街道（乡镇）", "在册户数", "在册人数"]
    assert [DONGHUAMEN, "东华门街道", "2", "3"] in rows
    assert rows[-1] == ["", "合计", "3", "3"]
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT,
        actor_username="dongcheng",
        object_type="backoffice.statisticssnapshot",
    ).exists()


def test_u11_trends_read_entered_exited_and_reentered_from_snapshots(login_as, ledger, this_month):
    today = timezone.localdate()
    # 朝阳区's household left this month and came back; 景山's left.
    visit_kwargs = {"kind": "exit_review", "visitors": "王", "findings": "复核"}
    far = ledger["far"]
    review = Visit.objects.create(household=far, visited_on=today, **visit_kwargs)
    LedgerExit.objects.create(
        household=far,
        reason="out_of_hardship",
        review_visit=review,
        exited_on=today,
        reentered_on=today,
    )
    other = ledger["other_street"]
    review = Visit.objects.create(household=other, visited_on=today, **visit_kwargs)
    LedgerExit.objects.create(
        household=other, reason="out_of_hardship", review_visit=review, exited_on=today
    )
    call_command("statistics_snapshot", month=this_month)
    page = login_as("city").get(TRENDS).content.decode()
    rows = table(page, "trends")
    assert rows[this_month] == ["4", "2", "1", "4", "4"]
    assert 'id="trend-entered-chart"' in page and "<svg" in page
    district = login_as("dongcheng").get(TRENDS).content.decode()
    assert table(district, "trends")[this_month] == ["3", "1", "0", "3", "3"]
    assert "东城区" in district
    street = login_as("street").get(TRENDS).content.decode()
    assert table(street, "trends")[this_month] == ["2", "0", "0", "2", "3"]
    assert login_as("street").get(f"{TRENDS}?area={CHAOYANG}").status_code == 404


def test_trends_without_snapshots_say_so(login_as, ledger):
    page = login_as("city").get(TRENDS).content.decode()
    assert "还没有月度统计快照" in page
    assert re.search(r"<title>[^<]*月度趋势", page)


def test_the_button_takes_the_snapshot_in_the_background_for_the_user_who_asked(
    login_as, ledger, this_month
):
    """A whole-city count takes a minute at 1M persons: the button queues it for the worker."""
    from django.test import override_settings
    from django_tasks import default_task_backend

    from backoffice.tasks import statistics_snapshot_task

    dummy = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with override_settings(TASKS=dummy):
        client = login_as("dongcheng")
        response = client.post(URL, {"action": "take", "month": this_month}, follow=True)
        assert "正在后台生成" in response.content.decode()
        assert not StatisticsSnapshot.objects.exists()
        queued = default_task_backend.results
        assert [r.args for r in queued] == [[this_month, _uid("dongcheng"), False]]
    assert statistics_snapshot_task.call(*queued[0].args).startswith("taken")
    snapshot = StatisticsSnapshot.objects.get()
    assert snapshot.taken_by.username == "dongcheng"
    assert AuditEvent.objects.filter(
        object_type="backoffice.statisticssnapshot", actor_username="dongcheng", channel="task"
    ).exists()
    # Pressed again meanwhile, the task refuses and says why.
    assert statistics_snapshot_task.call(*queued[0].args).startswith("refused")


def _uid(username: str) -> int:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username).pk
