"""Issue 16 item 1 (U11): every table of the back-office statistics against hand-built files.

Today is Monday 30 November 2026 (Beijing). The `ledger` fixture: `home` (张三, male, born
1950, S2 living alone; 张小, female, born 2020) and `assigned` (李四, female, born 1960) in
东华门街道's 多福巷社区, `other_street` in 景山街道 (both 东城区), `far` (王五, male, born 1970)
in 朝阳区. `tables` adds members at the age-band boundaries, categories, needs, benefits,
referrals, cases, plans and public reports with their F1-F3 clocks.
"""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.enums import (
    BenefitType,
    CaseStatus,
    Category,
    ChangeDegree,
    EntryRoute,
    NeedStatus,
    NeedType,
    ReferralKind,
    ReferralStatus,
    ReferralTargetType,
    Subtype,
    VisitKind,
)
from backoffice.models import (
    Area,
    AuditEvent,
    Benefit,
    Case,
    CaseSession,
    Household,
    Need,
    Person,
    PersonCategory,
    Plan,
    Referral,
    Visit,
)
from intake.enums import ReportStatus
from intake.models import Report
from tests.integration.reports import file_report
from tests.integration.test_statistics import table

URL = "/admin/statistics/"
DONGCHENG = "110101000000"
DONGHUAMEN = "110101001000"
JINGSHAN = "110101002000"
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=BEIJING)
CHAOYANG_PLACE = {
    "community": "110105001024",
    "street": "110105001000",
    "district": "110105000000",
}

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def member(household, name, born, sex="male"):
    return Person.objects.create(
        household=household, name=name, relation="child", sex=sex, birth_date=born
    )


def report(learned_on, *, route=EntryRoute.REPORT, name="孙玉珍", place=None):
    filed = file_report(learned_on=learned_on, name=name, **(place or {}))
    Report.objects.filter(pk=filed.pk).update(route=route)
    return filed


def visit(filed, on):
    Visit.objects.create(
        kind=VisitKind.INTAKE_INTERVIEW,
        report=filed,
        visited_on=on,
        visitors="街道 王敏",
        findings="-",
    )


def accept(filed, at):
    Report.objects.filter(pk=filed.pk).update(status=ReportStatus.ACCEPTED, status_changed_at=at)


def case(household, sessions, worker, status=CaseStatus.OPEN):
    opened = Case.objects.create(
        household=household, group=Category.S2, goals="陪伴", worker=worker, status=status
    )
    for day in range(sessions):
        CaseSession.objects.create(
            case=opened,
            held_on=TODAY - dt.timedelta(days=day + 1),
            worker=worker,
            content="上门陪伴",
            change_degree=ChangeDegree.SOME,
        )
    return opened


@pytest.fixture
def tables(ledger, demo_users):
    home, assigned, far = ledger["home"], ledger["assigned"], ledger["far"]
    zhang, wang = ledger["zhang"], ledger["wang"]
    li = Person.objects.get(household=assigned)
    # Age bands at their boundaries, today 30 November 2026.
    member(home, "满十八", dt.date(2008, 11, 30), sex="female")  # 18 today: 18-59
    member(home, "差一天十八", dt.date(2008, 12, 1))  # 17: 0-17
    member(home, "满六十", dt.date(1966, 11, 30))  # 60 today: 60-79
    member(home, "满八十", dt.date(1946, 11, 30), sex="female")  # 80 today: 80+
    member(home, "差一天八十", dt.date(1946, 12, 1))  # 79: 60-79
    left = member(home, "已退出", dt.date(1930, 1, 1))
    Person.objects.filter(pk=left.pk).update(exited_on=dt.date(2026, 1, 1))
    # Categories: 张三 holds S2 twice (living alone from the fixture, advanced age) and S4;
    # 李四 S2; 王五 S1.
    PersonCategory.objects.create(person=zhang, category=Category.S2, subtype=Subtype.ADVANCED_AGE)
    PersonCategory.objects.create(
        person=zhang, category=Category.S4, subtype=Subtype.SEVERE_DISABILITY
    )
    PersonCategory.objects.create(person=li, category=Category.S2, subtype=Subtype.LIVING_ALONE)
    PersonCategory.objects.create(person=wang, category=Category.S1, subtype=Subtype.LOW_INCOME)
    PersonCategory.objects.create(person=left, category=Category.S6, subtype=Subtype.OTHER)
    # Needs by type and status.
    Need.objects.create(household=home, need_type=NeedType.MEDICAL, status=NeedStatus.OPEN)
    Need.objects.create(household=home, need_type=NeedType.MEDICAL, status=NeedStatus.MET)
    Need.objects.create(household=assigned, need_type=NeedType.CARE, status=NeedStatus.OPEN)
    Need.objects.create(household=far, need_type=NeedType.LIVING, status=NeedStatus.OPEN)
    # Benefits: 张三 two kinds, 李四 one; 王五 one in 朝阳区.
    Benefit.objects.create(person=zhang, benefit_type=BenefitType.ELDER_ALLOWANCE)
    Benefit.objects.create(person=zhang, benefit_type=BenefitType.DISABILITY_CARE)
    Benefit.objects.create(person=li, benefit_type=BenefitType.ELDER_ALLOWANCE)
    Benefit.objects.create(person=wang, benefit_type=BenefitType.DIBAO)
    Benefit.objects.create(person=left, benefit_type=BenefitType.OTHER)  # left: not counted
    # Referrals by kind and outcome; one still open past its due date.
    for kind, status, due in (
        (ReferralKind.STILL_IN_DIFFICULTY, ReferralStatus.SENT, TODAY - dt.timedelta(days=1)),
        (ReferralKind.STILL_IN_DIFFICULTY, ReferralStatus.DONE, TODAY - dt.timedelta(days=9)),
        (ReferralKind.PROXY_APPLICATION, ReferralStatus.DECLINED, TODAY),
        (ReferralKind.PROXY_APPLICATION, ReferralStatus.ACKNOWLEDGED, TODAY),
    ):
        Referral.objects.create(
            household=home,
            kind=kind,
            target_type=ReferralTargetType.CHARITY,
            target="东华门慈善协会",
            description="取暖",
            status=status,
            due_on=due,
        )
    # U10: five sessions, four (still open), two (closed early); six in 朝阳区.
    worker = demo_users["worker"]
    case(home, 5, worker)
    case(home, 4, worker)
    case(assigned, 2, worker, status=CaseStatus.CLOSED_EARLY)
    case(far, 6, worker, status=CaseStatus.COMPLETED)
    # L1-L5, L7: home complete with a plan, assigned with a plan only, far neither.
    Household.objects.filter(pk=home.pk).update(completeness=100)
    Household.objects.filter(pk=assigned.pk).update(completeness=80)
    Household.objects.filter(pk=far.pk).update(completeness=100)
    Plan.objects.create(household=home, number=1, goals="稳定生活")
    Plan.objects.create(household=assigned, number=1, goals="照料")
    return ledger


@pytest.fixture
def clocks(ledger):
    """F1-F3 clocks in 东华门街道 (and two in 朝阳区). 30 September 2026 is before the National
    Day holiday: a visit is due 8 October, entry in the ledger (public report) 9 October, a
    survey's entry 10 October (a make-up working Saturday). Friday 6 November: a visit is due
    Monday 9 November. Friday 27 November: the visit is due today, the entry tomorrow."""
    on_time = report(dt.date(2026, 9, 30), name="按期")
    visit(on_time, dt.date(2026, 10, 8))
    visit(on_time, dt.date(2026, 10, 20))  # a later visit: the first one stops the clock
    accept(on_time, dt.datetime(2026, 10, 9, 23, 30, tzinfo=BEIJING))
    late = report(dt.date(2026, 9, 30), name="逾期")
    visit(late, dt.date(2026, 10, 9))
    # Half past midnight in Beijing on 10 October: still 9 October in UTC, a day late here.
    accept(late, dt.datetime(2026, 10, 10, 0, 30, tzinfo=BEIJING))
    approval_on_time = report(dt.date(2026, 11, 6), route=EntryRoute.APPROVAL, name="审批按期")
    visit(approval_on_time, dt.date(2026, 11, 9))
    approval_late = report(dt.date(2026, 11, 6), route=EntryRoute.APPROVAL, name="审批逾期")
    visit(approval_late, dt.date(2026, 11, 10))
    survey_on_time = report(dt.date(2026, 9, 30), route=EntryRoute.SURVEY, name="摸排按期")
    accept(survey_on_time, dt.datetime(2026, 10, 10, 16, 0, tzinfo=BEIJING))
    survey_late = report(dt.date(2026, 9, 30), route=EntryRoute.SURVEY, name="摸排逾期")
    accept(survey_late, dt.datetime(2026, 10, 12, 9, 0, tzinfo=BEIJING))
    report(dt.date(2026, 11, 27), name="今日到期")  # both clocks running, not yet late
    report(dt.date(2026, 11, 20), name="已逾期")  # both clocks running and late
    rejected = report(dt.date(2026, 11, 20), name="不予纳入")
    Report.objects.filter(pk=rejected.pk).update(status=ReportStatus.REJECTED)  # no clock
    report(dt.date(2026, 11, 20), name="朝阳", place=CHAOYANG_PLACE)
    return ledger


def test_u11_persons_count_in_each_category_and_subtype_and_once_in_the_totals(login_as, tables):
    client = login_as("dongcheng")
    page = client.get(URL).content.decode()
    # 张三 S2 (two subtypes) and S4, 李四 S2; distinct 2 persons in 1 street.
    assert table(page, "categories")["东华门街道"] == ["0", "2", "0", "1", "0", "0", "2"]
    assert table(page, "category_households")["东华门街道"] == ["0", "2", "0", "1", "0", "0", "2"]
    subtypes = table(page, "subtypes")
    assert subtypes["困境老年人：独居"] == ["2", "2"]
    assert subtypes["困境老年人：高龄"] == ["1", "1"]
    assert subtypes["生活困难的重度残疾人：重度残疾"] == ["1", "1"]
    assert subtypes["社会救助对象：低收入"] == ["0", "0"]  # 王五 is in 朝阳区
    # Rows add up to 4 persons; the distinct total is 2 persons in 2 households.
    assert subtypes["合计（去重）"] == ["2", "2"]
    city = client.get(URL, {"area": DONGCHENG}).content.decode()
    assert table(city, "subtypes") == subtypes  # the district's own page, asked for by code
    page = login_as("city").get(URL).content.decode()
    assert table(page, "subtypes")["社会救助对象：低收入"] == ["1", "1"]
    assert table(page, "subtypes")["合计（去重）"] == ["3", "3"]


def test_u11_persons_by_sex_and_by_age_band_at_the_boundaries(login_as, tables):
    page = login_as("street").get(URL).content.decode()
    # home: 张三 (m, 76), 张小 (f, 6), 满十八 (f, 18), 差一天十八 (m, 17), 满六十 (m, 60),
    # 满八十 (f, 80), 差一天八十 (m, 79); assigned: 李四 (f, 66). 已退出 left.
    assert table(page, "sexes")["多福巷社区居委会"] == ["4", "4", "8"]
    assert table(page, "ages")["多福巷社区居委会"] == ["2", "1", "4", "1", "8"]
    header = page.split('id="ages-table"')[1].split("</thead>")[0]
    assert "0-17岁" in header and "80岁及以上" in header
    assert "年龄按今天（2026-11-30）计算的周岁" in page


def test_u11_needs_by_type_and_status_benefits_and_referrals(login_as, tables):
    page = login_as("street").get(URL).content.decode()
    needs = table(page, "need_types")
    assert needs["医疗"] == ["1", "0", "1", "0", "2"]
    assert needs["照料护理"] == ["1", "0", "0", "0", "1"]
    assert needs["基本生活"] == ["0", "0", "0", "0", "0"]  # 朝阳区's need is not here
    assert needs["合计"] == ["2", "0", "1", "0", "3"]
    benefits = table(page, "benefits")
    assert benefits["高龄津贴"] == ["2", "2"]
    assert benefits["重度残疾人护理补贴"] == ["1", "1"]
    assert benefits["最低生活保障金"] == ["0", "0"]
    assert benefits["其他"] == ["0", "0"]  # the member who left
    assert benefits["合计（去重）"] == ["2", "2"]  # 张三 twice, counted once
    referrals = table(page, "referrals")
    # sent, acknowledged, done, declined, of which open past due, total
    assert referrals["仍有困难"] == ["1", "0", "1", "0", "1", "2"]
    assert referrals["代理申请"] == ["0", "1", "0", "1", "0", "2"]
    assert referrals["合计"] == ["1", "1", "1", "1", "1", "4"]


def test_u10_cases_with_five_sessions_and_l1_l7_files_complete_with_a_plan(login_as, tables):
    page = login_as("city").get(URL).content.decode()
    cases = table(page, "cases")
    assert cases["东城区"] == ["1", "1", "1", "3"]
    assert cases["朝阳区"] == ["1", "0", "0", "1"]
    files = table(page, "files")
    # complete, with a plan, both, households (other_street: neither)
    assert files["东城区"] == ["1", "2", "1", "3"]
    assert files["朝阳区"] == ["1", "0", "0", "1"]
    chart = page.split('<svg id="cases-chart"')[1].split(">")[0]
    assert "东城区 1" in chart and "朝阳区 0" in chart


def test_f1_f3_deadlines_met_on_time_late_and_still_open(login_as, clocks):
    client = login_as("dongcheng")
    page = client.get(URL).content.decode()
    by_clock = table(page, "clocks")
    # on time, late, open and late, open and not yet due, total
    assert by_clock["群众反映：入户访谈"] == ["1", "1", "1", "1", "4"]
    assert by_clock["群众反映：纳入台账"] == ["1", "1", "1", "1", "4"]
    assert by_clock["救助审批：入户访谈"] == ["1", "1", "0", "0", "2"]
    assert by_clock["摸排调查：纳入台账"] == ["1", "1", "0", "0", "2"]
    assert by_clock["合计"] == ["4", "4", "2", "2", "12"]
    by_area = table(page, "clock_areas")
    assert by_area["东华门街道"] == ["4", "4", "2", "2", "12"]
    assert by_area["景山街道"] == ["0", "0", "0", "0", "0"]
    assert "朝阳区" not in page
    page = login_as("city").get(URL).content.decode()
    assert table(page, "clock_areas")["朝阳区"] == ["0", "0", "2", "0", "2"]
    assert table(page, "clocks")["合计"] == ["4", "4", "4", "2", "14"]


def test_f1_a_clock_stopped_on_its_due_date_is_on_time_and_a_day_after_is_late(login_as, ledger):
    """The visit of a Friday's report is due on Monday: on time on Monday, late on Tuesday;
    a survey of 30 September enters the ledger on time on the make-up Saturday of 10 October."""
    visit(report(dt.date(2026, 11, 6), name="周一"), dt.date(2026, 11, 9))
    survey = report(dt.date(2026, 9, 30), route=EntryRoute.SURVEY, name="调休日")
    accept(survey, dt.datetime(2026, 10, 10, 9, 0, tzinfo=BEIJING))
    page = login_as("street").get(URL).content.decode()
    assert table(page, "clocks")["群众反映：入户访谈"] == ["1", "0", "0", "0", "1"]
    assert table(page, "clocks")["摸排调查：纳入台账"] == ["1", "0", "0", "0", "1"]
    Visit.objects.filter(report__subject_name="周一").update(visited_on=dt.date(2026, 11, 10))
    page = login_as("street").get(URL).content.decode()
    assert table(page, "clocks")["群众反映：入户访谈"] == ["0", "1", "0", "0", "1"]


def test_u11_dongcheng_clicks_into_a_street_and_a_street_cannot_open_another(login_as, tables):
    client = login_as("dongcheng")
    page = client.get(URL).content.decode()
    assert f'href="?area={DONGHUAMEN}"' in page
    # Tables by kind have no area links.
    assert 'href="?area=medical"' not in page
    street = client.get(URL, {"area": DONGHUAMEN}).content.decode()
    assert table(street, "ages")["多福巷社区居委会"] == ["2", "1", "4", "1", "8"]
    assert table(street, "need_types")["合计"] == ["2", "0", "1", "0", "3"]
    assert f'href="?area={DONGCHENG}"' in street  # back up
    assert f"?area={DONGHUAMEN}&amp;table=ages&amp;format=xlsx" in street
    own = login_as("street")
    assert own.get(URL, {"area": JINGSHAN}).status_code == 404
    assert own.get(URL, {"area": JINGSHAN, "table": "ages", "format": "csv"}).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def test_u11_a_table_exports_as_xlsx_and_csv_with_the_numbers_shown(login_as, tables):
    client = login_as("dongcheng")
    page = client.get(URL, {"area": DONGHUAMEN}).content.decode()
    shown = table(page, "ages")
    response = client.get(URL, {"area": DONGHUAMEN, "table": "ages", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ".xlsx" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = [[str(v) for v in row] for row in book.active.iter_rows(values_only=True)]
    assert rows[0] == [
        "区划代码",
        "社区（村）",
        "0-17岁",
        "18-59岁",
        "60-79岁",
        "80岁及以上",
        "合计",
    ]
    assert rows[1] == ["110101001001", "多福巷社区居委会", *shown["多福巷社区居委会"]]
    assert rows[-1][1:] == ["合计", *shown["合计"]]
    response = client.get(URL, {"area": DONGHUAMEN, "table": "benefits", "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "保障类型,人数,户数"
    assert "高龄津贴,2,2" in lines and lines[-1] == "合计（去重）,2,2"
    events = AuditEvent.objects.filter(action="export", actor_username="dongcheng")
    assert sorted(e.detail["format"] for e in events) == ["csv", "xlsx"]
    assert {e.detail["statistics"] for e in events} == {
        "按年龄段分的在册人员",
        "按类型分的享受保障情况",
    }
    assert {e.object_id for e in events} == {DONGHUAMEN}


def test_u11_an_unknown_format_is_not_found(login_as, tables):
    client = login_as("street")
    assert client.get(URL, {"table": "ages", "format": "pdf"}).status_code == 404
    assert client.post(URL, {}).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def test_e3_a_table_above_the_threshold_asks_for_the_code_again(login_as, tables, monkeypatch):
    """A table of more rows than a listing's page (here: made 3) is a bulk export."""
    from tests.conftest import totp_now

    monkeypatch.setattr("backoffice.services.exchange.EXPORT_REVERIFY_ROWS", 3)
    client = login_as("city")
    query = f"?area={DONGCHENG}&table=households&format=csv"
    response = client.get(URL + query)  # 东城区 has more than three streets
    assert response.status_code == 200
    form = response.content.decode()
    assert 'name="otp_code"' in form and "动态口令" in form
    assert not AuditEvent.objects.filter(action="export").exists()
    refused = client.post(URL + query, {"file_format": "csv"})
    assert refused.status_code == 200 and "请输入手机验证器上的动态口令" in refused.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()
    response = client.post(URL + query, {"file_format": "xlsx", "otp_code": totp_now()})
    assert response.status_code == 200 and ".xlsx" in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="export")
    assert event.detail["format"] == "xlsx" and event.object_id == DONGCHENG
    # A small table (a community's own row) goes at once.
    small = client.get(URL, {"area": "110101001001", "table": "ages", "format": "csv"})
    assert small.status_code == 200 and "text/csv" in small["Content-Type"]


def _spread(areas: list[Area], worker) -> None:
    """A file of everything in each of `areas`: members, categories, a need, a benefit, a
    referral, a case with sessions, a plan and public reports with their clocks."""
    from backoffice.actor import system_actor
    from backoffice.services.ledger import household_create

    for number, community in enumerate(areas):
        household = household_create(
            actor=system_actor(), community=community, address="某街1号", entry_route="report"
        )
        person = member(household, f"甲{number}", dt.date(1940, 1, 1))
        PersonCategory.objects.create(
            person=person, category=Category.S2, subtype=Subtype.LIVING_ALONE
        )
        Need.objects.create(household=household, need_type=NeedType.CARE)
        Benefit.objects.create(person=person, benefit_type=BenefitType.ELDER_ALLOWANCE)
        Referral.objects.create(
            household=household,
            kind=ReferralKind.STILL_IN_DIFFICULTY,
            target_type=ReferralTargetType.CHARITY,
            target="慈善协会",
            description="取暖",
            due_on=TODAY,
        )
        case(household, 5, worker)
        Plan.objects.create(household=household, number=1, goals="稳定")
        place = {
            "community": community.code,
            "street": community.parent_id,
            "district": community.parent.parent_id,
        }
        filed = report(dt.date(2026, 11, 2), name=f"甲{number}", place=place)
        visit(filed, dt.date(2026, 11, 3))


def test_u11_the_number_of_queries_does_not_grow_with_areas_or_files(
    login_as, tables, clocks, demo_users
):
    client = login_as("city")
    client.get(URL)  # warm the session, caches and the working-day calendar
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    communities = []
    for district in Area.objects.filter(level="district").exclude(code=DONGCHENG):
        found = Area.objects.filter(level="community", parent__parent=district)
        communities += list(found.select_related("parent").order_by("code")[:2])
    assert len({c.parent.parent_id for c in communities}) >= 3  # several districts
    _spread(communities, demo_users["worker"])
    with CaptureQueriesContext(connection) as many:
        page = client.get(URL).content.decode()
    assert table(page, "cases")["合计"][0] == str(2 + len(communities))
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 40
