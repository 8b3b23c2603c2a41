"""Deterministic synthetic ledger households over the real divisions (issue 3, items 6 and 7).

Shape of the data (Beijing's published figures, scaled to 600,000 households / ~1M persons):
about 110k dibao persons in 65k households (~1.7 persons each), 10k low-income persons,
5k extreme-poverty persons; elderly (S2) and severely disabled (S4) people are the bulk.
Households are spread over the communities in proportion to population (see
`community_weights`); every 10th goes to the demo street so that the `street` and `worker`
demo accounts always have files to look at.

Everything random comes from `random.Random(seed)`, so the same call gives the same ledger
(only the AES-GCM nonces of the encrypted identifiers differ, as they must). Each batch of
households is drawn as plain rows with their primary keys, scored by the same completeness
rule as the back office (`ledger_missing_items`) and bulk-inserted in one transaction
(`bulk_insert`: executemany on SQLite, COPY on PostgreSQL) while a forked child draws the
next batch, so 600,000 households take minutes (DESIGN.md: <= 10 min), not hours.
"""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import random
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from multiprocessing.connection import Connection
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connections, router, transaction
from django.db.models import Max, Model

from portal import identity

from ..bulk import bulk_insert
from ..enums import (
    AreaLevel,
    BenefitType,
    Category,
    DisabilityGrade,
    DisabilityType,
    Education,
    Employment,
    EntryRoute,
    Health,
    NeedType,
    Relation,
    Sex,
    Subtype,
    TimelineKind,
)
from ..models import (
    Area,
    Benefit,
    Household,
    HouseholdAssignment,
    HouseholdEvent,
    Need,
    Person,
    PersonCategory,
)
from ..services.ledger import (
    MemberFacts,
    ledger_missing_items,
    member_categories_text,
    person_identifiers,
)
from .accounts import require_demo_allowed

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


def _given_pairs(count: int) -> tuple[str, ...]:
    pick = random.Random(0)  # fixed: the list belongs to the module, not to a seed
    pairs: dict[str, None] = {}  # ordered, unlike a set
    while len(pairs) < count:
        pairs[pick.choice(GIVEN) + pick.choice(GIVEN)] = None
    return tuple(pairs)


# A fixed list of two-character given names (not any pair): names repeat as they do in life,
# and the per-name pinyin cache stays small (~116k names in all; pinyin costs ~60 us a name).
GIVEN_PAIRS = _given_pairs(1000)
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

# Resident population by district, Beijing 7th national census (2020), in 10k persons. There
# is no published population per community, so a district's weight is shared among its
# communities (see `community_weights`).
DISTRICT_POPULATION = {
    "110101000000": 70.9,  # 东城区
    "110102000000": 110.6,  # 西城区
    "110105000000": 345.2,  # 朝阳区
    "110106000000": 201.9,  # 丰台区
    "110107000000": 56.8,  # 石景山区
    "110108000000": 313.3,  # 海淀区
    "110109000000": 39.3,  # 门头沟区
    "110111000000": 131.3,  # 房山区
    "110112000000": 184.0,  # 通州区
    "110113000000": 132.4,  # 顺义区
    "110114000000": 226.9,  # 昌平区
    "110115000000": 199.4,  # 大兴区
    "110116000000": 44.1,  # 怀柔区
    "110117000000": 45.7,  # 平谷区
    "110118000000": 52.8,  # 密云区
    "110119000000": 34.6,  # 延庆区
}
# A village committee (urban-rural code 200-399 in the last three digits of the statistical
# code) is weighted half an urban residents' committee: villages are smaller on average.
VILLAGE_WEIGHT = 0.5

# (category, subtype, households per 10,000): the head's (or, for S3, the child's) category.
# At 600,000 households: dibao 64.8k households (x ~1.7 = ~110k persons), low-income 6k
# (~10k persons), extreme poverty 5.1k single persons; S2 elderly and S4 severely disabled
# are the majority, as in Beijing's ledgers.
CATEGORY_MIX = [
    (Category.S1, Subtype.DIBAO_URBAN, 800),
    (Category.S1, Subtype.DIBAO_RURAL, 280),
    (Category.S1, Subtype.LOW_INCOME, 100),
    (Category.S1, Subtype.EXTREME_POVERTY, 85),
    (Category.S2, Subtype.DISABLED_ELDER, 1400),
    (Category.S2, Subtype.DEMENTIA, 500),
    (Category.S2, Subtype.LOST_ONLY_CHILD, 300),
    (Category.S2, Subtype.ADVANCED_AGE, 2200),
    (Category.S2, Subtype.LIVING_ALONE, 1300),
    (Category.S3, Subtype.CHILD_IN_DIFFICULTY, 60),
    (Category.S3, Subtype.LEFT_BEHIND, 40),
    (Category.S4, Subtype.SEVERE_DISABILITY, 2200),
    (Category.S5, Subtype.SERIOUS_ILLNESS, 500),
    (Category.S5, Subtype.MAJOR_MISFORTUNE, 135),
    (Category.S6, Subtype.OTHER, 100),
]
# Who else lives in the household, by the head's subtype: (p_spouse, p_child). Chosen so that
# a dibao household averages 1.7 persons and the whole ledger ~1.67 (600k -> ~1M persons).
HOUSEHOLD_SHAPE = {
    Subtype.DIBAO_URBAN: (0.45, 0.25),
    Subtype.DIBAO_RURAL: (0.45, 0.25),
    Subtype.LOW_INCOME: (0.45, 0.25),
    Subtype.EXTREME_POVERTY: (0.0, 0.0),  # 特困: no one to support them, by definition
    Subtype.DISABLED_ELDER: (0.5, 0.25),
    Subtype.DEMENTIA: (0.5, 0.25),
    Subtype.LOST_ONLY_CHILD: (0.6, 0.0),
    Subtype.ADVANCED_AGE: (0.5, 0.25),
    Subtype.LIVING_ALONE: (0.0, 0.0),
    Subtype.SEVERE_DISABILITY: (0.5, 0.35),
    Subtype.SERIOUS_ILLNESS: (0.6, 0.4),
    Subtype.MAJOR_MISFORTUNE: (0.6, 0.4),
    Subtype.OTHER: (0.4, 0.0),
}
# Whole-household categories: every member of a dibao / low-income household is covered.
HOUSEHOLD_WIDE = {Subtype.DIBAO_URBAN, Subtype.DIBAO_RURAL, Subtype.LOW_INCOME}
BENEFIT_FOR = {
    Subtype.DIBAO_URBAN: (BenefitType.DIBAO, Decimal("1420")),
    Subtype.DIBAO_RURAL: (BenefitType.DIBAO, Decimal("1420")),
    Subtype.LOW_INCOME: (BenefitType.LOW_INCOME, Decimal("500")),
    Subtype.EXTREME_POVERTY: (BenefitType.EXTREME_POVERTY, Decimal("2130")),
    Subtype.SEVERE_DISABILITY: (BenefitType.DISABILITY_CARE, Decimal("300")),
    Subtype.ADVANCED_AGE: (BenefitType.ELDER_ALLOWANCE, Decimal("100")),
    Subtype.DISABLED_ELDER: (BenefitType.ELDER_CARE, Decimal("600")),
    Subtype.CHILD_IN_DIFFICULTY: (BenefitType.CHILD_LIVING, Decimal("2200")),
}
DEMO_STREET = "110101001000"  # 东华门街道: the demo station, and the demo worker's caseload
DEMO_NEED = "需要定期上门探访并协助申请相关补贴"
DEMO_EVENT = "建档（演示数据）"
SYSTEM_ACTOR = "系统"
BATCH_HOUSEHOLDS = 5_000  # households per bulk batch and transaction
PROGRESS_EVERY = 50_000  # households between two progress reports
CHINA = ZoneInfo("Asia/Shanghai")

EDUCATIONS = list(Education.values)
EMPLOYMENTS = list(Employment.values)
HEALTHS = list(Health.values)
ENTRY_ROUTES = list(EntryRoute.values)
NEED_TYPES = list(NeedType.values)
DISABILITY_TYPES = [
    DisabilityType.PHYSICAL,
    DisabilityType.VISION,
    DisabilityType.INTELLECTUAL,
    DisabilityType.MENTAL,
]
DISABILITY_GRADES = [DisabilityGrade.GRADE_1, DisabilityGrade.GRADE_2]  # S4: severe only

Progress = Callable[[int, int, float], None]  # (households done, persons done, seconds)


@dataclass
class _Member:
    relation: str
    birth: dt.date
    female: bool
    category: str | None = None
    subtype: str | None = None


# The columns each batch writes; every other column gets the model field's default.
HOUSEHOLD_COLUMNS = (
    "id",
    "file_number",
    "district_id",
    "street_id",
    "community_id",
    "address",
    "entry_route",
    "entered_on",
    "next_visit_due",
    "completeness",
    "member_categories",
)
IDENTIFIER_COLUMNS = (
    "id_number_encrypted",
    "id_number_index",
    "id_number_masked",
    "phone_encrypted",
    "phone_index",
    "phone_masked",
)
PERSON_COLUMNS = (
    "id",
    "household_id",
    "relation",
    "name",
    "name_initials",
    "sex",
    "birth_date",
    *IDENTIFIER_COLUMNS,
    "education",
    "employment",
    "health",
)
CATEGORY_COLUMNS = ("person_id", "category", "subtype", "since", "details")
BENEFIT_COLUMNS = ("person_id", "benefit_type", "monthly_amount", "since")
NEED_COLUMNS = ("household_id", "need_type", "description")
EVENT_COLUMNS = ("household_id", "at", "kind", "summary", "actor_name")
ASSIGNMENT_COLUMNS = ("household_id", "worker_id", "agency_id")


@dataclass
class _Batch:
    """The rows of one batch of households, as tuples in the column orders above."""

    households: list[tuple] = field(default_factory=list)
    persons: list[tuple] = field(default_factory=list)
    categories: list[tuple] = field(default_factory=list)
    benefits: list[tuple] = field(default_factory=list)
    needs: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    assignments: list[tuple] = field(default_factory=list)


def community_weights(communities: Sequence[tuple[str, str]]) -> list[float]:
    """Weights for (code, district code) communities: the district's population shared among
    its communities, an urban community counting 1 and a village VILLAGE_WEIGHT."""

    def unit(code: str) -> float:
        return VILLAGE_WEIGHT if int(code[-3:]) >= 200 else 1.0

    units: dict[str, float] = {}
    for code, district in communities:
        units[district] = units.get(district, 0.0) + unit(code)
    return [
        DISTRICT_POPULATION.get(district, 0.0) * unit(code) / units[district]
        for code, district in communities
    ]


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
    if subtype == Subtype.EXTREME_POVERTY:
        return 18, 90
    if subtype == Subtype.SEVERE_DISABILITY:
        return 18, 80
    return 25, 75


class _Generator:
    """Draws households in a fixed order from one Random, so a seed fixes the data."""

    def __init__(
        self,
        *,
        seed: int,
        today: dt.date,
        first_person_id: int,
        worker_id: int | None,
        agency_id: int | None,
        file_sequences: dict[str, int],
    ) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.person_ids = itertools.count(first_person_id)
        self.worker_id, self.agency_id = worker_id, agency_id
        self.file_sequences = file_sequences
        self.initials: dict[str, str] = {}  # pinyin is slow; names repeat
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self.mix_cum = list(itertools.accumulate(w for _c, _s, w in CATEGORY_MIX))
        self.subtype_labels = {value: str(label) for value, label in Subtype.choices}

    def file_number(self, *, code: str, year: int) -> str:
        """The next number of the street and year, as `next_file_number` gives them (L7)."""
        prefix = f"{code[:9]}-{year}"
        sequence = self.file_sequences[prefix] = self.file_sequences.get(prefix, 0) + 1
        return f"{prefix}-{sequence:05d}"

    def name(self) -> str:
        rng = self.rng
        given = rng.choice(GIVEN) if rng.random() < 0.5 else rng.choice(GIVEN_PAIRS)
        return rng.choice(SURNAMES) + given

    def birth(self, lo: int, hi: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(lo * 365 + 1, hi * 365 - 1))

    def id_number(self, *, district: str, birth: dt.date, female: bool) -> str:
        # Another sequence number while this one is taken in this run; after 20 tries (a full
        # day of one district, never seen in practice) a duplicate is accepted.
        for _attempt in range(20):
            number = identity.make_id_number(
                area_code=district[:6],
                birth=birth,
                sequence=self.rng.randint(0, 999),
                female=female,
            )
            if number not in self.ids:
                break
        self.ids.add(number)
        return number

    def phone(self) -> str:
        for _attempt in range(20):
            number = f"1{self.rng.choice('3589')}{self.rng.randint(0, 999_999_999):09d}"
            if number not in self.phones:
                break
        self.phones.add(number)
        return number

    def members(self, category: str, subtype: str) -> list[_Member]:
        rng = self.rng
        if category == Category.S3:  # a grandparent heads the file of a child in difficulty
            children = [_Member(Relation.GRANDCHILD, self.birth(3, 17), rng.random() < 0.5)]
            if rng.random() < 0.2:
                children.append(_Member(Relation.GRANDCHILD, self.birth(3, 17), rng.random() < 0.5))
            for child in children:
                child.category, child.subtype = category, subtype
            return [_Member(Relation.HEAD, self.birth(55, 80), rng.random() < 0.5), *children]
        lo, hi = _age_range(subtype)
        head = _Member(Relation.HEAD, self.birth(lo, hi), rng.random() < 0.5, category, subtype)
        members = [head]
        p_spouse, p_child = HOUSEHOLD_SHAPE[subtype]
        if rng.random() < p_spouse:
            birth = self.birth(max(lo - 5, 20), min(hi + 5, 100))
            members.append(_Member(Relation.SPOUSE, birth, not head.female))
        if rng.random() < p_child:
            age = max(1, (self.today - head.birth).days // 365 - rng.randint(22, 38))
            members.append(_Member(Relation.CHILD, self.birth(age, age + 1), rng.random() < 0.5))
        if subtype in HOUSEHOLD_WIDE:
            for member in members[1:]:
                member.category, member.subtype = category, subtype
        return members

    def details(self, member: _Member) -> dict:
        rng, cat = self.rng, member.category
        details: dict[str, str] = {}
        if cat in (Category.S2, Category.S3) and rng.random() < 0.8:
            details["guardian"] = self.name()
            details["caregiver"] = self.name()
            details["difficulty_type"] = self.subtype_labels[member.subtype]
        if cat == Category.S3:
            details["schooling"] = rng.choice(["在读小学", "在读初中", "学龄前"])
            details["parents_situation"] = rng.choice(["父母外出务工", "父母一方服刑"])
        if cat == Category.S4:
            details["disability_type"] = str(rng.choice(DISABILITY_TYPES))
            details["disability_grade"] = str(rng.choice(DISABILITY_GRADES))
        if cat in (Category.S5, Category.S6):
            details["basic_situation"] = "家庭主要劳动力患病，收入骤减"
            details["emergency_situation"] = "医疗费用负担重"
        return details

    def person(
        self, batch: _Batch, member: _Member, *, household_id: int, district: str, since: dt.date
    ) -> MemberFacts:
        """One member's rows (person, category, benefit); what completeness needs to know."""
        rng = self.rng
        person_id = next(self.person_ids)
        categories: list[tuple[str, dict]] = []
        has_benefits = False
        if member.category:
            details = self.details(member)
            categories.append((member.category, details))
            batch.categories.append((person_id, member.category, member.subtype, since, details))
            if member.subtype in BENEFIT_FOR and rng.random() < 0.85:
                kind, amount = BENEFIT_FOR[member.subtype]
                batch.benefits.append((person_id, kind, amount, since))
                has_benefits = True
        name = self.name()
        initials = self.initials.get(name)
        if initials is None:
            initials = self.initials[name] = identity.pinyin_initials(name)
        id_number = self.id_number(district=district, birth=member.birth, female=member.female)
        adult = (self.today - member.birth).days >= 16 * 365
        phone = self.phone() if adult and rng.random() < 0.9 else ""
        # SECURITY B3/D3: each value encrypted, blind-indexed and masked by the one service.
        protected = person_identifiers(id_number=id_number, phone=phone)
        education = rng.choice(EDUCATIONS) if rng.random() < 0.9 else ""
        employment = rng.choice(EMPLOYMENTS) if rng.random() < 0.9 else ""
        health = rng.choice(HEALTHS)
        batch.persons.append(
            (
                person_id,
                household_id,
                member.relation,
                name,
                initials,
                Sex.FEMALE if member.female else Sex.MALE,
                member.birth,
                *(protected.get(column, "") for column in IDENTIFIER_COLUMNS),
                education,
                employment,
                health,
            )
        )
        return MemberFacts(
            name=name,
            employment=employment,
            education=education,
            health=health,
            categories=categories,
            has_benefits=has_benefits,
        )

    def batches(
        self,
        *,
        households: int,
        batch_size: int,
        first_household: int,
        communities: Sequence[tuple[str, str, str]],
        cum_weights: Sequence[float],
    ) -> Iterator[_Batch]:
        """The batches in order: communities weighted by population, every 10th household in
        the demo street (so the street and worker demos see files), every 20th assigned."""
        rng = self.rng
        demo_street = [c for c in communities if c[2] == DEMO_STREET]
        for batch_start in range(0, households, batch_size):
            batch = _Batch()
            for number in range(batch_start, min(batch_start + batch_size, households)):
                if number % 10 == 0:
                    community = rng.choice(demo_street)
                else:
                    community = rng.choices(communities, cum_weights=cum_weights)[0]
                self.household(
                    batch,
                    household_id=first_household + number,
                    community=community,
                    assign=number % 20 == 0,
                )
            yield batch

    def household(
        self,
        batch: _Batch,
        *,
        household_id: int,
        community: tuple[str, str, str],
        assign: bool,
    ) -> None:
        rng, today = self.rng, self.today
        code, district, street = community
        entered = today - dt.timedelta(days=rng.randint(0, 900))
        address = (
            f"{rng.choice(ROADS)}{rng.randint(1, 300)}号{rng.randint(1, 20)}-"
            f"{rng.randint(101, 2405)}"
        )
        entry_route = rng.choice(ENTRY_ROUTES)
        due = today + dt.timedelta(days=rng.randint(-30, 90))
        category, subtype, _w = rng.choices(CATEGORY_MIX, cum_weights=self.mix_cum)[0]
        facts = [
            self.person(batch, member, household_id=household_id, district=district, since=entered)
            for member in self.members(category, subtype)
        ]
        need = rng.choice(NEED_TYPES) if rng.random() < 0.8 else ""
        # L1-L5: the same rule as a file edited in the back office, on the rows just drawn.
        _missing, completeness = ledger_missing_items(members=facts, has_needs=bool(need))
        batch.households.append(
            (
                household_id,
                self.file_number(code=code, year=entered.year),
                district,
                street,
                code,
                address,
                entry_route,
                entered,
                due,
                completeness,
                member_categories_text(c for member in facts for c, _details in member.categories),
            )
        )
        if need:
            batch.needs.append((household_id, need, DEMO_NEED))
        at = dt.datetime.combine(entered, dt.time(9, 0), tzinfo=CHINA)
        batch.events.append((household_id, at, TimelineKind.FILE_CREATED, DEMO_EVENT, SYSTEM_ACTOR))
        if assign and street == DEMO_STREET and self.worker_id and self.agency_id:
            batch.assignments.append((household_id, self.worker_id, self.agency_id))


def _write(batch: _Batch) -> None:
    """One batch in one transaction, parents first; the generator gave the households and
    persons their ids."""
    alias = router.db_for_write(Household)
    connection = connections[alias]
    with transaction.atomic(using=alias):
        if connection.vendor == "sqlite":
            # Seven indexes over a million random keys: keep them in this connection's cache
            # (256 MB instead of 2 MB) rather than re-reading pages from the OS.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -262144")
        bulk_insert(Household, HOUSEHOLD_COLUMNS, batch.households)
        bulk_insert(Person, PERSON_COLUMNS, batch.persons)
        bulk_insert(PersonCategory, CATEGORY_COLUMNS, batch.categories)
        bulk_insert(Benefit, BENEFIT_COLUMNS, batch.benefits)
        bulk_insert(Need, NEED_COLUMNS, batch.needs)
        bulk_insert(HouseholdEvent, EVENT_COLUMNS, batch.events)
        bulk_insert(HouseholdAssignment, ASSIGNMENT_COLUMNS, batch.assignments)
        # Explicit ids leave PostgreSQL's sequences behind; SQLite's AUTOINCREMENT follows.
        statements = connection.ops.sequence_reset_sql(no_style(), [Household, Person])
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)


def _send_batches(batches: Iterator[_Batch], sender: Connection) -> None:
    """In the child: every batch, then None; or the traceback text if drawing failed."""
    try:
        for batch in batches:
            sender.send(batch)
        sender.send(None)
    except BrokenPipeError:  # the parent stopped reading: it failed and reports why
        pass
    except BaseException:
        sender.send(traceback.format_exc())
    finally:
        sender.close()


def _drawn_in_child(batches: Iterator[_Batch]) -> Iterator[_Batch]:
    """The same batches, drawn by a forked child while this process writes the previous one.

    Drawing (encryption, pinyin) and writing (SQLite's B-trees in this process, or feeding
    PostgreSQL's COPY) then run on two cores; two threads would take turns on one GIL. The
    child only computes (it inherits, never uses, this process's database connections) and
    leaves through multiprocessing's os._exit. Without fork, batches are drawn here.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from batches
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_send_batches, args=(batches, sender), daemon=True)
    child.start()
    sender.close()
    try:
        while (item := receiver.recv()) is not None:
            if isinstance(item, str):
                raise RuntimeError(f"drawing demo households failed:\n{item}")
            yield item
    finally:
        receiver.close()
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()


def _refresh_statistics() -> None:
    """Planner statistics for the tables just filled. Without them SQLite (which has none until
    ANALYZE) drives a district's name search through its 70k households rather than the name
    index, and PostgreSQL plans the next minutes on an empty table; VACUUM also lets it count
    from the indexes alone. Not inside a caller's transaction (the test suite)."""
    connection = connections[router.db_for_write(Household)]
    if connection.in_atomic_block:
        return
    filled = (Household, Person, PersonCategory, Benefit, Need, HouseholdEvent)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            for model in filled:
                cursor.execute(f"VACUUM {connection.ops.quote_name(model._meta.db_table)}")
            cursor.execute("ANALYZE")  # every table, areas too (7,901 rows the listings join)


def _file_sequences() -> dict[str, int]:
    """The last sequence number of each street-year already in the ledger, so that demo files
    continue the numbering that `next_file_number` continues in its turn."""
    last: dict[str, int] = {}
    for number in Household.objects.values_list("file_number", flat=True).iterator():
        prefix, _sep, sequence = number.rpartition("-")
        if sequence.isdigit():
            last[prefix] = max(last.get(prefix, 0), int(sequence))
    return last


def _next_id(model: type[Model]) -> int:
    return (model.objects.aggregate(last=Max("id"))["last"] or 0) + 1


def demo_households_create(
    *,
    households: int,
    seed: int = 2026,
    today: dt.date | None = None,
    batch_size: int = BATCH_HOUSEHOLDS,
    progress: Progress | None = None,
) -> int:
    """Create `households` demo households (issue 3 item 6); returns how many persons.

    One transaction per batch of `batch_size` households: an interrupted run keeps the
    batches already written, each of them whole. `progress` is called every PROGRESS_EVERY
    households and at the end with (households, persons, seconds elapsed).
    """
    require_demo_allowed()
    today = today or dt.date(2026, 11, 1)
    started = time.monotonic()
    communities = list(
        Area.objects.filter(level=AreaLevel.COMMUNITY, is_legal_unit=True)
        .order_by("code")
        .values_list("code", "district_id", "street_id")
    )
    cum_weights = list(itertools.accumulate(community_weights([(c[0], c[1]) for c in communities])))
    worker = get_user_model().objects.filter(username="worker").first()
    agency = worker.staff_profile.agency if worker is not None else None
    gen = _Generator(
        seed=seed,
        today=today,
        first_person_id=_next_id(Person),
        worker_id=worker.pk if worker else None,
        agency_id=agency.pk if agency else None,
        file_sequences=_file_sequences(),
    )
    batches = gen.batches(
        households=households,
        batch_size=batch_size,
        first_household=_next_id(Household),
        communities=communities,
        cum_weights=cum_weights,
    )
    alias = router.db_for_write(Household)
    if not connections[alias].in_atomic_block:  # no second process inside a test transaction
        batches = _drawn_in_child(batches)
    persons = reported = done = 0
    try:
        for batch in batches:
            _write(batch)
            persons += len(batch.persons)
            done += len(batch.households)
            if progress and done - reported >= PROGRESS_EVERY and done < households:
                progress(done, persons, time.monotonic() - started)
                reported = done
    finally:
        batches.close()  # stops the child, if any, when a write failed
    _refresh_statistics()
    if progress:
        progress(households, persons, time.monotonic() - started)
    return persons
