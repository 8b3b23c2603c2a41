"""Helpers and fixtures for the charity take-up tests (issue 17: U3, P3, D1, D4).

The `charity_world` builds on the `ledger` fixture: 张三 (东华门街道, man, 60-79, 困境老年人)
and four more men of his age band and category in the same street, so that his combination
reaches k = 5 there (D1); a 景山街道 man of the same combination (one in that street, six in
东城区); a need of 张三's household. Personas: street (the station), dongcheng (district), city,
worker (no charity work), charity (the demo charity's person, may raise funds publicly) and
`rival`, the person of another charity (no public fundraising). Bystander: 朝阳区's 王五.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.actor import system_actor
from backoffice.demo.accounts import demo_totp_key_hex
from backoffice.demo.charity import DEMO_CHARITY
from backoffice.enums import (
    Category,
    ConsentGiver,
    EntryRoute,
    HelpMode,
    NeedType,
    Relation,
    Role,
    Subtype,
)
from backoffice.models import Area, CharityMember, CharityOrganisation, Need, PersonCategory
from backoffice.services.charity import listing_publish, share_consent_record
from backoffice.services.ledger import household_create, person_create
from backoffice.services.staff import staff_assign
from tests.conftest import as_actor

SYSTEM = system_actor()
DONGHUAMEN_COMMUNITY = "110101001001"  # 多福巷社区居委会, 东华门街道
JINGSHAN_COMMUNITY = "110101002001"  # 景山街道
SIXTIES = dt.date(1953, 4, 2)  # 60-79 for years to come


def peer(
    name: str,
    *,
    community: str = DONGHUAMEN_COMMUNITY,
    sex: str = "male",
    birth: dt.date = SIXTIES,
    category: str = Category.S2,
    subtype: str = Subtype.LIVING_ALONE,
    address: str = "某巷9号",
):
    """A household whose head holds `category`: one more person in the ledger (D1's k)."""
    household = household_create(
        actor=SYSTEM,
        community=Area.objects.get(code=community),
        address=address,
        entry_route=EntryRoute.SURVEY,
    )
    person = person_create(
        actor=SYSTEM,
        household=household,
        name=name,
        relation=Relation.HEAD,
        sex=sex,
        birth_date=birth,
    )
    PersonCategory.objects.create(person=person, category=category, subtype=subtype)
    return person


@pytest.fixture
def charity_world(ledger, demo_users):
    peers = [peer(name) for name in ("钱一", "孙二", "周四", "吴六")]
    jingshan = peer("郑七", community=JINGSHAN_COMMUNITY, address="景山后街3号")
    need = Need.objects.create(
        household=ledger["home"],
        person=ledger["zhang"],
        need_type=NeedType.LIVING,
        description="张三冬季取暖困难",
    )
    return {**ledger, "peers": peers, "jingshan": jingshan, "need": need}


def consent(person, user, **kwargs):
    return share_consent_record(
        actor=as_actor(user),
        person=person,
        given_by=kwargs.pop("given_by", ConsentGiver.SELF),
        **kwargs,
    )


def publish(world, user, *, need=None, person=None, **kwargs):
    """A listing of 张三's need, on his consent (given here unless there is one)."""
    person = person or world["zhang"]
    if not person.share_consents.filter(withdrawn_on__isnull=True).exists():
        consent(person, user)
    values = {
        "category": Category.S2,
        "help_mode": HelpMode.ONE_TO_ONE,
        "description": "需要一台电暖器过冬",
        **kwargs,
    }
    return listing_publish(
        actor=as_actor(user), need=need or world["need"], person=person, **values
    )


@pytest.fixture
def listing(charity_world, demo_users):
    return publish(charity_world, demo_users["street"])


@pytest.fixture
def rival(demo_users, django_user_model):
    """The person of another charity, without public fundraising, with a device."""
    organisation = CharityOrganisation.objects.create(
        name="朝阳区爱心互助会",
        credit_code="51110105MJ0C1D2E3B",
        district=Area.objects.get(code="110105000000"),
        registered_on=dt.date(2020, 1, 1),
    )
    user = django_user_model.objects.create_user("rival", password="rival-pass-2026!")
    staff_assign(user=user, role=Role.CHARITY)
    CharityMember.objects.create(user=user, organisation=organisation)
    TOTPDevice.objects.create(user=user, name="手机", key=demo_totp_key_hex(), confirmed=True)
    return user


def demo_charity() -> CharityOrganisation:
    return CharityOrganisation.objects.get(name=DEMO_CHARITY)


def today() -> dt.date:
    return timezone.localdate()
