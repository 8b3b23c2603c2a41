"""Issue 5, item 4: resource linking (资源链接) — eligible but not enrolled to the street
department (U1), proxy application with its materials (U2), still in difficulty to government,
social organisations or charities (U3), supervision of a plan (U4); status, due date, outcome,
the overdue flag; scoped (B1), audited (C1), on the timeline (L7).

Personas: street (东华门街道 station), dongcheng (district), worker (assigned households only),
city (reads), auditor (nothing). Bystander: a referral of 王五 in 朝阳区.
"""

import datetime as dt

import pytest

from backoffice.enums import AuditAction, ReferralStatus, TimelineKind
from backoffice.models import AuditEvent, HouseholdEvent, Referral
from backoffice.services.cases import CaseworkError
from backoffice.services.referrals import (
    referral_create,
    referral_update_status,
    referrals_waiting,
)
from backoffice.workdays import add_workdays
from tests.integration.casework import as_actor, days_ago, today


def make_referral(household, user, *, sent=5, due=10, **overrides):
    data = dict(
        household=household,
        kind="still_in_difficulty",
        target_type="charity",
        target="北京市慈善基金会",
        description="医疗自付部分负担重",
        help_mode="many_to_one",
        sent_on=days_ago(sent),
        due_on=days_ago(sent - due),
        actor=as_actor(user),
    )
    data.update(overrides)
    return referral_create(**data)


@pytest.fixture
def referrals(ledger, demo_users):
    """An open referral in each jurisdiction, none overdue."""
    street, city, worker = demo_users["street"], demo_users["city"], demo_users["worker"]
    return {
        "home": make_referral(ledger["home"], street, target="东华门慈善协会"),
        "assigned": make_referral(ledger["assigned"], worker, target="阳光公益基金"),
        "far": make_referral(ledger["far"], city, target="朝阳区慈善协会"),
    }


def referral_form(ledger, **overrides):
    data = {
        "household": ledger["home"].pk,
        "person": ledger["zhang"].pk,
        "kind": "eligible_not_enrolled",
        "target_type": "street_department",
        "target": "东华门街道社会保障事务所",
        "description": "独居老人符合高龄津贴条件，尚未申领",
        "benefit_type": "elder_allowance",
        "proxy_by": "",
        "materials": "",
        "help_mode": "",
        "sent_on": today().isoformat(),
        "due_on": "",
    }
    data.update(overrides)
    return data


def link(referral) -> str:
    return f'href="/admin/referrals/{referral.pk}/"'


# Creating referrals (U1-U4) -------------------------------------------------------------------


def test_u1_an_eligible_person_is_linked_to_the_street_department(login_as, ledger):
    client = login_as("street")
    response = client.post("/admin/referrals/new/", referral_form(ledger))
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/referrals/{referral.pk}/"
    assert referral.kind == "eligible_not_enrolled" and referral.benefit_type == "elder_allowance"
    assert referral.status == ReferralStatus.SENT and referral.person == ledger["zhang"]
    # No due date typed: ten working days after sending.
    assert referral.due_on == add_workdays(today(), 10).date
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="backoffice.referral")
    assert "target" in event.detail["fields"] and "社会保障" not in str(event.detail)
    page = client.get(f"/admin/referrals/{referral.pk}/").content.decode()
    assert "东华门街道社会保障事务所" in page and "高龄津贴" in page and "已发送" in page
    file = client.get(f"/admin/households/inspect/{ledger['home'].pk}/").content.decode()
    assert "资源链接 · 符合条件未纳入 → 东华门街道社会保障事务所" in file
    assert link(referral) in file


def test_the_form_opens_with_todays_date_in_a_date_picker(login_as, ledger):
    html = login_as("street").get(f"/admin/referrals/new/?household={ledger['home'].pk}")
    assert f'type="date" name="sent_on" value="{today().isoformat()}"' in html.content.decode()


def test_u1_goes_to_the_street_department_only(login_as, ledger):
    data = referral_form(ledger, target_type="charity")
    html = login_as("street").post("/admin/referrals/new/", data).content.decode()
    assert "“符合条件未纳入”只能链接到：街道（乡镇）相关部门" in html
    assert not Referral.objects.exists()


def test_u1_names_the_benefit(login_as, ledger):
    data = referral_form(ledger, benefit_type="")
    html = login_as("street").post("/admin/referrals/new/", data).content.decode()
    assert "请选择符合条件、需要申请的保障" in html
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    "missing, message",
    [
        ("proxy_by", "请选择代为申请的是村（居）委会还是社工机构"),
        ("materials", "请列明代为准备并递交的申请材料"),
    ],
)
def test_u2_a_proxy_application_names_the_proxy_and_the_materials(
    login_as, ledger, missing, message
):
    data = referral_form(
        ledger,
        kind="proxy_application",
        benefit_type="dibao",
        proxy_by="committee",
        materials="申请书、户口簿复印件、收入证明",
    )
    data[missing] = ""
    client = login_as("street")
    assert message in client.post("/admin/referrals/new/", data).content.decode()
    assert not Referral.objects.exists()
    data[missing] = {"proxy_by": "committee", "materials": "申请书、收入证明"}[missing]
    assert client.post("/admin/referrals/new/", data).status_code == 302
    referral = Referral.objects.get()
    assert referral.proxy_by == "committee" and "申请书" in referral.materials


def test_u3_still_in_difficulty_goes_to_charities_with_a_help_mode(login_as, ledger):
    data = referral_form(
        ledger, kind="still_in_difficulty", target_type="charity", target="北京市慈善协会"
    )
    client = login_as("street")
    html = client.post("/admin/referrals/new/", data).content.decode()
    assert "请选择帮扶方式：一对一、多对一或慈善众筹" in html
    data["help_mode"] = "crowdfunding"
    assert client.post("/admin/referrals/new/", data).status_code == 302
    referral = Referral.objects.get()
    assert referral.help_mode == "crowdfunding"
    assert referral.benefit_type == ""  # a field of another kind is not kept
    assert "慈善众筹" in client.get(f"/admin/referrals/{referral.pk}/").content.decode()


def test_u3_does_not_go_to_the_street_department(ledger, demo_users):
    with pytest.raises(CaseworkError, match="政府部门、社会组织、慈善组织"):
        make_referral(ledger["home"], demo_users["street"], target_type="street_department")


def test_u4_a_supervision_contact_goes_to_the_responsible_department(login_as, ledger):
    data = referral_form(
        ledger,
        kind="supervision",
        target_type="government",
        target="东城区医疗保障局",
        description="核查帮扶计划中“大病医疗救助”措施的落实进度",
        benefit_type="",
    )
    assert login_as("street").post("/admin/referrals/new/", data).status_code == 302
    assert Referral.objects.get().kind == "supervision"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"target": ""}, "请填写对接的部门或组织名称"),
        ({"description": ""}, "请写明链接的事由"),
        ({"sent_on": "2999-01-01"}, "发送日期不能晚于今天"),
        ({"due_on": "2000-01-01"}, "反馈期限不能早于发送日期"),
        ({"kind": ""}, "请选择链接类型"),
    ],
)
def test_an_incomplete_referral_is_refused(login_as, ledger, overrides, message):
    html = login_as("street").post("/admin/referrals/new/", referral_form(ledger, **overrides))
    assert message in html.content.decode()
    assert not Referral.objects.exists()


def test_a_referral_outside_the_scope_cannot_be_created(login_as, ledger):
    data = referral_form(ledger, household=ledger["far"].pk, person="")
    html = login_as("street").post("/admin/referrals/new/", data).content.decode()
    assert "找不到该家庭档案，或它不在您的辖区内" in html
    assert not Referral.objects.exists()


def test_a_member_of_another_household_is_refused(login_as, ledger):
    data = referral_form(ledger, person=ledger["assigned"].members.get().pk)
    html = login_as("street").post("/admin/referrals/new/", data).content.decode()
    assert "所选成员不属于该家庭" in html
    assert not Referral.objects.exists()


# Status and outcome ---------------------------------------------------------------------------


def test_done_needs_the_outcome_in_words(login_as, referrals):
    referral = referrals["home"]
    client = login_as("street")
    html = client.post(f"/admin/referrals/{referral.pk}/status/", {"status": "done"})
    assert "办结或被拒绝时，请填写办理结果" in html.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT and referral.closed_on is None
    response = client.post(
        f"/admin/referrals/{referral.pk}/status/",
        {"status": "done", "outcome": "慈善协会资助医疗费 5000 元"},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DONE and referral.closed_on == today()
    assert referral.outcome == "慈善协会资助医疗费 5000 元"
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(referral.pk))
    assert event.detail == {"fields": ["status", "closed_on", "outcome"]}
    file = client.get(f"/admin/households/inspect/{referral.household_id}/").content.decode()
    assert "资源链接 · 仍有困难 → 东华门慈善协会：已发送 → 已办结" in file
    assert referrals["assigned"].status == ReferralStatus.SENT  # bystander


def test_declined_needs_the_reason(referrals, demo_users):
    referral = referrals["home"]
    actor = as_actor(demo_users["street"])
    with pytest.raises(CaseworkError, match="请填写办理结果"):
        referral_update_status(referral=referral, status="declined", outcome=" ", actor=actor)
    referral_update_status(
        referral=referral, status="declined", outcome="不符合资助条件", actor=actor
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED


def test_an_acknowledged_referral_keeps_running_until_done(login_as, referrals):
    referral = referrals["home"]
    client = login_as("street")
    response = client.post(f"/admin/referrals/{referral.pk}/status/", {"status": "acknowledged"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACKNOWLEDGED and referral.acknowledged_on == today()
    html = client.post(f"/admin/referrals/{referral.pk}/status/", {"status": "acknowledged"})
    assert "不能从“已接收”改为所选状态" in html.content.decode()
    assert HouseholdEvent.objects.filter(
        household=referral.household,
        kind=TimelineKind.REFERRAL,
        summary__endswith="已发送 → 已接收",
    ).exists()


def test_a_finished_referral_cannot_change_again(login_as, referrals, demo_users):
    referral = referrals["home"]
    referral_update_status(
        referral=referral, status="done", outcome="已办结", actor=as_actor(demo_users["street"])
    )
    client = login_as("street")
    page = client.get(f"/admin/referrals/{referral.pk}/").content.decode()
    assert "登记办理情况" not in page
    html = client.post(f"/admin/referrals/{referral.pk}/status/", {"status": "declined"})
    assert "该资源链接已办结，不能再更改状态" in html.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DONE


def test_a_status_date_before_sending_is_refused(referrals, demo_users):
    referral = referrals["home"]
    with pytest.raises(CaseworkError, match="办理日期不能早于发送日期"):
        referral_update_status(
            referral=referral,
            status="acknowledged",
            on=referral.sent_on - dt.timedelta(days=1),
            actor=as_actor(demo_users["street"]),
        )


# Overdue --------------------------------------------------------------------------------------


@pytest.fixture
def overdue(ledger, demo_users):
    """Sent 20 days ago, due 5 days ago, still open."""
    return make_referral(ledger["home"], demo_users["street"], sent=20, due=15, target="逾期慈善会")


def test_an_open_referral_past_its_due_date_is_flagged_overdue(login_as, referrals, overdue):
    client = login_as("street")
    page = client.get(f"/admin/referrals/{overdue.pk}/").content.decode()
    assert 'id="overdue-flag"' in page
    fresh = client.get(f"/admin/referrals/{referrals['home'].pk}/").content.decode()
    assert 'id="overdue-flag"' not in fresh
    file = client.get(f"/admin/households/inspect/{overdue.household_id}/").content.decode()
    assert file.count("已逾期") == 1


def test_a_finished_referral_is_never_overdue(login_as, overdue, demo_users):
    referral_update_status(
        referral=overdue, status="done", outcome="已办结", actor=as_actor(demo_users["street"])
    )
    page = login_as("street").get(f"/admin/referrals/{overdue.pk}/").content.decode()
    assert 'id="overdue-flag"' not in page


def test_the_listing_filters_overdue_referrals(login_as, referrals, overdue):
    client = login_as("street")
    listing = client.get("/admin/referrals/").content.decode()
    assert link(overdue) in listing and link(referrals["home"]) in listing
    flagged = client.get("/admin/referrals/?overdue=yes").content.decode()
    assert link(overdue) in flagged
    assert link(referrals["home"]) not in flagged and link(referrals["assigned"]) not in flagged
    on_time = client.get("/admin/referrals/?overdue=no").content.decode()
    assert link(overdue) not in on_time and link(referrals["home"]) in on_time


def test_the_listing_filters_by_status_and_kind(login_as, referrals, ledger, demo_users):
    u1 = make_referral(
        ledger["home"],
        demo_users["street"],
        kind="eligible_not_enrolled",
        target_type="street_department",
        target="街道社保所",
        benefit_type="dibao",
        help_mode="",
    )
    client = login_as("street")
    by_kind = client.get("/admin/referrals/?kind=eligible_not_enrolled").content.decode()
    assert link(u1) in by_kind and link(referrals["home"]) not in by_kind
    by_status = client.get("/admin/referrals/?status=acknowledged").content.decode()
    assert link(u1) not in by_status


def test_referrals_waiting_lists_open_ones_overdue_first_within_the_scope(
    referrals, overdue, demo_users
):
    street = demo_users["street"]
    done = make_referral(overdue.household, street, sent=30, due=10, target="已办结的")
    referral_update_status(referral=done, status="done", outcome="办结", actor=as_actor(street))
    waiting = list(referrals_waiting(street, today=today()))
    assert waiting == [overdue, referrals["home"], referrals["assigned"]]
    assert [r.is_overdue for r in waiting] == [True, False, False]
    assert list(referrals_waiting(demo_users["worker"], today=today())) == [referrals["assigned"]]
    assert referrals["far"] in referrals_waiting(demo_users["city"], today=today())


# Scope (B1) and roles -------------------------------------------------------------------------


SCOPES = [
    ("city", ["home", "assigned", "far"], []),
    ("dongcheng", ["home", "assigned"], ["far"]),
    ("street", ["home", "assigned"], ["far"]),
    ("worker", ["assigned"], ["home", "far"]),
]


@pytest.mark.parametrize("username, visible, hidden", SCOPES)
def test_b1_each_role_sees_the_referrals_of_its_jurisdiction_and_404_outside(
    login_as, referrals, username, visible, hidden
):
    client = login_as(username)
    listing = client.get("/admin/referrals/").content.decode()
    for key in visible:
        assert link(referrals[key]) in listing
        assert client.get(f"/admin/referrals/{referrals[key].pk}/").status_code == 200
    for key in hidden:
        pk = referrals[key].pk
        assert f'href="/admin/referrals/{pk}/"' not in listing
        assert client.get(f"/admin/referrals/{pk}/").status_code == 404
        response = client.post(f"/admin/referrals/{pk}/status/", {"status": "done", "outcome": "x"})
        assert response.status_code == 404
    assert not Referral.objects.exclude(status=ReferralStatus.SENT).exists()


def test_opening_a_referral_is_audited(login_as, referrals):
    referral = referrals["assigned"]
    login_as("worker").get(f"/admin/referrals/{referral.pk}/")
    event = AuditEvent.objects.get(action=AuditAction.VIEW, object_type="backoffice.referral")
    assert event.object_id == str(referral.pk) and event.actor_username == "worker"


def test_an_agency_worker_follows_up_its_assigned_referrals(login_as, referrals, ledger):
    client = login_as("worker")
    referral = referrals["assigned"]
    response = client.post(f"/admin/referrals/{referral.pk}/status/", {"status": "acknowledged"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACKNOWLEDGED
    data = referral_form(ledger, household=ledger["assigned"].pk, person="")
    assert client.post("/admin/referrals/new/", data).status_code == 302
    data = referral_form(ledger)  # the 东华门 household not assigned to the worker
    assert "不在您的辖区内" in client.post("/admin/referrals/new/", data).content.decode()


def test_the_city_bureau_reads_referrals_but_changes_nothing(login_as, referrals):
    client = login_as("city")
    referral = referrals["home"]
    page = client.get(f"/admin/referrals/{referral.pk}/").content.decode()
    assert "登记办理情况" not in page
    response = client.post(f"/admin/referrals/{referral.pk}/status/", {"status": "acknowledged"})
    assert response.status_code in (302, 403)
    assert client.get("/admin/referrals/new/").status_code in (302, 403)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT


def test_the_auditor_has_no_access_to_referrals(login_as, referrals):
    client = login_as("auditor")
    assert client.get("/admin/referrals/").status_code in (302, 403)
    assert client.get(f"/admin/referrals/{referrals['home'].pk}/").status_code == 404
    assert client.get("/admin/referrals/new/").status_code in (302, 403)
