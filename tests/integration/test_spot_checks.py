"""Issue 18 item 4 (M2): the district draws a reproducible random sample of its files,
stratified by street and agency; a checker records completeness, accuracy and timeliness with
findings and a rectification deadline in working days; the agency keeping the file sees its
findings and rectifies; the district rechecks; results per street and agency.

The `ledger` fixture: `home` and `assigned` (served by `worker`'s agency) in 东华门街道,
`other_street` in 景山街道, `far` in 朝阳区."""

import re

import pytest
from django.utils import timezone

from backoffice.enums import SpotCheckStatus
from backoffice.models import Area, AuditEvent, Household, SpotCheck, SpotCheckItem
from backoffice.services.spotchecks import spot_check_draw, stratified_sample
from backoffice.workdays import add_workdays
from tests.conftest import as_actor

URL = "/admin/spot-checks/"
DONGCHENG = "110101000000"


def test_m2_the_sample_is_stratified_proportional_and_reproducible():
    population = [(i, "A" if i < 60 else "B", 7 if i % 3 == 0 else None) for i in range(100)]
    sample = stratified_sample(population, 30, seed=2026)
    assert len(sample) == 30 and len({row[0] for row in sample}) == 30
    assert sample == stratified_sample(list(reversed(population)), 30, seed=2026)
    assert sample != stratified_sample(population, 30, seed=2027)
    # Strata (street, agency): A/7 has 20 of 100, A/- 40, B/7 13, B/- 27: 6, 12, 4 and 8.
    count = lambda street, agency: sum(1 for r in sample if r[1] == street and r[2] == agency)  # noqa: E731
    assert (count("A", 7), count("A", None), count("B", 7), count("B", None)) == (6, 12, 4, 8)
    assert len(stratified_sample(population, 100, seed=1)) == 100


@pytest.fixture
def more_files(ledger):
    """Ten more active files in 东华门街道, so that a sample is a real draw."""
    from backoffice.actor import system_actor
    from backoffice.enums import EntryRoute
    from backoffice.services.ledger import household_create

    community = Area.objects.get(code="110101001001")
    for n in range(10):
        household_create(
            actor=system_actor(),
            community=community,
            address=f"东华门大街{10 + n}号",
            entry_route=EntryRoute.SURVEY,
        )
    return ledger


def test_m2_the_district_draws_a_sample_of_its_own_files_audited(login_as, more_files):
    client = login_as("dongcheng")
    response = client.post(
        URL, {"title": "第四季度抽查", "size": "6", "seed": "42", "rectify_workdays": "10"}
    )
    assert response.status_code == 302
    check = SpotCheck.objects.get()
    assert (check.size, check.seed, check.district_id) == (6, 42, DONGCHENG)
    population = Household.objects.filter(district_id=DONGCHENG, status="active").count()
    assert check.population == population
    items = list(check.items.values_list("household_id", flat=True))
    assert len(items) == 6
    assert not Household.objects.filter(pk__in=items).exclude(district_id=DONGCHENG).exists()
    audit = AuditEvent.objects.get(object_type="backoffice.spotcheck")
    assert audit.detail == {"count": 6, "seed": 42}
    page = client.get(f"{URL}{check.pk}/").content.decode()
    assert "随机种子 42" in page and f"{population} 户在册家庭" in page
    assert "东华门街道" in page and "按社工机构" in page
    # Drawn again with the same seed on the same ledger: the same files.
    again = spot_check_draw(
        actor=as_actor(check_user(login_as)), district=check.district, title="复核", size=6, seed=42
    )
    assert sorted(again.items.values_list("household_id", flat=True)) == sorted(items)


def check_user(login_as):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="dongcheng")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"size": "0"}, "抽取户数至少为 1。"),
        ({"size": "很多"}, "抽取户数应为整数。"),
        ({"size": "400"}, "抽取户数不能超过在册户数"),
        ({"title": ""}, "请填写抽查名称。"),
        ({"seed": "-3"}, "随机种子应为非负整数。"),
        ({"rectify_workdays": "90"}, "整改期限不能超过 60 个工作日。"),
    ],
)
def test_m2_a_bad_draw_is_refused_in_chinese(login_as, ledger, data, message):
    form = {"title": "抽查", "size": "2", "rectify_workdays": "10", **data}
    page = login_as("dongcheng").post(URL, form).content.decode()
    assert message in page
    assert not SpotCheck.objects.exists()


@pytest.mark.parametrize("username", ["street", "worker", "city"])
def test_m2_only_the_district_draws(login_as, ledger, username):
    client = login_as(username)
    assert "抽取档案" not in client.get(URL).content.decode()
    response = client.post(URL, {"title": "抽查", "size": "1", "rectify_workdays": "10"})
    assert response.status_code in (302, 403)
    assert not SpotCheck.objects.exists()


def _draw_all(demo_users) -> SpotCheck:
    district = Area.objects.get(code=DONGCHENG)
    actor = as_actor(demo_users["dongcheng"])
    size = Household.objects.filter(district=district, status="active").count()
    return spot_check_draw(actor=actor, district=district, title="全面抽查", size=size, seed=1)


def test_m2_findings_go_to_the_agency_which_rectifies_and_the_district_rechecks(
    login_as, ledger, demo_users
):
    check = _draw_all(demo_users)
    item = check.items.get(household=ledger["assigned"])
    assert item.agency is not None  # the stratum: worker's agency
    district = login_as("dongcheng")
    url = f"{URL}items/{item.pk}/"
    page = district.get(url).content.decode()
    assert "档案完整度" in page and "保存检查结果" in page
    # Something wrong needs findings.
    bad = {
        "action": "record",
        "complete_ok": "no",
        "accurate_ok": "yes",
        "timely_ok": "yes",
        "findings": "",
        "version": "1",
    }
    assert "请写明发现的问题，便于整改。" in district.post(url, bad).content.decode()
    district.post(url, {**bad, "findings": "缺少低保审批表复印件"})
    item.refresh_from_db()
    today = timezone.localdate()
    assert item.status == SpotCheckStatus.RECTIFY
    assert item.rectify_by == add_workdays(today, 10).date
    # The agency's worker sees the finding on its file and rectifies it.
    worker = login_as("worker")
    listing = worker.get(URL).content.decode()
    assert ledger["assigned"].file_number in listing and "缺少低保审批表复印件" in listing
    assert ledger["other_street"].file_number not in listing
    page = worker.get(url).content.decode()
    assert "提交整改情况" in page and "保存检查结果" not in page
    assert (
        "请写明整改情况。"
        in worker.post(
            url, {"action": "rectify", "rectification": "", "version": "2"}
        ).content.decode()
    )
    worker.post(url, {"action": "rectify", "rectification": "已补齐审批表复印件", "version": "2"})
    item.refresh_from_db()
    assert item.status == SpotCheckStatus.RECTIFIED and item.rectified_by_name
    # A stale form (opened before the rectification) is refused.
    district = login_as("dongcheng")  # one test client: sign the district in again
    stale = {
        "action": "record",
        "complete_ok": "yes",
        "accurate_ok": "yes",
        "timely_ok": "yes",
        "findings": "",
        "version": "2",
    }
    assert "已被他人更新" in district.post(url, stale).content.decode()
    district.post(url, {**stale, "version": "3"})
    item.refresh_from_db()
    assert item.status == SpotCheckStatus.PASSED and item.rechecks == 1
    page = district.get(f"{URL}{check.pk}/").content.decode()
    agency_row = re.search(r'id="by-agency">.*?</table>', page, re.S).group(0)
    assert item.agency.name in agency_row
    audited = AuditEvent.objects.filter(
        object_type="backoffice.spotcheckitem", object_id=str(item.pk)
    )
    assert audited.count() == 3  # check, rectification, recheck


def test_m2_a_station_sees_findings_on_its_files_only_and_nobody_else_opens_them(
    login_as, ledger, demo_users
):
    check = _draw_all(demo_users)
    item = check.items.get(household=ledger["other_street"])  # 景山街道
    mine = check.items.get(household=ledger["home"])  # 东华门街道
    actor = as_actor(demo_users["dongcheng"])
    from backoffice.services.spotchecks import spot_check_record

    for target in (item, mine):
        spot_check_record(
            actor=actor,
            item=target,
            complete_ok=False,
            accurate_ok=True,
            timely_ok=True,
            findings="缺少走访记录",
        )
    street = login_as("street")
    listing = street.get(URL).content.decode()
    assert ledger["home"].file_number in listing
    assert ledger["other_street"].file_number not in listing
    assert street.get(f"{URL}items/{item.pk}/").status_code == 404
    assert street.get(f"{URL}{check.pk}/").status_code in (302, 403)
    assert login_as("worker2").get(f"{URL}items/{mine.pk}/").status_code in (302, 403, 404)
    assert login_as("auditor").get(URL).status_code in (302, 403)
    assert SpotCheckItem.objects.filter(status=SpotCheckStatus.RECTIFY).count() == 2
