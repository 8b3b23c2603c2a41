"""Deterministic synthetic ledger households over the real divisions (issue 3, item 6).

The mix follows the shape of Beijing's published figures: about 110k dibao persons in 65k
households, 10k low-income, 5k extreme-poverty; elderly and disabled people more numerous.
Everything is derived from `seed`, so the same call gives the same ledger.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from .. import identity
from ..enums import (
    BenefitType,
    Category,
    Education,
    Employment,
    EntryRoute,
    Health,
    NeedType,
    Relation,
    Subtype,
)
from ..models import (
    Agency,
    Area,
    Benefit,
    Household,
    HouseholdAssignment,
    Need,
    Person,
    PersonCategory,
)
from .demo import require_demo_allowed
from .ledger import household_refresh_completeness, person_identifiers

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段"
)
GIVEN = (
    "三伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧巧美淑惠珠翠雅芝玉萍红娥玲芬燕彩春菊"
    "兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊"
    "莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏"
    "卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝"
    "思丽"
)
ROADS = [
    "东四北大街",
    "南池子大街",
    "朝阳门内大街",
    "和平里中街",
    "安定门外大街",
    "花园路",
    "学院路",
    "长椿街",
    "马家堡路",
    "丰台路",
    "石景山路",
    "新华大街",
    "通州北苑",
    "回龙观西大街",
]
# (category, subtype, weight): the share of persons in each subtype.
CATEGORY_MIX = [
    (Category.S1, Subtype.DIBAO_URBAN, 30),
    (Category.S1, Subtype.DIBAO_RURAL, 8),
    (Category.S1, Subtype.LOW_INCOME, 4),
    (Category.S1, Subtype.EXTREME_POVERTY, 2),
    (Category.S2, Subtype.DISABLED_ELDER, 10),
    (Category.S2, Subtype.DEMENTIA, 4),
    (Category.S2, Subtype.LOST_ONLY_CHILD, 3),
    (Category.S2, Subtype.ADVANCED_AGE, 12),
    (Category.S2, Subtype.LIVING_ALONE, 8),
    (Category.S3, Subtype.CHILD_IN_DIFFICULTY, 2),
    (Category.S3, Subtype.LEFT_BEHIND, 1),
    (Category.S4, Subtype.SEVERE_DISABILITY, 12),
    (Category.S5, Subtype.SERIOUS_ILLNESS, 3),
    (Category.S5, Subtype.MAJOR_MISFORTUNE, 1),
    (Category.S6, Subtype.OTHER, 1),
]
BENEFIT_FOR = {
    Subtype.DIBAO_URBAN: (BenefitType.DIBAO, "1420"),
    Subtype.DIBAO_RURAL: (BenefitType.DIBAO, "1420"),
    Subtype.LOW_INCOME: (BenefitType.LOW_INCOME, "500"),
    Subtype.EXTREME_POVERTY: (BenefitType.EXTREME_POVERTY, "2130"),
    Subtype.SEVERE_DISABILITY: (BenefitType.DISABILITY_CARE, "300"),
    Subtype.ADVANCED_AGE: (BenefitType.ELDER_ALLOWANCE, "100"),
    Subtype.DISABLED_ELDER: (BenefitType.ELDER_CARE, "600"),
    Subtype.CHILD_IN_DIFFICULTY: (BenefitType.CHILD_LIVING, "2200"),
}
DEMO_STREET = "110101001000"  # 东华门街道: the demo station, and the demo worker's caseload


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _birth(rng: random.Random, *, lo: int, hi: int, today: dt.date) -> dt.date:
    age_days = rng.randint(lo * 365 + 1, hi * 365 - 1)
    return today - dt.timedelta(days=age_days)


def _age_range(subtype: str) -> tuple[int, int]:
    if subtype in (
        Subtype.DISABLED_ELDER,
        Subtype.DEMENTIA,
        Subtype.LIVING_ALONE,
        Subtype.LOST_ONLY_CHILD,
    ):
        return 60, 95
    if subtype == Subtype.ADVANCED_AGE:
        return 80, 100
    if subtype in (Subtype.CHILD_IN_DIFFICULTY, Subtype.LEFT_BEHIND):
        return 3, 17
    return 25, 75


@transaction.atomic
def demo_households_create(
    *, households: int, seed: int = 2026, today: dt.date | None = None
) -> int:
    """Create `households` demo households; returns how many persons were created."""
    require_demo_allowed()
    today = today or dt.date(2026, 11, 1)
    rng = random.Random(seed)
    communities = list(
        Area.objects.filter(level="community", is_legal_unit=True).values_list(
            "code", "district_id", "street_id"
        )
    )
    demo_street = [c for c in communities if c[2] == DEMO_STREET]
    weights = [w for _c, _s, w in CATEGORY_MIX]
    from django.contrib.auth import get_user_model

    worker = get_user_model().objects.filter(username="worker").first()
    agency = Agency.objects.first()
    start = Household.objects.count()
    created_people = 0
    for number in range(households):
        code, district, street = (
            rng.choice(demo_street) if number % 10 == 0 else rng.choice(communities)
        )
        entered = today - dt.timedelta(days=rng.randint(0, 900))
        household = Household.objects.create(
            file_number=f"{code[:9]}-{entered.year}-D{start + number:06d}",
            district_id=district,
            street_id=street,
            community_id=code,
            address=f"{rng.choice(ROADS)}{rng.randint(1, 300)}号{rng.randint(1, 20)}-"
            f"{rng.randint(101, 2405)}",
            entry_route=rng.choice(list(EntryRoute.values)),
            entered_on=entered,
            next_visit_due=today + dt.timedelta(days=rng.randint(-30, 90)),
        )
        if worker and agency and street == DEMO_STREET and number % 20 == 0:
            HouseholdAssignment.objects.create(household=household, worker=worker, agency=agency)
        category, subtype, _w = rng.choices(CATEGORY_MIX, weights=weights)[0]
        lo, hi = _age_range(subtype)
        head_birth = _birth(rng, lo=max(lo, 18), hi=max(hi, 19), today=today)
        members = [(Relation.HEAD, head_birth, category, subtype)]
        if category == Category.S1 and rng.random() < 0.6:
            members.append((Relation.SPOUSE, _birth(rng, lo=25, hi=75, today=today), None, None))
        if category in (Category.S1, Category.S3) and rng.random() < 0.5:
            child_cat = Category.S3 if category == Category.S3 else None
            child_sub = subtype if category == Category.S3 else None
            members.append(
                (Relation.CHILD, _birth(rng, lo=3, hi=17, today=today), child_cat, child_sub)
            )
        for relation, birth, cat, sub in members:
            female = rng.random() < 0.5
            id_number = identity.make_id_number(
                area_code=district[:6], birth=birth, sequence=rng.randint(0, 999), female=female
            )
            name = _name(rng)
            phone = f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}"
            person = Person.objects.create(
                household=household,
                relation=relation,
                name=name,
                name_initials=identity.pinyin_initials(name),
                sex=identity.sex_from_id(id_number),
                birth_date=birth,
                **person_identifiers(id_number=id_number, phone=phone),
                education=rng.choice(list(Education.values)) if rng.random() < 0.9 else "",
                employment=rng.choice(list(Employment.values)) if rng.random() < 0.9 else "",
                health=rng.choice(list(Health.values)),
            )
            created_people += 1
            if cat:
                details = {}
                if cat in (Category.S2, Category.S3) and rng.random() < 0.8:
                    details["guardian"] = _name(rng)
                    details["caregiver"] = _name(rng)
                    details["difficulty_type"] = str(Subtype(sub).label)
                if cat == Category.S3:
                    details["schooling"] = rng.choice(["在读小学", "在读初中", "学龄前"])
                    details["parents_situation"] = rng.choice(["父母外出务工", "父母一方服刑"])
                if cat == Category.S4:
                    details["disability_type"] = rng.choice(["肢体", "视力", "智力", "精神"])
                    details["disability_grade"] = rng.choice(["一级", "二级"])
                if cat in (Category.S5, Category.S6):
                    details["basic_situation"] = "家庭主要劳动力患病，收入骤减"
                    details["emergency_situation"] = "医疗费用负担重"
                PersonCategory.objects.create(
                    person=person, category=cat, subtype=sub, since=entered, details=details
                )
                if sub in BENEFIT_FOR and rng.random() < 0.85:
                    kind, amount = BENEFIT_FOR[sub]
                    Benefit.objects.create(
                        person=person,
                        benefit_type=kind,
                        monthly_amount=Decimal(amount),
                        since=entered,
                    )
        if rng.random() < 0.8:
            Need.objects.create(
                household=household,
                need_type=rng.choice(list(NeedType.values)),
                description="需要定期上门探访并协助申请相关补贴",
            )
        household_refresh_completeness(household)
    return created_people
