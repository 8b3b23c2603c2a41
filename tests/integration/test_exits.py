"""Issue 5, item 5: exit and re-entry (D3). A household or a member leaves the ledger with a
coded reason ("other" with text) after an exit-review visit; the file stays readable; a
check-in visit is due 3 months after the exit; re-entry keeps the history and starts a new
follow-up clock (L6). Scoped (B1), audited (C1), on the timeline (L7).

Personas: street (东华门街道 station) and dongcheng (district) decide exits; worker (agency)
makes visits but decides no exit; city reads; auditor sees nothing.
"""

import datetime as dt

import pytest
import time_machine

from backoffice.enums import AuditAction, ExitReason, HouseholdStatus, TimelineKind, VisitKind
from backoffice.models import AuditEvent, Household, LedgerExit
from backoffice.services.exits import ExitError, household_exit, household_reenter, person_exit
from backoffice.services.visits import checkins_due, visits_overdue
from tests.integration.household_work import (
    NOON_BEIJING,
    TODAY,
    as_actor,
    draw_up_plan,
    on_file_since,
    record_visit,
    visit_form,
)


def exit_url(household):
    return f"/admin/households/{household.pk}/exit/"


def reenter_url(household):
    return f"/admin/households/{household.pk}/reenter/"


def exit_form(review, **overrides):
    data = {
        "target": "household",
        "reason": "out_of_hardship",
        "reason_text": "",
        "review_visit": review.pk if review else "",
        "exited_on": TODAY.isoformat(),
    }
    data.update(overrides)
    return data


def review_visit(household, user, on=dt.date(2026, 11, 25)):
    return record_visit(
        household,
        user,
        on=on,
        kind=VisitKind.EXIT_REVIEW,
        findings="儿子已就业，家庭月收入超过低收入标准",
    )


def exited(household, user, *, on=TODAY, reason=ExitReason.OUT_OF_HARDSHIP):
    return household_exit(
        household=household,
        reason=reason,
        review_visit=review_visit(household, user, on=on),
        exited_on=on,
        actor=as_actor(user),
    )


@time_machine.travel(NOON_BEIJING, tick=False)
def test_d3_an_exit_needs_an_exit_review_visit_first(login_as, ledger, demo_users):
    home = ledger["home"]
    on_file_since(home)
    record_visit(home, demo_users["street"], on=dt.date(2026, 11, 20))  # a follow-up is not one
    client = login_as("street")
    page = client.get(exit_url(home)).content.decode()
    assert "请先记录退出评估走访" in page
    assert f"/admin/households/{home.pk}/visits/new/?kind=exit_review" in page
    html = client.post(exit_url(home), exit_form(None)).content.decode()
    assert "请先记录退出评估走访，再办理退出" in html
    home.refresh_from_db()
    assert home.status == HouseholdStatus.ACTIVE and not LedgerExit.objects.exists()
    with pytest.raises(ExitError, match="请先记录退出评估走访"):
        household_exit(
            household=home,
            reason=ExitReason.OUT_OF_HARDSHIP,
            review_visit=None,
            actor=as_actor(demo_users["street"]),
        )


@time_machine.travel(NOON_BEIJING, tick=False)
def test_d3_a_household_exits_with_a_coded_reason_after_a_review_visit(
    login_as, ledger, demo_users
):
    home, far = ledger["home"], ledger["far"]
    on_file_since(home)
    review = review_visit(home, demo_users["street"])
    client = login_as("street")
    page = client.get(exit_url(home)).content.decode()
    assert "2026-11-25" in page and "儿子已就业" in page  # the review visit to choose
    response = client.post(exit_url(home), exit_form(review), follow=True)
    assert "已办理整户退出。退出后回访日期：2027-02-28" in response.content.decode()
    home.refresh_from_db()
    assert home.status == HouseholdStatus.EXITED and home.exited_on == TODAY
    assert home.next_visit_due is None  # the follow-up clock stops
    assert home.checkin_due == dt.date(2027, 2, 28)  # D3: a check-in 3 months after the exit
    record = LedgerExit.objects.get()
    assert (record.household, record.person, record.reason, record.review_visit) == (
        home,
        None,
        ExitReason.OUT_OF_HARDSHIP,
        review,
    )
    event = AuditEvent.objects.get(action=AuditAction.EXIT)
    assert event.object_id == str(home.pk) and event.detail["reason"] == "out_of_hardship"
    assert home.events.filter(
        kind=TimelineKind.EXIT, summary__startswith="整户退出台账：已脱困（依据 2026-11-25"
    ).exists()
    far.refresh_from_db()
    assert far.status == HouseholdStatus.ACTIVE and far.next_visit_due is not None  # bystander


@time_machine.travel(NOON_BEIJING, tick=False)
def test_d3_the_reason_other_needs_a_written_reason(login_as, ledger, demo_users):
    home = ledger["home"]
    on_file_since(home)
    review = review_visit(home, demo_users["street"])
    client = login_as("street")
    html = client.post(exit_url(home), exit_form(review, reason="other")).content.decode()
    assert "选择“其他”时，请写明具体的退出原因" in html
    html = client.post(exit_url(home), exit_form(review, reason="")).content.decode()
    assert "请选择退出原因" in html
    assert Household.objects.get(pk=home.pk).status == HouseholdStatus.ACTIVE
    response = client.post(
        exit_url(home), exit_form(review, reason="other", reason_text="全家投靠外省子女生活")
    )
    assert response.status_code == 302
    assert LedgerExit.objects.get().reason_label == "其他：全家投靠外省子女生活"


@time_machine.travel(NOON_BEIJING, tick=False)
def test_d3_a_review_visit_older_than_three_months_does_not_count(ledger, demo_users):
    home = ledger["home"]
    on_file_since(home)
    street = demo_users["street"]
    old_review = review_visit(home, street, on=dt.date(2026, 8, 20))
    with pytest.raises(ExitError, match="退出日期前 3 个月内的退出评估走访"):
        household_exit(
            household=home,
            reason=ExitReason.NO_LONGER_ELIGIBLE,
            review_visit=old_review,
            actor=as_actor(street),
        )
    assert Household.objects.get(pk=home.pk).status == HouseholdStatus.ACTIVE


@time_machine.travel(NOON_BEIJING, tick=False)
def test_d3_an_exited_file_stays_readable_within_the_scope(login_as, ledger, demo_users):
    home = ledger["home"]
    on_file_since(home)
    draw_up_plan(home, demo_users["street"])
    exited(home, demo_users["street"])
    for username in ("street", "dongcheng", "city"):
        page = login_as(username).get(f"/admin/households/inspect/{home.pk}/").content.decode()
        assert "已退出" in page and "整户退出：已脱困" in page and "张三" in page
        assert login_as(username).get(f"/admin/households/{home.pk}/plan/").status_code == 200
    listing = login_as("street").get("/admin/households/", {"status": "exited"}).content.decode()
    assert home.file_number in listing
    assert login_as("worker").get(f"/admin/households/inspect/{home.pk}/").status_code == 404


@time_machine.travel(NOON_BEIJING, tick=False)
def test_d3_an_exited_household_gets_one_check_in_three_months_later(login_as, ledger, demo_users):
    home = ledger["home"]
    on_file_since(home)
    street = demo_users["street"]
    exited(home, street, on=dt.date(2026, 8, 31))
    home.refresh_from_db()
    assert home.checkin_due == dt.date(2026, 11, 30)
    assert list(checkins_due(street, today=TODAY)) == [home]
    assert home not in visits_overdue(street, today=TODAY)  # no follow-up clock once exited
    client = login_as("street")
    page = client.get("/admin/visits-due/", {"state": "checkin"}).content.decode()
    assert home.file_number in page and "1 天后到期" in page
    html = client.post(
        f"/admin/households/{home.pk}/visits/new/", visit_form(kind="follow_up")
    ).content.decode()
    assert "该家庭不能记录这种走访" in html
    response = client.post(
        f"/admin/households/{home.pk}/visits/new/",
        visit_form(kind="exit_checkin", findings="儿子稳定就业，生活正常"),
    )
    assert response.status_code == 302
    home.refresh_from_db()
    assert home.checkin_due is None and home.status == HouseholdStatus.EXITED
    assert LedgerExit.objects.get().checkin_visit.kind == VisitKind.EXIT_CHECKIN
    assert list(checkins_due(street, today=TODAY)) == []
    assert "退出后回访已完成" in home.events.filter(kind=TimelineKind.VISIT).first().summary


@time_machine.travel(NOON_BEIJING, tick=False)
def test_d3_re_entry_keeps_the_history_and_starts_a_new_follow_up_clock(
    login_as, ledger, demo_users
):
    home = ledger["home"]
    on_file_since(home)
    street = demo_users["street"]
    draw_up_plan(home, street)
    exited(home, street, on=dt.date(2026, 10, 10))
    client = login_as("street")
    html = client.post(reenter_url(home), {"target": "household", "reason": ""}).content.decode()
    assert "请写明重新纳入的原因" in html
    html = client.post(
        reenter_url(home),
        {"target": "household", "reason": "儿子失业，再次陷入困难", "reentered_on": "2026-10-01"},
    ).content.decode()
    assert "重新纳入日期不能早于退出日期（2026-10-10）" in html
    response = client.post(
        reenter_url(home),
        {"target": "household", "reason": "儿子失业，再次陷入困难", "reentered_on": "2026-11-29"},
    )
    assert response.status_code == 302
    home.refresh_from_db()
    assert home.status == HouseholdStatus.ACTIVE and home.exited_on is None
    assert home.next_visit_due == dt.date(2027, 2, 28)  # a new clock from the re-entry
    assert home.checkin_due is None
    record = LedgerExit.objects.get()
    assert record.reentered_on == TODAY and record.reentry_reason == "儿子失业，再次陷入困难"
    assert home.plans.count() == 1 and home.visits.count() == 1  # history kept
    kinds = list(home.events.values_list("kind", flat=True))
    assert TimelineKind.EXIT in kinds and TimelineKind.REENTRY in kinds
    page = client.get(f"/admin/households/inspect/{home.pk}/").content.decode()
    assert "2026-11-29 重新纳入：儿子失业，再次陷入困难" in page
    assert AuditEvent.objects.filter(action=AuditAction.REENTER, object_id=str(home.pk)).exists()
    # A visit before the re-entry no longer counts for this stay in the ledger.
    html = client.post(
        f"/admin/households/{home.pk}/visits/new/", visit_form(visited_on="2026-11-01")
    ).content.decode()
    assert "走访日期不能早于纳入（或重新纳入）台账的日期（2026-11-29）" in html


@time_machine.travel(NOON_BEIJING, tick=False)
def test_d3_a_member_exits_and_no_longer_counts_for_completeness(login_as, ledger, demo_users):
    home, zhang = ledger["home"], ledger["zhang"]
    on_file_since(home)
    review = review_visit(home, demo_users["street"])
    client = login_as("street")
    before = client.get(f"/admin/households/inspect/{home.pk}/").content.decode()
    assert "张三：健康状况" in before  # a missing L2 item of his category
    response = client.post(
        exit_url(home), exit_form(review, target=f"person:{zhang.pk}", reason="deceased")
    )
    assert response.status_code == 302
    zhang.refresh_from_db()
    home.refresh_from_db()
    assert zhang.exited_on == TODAY and home.status == HouseholdStatus.ACTIVE
    assert LedgerExit.objects.get().person == zhang
    page = client.get(f"/admin/households/inspect/{home.pk}/").content.decode()
    assert "张三：健康状况" not in page and "已退出 2026-11-29" in page
    assert "成员 张三 退出台账：死亡" in page
    assert AuditEvent.objects.filter(
        action=AuditAction.EXIT, object_type="backoffice.person", object_id=str(zhang.pk)
    ).exists()
    response = client.post(
        reenter_url(home),
        {
            "target": f"person:{zhang.pk}",
            "reason": "死亡登记有误，已更正",
            "reentered_on": "2026-11-29",
        },
    )
    assert response.status_code == 302
    zhang.refresh_from_db()
    assert zhang.exited_on is None


@time_machine.travel(NOON_BEIJING, tick=False)
def test_d3_two_staff_exiting_at_once_make_one_exit(ledger, demo_users):
    home = ledger["home"]
    on_file_since(home)
    street = demo_users["street"]
    review = review_visit(home, street)
    stale = Household.objects.get(pk=home.pk)
    household_exit(
        household=home, reason="out_of_hardship", review_visit=review, actor=as_actor(street)
    )
    with pytest.raises(ExitError, match="该家庭已退出台账"):
        household_exit(
            household=stale,
            reason="deceased",
            review_visit=review,
            actor=as_actor(demo_users["dongcheng"]),
        )
    assert LedgerExit.objects.count() == 1
    with pytest.raises(ExitError, match="该家庭在册"):
        household_reenter(
            household=ledger["assigned"], reason="无需重新纳入的家庭", actor=as_actor(street)
        )


def test_an_agency_worker_makes_the_review_visit_but_decides_no_exit(login_as, ledger):
    assigned = ledger["assigned"]
    client = login_as("worker")
    response = client.post(
        f"/admin/households/{assigned.pk}/visits/new/",
        visit_form(kind="exit_review", visited_on=assigned.entered_on.isoformat()),
    )
    assert response.status_code == 302
    review = assigned.visits.get()
    assert client.get(exit_url(assigned)).status_code in (302, 403)
    assert client.post(exit_url(assigned), exit_form(review)).status_code in (302, 403)
    assert Household.objects.get(pk=assigned.pk).status == HouseholdStatus.ACTIVE


def test_the_city_bureau_decides_no_exit(login_as, ledger):
    client = login_as("city")
    assert client.get(exit_url(ledger["home"])).status_code in (302, 403)
    assert client.get(reenter_url(ledger["home"])).status_code in (302, 403)


OUTSIDE = [
    ("dongcheng", "far"),
    ("street", "other_street"),
    ("street", "far"),
    ("worker", "home"),
    ("auditor", "home"),
]


@pytest.mark.parametrize("username, key", OUTSIDE)
def test_b1_exit_and_reentry_outside_the_scope_answer_404(
    login_as, ledger, demo_users, username, key
):
    household = ledger[key]
    review = review_visit(household, demo_users["city"], on=household.entered_on)
    client = login_as(username)
    assert client.get(exit_url(household)).status_code == 404
    assert client.post(exit_url(household), exit_form(review)).status_code == 404
    assert client.get(reenter_url(household)).status_code == 404
    assert (
        client.post(
            reenter_url(household), {"target": "household", "reason": "试图越权"}
        ).status_code
        == 404
    )
    assert Household.objects.get(pk=household.pk).status == HouseholdStatus.ACTIVE


@time_machine.travel(NOON_BEIJING, tick=False)
def test_d3_a_member_of_an_exited_household_needs_no_exit_of_their_own(ledger, demo_users):
    home = ledger["home"]
    on_file_since(home)
    street = demo_users["street"]
    record = exited(home, street)
    with pytest.raises(ExitError, match="该家庭已整户退出台账"):
        person_exit(
            person=ledger["zhang"],
            reason=ExitReason.DECEASED,
            review_visit=record.review_visit,
            actor=as_actor(street),
        )
    ledger["zhang"].refresh_from_db()
    assert ledger["zhang"].exited_on is None


@time_machine.travel(NOON_BEIJING, tick=False)
def test_d3_an_exited_file_is_read_only_until_it_re_enters(login_as, ledger, demo_users):
    """The file keeps what it held when it left: no edit of the household, a member, a
    category, a benefit or a need (each refused with the reason); re-entry opens it again."""
    from backoffice.models import Need
    from tests.integration.test_ledger_edits import household_form, person_form

    home, zhang = ledger["home"], ledger["zhang"]
    on_file_since(home)
    exited(home, demo_users["street"])
    home.refresh_from_db()
    zhang.refresh_from_db()
    client = login_as("street")
    refused = "该家庭已整户退出台账，档案只读"
    response = client.post(
        f"/admin/households/edit/{home.pk}/", household_form(home, address="改过的地址")
    )
    assert refused in response.content.decode()
    response = client.post(f"/admin/persons/edit/{zhang.pk}/", person_form(zhang, name="张叁"))
    assert refused in response.content.decode()
    need = {"household": home.pk, "need_type": "care", "person": zhang.pk,
            "description": "需要助餐服务", "status": "open"}  # fmt: skip
    assert refused in client.post("/admin/needs/new/", need).content.decode()
    category = zhang.categories.get()
    response = client.post(f"/admin/person-categories/delete/{category.pk}/", follow=True)
    assert refused in response.content.decode()
    home.refresh_from_db()
    zhang.refresh_from_db()
    assert home.address != "改过的地址" and zhang.name == "张三"
    assert zhang.categories.exists() and not Need.objects.filter(household=home).exists()
    household_reenter(household=home, reason="再次遇到困难", actor=as_actor(demo_users["street"]))
    home.refresh_from_db()
    response = client.post(
        f"/admin/households/edit/{home.pk}/", household_form(home, address="东华门大街1号院")
    )
    assert response.status_code == 302
