"""Demo casework (issue 5, item 7): plans, visits, cases, sessions, referrals and exits on the
demo station's households, through the real services, some of them overdue, so that a
newcomer signing in as `street` or `worker` sees a living ledger. Deterministic per seed.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model

from ..actor import user_actor
from ..enums import (
    SERVICE_TYPES_BY_GROUP,
    ChangeDegree,
    Channel,
    ExitReason,
    HelpMode,
    HouseholdStatus,
    ReferralKind,
    ReferralTargetType,
    VisitKind,
)
from ..models import Household
from ..services.cases import case_open, session_record
from ..services.errors import RuleError
from ..services.exits import household_exit
from ..services.plans import MeasureInput, plan_revise
from ..services.referrals import referral_create
from ..services.visits import visit_record
from .accounts import require_demo_allowed
from .ledger import DEMO_STREET

MEASURES = [
    ("每周上门探访一次，了解生活状况", "东华门街道社会救助服务站"),
    ("协助申请临时救助", "东华门街道民政科"),
    ("链接社区助餐服务", "社区居委会"),
    ("联系志愿者定期陪伴", "阳光社会工作服务中心"),
]


def demo_casework_create(*, households: int = 40, seed: int = 2026, today: dt.date) -> int:
    """Work `households` of the demo street; returns how many households were worked."""
    require_demo_allowed()
    rng = random.Random(seed)
    users = get_user_model().objects.in_bulk(["street", "worker"], field_name="username")
    station, worker = users.get("street"), users.get("worker")
    if station is None:
        return 0
    worked = 0
    # Households worked by an earlier run keep their plan and visits: a second run adds to the
    # households nobody has worked yet (drawing up a "first" plan again would be refused).
    files = Household.objects.filter(
        street_id=DEMO_STREET, status=HouseholdStatus.ACTIVE, plans__isnull=True
    )
    for number, household in enumerate(files.order_by("id")[:households]):
        try:
            _work(household, number, rng, station=station, worker=worker, today=today)
        except RuleError:
            continue  # a combination the rules refuse (e.g. no member of the group): skip it
        worked += 1
    return worked


def _work(household, number, rng, *, station, worker, today) -> None:
    # The demo station does the work, as a command acting for it (STYLE 11).
    actor = user_actor(station, channel=Channel.COMMAND)
    measures = [
        MeasureInput(content=content, responsible=who, due_on=today + dt.timedelta(days=30 * k))
        for k, (content, who) in enumerate(rng.sample(MEASURES, 2), start=1)
    ]
    plan_revise(
        household=household,
        goals="保障基本生活，每月至少一次上门探访",
        measures=measures,
        based_on=0,
        expected_version=None,
        actor=actor,
    )
    # Some visits are recent, some so old that the 3-month follow-up is overdue (L6).
    visited = today - dt.timedelta(days=rng.choice([5, 20, 45, 70, 100, 120]))
    visit_record(
        household=household,
        kind=VisitKind.FOLLOW_UP,
        visited_on=max(visited, household.entered_on),
        visitors="东华门站社工",
        findings="生活基本稳定，需继续关注。",
        measures_progress="各项措施按计划推进。",
        actor=actor,
    )
    members = list(household.members.prefetch_related("categories"))
    if number % 3 == 0:
        for person in members:
            groups = [
                c.category for c in person.categories.all() if c.category in SERVICE_TYPES_BY_GROUP
            ]
            if groups:
                group = groups[0]
                case = case_open(
                    household=household,
                    person=person,
                    group=group,
                    service_types=list(SERVICE_TYPES_BY_GROUP[group][:2]),
                    goals="改善生活状况，增强自我照顾能力",
                    planned_sessions=5,
                    worker=worker or station,
                    opened_on=today - dt.timedelta(days=40),
                    actor=actor,
                )
                for k in range(number % 6):  # 0-5 sessions: some cases are short (U10)
                    session_record(
                        case=case,
                        held_on=today - dt.timedelta(days=35 - 6 * k),
                        worker=worker or station,
                        content=f"第{k + 1}次上门服务",
                        change_degree=ChangeDegree.SOME,
                        actor=actor,
                    )
                break
    if number % 4 == 1:
        referral_create(
            household=household,
            kind=ReferralKind.STILL_IN_DIFFICULTY,
            target_type=ReferralTargetType.CHARITY,
            target="北京市慈善协会",
            description="助餐和冬季取暖费用",
            help_mode=HelpMode.ONE_TO_ONE,
            sent_on=today - dt.timedelta(days=rng.choice([3, 25])),
            due_on=today + dt.timedelta(days=rng.choice([-4, 7])),
            actor=actor,
        )
    if number % 15 == 14:  # D3: a few leave the ledger after a review visit
        review = visit_record(
            household=household,
            kind=VisitKind.EXIT_REVIEW,
            visited_on=today - dt.timedelta(days=2),
            visitors="东华门站站长",
            findings="家庭成员已就业，收入超过低保标准。",
            actor=actor,
        )
        household_exit(
            household=household,
            reason=ExitReason.OUT_OF_HARDSHIP,
            review_visit=review,
            exited_on=today,
            actor=actor,
        )
