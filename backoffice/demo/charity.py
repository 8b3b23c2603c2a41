"""Demo charity take-up (issue 17, item 6): two demo charities of 东城区 (the demo `charity`
account belongs to the first, which may raise funds publicly), and listings of the demo
street's needs in each help mode, published through the real services on a demo consent, some
claimed, pledged, funded and one fulfilled, so that /needs/ and /charity/ show a living board.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model

from ..actor import user_actor
from ..enums import (
    Channel,
    ConsentGiver,
    FundraisingPlatform,
    HelpMode,
    HouseholdStatus,
    NeedStatus,
    TargetUnit,
)
from ..models import Area, CharityMember, CharityOrganisation, Need, NeedListing
from ..services.charity import (
    campaign_register,
    consent_in_force,
    listing_claim,
    listing_pledge,
    listing_publish,
    share_consent_record,
    take_up_confirm,
    take_up_deliver,
)
from ..services.errors import RuleError
from .accounts import require_demo_allowed
from .ledger import DEMO_STREET

DEMO_CHARITY = "北京市东城区阳光慈善基金会（演示）"
DEMO_SMALL_CHARITY = "东城区邻里互助慈善协会（演示）"
DEMO_CHARITY_CODES = {DEMO_CHARITY: "53110101MJ0A8K2Q32", DEMO_SMALL_CHARITY: "51110101MJ0B3C4D5P"}
DISTRICT = "110101000000"

# What a station writes for each need type: a concrete item (one-to-one), a quantity several
# charities share (many-to-one), an amount to raise (crowdfunding). No personal detail.
TEXTS = {
    HelpMode.ONE_TO_ONE: {
        "living": "冬季取暖用电暖器一台",
        "medical": "轻便助行器一副",
        "care": "防褥疮气垫床一张",
        "education": "书包和学习用品一套",
        "housing": "卫生间防滑扶手安装",
        "employment": "电动自行车一辆，方便上下班",
        "psychological": "每月一次陪伴聊天服务",
        "rehabilitation": "康复训练用品一套",
        "legal": "法律咨询服务一次",
        "other": "冬季棉被两床",
    },
    HelpMode.MANY_TO_ONE: ("米面粮油，每月一份，共 12 个月", 12, TargetUnit.MONTH),
    HelpMode.CROWDFUNDING: ("生活困难帮扶资金", 30_000, TargetUnit.YUAN),
}
# A crowdfunding text that fits the need type, where the generic one does not.
CROWDFUNDING_TEXTS = {
    "medical": "医疗费用个人自付部分",
    "rehabilitation": "康复治疗费用个人自付部分",
    "education": "学费和生活费缺口",
    "housing": "住房修缮费用缺口",
}
PER_MODE = {HelpMode.ONE_TO_ONE: 3, HelpMode.MANY_TO_ONE: 2, HelpMode.CROWDFUNDING: 2}


def demo_charities_create() -> dict[str, CharityOrganisation]:
    """The two demo charities of 东城区 (idempotent)."""
    district = Area.objects.get(code=DISTRICT)
    made = {}
    for name, qualified in ((DEMO_CHARITY, True), (DEMO_SMALL_CHARITY, False)):
        made[name], _ = CharityOrganisation.objects.get_or_create(
            name=name,
            defaults={
                "credit_code": DEMO_CHARITY_CODES[name],
                "district": district,
                "registered_on": dt.date(2018, 6, 1),
                "public_fundraising": qualified,
                "contact_person": "李敏",
                "contact_phone": "010-65550000",
            },
        )
    return made


def demo_charity_member_bind(user) -> CharityMember:
    """The demo `charity` account acts for the demo charity that may raise funds publicly."""
    organisation = demo_charities_create()[DEMO_CHARITY]
    member, _ = CharityMember.objects.update_or_create(
        user=user, defaults={"organisation": organisation, "active": True}
    )
    user.__dict__.pop("_charity_member", None)
    return member


def _candidates(rng: random.Random):
    """(need, member) pairs of the demo street: a member with a category, a need still open."""
    needs = (
        Need.objects.filter(
            household__street_id=DEMO_STREET,
            household__status=HouseholdStatus.ACTIVE,
            status=NeedStatus.OPEN,
            listings__isnull=True,
        )
        .select_related("household")
        .order_by("id")
    )
    for need in needs[:400]:
        members = [
            person
            for person in need.household.members.filter(exited_on__isnull=True).prefetch_related(
                "categories"
            )
            if person.categories.all() and person.age_on(dt.date.today()) >= 14
        ]
        if members:
            yield need, rng.choice(members)


def demo_listings_create(*, seed: int = 2026, today: dt.date | None = None) -> int:
    """Publish demo listings in each help mode and take some of them up; returns how many
    listings were published. Combinations the anonymity rule (D1) refuses are skipped."""
    require_demo_allowed()
    users = get_user_model().objects.in_bulk(["street", "charity"], field_name="username")
    station, charity = users.get("street"), users.get("charity")
    if station is None or charity is None:
        return 0
    rng = random.Random(seed)
    staff = user_actor(station, channel=Channel.COMMAND)
    donor = user_actor(charity, channel=Channel.COMMAND)
    wanted = dict(PER_MODE)
    published: dict[str, list[NeedListing]] = {mode: [] for mode in wanted}
    for need, person in _candidates(rng):
        mode = next((m for m, left in wanted.items() if left), None)
        if mode is None:
            break
        category = person.categories.all()[0].category
        try:
            if consent_in_force(person) is None:
                share_consent_record(actor=staff, person=person, given_by=ConsentGiver.SELF)
            listing = listing_publish(
                actor=staff,
                need=need,
                person=person,
                category=category,
                help_mode=mode,
                **_text(mode, need.need_type),
            )
        except RuleError:
            continue  # too few peers even in the district (D1): not this one
        published[mode].append(listing)
        wanted[mode] -= 1
    _take_up(published, station=staff, donor=donor)
    return sum(len(listings) for listings in published.values())


def _text(mode: str, need_type: str) -> dict:
    if mode == HelpMode.ONE_TO_ONE:
        return {"description": TEXTS[mode][need_type]}
    description, target, unit = TEXTS[mode]
    if mode == HelpMode.CROWDFUNDING:
        description = CROWDFUNDING_TEXTS.get(need_type, description)
    return {"description": description, "target_quantity": target, "unit": unit}


def _take_up(published: dict[str, list[NeedListing]], *, station, donor) -> None:
    """A claim delivered and confirmed (fulfilled), a claim waiting for delivery, a pledge, a
    campaign: the board shows progress and a fulfilled count, /charity/ shows each state."""
    claims = published[HelpMode.ONE_TO_ONE]
    if claims:
        first = listing_claim(actor=donor, listing_id=claims[0].pk)
        take_up_deliver(actor=donor, take_up_id=first.pk, note="已送至东华门街道服务站")
        take_up_confirm(actor=station, take_up_id=first.pk)
    if len(claims) > 1:
        listing_claim(actor=donor, listing_id=claims[1].pk)
    if published[HelpMode.MANY_TO_ONE]:
        listing_pledge(actor=donor, listing_id=published[HelpMode.MANY_TO_ONE][0].pk, quantity=4)
    if published[HelpMode.CROWDFUNDING]:
        campaign_register(
            actor=donor,
            listing_id=published[HelpMode.CROWDFUNDING][0].pk,
            platform=FundraisingPlatform.TENCENT,
            filing_number="53110101MJ0A8K2Q32A26001",
            campaign_url="https://gongyi.qq.com/",
        )
