"""F4: staff add or correct working days without a release; the `workdays` command (DESIGN).

Personas: city (市民政局, keeps the calendar), street (东华门街道 station, may not edit it).
"""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from backoffice import workdays
from backoffice.enums import AuditAction
from backoffice.models import AuditEvent, WorkdayOverride, WorkdayYear
from backoffice.workdays import add_workdays

D = dt.date


def _add(client, **data):
    return client.post("/admin/workdays/new/", {"note": "", **data})


def test_the_city_bureau_adds_a_2027_holiday_and_the_deadline_moves(login_as):
    """F4 + F1: the announced 2027 schedule (here one extra rest day) changes the deadline."""
    assert add_workdays(D(2027, 2, 10), 1).date == D(2027, 2, 11)
    client = login_as("city")
    response = _add(client, date="2027-02-11", is_workday="False", name="2027 春节")
    assert response.status_code == 302
    row = WorkdayOverride.objects.get()
    assert (row.date, row.is_workday, row.name) == (D(2027, 2, 11), False, "2027 春节")
    assert add_workdays(D(2027, 2, 10), 1).date == D(2027, 2, 12)
    assert add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 8)  # bystander: 2026 unchanged
    event = AuditEvent.objects.get(
        action=AuditAction.CREATE, object_type="backoffice.workdayoverride"
    )
    assert event.actor_username == "city"
    listing = client.get("/admin/workdays/?year=2027").content.decode()
    assert "2027 春节" in listing and "周四" in listing  # the weekday column


def test_the_city_bureau_edits_and_deletes_an_override(login_as):
    row = WorkdayOverride.objects.create(date=D(2027, 2, 20), is_workday=True, name="调休上班")
    client = login_as("city")
    response = client.post(
        f"/admin/workdays/edit/{row.pk}/",
        {"date": "2027-02-20", "is_workday": "True", "name": "2027 春节调休上班", "note": ""},
    )
    assert response.status_code == 302
    assert WorkdayOverride.objects.get().name == "2027 春节调休上班"
    assert client.post(f"/admin/workdays/delete/{row.pk}/").status_code == 302
    assert not WorkdayOverride.objects.exists()
    assert not workdays.is_workday(D(2027, 2, 20))  # a Saturday again
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditAction.UPDATE, AuditAction.DELETE} <= actions


def test_a_street_station_cannot_open_or_change_the_calendar(login_as):
    """F4: one calendar for the whole city, kept by the city bureau only."""
    client = login_as("street")
    assert client.get("/admin/workdays/").status_code in (302, 403)
    response = _add(client, date="2027-02-11", is_workday="False", name="2027 春节")
    assert response.status_code in (302, 403)
    assert not WorkdayOverride.objects.exists()
    assert "/admin/workdays/" not in client.get("/admin/").content.decode()


def test_a_duplicate_date_gets_a_chinese_message(login_as):
    WorkdayOverride.objects.create(date=D(2027, 2, 11), is_workday=False, name="2027 春节")
    client = login_as("city")
    response = _add(client, date="2027-02-11", is_workday="True", name="重复")
    assert response.status_code == 200
    assert "这一天已有调整记录" in response.content.decode()
    assert WorkdayOverride.objects.count() == 1


def test_marking_an_ordinary_weekday_as_a_working_day_is_refused_with_the_reason(login_as):
    client = login_as("city")
    response = _add(client, date="2026-10-08", is_workday="True", name="多余")
    assert response.status_code == 200
    assert "2026-10-08（周四）按国务院放假安排本来就是工作日，无需录入。" in (
        response.content.decode()
    )
    assert not WorkdayOverride.objects.exists()


def test_marking_a_published_holiday_as_a_rest_day_names_the_holiday(login_as):
    client = login_as("city")
    response = _add(client, date="2026-10-01", is_workday="False", name="多余")
    assert "2026-10-01（周四，国庆节）按国务院放假安排本来就是休息日" in response.content.decode()


def test_confirming_a_provisional_2027_holiday_is_accepted(login_as):
    """An entry that agrees with the estimate still makes that date official (F4)."""
    client = login_as("city")
    response = _add(client, date="2027-02-05", is_workday="False", name="2027 春节（除夕）")
    assert response.status_code == 302
    assert not workdays.day_status(D(2027, 2, 5)).provisional


def test_the_list_page_warns_about_next_year_until_it_is_marked_official(login_as):
    """F4: deadlines in a year without the official schedule are only estimates."""
    next_year = timezone.localdate().year + 1
    notice = f"{next_year} 年官方放假安排尚未录入，期限按法定节假日推算，仅供参考"
    client = login_as("city")
    assert notice in client.get("/admin/workdays/").content.decode()
    response = client.post(
        "/admin/workday-years/new/", {"year": next_year, "official": "on", "note": "国办发明电"}
    )
    assert response.status_code == 302
    assert WorkdayYear.objects.get().year == next_year
    assert notice not in client.get("/admin/workdays/").content.decode()


def test_a_year_already_built_in_cannot_be_marked(login_as):
    client = login_as("city")
    response = client.post("/admin/workday-years/new/", {"year": 2026, "official": "on"})
    assert "系统内置数据已包含 2026 年国务院公布的放假安排" in response.content.decode()
    assert not WorkdayYear.objects.exists()


def test_the_year_filter_lists_only_that_year(login_as):
    WorkdayOverride.objects.create(date=D(2027, 2, 11), is_workday=False, name="二七年春节")
    WorkdayOverride.objects.create(date=D(2028, 1, 24), is_workday=False, name="二八年春节")
    listing = login_as("city").get("/admin/workdays/?year=2028").content.decode()
    assert "二八年春节" in listing and "二七年春节" not in listing


def _workdays_command(*args):
    out, err = StringIO(), StringIO()
    call_command("workdays", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_prints_the_due_date_on_the_first_line(db):
    """DESIGN: a report on 2026-09-30 is due a visit by 2026-10-08 (F1)."""
    out, err = _workdays_command("2026-09-30", "1")
    assert out.splitlines()[0] == "2026-10-08"
    assert err == ""


def test_the_command_warns_on_stderr_when_the_answer_is_provisional(db):
    out, err = _workdays_command("2027-02-04", "1")
    assert out.splitlines()[0] == "2027-02-11"
    assert "2027 年官方放假安排尚未录入" in err
    assert "Warning" in err and "2027" in err


def test_the_command_follows_an_override(db):
    WorkdayOverride.objects.create(date=D(2027, 2, 11), is_workday=False, name="2027 春节")
    WorkdayYear.objects.create(year=2027)
    out, err = _workdays_command("2027-02-04", "1")
    assert out.splitlines()[0] == "2027-02-12"
    assert err == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (("2026-13-01", "1"), "日期“2026-13-01”无效"),
        (("yesterday", "1"), "YYYY-MM-DD"),
        (("2026-09-30", "-1"), "工作日数“-1”无效"),
        (("2026-09-30", "one"), "须为 0 至"),
    ],
)
def test_the_command_refuses_bad_input_with_a_clear_message(db, args, message):
    with pytest.raises(CommandError, match=message):
        _workdays_command(*args)
