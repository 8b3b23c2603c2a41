"""Issue 5, item 3: case assistance (个案帮扶) — the services of each group (U5-U9), at least five
sessions with content, plan step, change and goal (U10), early closure with a coded reason and a
supervisor's confirmation, the case ledger; scoped (B1, B4), audited (C1), on the timeline (L7).

Personas: street (东华门街道 station, a supervisor), dongcheng (district, a supervisor), worker
(agency social worker, assigned households only, no supervisor), city (reads), auditor (nothing).
Bystanders: the case of 王五 in 朝阳区 and the case of another household.
"""

import datetime as dt

import pytest

from backoffice.demo.accounts import DEMO_AGENCY
from backoffice.enums import (
    SERVICE_TYPES_BY_GROUP,
    AuditAction,
    CaseStatus,
    Category,
    ServiceType,
    Subtype,
    TimelineKind,
)
from backoffice.models import AuditEvent, Case, CaseSession, HouseholdEvent
from backoffice.services.cases import (
    CaseworkError,
    case_close_early_request,
    case_complete,
    case_open,
    cases_short_of_sessions,
    group_services_message,
)
from backoffice.services.errors import RuleError
from tests.integration.casework import (
    as_actor,
    give_category,
    open_elderly_case,
    record_sessions,
    today,
)


@pytest.fixture
def cases(ledger, demo_users):
    """A case in each jurisdiction: home (东华门), assigned (东华门, the worker's), far (朝阳)."""
    street, city = demo_users["street"], demo_users["city"]
    home = open_elderly_case(household=ledger["home"], person=ledger["zhang"], user=street)
    li = ledger["assigned"].members.get()
    worker = demo_users["worker"]
    assigned = open_elderly_case(household=ledger["assigned"], person=li, user=worker)
    far = open_elderly_case(household=ledger["far"], person=ledger["wang"], user=city)
    return {"home": home, "assigned": assigned, "far": far}


def link(case) -> str:
    return f'href="/admin/cases/{case.pk}/"'


def case_form(ledger, user, **overrides):
    data = {
        "household": ledger["home"].pk,
        "person": ledger["zhang"].pk,
        "group": "S2",
        "service_types": ["emotional_comfort", "policy_information"],
        "goals": "每周上门陪伴，缓解孤独",
        "planned_sessions": 6,
        "worker": user.pk,
        "opened_on": today().isoformat(),
    }
    data.update(overrides)
    return data


def session_form(user, **overrides):
    data = {
        "held_on": today().isoformat(),
        "worker": user.pk,
        "service_type": "emotional_comfort",
        "content": "上门陪伴，聊家常，检查燃气灶",
        "plan_step": "措施2：每周上门探访一次",
        "change_degree": "some",
        "goal_met": "on",
    }
    data.update(overrides)
    return data


# Opening a case (U5-U9) -----------------------------------------------------------------------


def test_u6_a_station_opens_a_case_for_an_elderly_person_and_it_is_on_the_file(
    login_as, ledger, demo_users
):
    client = login_as("street")
    response = client.post("/admin/cases/new/", case_form(ledger, demo_users["street"]))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/cases/{case.pk}/"
    assert case.group == "S2" and case.planned_sessions == 6 and case.status == CaseStatus.OPEN
    assert case.service_types == ["emotional_comfort", "policy_information"]
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="backoffice.case")
    assert "goals" in event.detail["fields"]
    assert "孤独" not in str(event.detail) + event.object_label  # C3: names, not values
    page = client.get(f"/admin/households/inspect/{ledger['home'].pk}/").content.decode()
    assert f"个案 {case.pk}" in page and "0 / 6" in page  # the 个案帮扶 section
    assert (
        f"个案帮扶 · 开案（个案 {case.pk}）：张三·困境老年人，精神慰藉、政策宣传，计划 6 次" in page
    )


def test_the_household_page_offers_a_case_for_each_group_its_members_hold(login_as, ledger):
    page = login_as("street").get(f"/admin/households/inspect/{ledger['home'].pk}/")
    html = page.content.decode()
    assert "为张三（困境老年人）开案" in html
    assert f"person={ledger['zhang'].pk}&amp;group=S2" in html


def test_a_case_opened_for_one_group_offers_only_that_groups_services(login_as, ledger):
    url = f"/admin/cases/new/?household={ledger['home'].pk}&person={ledger['zhang'].pk}&group=S2"
    html = login_as("street").get(url).content.decode()
    assert "精神慰藉" in html and "子女课业辅导" not in html


REQUIRED_SERVICES = {  # the notice's words, group by group
    "S1": {"技能培训", "心理疏导", "子女课业辅导"},  # U5
    "S2": {"政策宣传", "精神慰藉", "资源链接"},  # U6
    "S3": {"监护意识提升", "教育引导", "关系调适"},  # U7
    "S4": {"技能学习", "身体康复", "情绪疏导"},  # U8
    "S5": {"政策宣传", "心理疏导", "资源链接"},  # U9
}
SUBTYPE_OF = {
    "S1": Subtype.DIBAO_URBAN,
    "S2": Subtype.LIVING_ALONE,
    "S3": Subtype.CHILD_IN_DIFFICULTY,
    "S4": Subtype.SEVERE_DISABILITY,
    "S5": Subtype.SERIOUS_ILLNESS,
}


@pytest.mark.parametrize("group", sorted(REQUIRED_SERVICES))
def test_u5_u9_each_group_uses_its_own_services_and_no_other(ledger, demo_users, group):
    street = demo_users["street"]
    zhang = ledger["zhang"]
    give_category(zhang, group, SUBTYPE_OF[group])
    own = SERVICE_TYPES_BY_GROUP[group]
    assert {str(t.label) for t in own} == REQUIRED_SERVICES[group]
    foreign = next(t for t in ServiceType if t not in own)
    kwargs = dict(
        household=ledger["home"],
        person=zhang,
        group=group,
        goals="目标",
        planned_sessions=5,
        worker=street,
        actor=as_actor(street),
    )
    with pytest.raises(CaseworkError) as refused:
        case_open(service_types=[own[0], foreign], **kwargs)
    assert f"只能是：{'、'.join(str(t.label) for t in own)}" in refused.value.message
    assert not Case.objects.exists()
    case = case_open(service_types=list(own), **kwargs)
    assert case.service_types == list(own)


def test_a_service_outside_the_group_is_refused_on_the_form(login_as, ledger, demo_users):
    client = login_as("street")
    data = case_form(ledger, demo_users["street"], service_types=["tutoring"])
    html = client.post("/admin/cases/new/", data).content.decode()
    assert "“困境老年人”个案的服务类型只能是：政策宣传、精神慰藉、资源链接" in html
    assert not Case.objects.exists()


def test_a_case_needs_the_member_to_hold_the_group(login_as, ledger, demo_users):
    data = case_form(ledger, demo_users["street"], group="S1", service_types=["skills_training"])
    html = login_as("street").post("/admin/cases/new/", data).content.decode()
    assert "张三尚未认定为“社会救助对象”" in html
    assert not Case.objects.exists()


def test_s6_has_no_case_assistance_standard(ledger, demo_users):
    street = demo_users["street"]
    with pytest.raises(CaseworkError, match="适用于五类对象"):
        case_open(
            household=ledger["home"],
            group=Category.S6,
            service_types=["counselling"],
            goals="目标",
            planned_sessions=5,
            worker=street,
            actor=as_actor(street),
        )


@pytest.mark.parametrize("planned", [0, 4])
def test_u10_fewer_than_five_planned_sessions_are_refused(login_as, ledger, demo_users, planned):
    data = case_form(ledger, demo_users["street"], planned_sessions=planned)
    html = login_as("street").post("/admin/cases/new/", data).content.decode()
    assert "计划服务次数不能少于 5 次" in html
    assert not Case.objects.exists()


def test_a_case_date_in_the_future_is_refused(login_as, ledger, demo_users):
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    data = case_form(ledger, demo_users["street"], opened_on=tomorrow)
    html = login_as("street").post("/admin/cases/new/", data).content.decode()
    assert "开案日期不能晚于今天" in html
    assert not Case.objects.exists()


def test_a_second_open_case_of_the_same_group_is_refused(login_as, cases, ledger, demo_users):
    html = login_as("street").post("/admin/cases/new/", case_form(ledger, demo_users["street"]))
    assert f"已有进行中的同类个案（个案 {cases['home'].pk}）" in html.content.decode()
    assert Case.objects.count() == 3


def test_the_case_worker_must_serve_the_household(login_as, ledger, demo_users):
    data = case_form(ledger, demo_users["street"], worker=demo_users["worker"].pk)
    html = login_as("street").post("/admin/cases/new/", data).content.decode()
    assert "所选社工未分派到该家庭" in html
    assert not Case.objects.exists()


def test_a_case_for_a_household_outside_the_scope_cannot_be_opened(login_as, ledger, demo_users):
    data = case_form(ledger, demo_users["street"], household=ledger["far"].pk, person="")
    html = login_as("street").post("/admin/cases/new/", data).content.decode()
    assert "找不到该家庭档案，或它不在您的辖区内" in html
    assert not Case.objects.exists()


# Sessions (U10) -------------------------------------------------------------------------------


def test_u10_a_session_records_content_plan_step_change_and_goal(login_as, cases, demo_users):
    case = cases["home"]
    client = login_as("street")
    response = client.post(f"/admin/cases/{case.pk}/sessions/", session_form(demo_users["street"]))
    assert response.status_code == 302
    session = CaseSession.objects.get(case=case)
    assert session.plan_step == "措施2：每周上门探访一次"
    assert session.change_degree == "some" and session.goal_met is True
    assert session.worker == demo_users["street"]
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="backoffice.casesession", object_id=str(session.pk)
    ).exists()
    page = client.get(f"/admin/cases/{case.pk}/").content.decode()
    assert "第 1 次" in page and "上门陪伴，聊家常" in page and "有所改善" in page
    file = client.get(f"/admin/households/inspect/{case.household_id}/").content.decode()
    assert f"个案 {case.pk} 第 1 次服务（{today():%Y-%m-%d}）：有所改善，达成目标" in file
    assert cases["far"].sessions.count() == 0  # bystander


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"held_on": "2999-01-01"}, "服务日期不能晚于今天"),
        ({"held_on": "2000-01-01"}, "服务日期不能早于开案日期"),
        ({"content": ""}, "请填写本次服务的内容"),
        ({"change_degree": ""}, "请选择变化程度"),
        ({"service_type": "tutoring"}, "请从本个案的服务类型中选择"),  # not this case's service
    ],
)
def test_an_incomplete_or_impossible_session_is_refused(
    login_as, cases, demo_users, overrides, message
):
    case = cases["home"]
    data = session_form(demo_users["street"], **overrides)
    html = login_as("street").post(f"/admin/cases/{case.pk}/sessions/", data).content.decode()
    assert message in html
    assert not case.sessions.exists()


def test_u10_completing_with_four_sessions_is_refused_and_with_five_allowed(
    login_as, cases, demo_users
):
    case = cases["home"]
    street = demo_users["street"]
    record_sessions(case, 4, user=street)
    client = login_as("street")
    closing = {"complete-goals_met": "yes", "complete-outcome": "老人情绪明显好转，已领取津贴"}
    html = client.post(f"/admin/cases/{case.pk}/complete/", closing).content.decode()
    assert "个案至少开展 5 次服务才能结案，目前只记录了 4 次" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    page = client.get(f"/admin/cases/{case.pk}/").content.decode()
    assert "目前已记录 4 次" in page  # no completion form below five
    record_sessions(case, 1, user=street, start=5)
    response = client.post(f"/admin/cases/{case.pk}/complete/", closing)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.goals_met is True
    assert case.closed_on == today() and case.closed_by == street
    assert AuditEvent.objects.filter(action=AuditAction.CLOSE, object_id=str(case.pk)).exists()
    file = client.get(f"/admin/households/inspect/{case.household_id}/").content.decode()
    assert f"个案 {case.pk} 结案：完成 5 次服务，目标达成" in file
    listing = client.get("/admin/cases/").content.decode()
    assert "5 / 5" in listing and "已结案" in listing and "目标达成" in listing
    assert cases["assigned"].status == CaseStatus.OPEN  # bystander


def test_completion_needs_the_outcome(login_as, cases, demo_users):
    case = cases["home"]
    record_sessions(case, 5, user=demo_users["street"])
    html = login_as("street").post(
        f"/admin/cases/{case.pk}/complete/", {"complete-goals_met": "no"}
    )
    assert "请填写结案评估" in html.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_a_closed_case_takes_no_more_sessions(login_as, cases, demo_users):
    case = cases["home"]
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.COMPLETED)
    client = login_as("street")
    html = client.post(f"/admin/cases/{case.pk}/sessions/", session_form(demo_users["street"]))
    assert "该个案已结束（已结案），不能再办理" in html.content.decode()
    assert not case.sessions.exists()


# Early closure: coded reason, supervisor's confirmation (U10) --------------------------------


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "请选择提前结案的原因"),
        ({"close-reason": "other"}, "原因为“其他”时，请写明具体原因"),
        ({"close-reason": "lost"}, "请从列表中选择提前结案的原因"),
    ],
)
def test_an_early_closure_needs_a_coded_reason(login_as, cases, data, message):
    case = cases["home"]
    html = login_as("street").post(f"/admin/cases/{case.pk}/close/", data).content.decode()
    assert message in html
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.close_reason == ""


def test_a_worker_asks_to_close_early_and_only_a_supervisor_confirms(login_as, cases, demo_users):
    case = cases["assigned"]
    worker = login_as("worker")
    response = worker.post(f"/admin/cases/{case.pk}/close/", {"close-reason": "moved"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSURE_REQUESTED
    assert case.closure_requested_by == demo_users["worker"]
    assert AuditEvent.objects.filter(action=AuditAction.CLOSE_REQUEST, object_id=str(case.pk))
    page = worker.get(f"/admin/cases/{case.pk}/").content.decode()
    assert "确认提前结案" not in page and "等待主管确认" in page
    # The social worker has no supervisor's permission: the confirm URL refuses it.
    assert worker.post(f"/admin/cases/{case.pk}/close/confirm/", {}).status_code in (302, 403)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSURE_REQUESTED
    station = login_as("street")
    assert "确认提前结案" in station.get(f"/admin/cases/{case.pk}/").content.decode()
    response = station.post(f"/admin/cases/{case.pk}/close/confirm/", {"review-note": "已核实迁出"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED_EARLY and case.closed_by == demo_users["street"]
    assert case.close_reason == "moved" and case.closed_on == today()
    file = station.get(f"/admin/households/inspect/{case.household_id}/").content.decode()
    assert f"个案 {case.pk} 提前结案（迁出），已服务 0 次，主管 东华门演示 确认" in file
    assert cases["home"].status == CaseStatus.OPEN  # bystander


def test_a_supervisor_cannot_confirm_their_own_request(login_as, cases, demo_users):
    case = cases["home"]
    station = login_as("street")
    station.post(f"/admin/cases/{case.pk}/close/", {"close-reason": "refused"})
    page = station.get(f"/admin/cases/{case.pk}/").content.decode()
    assert "确认提前结案" not in page and "等待其他主管确认" in page
    html = station.post(f"/admin/cases/{case.pk}/close/confirm/", {}).content.decode()
    assert "不能确认自己提交的申请" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSURE_REQUESTED
    district = login_as("dongcheng")
    assert district.post(f"/admin/cases/{case.pk}/close/confirm/", {}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED_EARLY and case.closed_by == demo_users["dongcheng"]


def test_a_supervisor_sends_a_request_back_with_a_reason(login_as, cases, demo_users):
    case = cases["assigned"]
    case_close_early_request(case=case, reason="refused", actor=as_actor(demo_users["worker"]))
    station = login_as("street")
    html = station.post(f"/admin/cases/{case.pk}/close/reject/", {}).content.decode()
    assert "请写明退回的理由" in html
    response = station.post(
        f"/admin/cases/{case.pk}/close/reject/", {"review-note": "老人愿意继续接受服务"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.close_reason == ""
    assert HouseholdEvent.objects.filter(
        household=case.household, kind=TimelineKind.CASE, summary__contains="申请被退回"
    ).exists()


def test_nothing_to_confirm_without_a_request(login_as, cases):
    case = cases["home"]
    html = login_as("dongcheng").post(f"/admin/cases/{case.pk}/close/confirm/", {})
    assert "该个案没有待确认的提前结案申请" in html.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


# The case ledger (U10) ------------------------------------------------------------------------


def test_the_case_ledger_lists_session_counts_and_filters_the_short_ones(
    login_as, cases, demo_users
):
    street = demo_users["street"]
    record_sessions(cases["home"], 5, user=street)  # 5 of 5: not short
    record_sessions(cases["assigned"], 2, user=demo_users["worker"])
    client = login_as("street")
    listing = client.get("/admin/cases/").content.decode()
    assert "5 / 5" in listing and "2 / 5" in listing
    short = client.get("/admin/cases/?short_of_sessions=yes").content.decode()
    assert link(cases["assigned"]) in short and link(cases["home"]) not in short
    enough = client.get("/admin/cases/?short_of_sessions=no").content.decode()
    assert link(cases["home"]) in enough and link(cases["assigned"]) not in enough
    case_complete(case=cases["home"], outcome="按计划完成", goals_met=True, actor=as_actor(street))
    done = client.get("/admin/cases/?status=completed").content.decode()
    assert link(cases["home"]) in done and link(cases["assigned"]) not in done


def test_the_case_ledger_filters_by_group(login_as, cases, ledger, demo_users):
    street = demo_users["street"]
    give_category(ledger["zhang"], "S4", Subtype.SEVERE_DISABILITY)
    s4 = case_open(
        household=ledger["home"],
        person=ledger["zhang"],
        group="S4",
        service_types=["rehabilitation"],
        goals="康复训练",
        planned_sessions=8,
        worker=street,
        actor=as_actor(street),
    )
    html = login_as("street").get("/admin/cases/?group=S4").content.decode()
    assert link(s4) in html and link(cases["home"]) not in html


def test_cases_short_of_sessions_is_scoped_and_skips_closed_cases(cases, demo_users):
    street = demo_users["street"]
    record_sessions(cases["assigned"], 5, user=demo_users["worker"])
    assert set(cases_short_of_sessions(street)) == {cases["home"]}
    assert set(cases_short_of_sessions(demo_users["city"])) == {cases["home"], cases["far"]}
    assert list(cases_short_of_sessions(demo_users["worker"])) == []
    Case.objects.filter(pk=cases["home"].pk).update(status=CaseStatus.CLOSED_EARLY)
    assert list(cases_short_of_sessions(street)) == []
    row = cases_short_of_sessions(demo_users["city"]).get()
    assert row == cases["far"] and row.session_count == 0


def test_more_sessions_than_five_are_short_while_fewer_than_planned(ledger, demo_users):
    street = demo_users["street"]
    case = open_elderly_case(
        household=ledger["home"], person=ledger["zhang"], user=street, planned=7
    )
    record_sessions(case, 6, user=street)
    assert list(cases_short_of_sessions(street)) == [case]


# Scope (B1, B4) and roles ---------------------------------------------------------------------


SCOPES = [
    ("city", ["home", "assigned", "far"], []),
    ("dongcheng", ["home", "assigned"], ["far"]),
    ("street", ["home", "assigned"], ["far"]),
    ("worker", ["assigned"], ["home", "far"]),
]


@pytest.mark.parametrize("username, visible, hidden", SCOPES)
def test_b1_each_role_sees_the_cases_of_its_jurisdiction_and_404_outside(
    login_as, cases, username, visible, hidden
):
    client = login_as(username)
    listing = client.get("/admin/cases/").content.decode()
    for key in visible:
        assert link(cases[key]) in listing
        assert client.get(f"/admin/cases/{cases[key].pk}/").status_code == 200
    for key in hidden:
        pk = cases[key].pk
        assert f'href="/admin/cases/{pk}/"' not in listing
        assert client.get(f"/admin/cases/{pk}/").status_code == 404
        for action in ("close/", "close/confirm/", "close/reject/", "complete/", "edit/"):
            assert client.post(f"/admin/cases/{pk}/{action}", {}).status_code == 404
        assert client.post(f"/admin/cases/{pk}/sessions/", {}).status_code == 404
    assert CaseSession.objects.count() == 0
    assert Case.objects.filter(status=CaseStatus.OPEN).count() == 3


def test_opening_a_case_page_is_audited(login_as, cases):
    case = cases["home"]
    login_as("street").get(f"/admin/cases/{case.pk}/")
    event = AuditEvent.objects.get(action=AuditAction.VIEW, object_type="backoffice.case")
    assert event.object_id == str(case.pk) and event.actor_username == "street"


def test_the_city_bureau_reads_cases_but_records_nothing(login_as, cases, demo_users):
    client = login_as("city")
    page = client.get(f"/admin/cases/{cases['home'].pk}/").content.decode()
    assert "记录一次服务" not in page
    response = client.post(
        f"/admin/cases/{cases['home'].pk}/sessions/", session_form(demo_users["city"])
    )
    assert response.status_code in (302, 403)
    assert client.get("/admin/cases/new/").status_code in (302, 403)
    assert not CaseSession.objects.exists()


def test_the_auditor_has_no_access_to_cases(login_as, cases):
    client = login_as("auditor")
    assert client.get("/admin/cases/").status_code in (302, 403)
    assert client.get(f"/admin/cases/{cases['home'].pk}/").status_code == 404
    assert client.get("/admin/cases/new/").status_code in (302, 403)


def test_an_agency_worker_runs_the_cases_of_its_assigned_households(login_as, cases, demo_users):
    case = cases["assigned"]
    client = login_as("worker")
    response = client.post(f"/admin/cases/{case.pk}/sessions/", session_form(demo_users["worker"]))
    assert response.status_code == 302
    assert case.sessions.get().worker == demo_users["worker"]
    assert (
        client.post(
            f"/admin/cases/{cases['home'].pk}/sessions/", session_form(demo_users["worker"])
        ).status_code
        == 404
    )
    assert not cases["home"].sessions.exists()


def test_b4_a_childs_case_needs_the_child_record_permission(login_as, ledger, demo_users):
    from backoffice.models import Agency, HouseholdAssignment

    street = demo_users["street"]
    child = ledger["child"]
    give_category(child, Category.S3, Subtype.LEFT_BEHIND)
    case = case_open(
        household=ledger["home"],
        person=child,
        group=Category.S3,
        service_types=[ServiceType.EDUCATION_GUIDANCE],
        goals="课后陪伴",
        planned_sessions=5,
        worker=street,
        actor=as_actor(street),
    )
    HouseholdAssignment.objects.create(
        household=ledger["home"],
        worker=demo_users["worker"],
        agency=Agency.objects.get(name=DEMO_AGENCY),
    )
    assert login_as("worker").get(f"/admin/cases/{case.pk}/").status_code in (302, 403)
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, object_id=str(child.pk)).exists()
    assert login_as("street").get(f"/admin/cases/{case.pk}/").status_code == 200
    with pytest.raises(RuleError, match="未满 14 周岁"):
        case_open(
            household=ledger["home"],
            person=child,
            group=Category.S3,
            service_types=[ServiceType.RELATIONSHIP_ADJUSTMENT],
            goals="亲子关系",
            planned_sessions=5,
            worker=demo_users["worker"],
            actor=as_actor(demo_users["worker"]),
        )


def test_an_exited_household_opens_no_case(ledger, demo_users):
    home = ledger["home"]
    type(home).objects.filter(pk=home.pk).update(status="exited")
    home.refresh_from_db()
    with pytest.raises(CaseworkError, match="已退出台账"):
        open_elderly_case(household=home, person=ledger["zhang"], user=demo_users["street"])


def test_u10_a_double_submitted_session_counts_once(login_as, cases, demo_users):
    """A double click, or the browser resending the form, records one session, not two."""
    case = cases["home"]
    client = login_as("street")
    form = session_form(demo_users["street"])
    assert client.post(f"/admin/cases/{case.pk}/sessions/", form).status_code == 302
    assert client.post(f"/admin/cases/{case.pk}/sessions/", form).status_code == 302
    assert CaseSession.objects.filter(case=case).count() == 1
    # A different session the same day is a new one.
    other = session_form(demo_users["street"], content="陪同就医，取药")
    assert client.post(f"/admin/cases/{case.pk}/sessions/", other).status_code == 302
    assert CaseSession.objects.filter(case=case).count() == 2


def edit_form(user, **overrides):
    data = {
        "edit-service_types": ["emotional_comfort", "resource_linking"],
        "edit-goals": "缓解孤独感，链接助餐资源",
        "edit-planned_sessions": "8",
        "edit-worker": user.pk,
    }
    data.update(overrides)
    return data


def test_u5_u10_an_open_case_plan_is_edited_audited_and_on_the_timeline(
    login_as, cases, demo_users
):
    case = cases["home"]
    client = login_as("street")
    page = client.get(f"/admin/cases/{case.pk}/").content.decode()
    assert "修改个案计划" in page and "缓解孤独感，了解高龄津贴政策" in page
    response = client.post(f"/admin/cases/{case.pk}/edit/", edit_form(demo_users["street"]))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.service_types == ["emotional_comfort", "resource_linking"]
    assert case.goals == "缓解孤独感，链接助餐资源" and case.planned_sessions == 8
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="backoffice.case")
    assert set(event.detail["fields"]) == {"service_types", "goals", "planned_sessions"}
    assert HouseholdEvent.objects.filter(
        household=case.household, summary__startswith=f"修改个案（个案 {case.pk}）"
    ).exists()


def test_u10_an_edit_keeps_the_rules_of_opening(login_as, cases, demo_users):
    case = cases["home"]
    client = login_as("street")
    street = demo_users["street"]
    html = client.post(
        f"/admin/cases/{case.pk}/edit/", edit_form(street, **{"edit-planned_sessions": "3"})
    ).content.decode()
    assert "至少开展 5 次服务" in html
    html = client.post(
        f"/admin/cases/{case.pk}/edit/",
        edit_form(street, **{"edit-service_types": ["education_guidance"]}),
    ).content.decode()
    assert group_services_message("S2") in html
    case.refresh_from_db()
    assert case.planned_sessions == 5 and "education_guidance" not in case.service_types
    record_sessions(case, 5, user=street)
    client.post(f"/admin/cases/{case.pk}/complete/", {"complete-goals_met": "yes",
                "complete-outcome": "服务目标达成，转入常规探访"})  # fmt: skip
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    html = client.post(f"/admin/cases/{case.pk}/edit/", edit_form(street)).content.decode()
    assert "该个案已结束" in html
    case.refresh_from_db()
    assert case.planned_sessions == 5 and "修改个案计划" not in html
