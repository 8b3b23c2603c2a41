"""Issue 17, review gaps: D1 holds after a listing is published (persons leave the ledger or
their category, sex or area changes), the listing text is screened for the name in pinyin,
the address's building, unit and room and for split numbers, and charities that took a
listing up see why the station withdrew it (U3, P3; SECURITY D1).

Personas (tests/integration/charity.py): street publishes and keeps the ledger; charity took
the listing up; rival never did. The world: 张三 and four peers of his combination in
东华门街道 (k = 5 there), 郑七 in 景山街道 (six in 东城区).
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from backoffice.enums import (
    AuditAction,
    Category,
    ExitReason,
    ListingStatus,
    Subtype,
    TakeUpStatus,
    TimelineKind,
    VisitKind,
)
from backoffice.models import (
    Area,
    AuditEvent,
    Household,
    HouseholdEvent,
    NeedListing,
    Person,
    PersonCategory,
)
from backoffice.services import charity as charity_services
from backoffice.services.charity import listing_claim
from backoffice.services.errors import RuleError
from backoffice.services.exits import household_exit, person_exit
from backoffice.services.ledger_edits import (
    household_update,
    ledger_record_delete,
    ledger_record_save,
    person_update,
)
from backoffice.services.visits import visit_record
from portal import identity
from tests.conftest import as_actor, verified_login
from tests.integration import charity as charity_fixtures
from tests.integration.charity import JINGSHAN_COMMUNITY, SIXTIES, publish, today
from tests.integration.conftest import ZHANG_ID

charity_world = charity_fixtures.charity_world
listing = charity_fixtures.listing
rival = charity_fixtures.rival

BOARD, OPEN_DATA = "/needs/", "/needs.json"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def charity_lines(household) -> list[str]:
    return list(
        HouseholdEvent.objects.filter(household=household, kind=TimelineKind.CHARITY).values_list(
            "summary", flat=True
        )
    )


def leave(person: Person, user) -> None:
    """The person leaves the ledger on an exit review, as the station does it."""
    station = as_actor(user)
    review = visit_record(
        household=person.household,
        kind=VisitKind.EXIT_REVIEW,
        visited_on=today(),
        visitors="站长",
        findings="已迁出本市",
        actor=station,
    )
    person_exit(person=person, reason=ExitReason.MOVED_AWAY, review_visit=review, actor=station)


# 1. D1 rechecked when the ledger changes ----------------------------------------------------


def test_d1_a_peer_leaving_moves_a_street_listing_up_to_the_district(
    listing, charity_world, demo_users
):
    assert listing.area_label == "东城区·东华门街道" and listing.anonymity_k == 5
    leave(charity_world["peers"][0], demo_users["street"])
    listing.refresh_from_db()
    # Four left in 东华门街道; with 景山街道's 郑七, five in 东城区.
    assert listing.status == ListingStatus.OPEN
    assert listing.street_id is None and listing.area_label == "东城区"
    assert listing.anonymity_k == 5
    board = page(Client(), BOARD)
    assert "需要一台电暖器过冬" in board and "东华门街道" not in board
    data = json.loads(Client().get(OPEN_DATA).content)
    assert [row["area"] for row in data["results"]] == ["东城区"]
    assert any("改为只显示到区（东城区）" in line for line in charity_lines(listing.household))
    assert AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_id=str(listing.pk), detail__reason="k"
    ).exists()


def test_d1_a_listing_no_longer_shared_by_five_is_withdrawn_and_its_charity_told_why(
    listing, charity_world, demo_users, rival
):
    claim = listing_claim(actor=as_actor(demo_users["charity"]), listing_id=listing.pk)
    first, second = charity_world["peers"][:2]
    leave(first, demo_users["street"])
    leave(second, demo_users["street"])
    listing.refresh_from_db()
    claim.refresh_from_db()
    assert listing.status == ListingStatus.WITHDRAWN
    assert listing.end_reason == "情况相同的在册人员已少于 5 人，为防止认出当事人，已撤下"
    assert claim.status == TakeUpStatus.WITHDRAWN
    assert "需要一台电暖器过冬" not in page(Client(), BOARD)
    assert json.loads(Client().get(OPEN_DATA).content)["count"] == 0
    assert any("已自动撤下" in line for line in charity_lines(listing.household))
    charity = verified_login(Client(), demo_users["charity"])
    assert "原因：情况相同的在册人员已少于 5 人" in page(charity, "/charity/")
    assert "为防止认出当事人，已撤下" in page(charity, f"/charity/needs/{listing.pk}/")
    # A charity that never took it up no longer reaches it.
    assert verified_login(Client(), rival).get(f"/charity/needs/{listing.pk}/").status_code == 404


def test_d1_a_health_listing_is_withdrawn_when_it_falls_under_ten(charity_world, demo_users):
    for number in range(4):
        charity_fixtures.peer(f"医{number}", community=JINGSHAN_COMMUNITY)
    medical = charity_world["need"]
    medical.need_type = "medical"
    medical.save()
    listing = publish(charity_world, demo_users["street"], need=medical)
    assert listing.street_id is None and listing.anonymity_k == 10
    leave(charity_world["peers"][0], demo_users["street"])
    listing.refresh_from_db()
    assert listing.status == ListingStatus.WITHDRAWN
    assert "少于 10 人" in listing.end_reason


def test_d1_a_peers_category_removed_or_changed_is_counted_again(
    listing, charity_world, demo_users
):
    station = as_actor(demo_users["street"])
    first, second = charity_world["peers"][:2]
    ledger_record_delete(actor=station, record=first.categories.get())
    listing.refresh_from_db()
    assert listing.is_live and listing.area_label == "东城区"
    record = second.categories.get()
    record.subtype = Subtype.OTHER
    ledger_record_save(actor=station, record=record, changed_fields=["subtype"])
    record.refresh_from_db()
    assert record.category != Category.S2
    listing.refresh_from_db()
    assert listing.status == ListingStatus.WITHDRAWN


def test_d1_a_peer_moving_to_another_street_is_counted_again(listing, charity_world, demo_users):
    peer = charity_world["peers"][0]
    household = peer.household
    household_update(
        actor=as_actor(demo_users["dongcheng"]),
        household=household,
        changes={"community": Area.objects.get(code=JINGSHAN_COMMUNITY)},
        expected_version=household.version,
    )
    listing.refresh_from_db()
    assert listing.is_live and listing.area_label == "东城区"


def test_d1_a_peers_new_id_number_changing_sex_is_counted_again(listing, charity_world, demo_users):
    peer = charity_world["peers"][0]
    female_id = identity.make_id_number(area_code="110101", birth=SIXTIES, sequence=12, female=True)
    person_update(
        actor=as_actor(demo_users["street"]),
        person=peer,
        changes={},
        expected_version=peer.version,
        id_number=female_id,
    )
    listing.refresh_from_db()
    assert listing.is_live and listing.area_label == "东城区"


def test_d1_the_listing_of_a_person_who_moved_away_is_withdrawn(listing, demo_users):
    home = listing.household
    household_update(
        actor=as_actor(demo_users["dongcheng"]),
        household=home,
        changes={"community": Area.objects.get(code=JINGSHAN_COMMUNITY)},
        expected_version=home.version,
    )
    listing.refresh_from_db()
    assert listing.status == ListingStatus.WITHDRAWN
    assert listing.end_reason == "当事人的类别、年龄段或所在地区已变更，需核实后重新发布"


def test_d1_a_listing_whose_text_names_its_street_is_withdrawn_rather_than_moved_up(
    charity_world, demo_users
):
    listing = publish(
        charity_world, demo_users["street"], description="东华门街道一位老人需要电暖器"
    )
    leave(charity_world["peers"][0], demo_users["street"])
    listing.refresh_from_db()
    assert listing.status == ListingStatus.WITHDRAWN
    assert "东华门街道一位老人" not in page(Client(), BOARD)


def test_d1_after_every_ledger_change_each_live_listing_still_has_k_peers(
    listing, charity_world, demo_users
):
    """Group the live listings after a household of peers leaves: the minimum k holds."""
    station = as_actor(demo_users["street"])
    peer = charity_world["peers"][3]
    review = visit_record(
        household=peer.household,
        kind=VisitKind.EXIT_REVIEW,
        visited_on=today(),
        visitors="站长",
        findings="已脱困",
        actor=station,
    )
    household_exit(
        household=peer.household,
        reason=ExitReason.OUT_OF_HARDSHIP,
        review_visit=review,
        actor=station,
    )
    for live in NeedListing.objects.filter(status__in=("open", "taken")):
        k = charity_services.ledger_peers(
            sex=live.person.sex,
            age_band=live.age_band,
            category=live.category,
            today=today(),
            street_code=live.street_id,
            district_code=live.district_id,
        )
        assert k >= charity_services.k_threshold(category=live.category, need_type=live.need_type)
    listing.refresh_from_db()
    assert listing.area_label == "东城区"


def test_d1_nothing_changes_for_a_listing_the_change_does_not_touch(
    listing, charity_world, demo_users
):
    """A person of another combination leaving (李四, a woman of 60-79 with no category)
    leaves the listing as it was."""
    li = Person.objects.get(name="李四")
    PersonCategory.objects.create(person=li, category=Category.S2, subtype=Subtype.LIVING_ALONE)
    leave(li, demo_users["street"])
    listing.refresh_from_db()
    assert listing.area_label == "东城区·东华门街道" and listing.anonymity_k == 5
    assert not AuditEvent.objects.filter(
        object_id=str(listing.pk), action__in=(AuditAction.UPDATE, AuditAction.WITHDRAW)
    ).exists()


# 2. D1: the text screened for pinyin, the building and split numbers ------------------------

SCREENED = [
    ("zhang san 需要电暖器", "姓名的拼音或首字母"),
    ("ZhangSan需要电暖器", "姓名的拼音或首字母"),
    ("Zhang-San老人需要电暖器", "姓名的拼音或首字母"),
    ("ZS老人需要电暖器", "姓名的拼音或首字母"),
    ("Z.S.老人需要电暖器", "姓名的拼音或首字母"),
    ("Zhang Xiao上学需要书包", "姓名的拼音或首字母"),  # another member of the household
    ("住2单元501，需要电暖器", "楼号、单元或房间号"),
    ("5号楼的老人需要电暖器", "楼号、单元或房间号"),
    ("五号楼的老人需要电暖器", "楼号、单元或房间号"),
    ("501室的老人需要电暖器", "楼号、单元或房间号"),
    ("家住 501，需要电暖器", "楼号、单元或房间号"),
    ("电话138—1234—5678", "证件号码或电话号码"),
    ("电话 138 – 1234 – 5678", "证件号码或电话号码"),
    ("电话138一二三四5678", "证件号码或电话号码"),
    ("电话138|1234|5678", "证件号码或电话号码"),
    ("手机尾号5678，需要电暖器", "证件号码或电话号码的尾号"),
    (f"证件尾号 {ZHANG_ID[-4:]}", "证件号码或电话号码的尾号"),
]
NOT_SCREENED = [
    "需要一台电暖器过冬",
    "需要 USB 取暖垫两个",
    "需要2台电暖器和5件棉衣",
    "住楼房一层，需要扶手",
    "需要300元取暖费",
]


@pytest.fixture
def flat(charity_world):
    """张三's household lives in a flat: 东华门大街12号院5号楼2单元501室."""
    home = charity_world["home"]
    Household.objects.filter(pk=home.pk).update(address="东华门大街12号院5号楼2单元501室")
    home.refresh_from_db()
    return charity_world


@pytest.mark.parametrize("text, kind", SCREENED)
def test_d1_the_text_is_screened_for_pinyin_the_building_and_split_numbers(
    flat, demo_users, text, kind
):
    with pytest.raises(RuleError, match=kind) as refused:
        publish(flat, demo_users["street"], description=text)
    assert refused.value.field == "description"
    assert "请删去后再提交" in refused.value.message and text not in refused.value.message
    assert not NeedListing.objects.exists()


@pytest.mark.parametrize("text", NOT_SCREENED)
def test_d1_ordinary_words_and_numbers_pass_the_screen(flat, demo_users, text):
    assert publish(flat, demo_users["street"], description=text).description == text


def test_d1_the_station_form_says_what_to_remove_in_chinese(login_as, flat, demo_users):
    zhang, need = flat["zhang"], flat["need"]
    charity_fixtures.consent(zhang, demo_users["street"])
    response = login_as("street").post(
        f"/admin/needs/{need.pk}/publish/",
        {
            "person": zhang.pk,
            "category": "S2",
            "help_mode": "one_to_one",
            "description": "zhangsan住5号楼，电话138—1234—5678",
        },
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "姓名的拼音或首字母、楼号、单元或房间号、证件号码或电话号码" in text
    assert not NeedListing.objects.exists()


def test_d1_a_station_reply_is_screened_the_same_way(listing, flat, demo_users):
    claim = listing_claim(actor=as_actor(demo_users["charity"]), listing_id=listing.pk)
    with pytest.raises(RuleError, match="楼号、单元或房间号"):
        charity_services.message_send(
            actor=as_actor(demo_users["street"]),
            listing_id=listing.pk,
            body="请送到2单元501",
            organisation_id=claim.organisation_id,
        )


# 3. The station's withdrawal, as the charity that took the listing up sees it ----------------


def test_the_station_withdraws_with_a_reason_from_the_list_and_the_charity_sees_it(
    login_as, listing, demo_users, rival
):
    listing_claim(actor=as_actor(demo_users["charity"]), listing_id=listing.pk)
    station = login_as("street")
    inspect = page(station, f"/admin/charity-listings/inspect/{listing.pk}/")
    assert "需求已通过其他渠道解决" in inspect and "其他原因" in inspect
    url = f"/admin/charity-listings/{listing.pk}/withdraw/"
    empty = station.post(url, {}, follow=True)
    assert "请选择或填写撤回原因" in empty.content.decode()
    named = station.post(url, {"reason_choice": "other", "reason": "张三已搬走"}, follow=True)
    assert "含有可能认出当事人的信息（姓名）" in named.content.decode()
    listing.refresh_from_db()
    assert listing.is_live
    station.post(url, {"reason_choice": "需求已通过其他渠道解决", "reason": "张三"})
    listing.refresh_from_db()
    assert listing.status == ListingStatus.WITHDRAWN
    assert listing.end_reason == "需求已通过其他渠道解决"
    charity = verified_login(Client(), demo_users["charity"])
    home = page(charity, "/charity/")
    assert "需求已撤回或关闭" in home and "原因：需求已通过其他渠道解决" in home
    detail = page(charity, f"/charity/needs/{listing.pk}/")
    assert "撤下，不再公示。原因：需求已通过其他渠道解决" in detail
    assert "张三" not in home + detail
    assert "需要一台电暖器过冬" not in page(Client(), BOARD)
    assert verified_login(Client(), rival).get(f"/charity/needs/{listing.pk}/").status_code == 404


def test_the_station_may_write_its_own_screened_reason(login_as, listing, demo_users):
    listing_claim(actor=as_actor(demo_users["charity"]), listing_id=listing.pk)
    login_as("street").post(
        f"/admin/charity-listings/{listing.pk}/withdraw/",
        {"reason_choice": "other", "reason": "已由社区协调解决"},
    )
    listing.refresh_from_db()
    assert listing.end_reason == "已由社区协调解决"
    charity = verified_login(Client(), demo_users["charity"])
    assert "原因：已由社区协调解决" in page(charity, f"/charity/needs/{listing.pk}/")


def test_d1_the_daily_command_counts_every_live_listing_again(listing, charity_world):
    """Changes that do not pass the back-office services (a roster import, persons ageing out
    of their band) are caught by the daily run."""
    from io import StringIO

    from django.core.management import call_command

    first, second = charity_world["peers"][:2]
    PersonCategory.objects.filter(person=first).delete()
    out = StringIO()
    call_command("charity_lapse", stdout=out)
    listing.refresh_from_db()
    assert listing.is_live and listing.area_label == "东城区"
    assert "重新核对公示需求：1 项，改为只显示到区 1 项，撤下 0 项。" in out.getvalue()
    PersonCategory.objects.filter(person=second).delete()
    call_command("charity_lapse", stdout=StringIO())
    listing.refresh_from_db()
    assert listing.status == ListingStatus.WITHDRAWN
