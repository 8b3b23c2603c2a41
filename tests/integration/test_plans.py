"""Issue 5, item 1: the household plan (L7 一户一策): goals and measures, each with the
department or agency responsible and a timetable; every revision a new version, earlier ones
kept and readable; stale revisions refused (G3); scoped (B1), audited (C1), on the timeline.

Personas: street (东华门街道 station), dongcheng (district), worker (agency; the `assigned`
household only), city (reads everything), auditor (nothing). Bystander: the 朝阳区 household.
"""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from backoffice.enums import AuditAction, MeasureStatus, TimelineKind
from backoffice.models import AuditEvent, Plan, PlanMeasure
from backoffice.services.exits import household_exit
from backoffice.services.plans import (
    MeasureInput,
    PlanError,
    StalePlanError,
    measures_overdue,
    plan_revise,
    plans_missing,
)
from backoffice.services.visits import MeasureUpdate
from tests.integration.household_work import (
    NOON_BEIJING,
    TODAY,
    as_actor,
    draw_up_plan,
    on_file_since,
    plan_form,
    record_visit,
)


def plan_url(household, suffix=""):
    return f"/admin/households/{household.pk}/plan/{suffix}"


def test_l7_a_station_draws_up_the_first_plan_from_the_household_page(login_as, ledger):
    home = ledger["home"]
    client = login_as("street")
    page = client.get(f"/admin/households/inspect/{home.pk}/").content.decode()
    assert "尚未制定帮扶计划" in page and plan_url(home, "revise/") in page
    response = client.post(
        plan_url(home, "revise/"),
        plan_form(
            goals="老人每日有人照料，按时就医",
            measures=[
                {
                    "content": "协助申请高龄津贴",
                    "responsible": "东华门街道社会保障所",
                    "starts_on": "2026-12-01",
                    "due_on": "2027-01-31",
                },
                {"content": "每周两次上门助餐", "responsible": "养老驿站", "due_on": "2027-03-31"},
            ],
        ),
    )
    assert response.status_code == 302 and response["Location"] == plan_url(home)
    plan = Plan.objects.get(household=home)
    assert plan.number == 1 and plan.goals == "老人每日有人照料，按时就医"
    assert [(m.position, m.content, m.responsible, m.due_on) for m in plan.measures.all()] == [
        (1, "协助申请高龄津贴", "东华门街道社会保障所", dt.date(2027, 1, 31)),
        (2, "每周两次上门助餐", "养老驿站", dt.date(2027, 3, 31)),
    ]
    page = client.get(f"/admin/households/inspect/{home.pk}/").content.decode()
    assert "现行：第 1 版" in page and "东华门街道社会保障所" in page
    assert "2026-12-01 至 2027-01-31 前" in page
    assert "制定帮扶计划（第 1 版，2 项措施）" in page  # the timeline
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="backoffice.plan")
    assert event.detail == {"fields": ["goals", "measures"], "version": 1}
    assert "高龄津贴" not in str(event.detail)  # C3: field names, never values


@time_machine.travel(NOON_BEIJING, tick=False)
def test_l7_a_revision_adds_a_version_and_the_earlier_one_stays_as_it_was(
    login_as, ledger, demo_users
):
    home = ledger["home"]
    first = draw_up_plan(home, demo_users["street"])
    client = login_as("street")
    form = client.get(plan_url(home, "revise/")).content.decode()
    assert "协助申请高龄津贴" in form  # the measures in force, ready to revise
    response = client.post(
        plan_url(home, "revise/"),
        plan_form(
            goals="老人每日有人照料，按时就医",
            change_note="回访发现老人需要康复训练",
            based_on=1,
            version=first.version,
            measures=[
                {
                    "content": "协助申请高龄津贴",
                    "responsible": "街道社保所",
                    "due_on": "2027-01-31",
                },
                {
                    "content": "联系社区医院上门康复",
                    "responsible": "社区卫生服务中心",
                    "due_on": "2027-02-28",
                },
            ],
        ),
    )
    assert response.status_code == 302
    assert list(home.plans.values_list("number", flat=True)) == [2, 1]
    first.refresh_from_db()
    assert first.goals == "老人每日有人照料"
    assert [m.content for m in first.measures.all()] == ["协助申请高龄津贴", "每周两次上门助餐"]
    old = client.get(plan_url(home, "versions/1/")).content.decode()
    assert "这是历史版本，只读" in old and "每周两次上门助餐" in old
    assert "联系社区医院上门康复" not in old
    current = client.get(plan_url(home)).content.decode()
    assert "第 2 版（现行）" in current and "联系社区医院上门康复" in current
    assert "回访发现老人需要康复训练" in current and plan_url(home, "versions/1/") in current
    assert home.events.filter(
        kind=TimelineKind.PLAN, summary__startswith="修订帮扶计划为第 2 版"
    ).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="backoffice.plan", object_id=str(first.pk)
    ).exists()


def test_l7_a_revision_needs_a_reason_and_a_change(login_as, ledger, demo_users):
    home = ledger["home"]
    first = draw_up_plan(
        home,
        demo_users["street"],
        measures=[
            MeasureInput(
                content="协助申请高龄津贴", responsible="街道社保所", due_on=dt.date(2027, 1, 31)
            )
        ],
    )
    client = login_as("street")
    same = plan_form(based_on=1, version=first.version)
    html = client.post(plan_url(home, "revise/"), same).content.decode()
    assert "计划内容没有变化，无需保存新版本" in html
    html = client.post(
        plan_url(home, "revise/"), {**same, "goals": "老人按时就医"}
    ).content.decode()
    assert "修订计划时，请写明修订原因" in html
    assert home.plans.count() == 1


def test_l7_measures_need_content_a_responsible_department_and_a_time_limit(login_as, ledger):
    home = ledger["home"]
    client = login_as("street")
    html = client.post(
        plan_url(home, "revise/"),
        plan_form(
            goals="",
            measures=[
                {"content": "协助申请高龄津贴", "responsible": "", "due_on": ""},
                {"content": "", "responsible": "养老驿站", "due_on": "2027-01-01"},
                {
                    "content": "上门助餐",
                    "responsible": "养老驿站",
                    "starts_on": "2027-02-01",
                    "due_on": "2027-01-01",
                },
            ],
        ),
    ).content.decode()
    assert "请填写帮扶目标" in html
    assert "请填写负责落实的部门或机构" in html
    assert "请填写完成时限" in html
    assert "请填写措施内容，或清空这一行" in html
    assert "完成时限不能早于开始日期" in html
    html = client.post(
        plan_url(home, "revise/"), plan_form(measures=[{"content": "", "due_on": ""}])
    ).content.decode()
    assert "一户一策至少要有一项帮扶措施" in html
    assert not Plan.objects.exists()


def test_g3_a_stale_plan_revision_is_refused_and_the_other_one_survives(
    login_as, ledger, demo_users
):
    home = ledger["home"]
    first = draw_up_plan(home, demo_users["street"])
    opened = plan_form(
        goals="我的修改：老人每日有人照料",
        change_note="我的修订",
        based_on=1,
        version=first.version,
    )
    # Someone else revises first, from another screen.
    draw_up_plan(home, demo_users["dongcheng"], goals="对方的修改")
    response = login_as("street").post(plan_url(home, "revise/"), opened)
    html = response.content.decode()
    assert response.status_code == 200
    assert "其他工作人员已修订了这份帮扶计划" in html
    assert "我的修改：老人每日有人照料" in html  # what the user typed is still on screen
    assert list(home.plans.values_list("goals", flat=True)) == ["对方的修改", "老人每日有人照料"]


@time_machine.travel(NOON_BEIJING, tick=False)
def test_g3_a_visit_that_moves_a_measure_makes_an_open_revision_stale(ledger, demo_users):
    home = ledger["home"]
    on_file_since(home)
    street = demo_users["street"]
    plan = draw_up_plan(home, street)
    opened_at = plan.version
    measure = plan.measures.first()
    record_visit(
        home,
        street,
        on=TODAY,
        measure_updates=[MeasureUpdate(measure.pk, MeasureStatus.DONE, "津贴已获批")],
    )
    with pytest.raises(StalePlanError):
        plan_revise(
            household=home,
            goals="新目标",
            measures=[MeasureInput(content="新措施", responsible="街道", due_on=TODAY)],
            change_note="调整",
            based_on=1,
            expected_version=opened_at,
            actor=as_actor(street),
        )
    assert home.plans.count() == 1


def test_g3_two_revisions_of_the_same_version_make_one_new_version(ledger, demo_users):
    home = ledger["home"]
    draw_up_plan(home, demo_users["street"])
    for user, goals in ((demo_users["street"], "甲的修改"), (demo_users["dongcheng"], "乙的修改")):
        try:
            plan_revise(
                household=home,
                goals=goals,
                measures=[MeasureInput(content="助餐", responsible="驿站", due_on=TODAY)],
                change_note="调整",
                based_on=1,
                expected_version=1,
                actor=as_actor(user),
            )
        except StalePlanError:
            pass
    assert list(home.plans.values_list("number", "goals")) == [
        (2, "甲的修改"),
        (1, "老人每日有人照料"),
    ]


def test_an_agency_worker_draws_up_the_plan_of_an_assigned_household(login_as, ledger, demo_users):
    assigned = ledger["assigned"]
    response = login_as("worker").post(plan_url(assigned, "revise/"), plan_form())
    assert response.status_code == 302
    assert assigned.plans.get().created_by == demo_users["worker"]


def test_the_city_bureau_reads_plans_but_does_not_revise_them(login_as, ledger, demo_users):
    home = ledger["home"]
    draw_up_plan(home, demo_users["street"])
    client = login_as("city")
    page = client.get(plan_url(home))
    assert page.status_code == 200 and "修订计划" not in page.content.decode()
    assert client.post(plan_url(home, "revise/"), plan_form(based_on=1, version=1)).status_code in (
        302,
        403,
    )
    assert home.plans.count() == 1


OUTSIDE = [
    ("dongcheng", "far"),
    ("street", "other_street"),
    ("street", "far"),
    ("worker", "home"),
    ("auditor", "home"),
]


@pytest.mark.parametrize("username, key", OUTSIDE)
def test_b1_plan_pages_outside_the_scope_answer_404(login_as, ledger, demo_users, username, key):
    household = ledger[key]
    draw_up_plan(household, demo_users["city"])
    client = login_as(username)
    assert client.get(plan_url(household)).status_code == 404
    assert client.get(plan_url(household, "versions/1/")).status_code == 404
    assert client.get(plan_url(household, "revise/")).status_code == 404
    response = client.post(plan_url(household, "revise/"), plan_form(based_on=1, version=1))
    assert response.status_code == 404
    assert household.plans.count() == 1


def test_an_exited_households_plan_is_read_only(login_as, ledger, demo_users):
    home = ledger["home"]
    street = demo_users["street"]
    draw_up_plan(home, street)
    review = record_visit(home, street, on=timezone.localdate(), kind="exit_review")
    household_exit(
        household=home, reason="out_of_hardship", review_visit=review, actor=as_actor(street)
    )
    client = login_as("street")
    page = client.get(plan_url(home)).content.decode()
    assert "老人每日有人照料" in page and "修订计划" not in page
    response = client.post(plan_url(home, "revise/"), plan_form(based_on=1, version=1), follow=True)
    assert "该家庭已退出台账，帮扶计划只能查看" in response.content.decode()
    assert home.plans.count() == 1
    with pytest.raises(PlanError):
        draw_up_plan(home, street)


@time_machine.travel(NOON_BEIJING, tick=False)
def test_selectors_find_households_without_a_plan_and_overdue_measures(ledger, demo_users):
    street = demo_users["street"]
    home = ledger["home"]
    plan = draw_up_plan(
        home,
        street,
        measures=[
            MeasureInput(content="逾期的措施", responsible="街道", due_on=dt.date(2026, 11, 1)),
            MeasureInput(
                content="已落实的措施",
                responsible="街道",
                due_on=dt.date(2026, 11, 1),
                status=MeasureStatus.DONE,
            ),
            MeasureInput(content="未到期的措施", responsible="街道", due_on=dt.date(2027, 1, 1)),
        ],
    )
    assert list(plans_missing(street)) == [ledger["assigned"]]  # other_street is not theirs
    overdue = list(measures_overdue(street, today=TODAY))
    assert [m.content for m in overdue] == ["逾期的措施"]
    assert overdue[0].plan_id == plan.pk
    assert list(measures_overdue(demo_users["worker"], today=TODAY)) == []
    assert PlanMeasure.objects.count() == 3
