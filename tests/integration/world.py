"""A ledger with one of everything, inside and outside each persona's scope, for the tests
that sweep every back-office page and form (issue 12: B1, B4, B8).

Inside 东华门街道 (street, dongcheng, city see it): `home` with 张三 (head, S2), a child
欧阳小雨 (5 years old) with an S3 category and a benefit, a need naming the child, a plan, a
follow-up visit, a case, a referral, an open report and a member handover. `assigned` is
served by `worker`, who is also given `home` so that the child policy is tested on a file the
worker may open. Outside: 景山街道 (`other_street`, dongcheng only) and 朝阳区 (`far`, city
only), each with a person, a case and a referral.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backoffice.actor import system_actor
from backoffice.demo.accounts import DEMO_AGENCY
from backoffice.enums import (
    BenefitType,
    Category,
    ChangeDegree,
    NeedType,
    ReferralKind,
    ReferralTargetType,
    Relation,
    ServiceType,
    Subtype,
    VisitKind,
)
from backoffice.models import Agency, Benefit, HouseholdAssignment, Need, PersonCategory
from backoffice.services.cases import case_open, session_record
from backoffice.services.ledger import household_refresh_completeness, person_create
from backoffice.services.plans import MeasureInput, plan_revise
from backoffice.services.referrals import referral_create
from backoffice.services.triage import member_hand_over
from backoffice.services.visits import visit_record
from portal import identity
from tests.conftest import as_actor
from tests.integration.reports import file_report

SYSTEM = system_actor()
CHILD_NAME = "欧阳小雨"
CHILD_BIRTH = timezone.localdate().replace(year=timezone.localdate().year - 5, month=3, day=8)
CHILD_ID = identity.make_id_number(area_code="110101", birth=CHILD_BIRTH, sequence=31, female=True)


_SUBTYPE = {Category.S2: Subtype.LIVING_ALONE, Category.S3: Subtype.LEFT_BEHIND}


def _open_case(*, household, person, group, services, worker):
    PersonCategory.objects.get_or_create(
        person=person, subtype=_SUBTYPE[group], defaults={"category": group}
    )
    household_refresh_completeness(household)
    case = case_open(
        household=household,
        person=person,
        group=group,
        service_types=services,
        goals="陪伴与照料",
        planned_sessions=5,
        worker=worker,
        opened_on=timezone.localdate() - dt.timedelta(days=20),
        actor=as_actor(worker),  # the worker opens the case (the city bureau for 朝阳区's)
    )
    session_record(
        case=case,
        held_on=timezone.localdate() - dt.timedelta(days=10),
        worker=worker,
        content=f"上门陪伴{person.name}",
        change_degree=ChangeDegree.SOME,
        actor=as_actor(worker),
    )
    return case


def _referral(household, person=None):
    return referral_create(
        household=household,
        person=person,
        kind=ReferralKind.STILL_IN_DIFFICULTY,
        target_type=ReferralTargetType.CHARITY,
        target="东华门慈善协会",
        description="需要冬季取暖补贴",
        help_mode="one_to_one",
        sent_on=timezone.localdate() - dt.timedelta(days=3),
        actor=SYSTEM,
    )


def _charity_listing(home, zhang, demo_users):
    """Issue 17: 张三's need on the charity board, claimed by the demo charity and written
    about. Made as rows: this small ledger has too few peers for the anonymity rule (D1)."""
    from backoffice.models import CharityMember, NeedListing, ShareConsent
    from backoffice.services.charity import listing_claim, message_send

    need = Need.objects.create(household=home, person=zhang, need_type=NeedType.LIVING)
    consent = ShareConsent.objects.create(
        household=home,
        person=zhang,
        notice_version="2026-12",
        given_by="self",
        given_on=timezone.localdate(),
    )
    listing = NeedListing.objects.create(
        need=need,
        household=home,
        person=zhang,
        consent=consent,
        help_mode="one_to_one",
        need_type=NeedType.LIVING,
        description="需要一台电暖器",
        district_id=home.district_id,
        street_id=home.street_id,
        area_label="东城区·东华门街道",
        age_band="60-79",
        category=Category.S2,
    )
    charity = as_actor(demo_users["charity"])
    listing_claim(actor=charity, listing_id=listing.pk)
    message_send(actor=charity, listing_id=listing.pk, body="请问何时送达？")
    assert CharityMember.objects.filter(user=demo_users["charity"]).exists()
    return listing


def _project():
    """M2: 东城区's project serving 东华门街道, delivered by the demo agency."""
    from decimal import Decimal

    from backoffice.enums import ServiceKind
    from backoffice.models import Area
    from backoffice.services.projects import ProjectData, project_save

    today = timezone.localdate()
    return project_save(
        actor=SYSTEM,
        data=ProjectData(
            district=Area.objects.get(code="110101000000"),
            name="东华门街道困难群众帮扶服务项目",
            streets=[Area.objects.get(code="110101001000")],
            agencies=[Agency.objects.get(name=DEMO_AGENCY)],
            starts_on=today.replace(month=1, day=1),
            ends_on=today.replace(month=12, day=31),
            services=[ServiceKind.HOME_VISIT, ServiceKind.CASE],
            budget=Decimal("360000"),
        ),
    )


@pytest.fixture
def world(ledger, demo_users):
    street, worker = demo_users["street"], demo_users["worker"]
    home, far, other = ledger["home"], ledger["far"], ledger["other_street"]
    # The ledger fixture's 张小 is 6; the sweep uses a child with a name found nowhere else.
    child = person_create(
        actor=SYSTEM,
        household=home,
        name=CHILD_NAME,
        relation=Relation.GRANDCHILD,
        id_number=CHILD_ID,
    )
    PersonCategory.objects.create(
        person=child,
        category=Category.S3,
        subtype=Subtype.LEFT_BEHIND,
        details={"schooling": "东华门小学一年级", "guardian": "祖父张三"},
    )
    Benefit.objects.create(person=child, benefit_type=BenefitType.CHILD_LIVING)
    Need.objects.create(
        household=home,
        person=child,
        need_type=NeedType.EDUCATION,
        description=f"{CHILD_NAME}需要课后辅导",
    )
    household_refresh_completeness(home)
    HouseholdAssignment.objects.create(
        household=home, worker=worker, agency=Agency.objects.get(name=DEMO_AGENCY)
    )
    plan_revise(
        household=home,
        goals=f"保障{CHILD_NAME}的学习和张三的日常照料",
        measures=[
            MeasureInput(
                content=f"为{CHILD_NAME}链接课后辅导",
                responsible="社区居委会",
                due_on=timezone.localdate() + dt.timedelta(days=30),
            )
        ],
        based_on=0,
        expected_version=None,
        actor=SYSTEM,
    )
    visit_record(
        household=home,
        kind=VisitKind.FOLLOW_UP,
        visited_on=timezone.localdate(),
        visitors="社工王丽",
        findings=f"张三精神尚好，{CHILD_NAME}上学正常",
        measures_progress=f"{CHILD_NAME}的课后辅导已联系",
        actor=SYSTEM,
    )
    wang = ledger["wang"]
    jing = person_create(
        actor=SYSTEM,
        household=other,
        name="景山人",
        relation=Relation.HEAD,
        birth_date=dt.date(1950, 1, 1),
        sex="male",
    )
    cases = {
        "home": _open_case(
            household=home,
            person=ledger["zhang"],
            group=Category.S2,
            services=[ServiceType.EMOTIONAL_COMFORT],
            worker=street,
        ),
        "child": _open_case(
            household=home,
            person=child,
            group=Category.S3,
            services=[ServiceType.EDUCATION_GUIDANCE],
            worker=street,
        ),
        "far": _open_case(
            household=far,
            person=wang,
            group=Category.S2,
            services=[ServiceType.EMOTIONAL_COMFORT],
            worker=demo_users["city"],
        ),
    }
    referrals = {"home": _referral(home), "far": _referral(far), "other": _referral(other)}
    handover = member_hand_over(
        household=ledger["assigned"], holder=wang, relation=Relation.SPOUSE, actor=SYSTEM
    )
    listing = _charity_listing(home, ledger["zhang"], demo_users)
    return {
        **ledger,
        "project": _project(),
        "listing": listing,
        "child_x": child,
        "jing": jing,
        "cases": cases,
        "referrals": referrals,
        "report": file_report(),
        "far_report": file_report(
            community="110105001024",
            street="110105001000",
            district="110105000000",
            name="王五",
            id_number="",
        ),
        "handover": handover,
    }
