"""Issue 5, item 2: follow-up visits (L6): at least every 3 months, special visits any time; a
visit records its date, the living situation, each measure's progress and the current needs,
which update the household's needs list. Due-soon and overdue lists per area and per worker.
Scoped (B1), audited (C1), on the household timeline (L7).

Personas: street (东华门街道 station), dongcheng (district), worker (agency; `assigned` only),
city (reads everything, records nothing), auditor (nothing). Bystander: the 朝阳区 household.
"""

import datetime as dt

import pytest
import time_machine

from backoffice.enums import AuditAction, MeasureStatus, NeedStatus, TimelineKind, VisitKind
from backoffice.models import AuditEvent, Household, MeasureProgress, Need
from backoffice.services.visits import VisitError, visits_due, visits_overdue
from tests.integration.household_work import (
    NOON_BEIJING,
    TODAY,
    draw_up_plan,
    on_file_since,
    record_visit,
    visit_form,
)

DUE_LIST = "/admin/visits-due/"


def visit_url(household, suffix="new/"):
    return f"/admin/households/{household.pk}/visits/{suffix}"


def set_due(household, day):
    Household.objects.filter(pk=household.pk).update(next_visit_due=day)


@time_machine.travel(NOON_BEIJING, tick=False)
def test_l6_after_a_visit_on_29_november_the_next_is_due_by_28_february(login_as, ledger):
    home, far = ledger["home"], ledger["far"]
    on_file_since(home)
    far_due = Household.objects.get(pk=far.pk).next_visit_due
    client = login_as("street")
    response = client.post(visit_url(home), visit_form(visited_on="2026-11-29"), follow=True)
    page = response.content.decode()
    home.refresh_from_db()
    # L6: at most 3 months after the last visit; 2027 has no 29 February, so the 28th.
    assert home.next_visit_due == dt.date(2027, 2, 28)
    assert "下次回访截止 2027-02-28" in page
    assert "跟踪回访（2026-11-29，社工王丽）；下次回访截止 2027-02-28" in page  # the timeline
    visit = home.visits.get()
    assert visit.kind == VisitKind.FOLLOW_UP and visit.findings == "老人独居，精神尚好"
    assert visit.recorded_by.username == "street"
    event = AuditEvent.objects.get(action=AuditAction.VISIT, object_id=str(home.pk))
    assert event.object_type == "backoffice.household"
    assert event.detail["visit"] == visit.pk and event.detail["fields"] == ["findings"]
    assert "精神尚好" not in str(event.detail)  # C3: names, never values
    assert Household.objects.get(pk=far.pk).next_visit_due == far_due  # bystander


def test_l6_a_new_file_is_due_its_first_follow_up_three_months_after_entry(ledger):
    home = ledger["home"]
    entered = home.entered_on
    assert home.next_visit_due is not None
    assert (home.next_visit_due.year * 12 + home.next_visit_due.month) - (
        entered.year * 12 + entered.month
    ) == 3


@time_machine.travel(NOON_BEIJING, tick=False)
def test_l6_a_special_visit_any_time_restarts_the_clock(ledger, demo_users):
    home = ledger["home"]
    on_file_since(home)
    street = demo_users["street"]
    record_visit(home, street, on=dt.date(2026, 10, 1))
    home.refresh_from_db()
    assert home.next_visit_due == dt.date(2027, 1, 1)
    record_visit(home, street, on=dt.date(2026, 11, 20), kind=VisitKind.SPECIAL)
    home.refresh_from_db()
    assert home.next_visit_due == dt.date(2027, 2, 20)
    assert home.events.filter(kind=TimelineKind.VISIT, summary__startswith="特殊情况走访").exists()


@time_machine.travel(NOON_BEIJING, tick=False)
def test_l6_a_visit_entered_late_never_moves_the_clock_back(ledger, demo_users):
    home = ledger["home"]
    on_file_since(home)
    street = demo_users["street"]
    record_visit(home, street, on=dt.date(2026, 11, 20))
    record_visit(home, street, on=dt.date(2026, 9, 15))  # an older visit, written up today
    home.refresh_from_db()
    assert home.next_visit_due == dt.date(2027, 2, 20)


@time_machine.travel(NOON_BEIJING, tick=False)
def test_l6_a_visit_records_each_measures_progress_and_moves_its_status(
    login_as, ledger, demo_users
):
    home = ledger["home"]
    on_file_since(home)
    plan = draw_up_plan(home, demo_users["street"])
    allowance, meals = plan.measures.all()
    client = login_as("worker")  # the agency's worker is not assigned `home`: 404
    assert client.get(visit_url(home)).status_code == 404
    client = login_as("street")
    form = client.get(visit_url(home)).content.decode()
    assert "协助申请高龄津贴" in form and "每周两次上门助餐" in form
    response = client.post(
        visit_url(home),
        visit_form(
            **{
                f"measure_{allowance.pk}_status": MeasureStatus.DONE,
                f"measure_{allowance.pk}_note": "津贴已获批，12 月起发放",
                f"measure_{meals.pk}_status": MeasureStatus.IN_PROGRESS,
                f"measure_{meals.pk}_note": "",
            }
        ),
    )
    assert response.status_code == 302
    visit = home.visits.get()
    assert visit.plan == plan
    progress = {p.measure_id: (p.status, p.note) for p in MeasureProgress.objects.all()}
    assert progress == {
        allowance.pk: (MeasureStatus.DONE, "津贴已获批，12 月起发放"),
        meals.pk: (MeasureStatus.IN_PROGRESS, ""),
    }
    allowance.refresh_from_db()
    assert allowance.status == MeasureStatus.DONE
    detail = client.get(visit_url(home, f"{visit.pk}/")).content.decode()
    assert "津贴已获批，12 月起发放" in detail and "已落实" in detail
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="backoffice.visit", object_id=str(visit.pk)
    ).exists()
    assert "1 项措施状态变化" in home.events.get(kind=TimelineKind.VISIT).summary


@time_machine.travel(NOON_BEIJING, tick=False)
def test_l6_a_visit_must_say_how_the_measures_are_carried_out(login_as, ledger, demo_users):
    home = ledger["home"]
    on_file_since(home)
    plan = draw_up_plan(home, demo_users["street"])
    fields = {f"measure_{m.pk}_status": m.status for m in plan.measures.all()}
    html = login_as("street").post(visit_url(home), visit_form(**fields)).content.decode()
    assert "请记录帮扶措施的落实情况：" in html
    assert not home.visits.exists()
    with pytest.raises(VisitError):
        record_visit(home, demo_users["street"], on=TODAY, measures_progress="")


@time_machine.travel(NOON_BEIJING, tick=False)
def test_l6_a_visit_brings_the_needs_list_up_to_date(login_as, ledger):
    home = ledger["home"]
    on_file_since(home)
    old = Need.objects.create(household=home, need_type="care", description="上门照料")
    other = Need.objects.create(household=ledger["far"], need_type="care", description="旁人")
    response = login_as("street").post(
        visit_url(home),
        visit_form(
            **{
                f"need_{old.pk}_status": NeedStatus.MET,
                "new_need_1_type": "medical",
                "new_need_1_person": str(ledger["zhang"].pk),
                "new_need_1_description": "需要陪同去医院复查",
                "needs": "老人希望有人陪同就医",
            }
        ),
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.status == NeedStatus.MET
    new = home.needs.get(need_type="medical")
    assert new.person == ledger["zhang"] and new.recorded_on == TODAY
    assert new.description == "需要陪同去医院复查" and new.status == NeedStatus.OPEN
    assert home.visits.get().needs == "老人希望有人陪同就医"
    other.refresh_from_db()
    assert other.status == NeedStatus.OPEN  # bystander
    assert "需求更新 1 项、新增 1 项" in home.events.get(kind=TimelineKind.VISIT).summary


@time_machine.travel(NOON_BEIJING, tick=False)
def test_visits_are_validated_with_clear_chinese_messages(login_as, ledger):
    home = ledger["home"]
    on_file_since(home)
    client = login_as("street")
    html = client.post(
        visit_url(home),
        visit_form(visited_on="2026-12-01", visitors="", findings="", new_need_1_description="x"),
    ).content.decode()
    assert "走访日期不能晚于今天" in html
    assert "请填写参加走访的人员" in html
    assert "请记录当前生活状况。" in html
    assert "请选择新需求的类型" in html
    html = client.post(visit_url(home), visit_form(visited_on="2026-05-01")).content.decode()
    assert "走访日期不能早于纳入（或重新纳入）台账的日期（2026-06-01）" in html
    html = client.post(visit_url(home), visit_form(kind="exit_checkin")).content.decode()
    assert "该家庭不能记录这种走访" in html
    assert not home.visits.exists()


@time_machine.travel(NOON_BEIJING, tick=False)
def test_l6_an_overdue_household_shows_in_the_overdue_list(login_as, ledger):
    home, assigned = ledger["home"], ledger["assigned"]
    set_due(home, dt.date(2026, 11, 20))
    set_due(assigned, dt.date(2026, 12, 5))
    page = login_as("street").get(DUE_LIST).content.decode()
    assert home.file_number in page and "已逾期 9 天" in page
    assert assigned.file_number not in page  # due soon, not late
    page = login_as("street").get(DUE_LIST, {"state": "due"}).content.decode()
    assert assigned.file_number in page and "6 天后到期" in page
    assert home.file_number not in page


@time_machine.travel(NOON_BEIJING, tick=False)
def test_the_due_lists_filter_by_street_and_by_worker(login_as, ledger):
    home, assigned, other = ledger["home"], ledger["assigned"], ledger["other_street"]
    for household in (home, assigned, other):
        set_due(household, dt.date(2026, 11, 1))
    client = login_as("dongcheng")
    page = client.get(DUE_LIST).content.decode()
    assert all(h.file_number in page for h in (home, assigned, other))
    page = client.get(DUE_LIST, {"street": "110101002000"}).content.decode()
    assert other.file_number in page and home.file_number not in page
    worker = assigned.assignments.get().worker
    page = client.get(DUE_LIST, {"worker": worker.pk}).content.decode()
    assert assigned.file_number in page
    assert home.file_number not in page and other.file_number not in page


@time_machine.travel(NOON_BEIJING, tick=False)
@pytest.mark.parametrize(
    "username, visible, hidden",
    [
        ("city", ["home", "assigned", "other_street", "far"], []),
        ("dongcheng", ["home", "assigned", "other_street"], ["far"]),
        ("street", ["home", "assigned"], ["other_street", "far"]),
        ("worker", ["assigned"], ["home", "other_street", "far"]),
    ],
)
def test_b1_the_due_lists_hold_only_the_users_area_or_assigned_households(
    login_as, ledger, demo_users, username, visible, hidden
):
    for key in ("home", "assigned", "other_street", "far"):
        set_due(ledger[key], dt.date(2026, 11, 1))
    page = login_as(username).get(DUE_LIST).content.decode()
    for key in visible:
        assert ledger[key].file_number in page
    for key in hidden:
        assert ledger[key].file_number not in page
    # The selectors my-work uses give the same answer.
    late = set(visits_overdue(demo_users[username], today=TODAY).values_list("pk", flat=True))
    assert late == {ledger[key].pk for key in visible}


@time_machine.travel(NOON_BEIJING, tick=False)
def test_the_selectors_split_due_soon_from_overdue(ledger, demo_users):
    home, assigned = ledger["home"], ledger["assigned"]
    set_due(home, TODAY)  # due today: due, not late
    set_due(assigned, TODAY + dt.timedelta(days=20))
    street = demo_users["street"]
    assert list(visits_due(street, today=TODAY)) == [home]
    assert list(visits_due(street, today=TODAY, within_days=30)) == [home, assigned]
    assert list(visits_overdue(street, today=TODAY)) == []
    Household.objects.filter(pk=assigned.pk).update(next_visit_due=None)  # never scheduled
    assert list(visits_overdue(street, today=TODAY)) == [assigned]
    on_file_since(home)
    record_visit(home, street, on=TODAY)  # the visit moves home out of the due list
    assert list(visits_due(street, today=TODAY)) == []
    assert visits_due(street, today=TODAY, within_days=100).get().last_visited_on == TODAY


def test_roles_without_ledger_work_cannot_open_the_due_list(login_as, ledger):
    assert login_as("auditor").get(DUE_LIST).status_code in (302, 403)


OUTSIDE = [
    ("dongcheng", "far"),
    ("street", "other_street"),
    ("street", "far"),
    ("worker", "home"),
    ("auditor", "home"),
]


@pytest.mark.parametrize("username, key", OUTSIDE)
def test_b1_visit_pages_outside_the_scope_answer_404(login_as, ledger, demo_users, username, key):
    household = ledger[key]
    visit = record_visit(household, demo_users["city"], on=household.entered_on)
    client = login_as(username)
    assert client.get(visit_url(household)).status_code == 404
    assert client.get(visit_url(household, f"{visit.pk}/")).status_code == 404
    response = client.post(visit_url(household), visit_form(visited_on=household.entered_on))
    assert response.status_code == 404
    assert household.visits.count() == 1


def test_a_visit_of_another_household_is_not_reachable_through_this_one(
    login_as, ledger, demo_users
):
    far_visit = record_visit(ledger["far"], demo_users["city"], on=ledger["far"].entered_on)
    response = login_as("street").get(visit_url(ledger["home"], f"{far_visit.pk}/"))
    assert response.status_code == 404


def test_an_agency_worker_records_a_visit_of_an_assigned_household(login_as, ledger):
    assigned = ledger["assigned"]
    response = login_as("worker").post(
        visit_url(assigned), visit_form(visited_on=assigned.entered_on.isoformat())
    )
    assert response.status_code == 302
    assert assigned.visits.get().recorded_by.username == "worker"


def test_the_city_bureau_reads_but_records_no_visit(login_as, ledger):
    home = ledger["home"]
    client = login_as("city")
    assert client.get(f"/admin/households/inspect/{home.pk}/").status_code == 200
    response = client.post(visit_url(home), visit_form(visited_on=home.entered_on.isoformat()))
    assert response.status_code in (302, 403)
    assert not home.visits.exists()
