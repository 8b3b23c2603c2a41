"""Issue 17: charities take up anonymized need listings one-to-one, many-to-one or by
crowdfunding, without ever identifying a person (U3, P3; SECURITY D1, D4, A7, B2, B5, C1).

Personas (tests/integration/charity.py): street publishes, confirms and answers; dongcheng
registers charities; charity (the demo charity, qualified to raise publicly) and rival
(another charity, not qualified) take needs up; worker does no charity work. Bystanders: the
other households of the ledger, and 朝阳区's 王五.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter

import pytest
from django.test import Client
from django.utils import timezone

from backoffice.demo.charity import DEMO_CHARITY
from backoffice.enums import (
    AGE_BAND_YEARS,
    AuditAction,
    Category,
    ConsentGiver,
    ExitReason,
    HelpMode,
    ListingStatus,
    NeedStatus,
    NeedType,
    TakeUpKind,
    TakeUpStatus,
    TargetUnit,
    TimelineKind,
    VisitKind,
)
from backoffice.models import (
    AuditEvent,
    CharityMember,
    CharityOrganisation,
    HouseholdEvent,
    ListingMessage,
    Need,
    NeedListing,
    Person,
    ShareConsent,
    TakeUp,
)
from backoffice.services import charity as charity_services
from backoffice.services.charity import (
    listing_claim,
    listing_pledge,
    message_send,
    take_up_confirm,
    take_up_deliver,
    take_ups_lapse,
)
from backoffice.services.errors import RuleError
from backoffice.services.exits import household_exit, person_exit
from backoffice.services.visits import visit_record
from portal import identity
from tests.conftest import PASSWORD, as_actor, totp_now, verified_login
from tests.integration import charity as charity_fixtures
from tests.integration.charity import (
    JINGSHAN_COMMUNITY,
    SYSTEM,
    consent,
    peer,
    publish,
    today,
)
from tests.integration.conftest import ZHANG_ID

# The fixtures of tests/integration/charity.py, where pytest finds them.
charity_world = charity_fixtures.charity_world
listing = charity_fixtures.listing
rival = charity_fixtures.rival

BOARD, OPEN_DATA, CHARITY_LOGIN = "/needs/", "/needs.json", "/charity/login/"


def claim_url(listing) -> str:
    return f"/charity/needs/{listing.pk}/claim/"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def timeline(household) -> list[str]:
    return list(
        HouseholdEvent.objects.filter(household=household, kind=TimelineKind.CHARITY).values_list(
            "summary", flat=True
        )
    )


# Publishing (station) -------------------------------------------------------------------------


def test_u3_the_station_publishes_a_consenting_persons_need_as_an_anonymized_listing(
    login_as, charity_world
):
    home, zhang, need = charity_world["home"], charity_world["zhang"], charity_world["need"]
    client = login_as("street")
    household_page = page(client, f"/admin/households/inspect/{home.pk}/")
    assert "慈善帮扶" in household_page and f"/admin/needs/{need.pk}/publish/" in household_page

    consent_page = page(client, f"/admin/households/{home.pk}/charity-consent/")
    assert "告知内容" in consent_page and charity_services.SHARE_NOTICE_VERSION in consent_page
    response = client.post(
        f"/admin/households/{home.pk}/charity-consent/",
        {
            "person": zhang.pk,
            "given_by": "self",
            "given_on": today().isoformat(),
            "notice_read": "on",
        },
    )
    assert response.status_code == 302
    response = client.post(
        f"/admin/needs/{need.pk}/publish/",
        {
            "person": zhang.pk,
            "category": "S2",
            "help_mode": "one_to_one",
            "description": "需要一台电暖器过冬",
        },
        follow=True,
    )
    text = response.content.decode()
    assert "已发布到慈善帮扶需求公示（显示到街道：东城区·东华门街道）" in text

    listing = NeedListing.objects.get()
    assert (listing.person, listing.household, listing.need) == (zhang, home, need)
    assert listing.street_id == "110101001000" and listing.area_label == "东城区·东华门街道"
    assert listing.age_band == "60-79" and listing.category == Category.S2
    assert listing.anonymity_k == 5 and listing.status == ListingStatus.OPEN
    assert listing.consent == ShareConsent.objects.get(person=zhang)
    need.refresh_from_db()
    assert need.status == NeedStatus.IN_PROGRESS
    lines = timeline(home)
    assert any("同意向慈善组织匿名共享帮扶需求（本人同意" in line for line in lines)
    assert any("发布慈善帮扶需求（一对一）：基本生活，显示到街道" in line for line in lines)
    assert AuditEvent.objects.filter(action=AuditAction.PUBLISH, object_id=str(listing.pk))
    assert AuditEvent.objects.filter(action=AuditAction.CONSENT, actor_username="street")
    # Bystanders: nothing was listed or consented for anyone else.
    assert not ShareConsent.objects.exclude(person=zhang).exists()


def test_u3_the_station_publishes_many_to_one_and_crowdfunding_through_the_form(
    login_as, charity_world, demo_users
):
    need, zhang = charity_world["need"], charity_world["zhang"]
    consent(zhang, demo_users["street"])
    station = login_as("street")
    url = f"/admin/needs/{need.pk}/publish/"
    form = page(station, url)
    assert "多对一" in form and "慈善众筹" in form and "张三：已同意" in form
    base = {"person": zhang.pk, "category": "S2", "description": "米面粮油，每月一份"}
    missing = station.post(url, {**base, "help_mode": "many_to_one"})
    assert missing.status_code == 200
    assert "多对一需求请填写目标数量" in missing.content.decode()
    no_unit = station.post(url, {**base, "help_mode": "many_to_one", "target_quantity": 12})
    assert "请选择目标数量的单位" in no_unit.content.decode()
    assert not NeedListing.objects.exists()
    done = station.post(
        url, {**base, "help_mode": "many_to_one", "target_quantity": 12, "unit": "month"}
    )
    assert done.status_code == 302
    many = NeedListing.objects.get()
    assert (many.help_mode, many.target_quantity, many.unit) == ("many_to_one", 12, "month")
    assert "已认捐 0 / 12 个月" in page(Client(), BOARD)

    listing_withdraw_url = f"/admin/charity-listings/{many.pk}/withdraw/"
    station.post(listing_withdraw_url, {"reason": "改为慈善众筹"})
    too_small = station.post(
        url, {**base, "help_mode": "crowdfunding", "target_quantity": 50, "unit": "month"}
    )
    assert "慈善众筹请填写目标金额（100 至 10000000 元）" in too_small.content.decode()
    station.post(url, {**base, "help_mode": "crowdfunding", "target_quantity": 30000})
    funding = NeedListing.objects.get(help_mode="crowdfunding")
    assert (funding.target_quantity, funding.unit) == (30000, TargetUnit.YUAN)
    board = page(Client(), BOARD)
    assert "目标 30000 元，等待具有公开募捐资格的慈善组织在民政部指定平台发起众筹" in board


def test_d4_no_listing_without_the_persons_recorded_consent(login_as, charity_world):
    need, zhang = charity_world["need"], charity_world["zhang"]
    response = login_as("street").post(
        f"/admin/needs/{need.pk}/publish/",
        {"person": zhang.pk, "category": "S2", "help_mode": "one_to_one", "description": "电暖器"},
    )
    assert response.status_code == 200
    assert "请先记录当事人（未满 14 周岁的由监护人）同意" in response.content.decode()
    assert not NeedListing.objects.exists()


def test_d4_a_child_under_14_needs_the_guardians_consent_with_the_guardians_name(
    charity_world, demo_users
):
    child = charity_world["child"]
    with pytest.raises(RuleError, match="须由其监护人同意"):
        consent(child, demo_users["street"], given_by=ConsentGiver.SELF)
    with pytest.raises(RuleError, match="监护人姓名"):
        consent(child, demo_users["street"], given_by=ConsentGiver.GUARDIAN)
    given = consent(
        child, demo_users["street"], given_by=ConsentGiver.GUARDIAN, guardian_name="张三"
    )
    assert given.given_by == ConsentGiver.GUARDIAN and given.guardian_name == "张三"
    assert ShareConsent.objects.filter(person=child).count() == 1


def test_d4_a_new_version_of_the_notice_needs_a_new_consent(charity_world, demo_users, monkeypatch):
    consent(charity_world["zhang"], demo_users["street"])
    monkeypatch.setattr(charity_services, "SHARE_NOTICE_VERSION", "2027-06")
    with pytest.raises(RuleError, match="2027-06 版"):
        publish(charity_world, demo_users["street"])
    assert not NeedListing.objects.exists()
    renewed = consent(charity_world["zhang"], demo_users["street"])
    assert renewed.notice_version == "2027-06"
    assert publish(charity_world, demo_users["street"]).consent == renewed


def test_d4_withdrawing_the_consent_takes_its_listings_off_the_board(
    login_as, listing, charity_world
):
    given = listing.consent
    response = login_as("street").post(f"/admin/charity-consents/{given.pk}/withdraw/")
    assert response.status_code == 302
    listing.refresh_from_db()
    given.refresh_from_db()
    assert given.withdrawn_on == today() and listing.status == ListingStatus.WITHDRAWN
    assert listing.end_reason == "当事人撤回同意"
    assert json.loads(Client().get(OPEN_DATA).content)["count"] == 0
    assert any("撤回慈善帮扶信息共享同意，已撤下 1 项" in s for s in timeline(listing.household))


# D1: anonymization that holds ---------------------------------------------------------------


def test_d1_a_street_with_too_few_peers_shows_only_the_district(charity_world, demo_users):
    jingshan = charity_world["jingshan"]
    need = Need.objects.create(household=jingshan.household, person=jingshan, need_type="care")
    listing = publish(charity_world, demo_users["dongcheng"], need=need, person=jingshan)
    assert listing.street_id is None and listing.area_label == "东城区"
    assert listing.anonymity_k == 6  # one in 景山街道, six in 东城区
    board = page(Client(), BOARD)
    assert "景山街道" not in board


def test_d1_a_combination_too_rare_even_in_the_district_is_refused_with_the_reason(
    charity_world, demo_users
):
    rare = peer("冯八", sex="female", birth=dt.date(1990, 5, 5), category=Category.S1)
    need = Need.objects.create(household=rare.household, person=rare, need_type="living")
    with pytest.raises(RuleError, match="只有 1 人，少于 5 人") as refused:
        publish(charity_world, demo_users["street"], need=need, person=rare, category="S1")
    assert refused.value.field == "category"
    assert not NeedListing.objects.exists()


def test_d1_a_health_need_needs_ten_peers(charity_world, demo_users):
    medical = Need.objects.create(
        household=charity_world["home"], person=charity_world["zhang"], need_type="medical"
    )
    with pytest.raises(RuleError, match="少于 10 人"):
        publish(charity_world, demo_users["street"], need=medical)
    for number in range(4):
        peer(f"医{number}", community=JINGSHAN_COMMUNITY)
    listing = publish(charity_world, demo_users["street"], need=medical)
    assert listing.street_id is None and listing.anonymity_k == 10


NAMES_AND_NUMBERS = [
    ("张三需要电暖器", "姓名"),
    ("给三爷爷买电暖器", None),  # a one-character given name is not screened
    ("张小上学需要书包", "姓名"),  # another member of the household
    ("东华门大街的老人需要电暖器", "住址或社区"),
    ("多福巷社区老人需要电暖器", "住址或社区"),
    ("多福巷的老人需要电暖器", "住址或社区"),
    (f"身份证{ZHANG_ID}", "证件号码或电话号码"),
    ("电话 138 1234 5678", "证件号码或电话号码"),
    ("电话１３８１２３４５６７８", "证件号码或电话号码"),
    ("联系138****5678", "证件号码或电话号码"),
    ("1950年3月8日出生", "日期"),
    ("1950-3-8出生，需要电暖器", "日期"),  # separators do not hide a date
    ("生于1950年，需要电暖器", "日期"),
    ("2026年生活补贴不够用，需要电暖器", None),  # a year is not a birth date
    ("电话一三八一二三四五六七八", "证件号码或电话号码"),  # nor Chinese numerals a number
    ("张 三需要电暖器", "姓名"),
    ("今年76岁需要照顾", "具体年龄"),
    ("七十六岁老人需要照顾", "具体年龄"),
]


@pytest.mark.parametrize("text, kind", NAMES_AND_NUMBERS)
def test_d1_the_listing_text_is_screened_for_the_person_and_for_ids_and_phones(
    charity_world, demo_users, text, kind
):
    if kind is None:
        assert publish(charity_world, demo_users["street"], description=text).description == text
        return
    with pytest.raises(RuleError, match=kind) as refused:
        publish(charity_world, demo_users["street"], description=text)
    assert refused.value.field == "description"
    assert text not in refused.value.message
    assert not NeedListing.objects.exists()


def test_d1_a_guardians_name_is_screened_like_the_households_own(charity_world, demo_users):
    child, home = charity_world["child"], charity_world["home"]
    consent(child, demo_users["street"], given_by=ConsentGiver.GUARDIAN, guardian_name="李梅")
    with pytest.raises(RuleError, match="姓名") as refused:
        charity_services.text_screen(text="李梅的孙女需要书包", household=home, field="description")
    assert "李梅" not in refused.value.message


def test_d1_a_listing_shown_only_by_district_cannot_name_its_street_in_the_text(
    charity_world, demo_users
):
    jingshan = charity_world["jingshan"]
    need = Need.objects.create(household=jingshan.household, person=jingshan, need_type="care")
    for text in ("景山街道的老人需要上门照护", "住在景山一带，需要上门照护"):
        with pytest.raises(RuleError, match="只能显示到区") as refused:
            publish(
                charity_world, demo_users["dongcheng"], need=need, person=jingshan, description=text
            )
        assert refused.value.field == "description"
    assert not NeedListing.objects.exists()
    listing = publish(
        charity_world,
        demo_users["dongcheng"],
        need=need,
        person=jingshan,
        description="需要上门照护服务",
    )
    assert listing.area_label == "东城区"
    board = page(Client(), BOARD)
    assert "需要上门照护服务" in board and "景山街道" not in board
    # A listing shown with its street may say so: the street is on the listing anyway.
    assert publish(charity_world, demo_users["street"], description="东华门街道一位老人需要电暖器")


def test_the_station_withdraws_a_listing_and_an_undelivered_claim_ends_with_it(
    login_as, listing, demo_users, rival
):
    claim = listing_claim(actor=as_actor(demo_users["charity"]), listing_id=listing.pk)
    client = login_as("street")
    refused = client.post(
        f"/admin/charity-listings/{listing.pk}/withdraw/", {"reason": "张三已另行解决"}, follow=True
    )
    assert "含有可能认出当事人的信息（姓名）" in refused.content.decode()
    client.post(f"/admin/charity-listings/{listing.pk}/withdraw/", {"reason": "已由社区解决"})
    listing.refresh_from_db()
    claim.refresh_from_db()
    assert listing.status == ListingStatus.WITHDRAWN and claim.status == TakeUpStatus.WITHDRAWN
    assert Need.objects.get(pk=listing.need_id).status == NeedStatus.OPEN
    assert AuditEvent.objects.filter(action=AuditAction.WITHDRAW, object_id=str(listing.pk))
    charity_page = page(login_as("charity"), "/charity/")
    assert "需求已撤回或关闭" in charity_page
    assert "已撤回" in page(login_as("charity"), f"/charity/needs/{listing.pk}/")
    # Off the board: the public and a charity that never took it up no longer reach it.
    assert f"/charity/needs/{listing.pk}/" not in page(Client(), BOARD)
    assert json.loads(Client().get(OPEN_DATA).content)["count"] == 0
    outsider = verified_login(Client(), rival)
    assert outsider.get(f"/charity/needs/{listing.pk}/").status_code == 404
    assert outsider.post(claim_url(listing)).status_code == 404
    assert TakeUp.objects.count() == 1


def test_d3_a_listing_closes_when_its_person_leaves_the_ledger(listing, demo_users):
    station = as_actor(demo_users["street"])
    review = visit_record(
        household=listing.household,
        kind=VisitKind.EXIT_REVIEW,
        visited_on=today(),
        visitors="站长",
        findings="已迁出本市",
        actor=station,
    )
    person_exit(
        person=listing.person, reason=ExitReason.MOVED_AWAY, review_visit=review, actor=station
    )
    listing.refresh_from_db()
    assert listing.status == ListingStatus.CLOSED and listing.end_reason == "当事人已退出台账"
    assert any("随退出台账关闭慈善帮扶需求 1 项" in s for s in timeline(listing.household))


def test_d3_the_listings_close_when_the_whole_household_leaves_the_ledger(
    listing, charity_world, demo_users
):
    station = as_actor(demo_users["street"])
    claim = listing_claim(actor=as_actor(demo_users["charity"]), listing_id=listing.pk)
    review = visit_record(
        household=listing.household,
        kind=VisitKind.EXIT_REVIEW,
        visited_on=today(),
        visitors="站长",
        findings="已脱困",
        actor=station,
    )
    household_exit(
        household=listing.household,
        reason=ExitReason.OUT_OF_HARDSHIP,
        review_visit=review,
        actor=station,
    )
    listing.refresh_from_db()
    claim.refresh_from_db()
    assert listing.status == ListingStatus.CLOSED and claim.status == TakeUpStatus.WITHDRAWN
    assert any("随退出台账关闭慈善帮扶需求 1 项" in s for s in timeline(listing.household))
    board = page(Client(), BOARD)
    assert "在列需求 0 项" in board and "需要一台电暖器过冬" not in board
    # The peers' households stay; nothing of theirs was closed or listed.
    assert NeedListing.objects.exclude(pk=listing.pk).count() == 0


def test_workers_and_the_city_do_not_publish(login_as, charity_world, demo_users):
    need = charity_world["need"]
    assert login_as("worker").get(f"/admin/needs/{need.pk}/publish/").status_code in (302, 403, 404)
    assert login_as("city").get(f"/admin/needs/{need.pk}/publish/").status_code in (302, 403)
    with pytest.raises(RuleError, match="没有办理慈善帮扶需求的权限"):
        consent(charity_world["zhang"], demo_users["city"])
    assert not ShareConsent.objects.exists()


# The public board ---------------------------------------------------------------------------


def test_p3_the_board_filters_by_district_type_and_mode_and_counts_fulfilled(
    charity_world, demo_users
):
    living = publish(charity_world, demo_users["street"])
    jingshan = charity_world["jingshan"]
    care = Need.objects.create(household=jingshan.household, person=jingshan, need_type="care")
    many = publish(
        charity_world,
        demo_users["dongcheng"],
        need=care,
        person=jingshan,
        help_mode=HelpMode.MANY_TO_ONE,
        description="上门照护服务",
        target_quantity=20,
        unit=TargetUnit.HOUR,
    )
    public = Client()
    board = page(public, BOARD)
    assert "在列需求 2 项" in board and "已完成帮扶 0 项" in board
    assert "需要一台电暖器过冬" in board and "已认捐 0 / 20 小时" in board
    assert "<script" not in board  # no JavaScript needed
    only_many = page(public, f"{BOARD}?help_mode=many_to_one")
    assert "上门照护服务" in only_many and "电暖器" not in only_many
    only_living = page(public, f"{BOARD}?need_type=living&district=110101000000")
    assert "电暖器" in only_living and "上门照护服务" not in only_living
    assert "在列需求 0 项" in page(public, f"{BOARD}?district=110105000000")

    charity = as_actor(demo_users["charity"])
    claim = listing_claim(actor=charity, listing_id=living.pk)
    take_up_deliver(actor=charity, take_up_id=claim.pk, note="已送至服务站")
    take_up_confirm(actor=as_actor(demo_users["street"]), take_up_id=claim.pk)
    board = page(public, BOARD)
    assert "在列需求 1 项" in board and "已完成帮扶 1 项" in board
    assert many.pk == json.loads(public.get(OPEN_DATA).content)["results"][0]["id"]


PUBLIC_KEYS = {
    "id",
    "need_type",
    "need_type_label",
    "help_mode",
    "help_mode_label",
    "status",
    "status_label",
    "district",
    "area",
    "age_band",
    "category",
    "category_label",
    "description",
    "published_on",
    "target",
    "unit",
    "committed",
    "campaign",
}


def test_p3_needs_json_holds_only_the_anonymized_fields_with_each_listings_id(listing, demo_users):
    response = Client().get(OPEN_DATA)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["count"] == 1 and data["next"] is None and data["fulfilled"] == 0
    (row,) = data["results"]
    assert set(row) == PUBLIC_KEYS
    assert row["id"] == listing.pk and row["area"] == "东城区·东华门街道"
    assert row["age_band"] == "60-79" and row["category_label"] == "困境老年人"
    assert row["category"] == "S2" and row["need_type"] == "living" and row["target"] is None


def _peers_in_ledger(*, district, street, age_band, category) -> int:
    """D1 written out apart from the service: persons in the ledger of that area, age band and
    category (any sex: the public does not see sex, so this is the crowd a reader faces)."""
    low, high = AGE_BAND_YEARS[age_band]
    day = today()
    count = 0
    persons = Person.objects.filter(exited_on__isnull=True, household__status="active")
    persons = persons.filter(household__district_id=district, categories__category=category)
    if street:
        persons = persons.filter(household__street_id=street)
    for person in persons.distinct():
        age = person.age_on(day)
        count += low <= age and (high is None or age <= high)
    return count


def test_d1_grouping_the_public_listing_every_combination_has_at_least_k_persons(
    charity_world, demo_users
):
    """Group /needs.json by what it shows of a person; count the ledger for each group."""
    publish(charity_world, demo_users["street"])
    jingshan = charity_world["jingshan"]
    care = Need.objects.create(household=jingshan.household, person=jingshan, need_type="care")
    publish(charity_world, demo_users["dongcheng"], need=care, person=jingshan)
    for number in range(4):
        peer(f"东{number}", community=JINGSHAN_COMMUNITY)
    medical = Need.objects.create(
        household=charity_world["home"], person=charity_world["zhang"], need_type="medical"
    )
    publish(charity_world, demo_users["street"], need=medical)
    rows = json.loads(Client().get(OPEN_DATA).content)["results"]
    assert len(rows) == 3
    groups = Counter((r["district"], r["area"], r["age_band"], r["category"]) for r in rows)
    listings = NeedListing.objects.in_bulk([r["id"] for r in rows])
    sensitive = {"medical", "rehabilitation", "psychological"}
    for row in rows:
        listing = listings[row["id"]]
        k = _peers_in_ledger(
            district=row["district"],
            street=listing.street_id,
            age_band=row["age_band"],
            category=listing.category,
        )
        minimum = 10 if row["need_type"] in sensitive or listing.category in ("S4", "S5") else 5
        assert k >= minimum, (row, k)
        assert "·" in row["area"] or listing.street_id is None
    assert sum(groups.values()) == 3


# Never identifying a person (B2, D1) ----------------------------------------------------------


def _forbidden_values(person) -> list[str]:
    household = person.household
    id_number = identity.decrypt_value(person.id_number_encrypted)
    phone = identity.decrypt_value(person.phone_encrypted)
    birth = person.birth_date
    values = [
        person.name,
        household.address,
        "东华门大街",
        household.community.name,
        household.file_number,
        id_number,
        person.id_number_masked,
        phone,
        person.phone_masked,
        birth.isoformat(),
        f"{birth.year}年{birth.month}月{birth.day}日",
        f"{birth:%Y%m%d}",
    ]
    members = household.members.values_list("name", flat=True)
    return [v for v in [*values, *members] if v]


def test_b2_no_public_or_charity_page_names_or_locates_the_person(
    login_as, charity_world, demo_users
):
    street = as_actor(demo_users["street"])
    charity = as_actor(demo_users["charity"])
    one = publish(charity_world, demo_users["street"])
    jingshan = charity_world["jingshan"]
    care = Need.objects.create(household=jingshan.household, person=jingshan, need_type="care")
    many = publish(
        charity_world,
        demo_users["dongcheng"],
        need=care,
        person=jingshan,
        help_mode=HelpMode.MANY_TO_ONE,
        description="上门照护服务",
        target_quantity=20,
        unit=TargetUnit.HOUR,
    )
    claim = listing_claim(actor=charity, listing_id=one.pk)
    listing_pledge(actor=charity, listing_id=many.pk, quantity=5)
    message_send(actor=charity, listing_id=one.pk, body="请问送到哪里？")
    message_send(
        actor=street,
        listing_id=one.pk,
        body="请送至服务站，周一至周五上午。",
        organisation_id=claim.organisation_id,
    )
    take_up_deliver(actor=charity, take_up_id=claim.pk, note="已送至服务站")

    public, member = Client(), login_as("charity")
    urls = [BOARD, f"{BOARD}?district=110101000000", OPEN_DATA]
    charity_urls = ["/charity/", f"/charity/needs/{one.pk}/", f"/charity/needs/{many.pk}/"]
    pages = [page(public, url) for url in urls] + [page(member, url) for url in charity_urls]
    pages.append(page(Client(), CHARITY_LOGIN))
    forbidden = _forbidden_values(charity_world["zhang"]) + _forbidden_values(jingshan)
    for text in pages:
        leaked = [value for value in forbidden if value in text]
        assert not leaked, leaked
        assert not re.search(r"\d{17}[\dX]|1[3-9]\d{9}", text)
    assert "景山街道" not in "".join(pages)  # that listing is shown only to the district


# Charity login and access (A7, B5, A1, A5) ---------------------------------------------------


def test_a7_the_charity_signs_in_at_its_own_door_with_password_and_code(client, demo_users):
    assert "动态口令" in page(client, CHARITY_LOGIN)
    response = client.post(
        CHARITY_LOGIN, {"username": "charity", "password": PASSWORD, "otp_token": totp_now()}
    )
    assert response.status_code == 302 and response["Location"] == "/charity/"
    home = page(client, "/charity/")
    assert DEMO_CHARITY in home and "我的认领" in home
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor_username="charity")
    assert client.get("/admin/").status_code == 302  # the charity session is no admin session


def test_a7_a_wrong_or_missing_code_at_the_charity_door_counts_toward_the_lock(client, demo_users):
    from backoffice.models import LoginThrottle
    from backoffice.models.auth import throttle_key

    for _ in range(5):
        client.post(CHARITY_LOGIN, {"username": "charity", "password": PASSWORD, "otp_token": ""})
    assert LoginThrottle.objects.get(key=throttle_key("charity")).is_locked()
    locked = client.post(
        CHARITY_LOGIN, {"username": "charity", "password": PASSWORD, "otp_token": totp_now()}
    )
    assert "已被锁定" in locked.content.decode() and "_auth_user_id" not in client.session


def test_b5_a_charity_at_the_admin_login_is_told_where_to_sign_in_and_is_not_let_in(
    client, demo_users
):
    response = client.post(
        "/admin/login/", {"username": "charity", "password": PASSWORD, "otp_token": totp_now()}
    )
    assert "慈善组织账号不能进入工作台，请从慈善组织入口登录：/charity/login/" in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action=AuditAction.DENIED, actor_username="charity")
    assert event.detail["door"] == "admin"


def test_staff_cannot_sign_in_or_act_as_a_charity(client, login_as, listing, demo_users):
    response = client.post(
        CHARITY_LOGIN, {"username": "street", "password": PASSWORD, "otp_token": totp_now()}
    )
    assert "该账号不是在用的慈善组织账号" in response.content.decode()
    assert "_auth_user_id" not in client.session
    staff = login_as("street")
    assert staff.get("/charity/").status_code == 403
    assert staff.post(claim_url(listing)).status_code == 403
    assert not TakeUp.objects.exists()
    with pytest.raises(RuleError, match="只有在用的慈善组织账号"):
        listing_claim(actor=as_actor(demo_users["street"]), listing_id=listing.pk)
    assert AuditEvent.objects.filter(
        action=AuditAction.DENIED, actor_username="street", detail__reason="forbidden"
    ).exists()


def test_a3_a_code_used_at_the_charity_door_is_not_accepted_again(client, demo_users):
    code = totp_now()
    credentials = {"username": "charity", "password": PASSWORD, "otp_token": code}
    assert client.post(CHARITY_LOGIN, credentials).status_code == 302
    client.post("/charity/logout/")
    again = Client()
    replayed = again.post(CHARITY_LOGIN, credentials)
    assert replayed.status_code == 200 and "_auth_user_id" not in again.session


def test_a1_a_password_only_session_is_not_served_at_the_charity_pages(client, demo_users):
    client.force_login(demo_users["charity"])  # no code verified in this session
    response = client.get("/charity/")
    assert response.status_code == 302 and response["Location"].startswith(CHARITY_LOGIN)
    assert "_auth_user_id" not in client.session


def test_a5_an_idle_charity_session_ends(login_as, demo_users):
    import time

    from backoffice.middleware import SESSION_LAST_SEEN

    client = login_as("charity")
    session = client.session
    session[SESSION_LAST_SEEN] = time.time() - 31 * 60
    session.save()
    response = client.get("/charity/")
    assert response.status_code == 302 and response["Location"].startswith(CHARITY_LOGIN)
    assert AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED, actor_username="charity")


def test_a_deactivated_charity_account_signs_in_nowhere(login_as, demo_users):
    member = CharityMember.objects.get(user=demo_users["charity"])
    login_as("dongcheng").post(f"/admin/charity-members/{member.pk}/deactivate/")
    member.refresh_from_db()
    assert not member.active
    client = Client()
    response = client.post(
        CHARITY_LOGIN, {"username": "charity", "password": PASSWORD, "otp_token": totp_now()}
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session


# Taking up --------------------------------------------------------------------------------------


def test_u3_done_when_street_publishes_charity_claims_delivers_and_street_confirms(
    client, login_as, charity_world, demo_users
):
    """The issue's "done when", as a new user would do it."""
    home, zhang, need = charity_world["home"], charity_world["zhang"], charity_world["need"]
    station = login_as("street")
    station.post(
        f"/admin/households/{home.pk}/charity-consent/",
        {"person": zhang.pk, "given_by": "self", "given_on": today(), "notice_read": "on"},
    )
    station.post(
        f"/admin/needs/{need.pk}/publish/",
        {
            "person": zhang.pk,
            "category": "S2",
            "help_mode": "one_to_one",
            "description": "需要一台电暖器过冬",
        },
    )
    listing = NeedListing.objects.get()
    assert f'href="/charity/needs/{listing.pk}/"' in page(Client(), BOARD)

    donor = Client()
    login = donor.post(
        f"{CHARITY_LOGIN}?next=/charity/needs/{listing.pk}/",
        {"username": "charity", "password": PASSWORD, "otp_token": totp_now()},
    )
    assert login["Location"] == f"/charity/needs/{listing.pk}/"
    claimed = donor.post(claim_url(listing), follow=True).content.decode()
    due = today() + dt.timedelta(days=charity_services.DELIVERY_DAYS)
    assert f"认领成功。请在 {due:%Y-%m-%d} 前送达并登记" in claimed
    take_up = TakeUp.objects.get()
    donor.post(f"/charity/take-ups/{take_up.pk}/deliver/", {"note": "电暖器已送至服务站"})
    assert "已登记送达，待服务站确认" in page(donor, "/charity/")

    listing_page = page(station, f"/admin/charity-listings/inspect/{listing.pk}/")
    assert DEMO_CHARITY in listing_page and "电暖器已送至服务站" in listing_page
    station.post(f"/admin/charity-take-ups/{take_up.pk}/confirm/")

    listing.refresh_from_db()
    need.refresh_from_db()
    assert listing.status == ListingStatus.FULFILLED and need.status == NeedStatus.MET
    file_page = page(station, f"/admin/households/inspect/{home.pk}/")
    assert f"慈善帮扶已送达：{DEMO_CHARITY}（认领），经服务站与当事人确认收到" in file_page
    assert "基本生活需求已解决" in file_page and "基本生活</a>（已解决）" in file_page
    assert "已送达" in page(donor, "/charity/")
    board = page(Client(), BOARD)
    assert "已完成帮扶 1 项" in board and "电暖器" not in board
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"consent", "publish", "claim", "deliver", "confirm"} <= actions


def test_u3_a_claimed_need_is_not_claimed_again(login_as, listing, rival):
    first = login_as("charity").post(claim_url(listing))
    assert first.status_code == 302
    second = verified_login(Client(), rival).post(claim_url(listing), follow=True)
    assert "该需求已被其他慈善组织认领" in second.content.decode()
    assert TakeUp.objects.count() == 1
    assert TakeUp.objects.get().organisation.name == DEMO_CHARITY


def test_u3_a_claim_not_delivered_in_time_lapses_and_the_need_returns_to_the_board(
    listing, demo_users, rival
):
    claim = listing_claim(actor=as_actor(demo_users["charity"]), listing_id=listing.pk)
    later = today() + dt.timedelta(days=charity_services.DELIVERY_DAYS + 1)
    assert take_ups_lapse(actor=SYSTEM, today=later) == 1
    claim.refresh_from_db()
    listing.refresh_from_db()
    assert claim.status == TakeUpStatus.LAPSED and listing.status == ListingStatus.OPEN
    assert listing.committed_quantity == 0
    again = listing_claim(actor=as_actor(rival), listing_id=listing.pk, today=later)
    assert again.organisation.name == "朝阳区爱心互助会"
    assert AuditEvent.objects.filter(action=AuditAction.LAPSE, object_id=str(claim.pk))


def test_u3_a_claim_past_its_day_lapses_when_another_charity_claims(listing, demo_users, rival):
    listing_claim(actor=as_actor(demo_users["charity"]), listing_id=listing.pk)
    later = today() + dt.timedelta(days=charity_services.DELIVERY_DAYS + 1)
    again = listing_claim(actor=as_actor(rival), listing_id=listing.pk, today=later)
    assert again.status == TakeUpStatus.ACTIVE
    assert TakeUp.objects.filter(status=TakeUpStatus.LAPSED).count() == 1


def test_the_lapse_command_runs_daily(listing, demo_users):
    from django.core.management import call_command

    listing_claim(
        actor=as_actor(demo_users["charity"]),
        listing_id=listing.pk,
        today=today() - dt.timedelta(days=30),
    )
    call_command("charity_lapse")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.OPEN


def test_u3_pledges_share_the_target_never_exceed_it_and_fulfil_it_when_all_arrive(
    login_as, charity_world, demo_users, rival
):
    many = publish(
        charity_world,
        demo_users["street"],
        help_mode=HelpMode.MANY_TO_ONE,
        description="米面粮油，每月一份",
        target_quantity=12,
        unit=TargetUnit.MONTH,
    )
    donor = login_as("charity")
    donor.post(f"/charity/needs/{many.pk}/pledge/", {"quantity": 8})
    other = verified_login(Client(), rival)
    refused = other.post(f"/charity/needs/{many.pk}/pledge/", {"quantity": 5}, follow=True)
    assert "最多还可认捐 4 个月" in refused.content.decode()
    other.post(f"/charity/needs/{many.pk}/pledge/", {"quantity": 4})
    many.refresh_from_db()
    assert many.committed_quantity == 12 and many.status == ListingStatus.TAKEN
    assert "认捐已满" in page(Client(), BOARD)
    station = as_actor(demo_users["street"])
    for take_up in TakeUp.objects.filter(listing=many):
        take_up_deliver(actor=as_actor(take_up.created_by), take_up_id=take_up.pk, note="已送达")
    first, second = TakeUp.objects.filter(listing=many).order_by("id")
    take_up_confirm(actor=station, take_up_id=first.pk)
    many.refresh_from_db()
    assert many.status == ListingStatus.TAKEN and many.confirmed_quantity == 8
    take_up_confirm(actor=station, take_up_id=second.pk)
    many.refresh_from_db()
    assert many.status == ListingStatus.FULFILLED


def test_u3_the_database_refuses_pledges_beyond_the_target_whatever_the_path(
    charity_world, demo_users
):
    from django.db import IntegrityError, transaction

    many = publish(
        charity_world,
        demo_users["street"],
        help_mode=HelpMode.MANY_TO_ONE,
        description="米面粮油",
        target_quantity=12,
        unit=TargetUnit.MONTH,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        NeedListing.objects.filter(pk=many.pk).update(committed_quantity=13)


def test_u3_only_a_charity_qualified_to_raise_publicly_registers_a_campaign(
    login_as, charity_world, demo_users, rival
):
    campaign_listing = publish(
        charity_world,
        demo_users["street"],
        help_mode=HelpMode.CROWDFUNDING,
        description="医疗费用个人自付部分",
        target_quantity=30000,
    )
    data = {
        "platform": "tencent",
        "filing_number": "53110101MJ0A8K2Q32A26001",
        "campaign_url": "https://gongyi.qq.com/succor/detail.htm?id=1",
    }
    unqualified = verified_login(Client(), rival)
    refused = unqualified.post(f"/charity/needs/{campaign_listing.pk}/campaign/", data, follow=True)
    assert "只有具有公开募捐资格的慈善组织" in refused.content.decode()
    bad = login_as("charity").post(
        f"/charity/needs/{campaign_listing.pk}/campaign/",
        {**data, "campaign_url": "http://example.com/pay"},
        follow=True,
    )
    assert "请填写以 https:// 开头的众筹项目链接" in bad.content.decode()
    login_as("charity").post(f"/charity/needs/{campaign_listing.pk}/campaign/", data)
    campaign = TakeUp.objects.get(kind=TakeUpKind.CAMPAIGN)
    assert (
        campaign.organisation.name == DEMO_CHARITY
        and campaign.filing_number == data["filing_number"]
    )
    board = page(Client(), BOARD)
    assert "在腾讯公益发起" in board and data["filing_number"] in board
    assert 'href="https://gongyi.qq.com/succor/detail.htm?id=1"' in board
    assert "本网站不收取任何款项" in board
    row = json.loads(Client().get(OPEN_DATA).content)["results"][0]
    assert row["campaign"]["platform"] == "腾讯公益" and row["campaign"]["raised"] == 0


def test_charities_see_only_their_own_take_ups_and_messages(
    login_as, charity_world, demo_users, rival
):
    one = publish(charity_world, demo_users["street"])
    charity = as_actor(demo_users["charity"])
    listing_claim(actor=charity, listing_id=one.pk)
    message_send(actor=charity, listing_id=one.pk, body="阳光基金会的留言")
    message_send(actor=as_actor(rival), listing_id=one.pk, body="互助会的留言")
    rival_client = verified_login(Client(), rival)
    rival_home = page(rival_client, "/charity/")
    assert "还没有认领" in rival_home
    rival_listing = page(rival_client, f"/charity/needs/{one.pk}/")
    assert "互助会的留言" in rival_listing and "阳光基金会的留言" not in rival_listing
    assert DEMO_CHARITY not in rival_listing
    own = page(login_as("charity"), f"/charity/needs/{one.pk}/")
    assert "阳光基金会的留言" in own and "互助会的留言" not in own
    foreign = TakeUp.objects.get()
    assert (
        rival_client.post(f"/charity/take-ups/{foreign.pk}/deliver/", {"note": "x"}).status_code
        == 404
    )
    foreign.refresh_from_db()
    assert foreign.status == TakeUpStatus.ACTIVE


def test_the_station_answers_a_charity_and_cannot_reveal_the_household(
    login_as, listing, demo_users
):
    charity = as_actor(demo_users["charity"])
    message_send(actor=charity, listing_id=listing.pk, body="请问什么时候方便送达？")
    organisation = CharityOrganisation.objects.get(name=DEMO_CHARITY)
    station = login_as("street")
    url = f"/admin/charity-listings/{listing.pk}/messages/"
    refused = station.post(
        url, {"organisation": organisation.pk, "body": "送到张三家，电话13812345678"}, follow=True
    )
    assert "含有可能认出当事人的信息（姓名、证件号码或电话号码）" in refused.content.decode()
    station.post(url, {"organisation": organisation.pk, "body": "请周一上午送至服务站。"})
    assert ListingMessage.objects.filter(from_station=True).count() == 1
    donor_page = page(login_as("charity"), f"/charity/needs/{listing.pk}/")
    assert "请周一上午送至服务站。" in donor_page and "发布方（东城区·东华门街道）" in donor_page
    events = AuditEvent.objects.filter(action=AuditAction.MESSAGE)
    assert events.count() == 2
    assert all("body" not in event.detail for event in events)  # C3: the audit names no words


def test_a_station_outside_the_listings_jurisdiction_sees_and_confirms_nothing(
    login_as, listing, demo_users, django_user_model
):
    from backoffice.models import Area
    from backoffice.services.staff import staff_assign

    claim = listing_claim(actor=as_actor(demo_users["charity"]), listing_id=listing.pk)
    take_up_deliver(actor=as_actor(demo_users["charity"]), take_up_id=claim.pk, note="已送达")
    other = django_user_model.objects.create_user("jingshan_station", password="long-pass-2026!")
    staff_assign(user=other, role="street_station", area=Area.objects.get(code="110101002000"))
    with pytest.raises(RuleError):
        take_up_confirm(actor=as_actor(other), take_up_id=claim.pk)
    claim.refresh_from_db()
    assert claim.status == TakeUpStatus.DELIVERED


# Charity organisations (district) ------------------------------------------------------------


def test_the_district_registers_a_charity_with_a_checked_credit_code(login_as, demo_users):
    client = login_as("dongcheng")
    data = {
        "name": "东城区助老慈善协会",
        "credit_code": "51110101MJ0B3C4D5Q",  # wrong check character
        "district": "110101000000",
        "registered_on": "2021-05-01",
        "public_fundraising": "on",
        "active": "on",
    }
    refused = client.post("/admin/charities/new/", data)
    assert "统一社会信用代码校验位不正确" in refused.content.decode()
    client.post("/admin/charities/new/", {**data, "credit_code": "51110101MJ0B3C4D6T"})
    organisation = CharityOrganisation.objects.get(name="东城区助老慈善协会")
    assert organisation.public_fundraising and organisation.district_id == "110101000000"
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(organisation.pk))
    other_district = client.post(
        "/admin/charities/new/", {**data, "name": "别区", "district": "110105000000"}
    )
    assert "所选区不在您的辖区内" in other_district.content.decode()


def test_the_district_opens_an_account_that_signs_in_only_at_the_charity_door(login_as, demo_users):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from backoffice.demo.accounts import demo_totp_key_hex

    organisation = CharityOrganisation.objects.get(name=DEMO_CHARITY)
    login_as("dongcheng").post(
        f"/admin/charities/{organisation.pk}/members/new/",
        {"username": "helper1", "full_name": "王助", "password": "Cishan-Mima-2026"},
    )
    member = CharityMember.objects.get(user__username="helper1")
    assert member.organisation == organisation and member.user.staff_profile.role == "charity"
    assert not member.user.has_perm("wagtailadmin.access_admin")
    TOTPDevice.objects.create(
        user=member.user, name="手机", key=demo_totp_key_hex(), confirmed=True
    )
    client = Client()
    response = client.post(
        CHARITY_LOGIN,
        {"username": "helper1", "password": "Cishan-Mima-2026", "otp_token": totp_now()},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_the_back_office_charity_pages_render_for_the_district_and_the_station(
    login_as, listing, demo_users
):
    claim = listing_claim(actor=as_actor(demo_users["charity"]), listing_id=listing.pk)
    take_up_deliver(actor=as_actor(demo_users["charity"]), take_up_id=claim.pk, note="已送达")
    organisation = CharityOrganisation.objects.get(name=DEMO_CHARITY)
    district = login_as("dongcheng")
    index = page(district, "/admin/charities/")
    assert DEMO_CHARITY in index and organisation.credit_code in index
    edit = page(district, f"/admin/charities/edit/{organisation.pk}/")
    assert "统一社会信用代码" in edit and "具有公开募捐资格" in edit
    inspect = page(district, f"/admin/charities/inspect/{organisation.pk}/")
    assert "开通人员账号" in inspect and f"需求编号 {listing.pk}" in inspect
    station = login_as("street")
    waiting = page(station, "/admin/charity-listings/?waiting=true")
    assert f"/admin/charity-listings/inspect/{listing.pk}/" in waiting
    none_waiting = page(station, "/admin/charity-listings/?waiting=false")
    assert f"/admin/charity-listings/inspect/{listing.pk}/" not in none_waiting
    detail = page(station, f"/admin/charity-listings/inspect/{listing.pk}/")
    assert "已与当事人确认收到" in detail and "张三" in detail  # the station knows its household


def test_a_district_manages_only_its_own_charities(login_as, rival):
    chaoyang = CharityOrganisation.objects.get(name="朝阳区爱心互助会")
    client = login_as("dongcheng")
    assert client.get(f"/admin/charities/inspect/{chaoyang.pk}/").status_code == 404
    client.post(
        f"/admin/charities/{chaoyang.pk}/members/new/",
        {"username": "intruder", "full_name": "某", "password": "Cishan-Mima-2026"},
    )
    assert not CharityMember.objects.filter(user__username="intruder").exists()
    listing_page = page(login_as("city"), f"/admin/charities/inspect/{chaoyang.pk}/")
    assert "朝阳区爱心互助会" in listing_page and "开通人员账号" not in listing_page


# Demo ---------------------------------------------------------------------------------------


def test_the_demo_publishes_listings_in_each_help_mode_with_demo_consent(charity_world, demo_users):
    from backoffice.demo.charity import demo_listings_create

    for number in range(12):
        person = peer(f"演{number}")
        Need.objects.create(household=person.household, need_type=NeedType.LIVING)
    made = demo_listings_create(seed=1, today=timezone.localdate())
    modes = set(NeedListing.objects.values_list("help_mode", flat=True))
    assert made == NeedListing.objects.count() >= 3 and modes == set(HelpMode.values)
    assert ShareConsent.objects.count() == made
    assert NeedListing.objects.filter(status=ListingStatus.FULFILLED).count() == 1
    assert CharityMember.objects.get(user=demo_users["charity"]).organisation.name == DEMO_CHARITY


def _demo_board(charity_world) -> int:
    """The demo's listings (item 6) over the charity world, with its 12 more peers."""
    from backoffice.demo.charity import demo_listings_create

    for number in range(12):
        person = peer(f"演{number}")
        Need.objects.create(household=person.household, need_type=NeedType.LIVING)
    return demo_listings_create(seed=1, today=timezone.localdate())


# Visible text: tags, styles and scripts out; the attribute text a reader meets kept.
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)
_LATIN = re.compile(r"[A-Za-z]{2,}")
LATIN_ALLOWED = {"JSON", "https"}  # the open data's format; a campaign's link is data


def visible_latin(html: str) -> list[str]:
    text = _TAGS.sub(" ", html)
    text = re.sub(r"https://\S+", " ", text)  # links shown as data (a campaign's address)
    text = re.sub(r"[0-9A-Z]{8,}", " ", text)  # codes are data (a campaign's filing number)
    return sorted({w for w in _LATIN.findall(text) if w not in LATIN_ALLOWED})


def test_the_demo_charity_signs_in_and_every_charity_page_renders_in_chinese_naming_nobody(
    charity_world, demo_users
):
    """As a new user would: the demo `charity` signs in at its door with password and code,
    and opens the board (every filter), its own page and every listing it can reach, in each
    help mode and state. Every page answers 200 in Chinese, and none names or locates anyone
    whose need is listed (D1, B2)."""
    made = _demo_board(charity_world)
    assert made == 7
    donor = Client()
    response = donor.post(
        CHARITY_LOGIN, {"username": "charity", "password": PASSWORD, "otp_token": totp_now()}
    )
    assert response.status_code == 302 and response["Location"] == "/charity/"

    home = page(donor, "/charity/")
    assert DEMO_CHARITY in home and "待送达" in home and "送达期限" in home
    assert "已送达" in home  # the fulfilled claim
    assert "进行中" in home  # the claim, the pledge and the campaign still running
    board = page(Client(), BOARD)
    assert "在列需求 6 项" in board and "已完成帮扶 1 项" in board
    listing_ids = {int(pk) for pk in re.findall(r'href="/charity/needs/(\d+)/"', home + board)}
    assert listing_ids == set(NeedListing.objects.values_list("pk", flat=True))

    pages = {"/charity/": home, BOARD: board, CHARITY_LOGIN: page(Client(), CHARITY_LOGIN)}
    for district in ("", "110101000000", "110105000000"):
        for need_type in ("", "living"):
            for mode in ("", *HelpMode.values):
                url = f"{BOARD}?district={district}&need_type={need_type}&help_mode={mode}"
                pages[url] = page(Client(), url)
    for pk in sorted(listing_ids):
        pages[f"/charity/needs/{pk}/"] = page(donor, f"/charity/needs/{pk}/")
    pages[OPEN_DATA] = page(Client(), OPEN_DATA)

    by_state = {
        (listing.help_mode, listing.status): pages[f"/charity/needs/{listing.pk}/"]
        for listing in NeedListing.objects.all()
    }
    assert "认领这项需求" in by_state[(HelpMode.ONE_TO_ONE, ListingStatus.OPEN)]
    assert "登记送达" in by_state[(HelpMode.ONE_TO_ONE, ListingStatus.TAKEN)]
    assert "已送达" in by_state[(HelpMode.ONE_TO_ONE, ListingStatus.FULFILLED)]
    assert "已认捐 4 / 12 个月" in by_state[(HelpMode.MANY_TO_ONE, ListingStatus.OPEN)]
    assert "尚缺 8 个月" in by_state[(HelpMode.MANY_TO_ONE, ListingStatus.OPEN)]
    assert "在腾讯公益发起" in by_state[(HelpMode.CROWDFUNDING, ListingStatus.TAKEN)]
    assert "更新已筹金额" in by_state[(HelpMode.CROWDFUNDING, ListingStatus.TAKEN)]
    assert "登记众筹" in by_state[(HelpMode.CROWDFUNDING, ListingStatus.OPEN)]

    # Phone-first, no JavaScript: a viewport, a plain GET form, links for every action.
    for url, html in pages.items():
        if url == OPEN_DATA:
            continue
        assert 'name="viewport"' in html and "<script" not in html, url
        assert not visible_latin(html), (url, visible_latin(html))
    assert '<form method="get" action="/needs/"' in board

    listed = {listing.person for listing in NeedListing.objects.select_related("person")}
    forbidden = [value for person in listed for value in _forbidden_values(person)]
    for url, html in pages.items():
        leaked = [value for value in forbidden if value in html]
        assert not leaked, (url, leaked)
        assert not re.search(r"\d{17}[\dX]|1[3-9]\d{9}|\d{4}-\d{2}-\d{2}.{0,4}出生", html), url

    # Item 5: every publication, consent, claim, pledge, campaign, delivery and confirmation
    # of the demo is in the audit log.
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"consent", "publish", "claim", "pledge", "campaign", "deliver", "confirm"} <= actions


def test_p3_the_board_and_its_open_data_page_through_every_listing(charity_world, demo_users):
    """20 listings a page on /needs/ with plain links, 100 on /needs.json with `next`."""
    first = publish(charity_world, demo_users["street"])
    columns = {
        field.attname: getattr(first, field.attname)
        for field in NeedListing._meta.concrete_fields
        if field.attname not in ("id", "need_id")
    }
    NeedListing.objects.bulk_create(NeedListing(**columns) for _ in range(104))
    public = Client()
    board = page(public, BOARD)
    assert "在列需求 105 项" in board and "第 1 / 6 页" in board
    assert board.count('class="listing-card"') == 20
    assert 'href="?page=2"' in board
    last = page(public, f"{BOARD}?page=6")
    assert last.count('class="listing-card"') == 5 and "上一页" in last
    filtered = page(public, f"{BOARD}?help_mode=one_to_one")
    assert 'href="?help_mode=one_to_one&amp;page=2"' in filtered

    data = json.loads(public.get(OPEN_DATA).content)
    assert data["count"] == 105 and data["pages"] == 2 and len(data["results"]) == 100
    assert data["next"] == "/needs.json?page=2"
    rest = json.loads(public.get(data["next"]).content)
    assert len(rest["results"]) == 5 and rest["next"] is None
    ids = [row["id"] for row in data["results"] + rest["results"]]
    assert len(set(ids)) == 105
