"""Charity take-up of needs (issue 17: U3, P3; SECURITY D1, D4, B2, C1).

People who receive benefits but are still in difficulty have their situation shared with
charities and are helped one-to-one (一对一: one charity claims a concrete item or service),
many-to-one (多对一: several charities pledge toward a target) or by crowdfunding (慈善众筹: a
qualified charity runs a campaign on a platform designated by the Ministry of Civil Affairs;
the portal records and links it, and never collects money).

The station publishes a need only on the person's recorded consent (or the guardian's, for a
child under 14), as an anonymized projection that at least K_MINIMUM persons of the ledger
share (D1); charities act through their own accounts (`CharityMember`), whose actor has no
ledger scope at all, and so reach listings only, never a household or a person. Every
publication, consent, claim, pledge, campaign, delivery, confirmation and message is audited;
what the station does also goes on the household's timeline.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from pypinyin import Style, pinyin

from ..actor import Actor, system_actor
from ..children import child_record_check
from ..enums import (
    AGE_BAND_YEARS,
    HOLDING_TAKE_UP_STATUSES,
    LIVE_LISTING_STATUSES,
    AgeBand,
    AuditAction,
    AuditOutcome,
    Category,
    ConsentGiver,
    DenialReason,
    FundraisingPlatform,
    HelpMode,
    HouseholdStatus,
    ListingStatus,
    NeedStatus,
    NeedType,
    Role,
    TakeUpKind,
    TakeUpStatus,
    TargetUnit,
    TimelineKind,
)
from ..models import (
    Area,
    CharityMember,
    CharityOrganisation,
    Household,
    ListingMessage,
    Need,
    NeedListing,
    Person,
    PersonCategory,
    ShareConsent,
    TakeUp,
)
from ..scope import in_scope, scope_require
from .errors import RuleError
from .events import event_record
from .staff import staff_assign

# D4: the notice read to the person (or the guardian) before they agree. A new text is a new
# version: listings are then published only on a consent given for it.
SHARE_NOTICE_VERSION = "2026-12"
SHARE_NOTICE_TEXT = (
    "为争取慈善组织和社会力量的帮助，经您同意，服务站可以把您（或您监护的未满 14 周岁儿童）"
    "的一项帮扶需求以匿名方式公开发布：只公开需求类型、帮扶方式、所在区或街道、年龄段、救助类别"
    "和一段不含姓名、住址、证件号码、电话的简短说明。慈善组织认领后，物资或服务经服务站转交，"
    "慈善组织不会得知您的身份和住址。您可以随时撤回同意，已发布的需求随即撤下。"
)
# D1: each published combination of area, age band, sex and category is shared by at least
# this many persons of the ledger; more where the listing shows health or disability.
K_MINIMUM = 5
K_MINIMUM_SENSITIVE = 10
SENSITIVE_CATEGORIES = frozenset({Category.S4, Category.S5})  # 重度残疾人, 大病
SENSITIVE_NEED_TYPES = frozenset(
    {NeedType.MEDICAL, NeedType.REHABILITATION, NeedType.PSYCHOLOGICAL}
)
# What the station may tell charities when it withdraws a listing, without naming anyone;
# any other reason it writes is screened like the listing's text.
WITHDRAW_REASONS = (
    "需求已通过其他渠道解决",
    "当事人不再需要这项帮助",
    "需求内容需要调整，将重新发布",
    "当事人撤回同意",
)
# A claim or pledge not delivered within this many days lapses; the need returns to the board.
DELIVERY_DAYS = 15
DESCRIPTION_MAX = 60
MESSAGE_MAX = 500
MANY_TO_ONE_MAX = 1_000_000
CROWDFUNDING_MAX_YUAN = 10_000_000
FILING_NUMBER = re.compile(r"[0-9A-Z]{8,40}")

_SEPARATORS = re.compile(r"[\s\-_.·,，、/()（）:：;；'\"“”‘’]+")
_NUMBER_LIKE = re.compile(r"[\d*]{7,}")  # IDs, phones, masked or not, whatever the spacing
# D1: the same written in Chinese numerals (一三八一二三四五六七八).
_CHINESE_NUMBER_LIKE = re.compile(r"[零〇一二三四五六七八九幺两*]{7,}")
# Dates are looked for with their separators (1950-3-8, 1950.3.8) and without; a birth year.
_DATE_LIKE = re.compile(
    r"\d{4}年\d{1,2}月|\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}|\d{1,2}月\d{1,2}日"
    r"|(?:19|20)\d{2}年(?:出生|生(?![活产计意]))|生于(?:19|20)?\d{2}年"
)
_AGE_LIKE = re.compile(r"(?:\d{1,3}|[一二两三四五六七八九十百]+)(?:周岁|岁)")
# D1: a number however it is split ("138 1234 5678", "138—1234—5678", "138一二三四5678").
_CHINESE_DIGITS = str.maketrans("零〇一幺二两三四五六七八九", "0011223456789")
_DIGIT_RUN = re.compile(r"\d(?:[^\w]{0,3}\d)*")
# An address's building, unit and room ("5号楼", "12号院", "2单元", "501室", "3门", "6层").
_BUILDING_WORDS = "号楼|号院|单元|室|栋|幢|层|楼|门|排"
_BUILDING_PART = re.compile(rf"(\d+)({_BUILDING_WORDS})")
_CHINESE_BUILDING = re.compile(rf"([零〇一二两三四五六七八九十百]+)({_BUILDING_WORDS})")
_COMMUNITY_SUFFIXES = ("社区居委会", "村民委员会", "居民委员会", "村委会", "居委会", "社区", "村")


# Who may act ---------------------------------------------------------------------------------


def charity_member_of(user) -> CharityMember | None:
    """The charity membership a user acts under at /charity/, or None: an active member of an
    active organisation, in the charity role. Kept on the user for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if "_charity_member" in user.__dict__:
        return user.__dict__["_charity_member"]
    profile = getattr(user, "staff_profile", None)
    member = None
    if profile is not None and profile.role == Role.CHARITY:
        member = (
            CharityMember.objects.select_related("organisation")
            .filter(user=user, active=True, organisation__active=True)
            .first()
        )
    user.__dict__["_charity_member"] = member
    return member


def _member(actor: Actor) -> CharityMember:
    member = charity_member_of(actor.user)
    if member is None:
        raise RuleError("只有在用的慈善组织账号可以办理。")
    return member


def _staff(actor: Actor, permission: str = "backoffice.add_needlisting") -> None:
    if not actor.can(permission):
        raise RuleError("您没有办理慈善帮扶需求的权限。")


@transaction.atomic
def wrong_door_record(*, actor: Actor, user, door: str) -> None:
    """C1: both factors were right, but at the other door (a charity at the admin login, staff
    at the charity login). Nobody is signed in; the refusal is audited with the account."""
    event_record(
        actor=Actor(user=user, channel=actor.channel, ip=actor.ip),
        action=AuditAction.DENIED,
        outcome=AuditOutcome.DENIED,
        obj=user,
        detail={"reason": DenialReason.FORBIDDEN, "door": door},
    )


# D4: consent ----------------------------------------------------------------------------------


def consent_in_force(person: Person) -> ShareConsent | None:
    """The person's consent for the current notice, if given and not withdrawn."""
    return (
        ShareConsent.objects.filter(
            person=person, notice_version=SHARE_NOTICE_VERSION, withdrawn_on__isnull=True
        )
        .order_by("-recorded_at")
        .first()
    )


def _is_under_14(person: Person, day: dt.date) -> bool:
    return person.age_on(day) < 14


@transaction.atomic
def share_consent_record(
    *,
    actor: Actor,
    person: Person,
    given_by: str,
    guardian_name: str = "",
    given_on: dt.date | None = None,
) -> ShareConsent:
    """D4: record that the person (or, for a child under 14, the guardian) agreed, after the
    notice was read to them, to share their needs with charities in anonymized form."""
    _staff(actor)
    household = person.household
    scope_require(actor, household)
    child_record_check(actor, person)
    today = timezone.localdate()
    given_on = given_on or today
    if given_on > today:
        raise RuleError("同意日期不能晚于今天。", field="given_on")
    if household.status != HouseholdStatus.ACTIVE or person.exited_on is not None:
        raise RuleError("当事人已退出台账，不能记录同意。", field="person")
    guardian_name = (guardian_name or "").strip()
    if given_by not in ConsentGiver.values:
        raise RuleError("请选择由谁表示同意。", field="given_by")
    if _is_under_14(person, given_on) and given_by != ConsentGiver.GUARDIAN:
        raise RuleError("当事人未满 14 周岁，须由其监护人同意。", field="given_by")
    if given_by == ConsentGiver.GUARDIAN and not guardian_name:
        raise RuleError("请填写表示同意的监护人姓名。", field="guardian_name")
    if given_by == ConsentGiver.SELF:
        guardian_name = ""
    if consent_in_force(person) is not None:
        raise RuleError("当事人已有现行版本的同意记录，无需重复记录。", field="person")
    consent = ShareConsent.objects.create(
        household=household,
        person=person,
        notice_version=SHARE_NOTICE_VERSION,
        given_by=given_by,
        guardian_name=guardian_name,
        given_on=given_on,
        recorded_by=actor.user if actor.is_authenticated else None,
        recorded_by_name=actor.name,
    )
    who = f"监护人{guardian_name}代为同意" if given_by == ConsentGiver.GUARDIAN else "本人同意"
    event_record(
        actor=actor,
        action=AuditAction.CONSENT,
        obj=consent,
        detail={"person": person.pk, "given_by": given_by, "version": SHARE_NOTICE_VERSION},
        household=household,
        timeline=TimelineKind.CHARITY,
        summary=f"成员 {person.name} 同意向慈善组织匿名共享帮扶需求（{who}，"
        f"告知书 {SHARE_NOTICE_VERSION} 版）",
    )
    return consent


@transaction.atomic
def share_consent_withdraw(*, actor: Actor, consent: ShareConsent) -> int:
    """D4: the person withdraws the consent; every listing resting on it comes off the board.
    Returns how many listings were withdrawn."""
    _staff(actor)
    scope_require(actor, consent.household)
    withdrawn = ShareConsent.objects.filter(pk=consent.pk, withdrawn_on__isnull=True).update(
        withdrawn_on=timezone.localdate(), withdrawn_by_name=actor.name[:150]
    )
    if not withdrawn:
        raise RuleError("该同意已撤回。")
    consent.refresh_from_db()
    ended = 0
    for listing in NeedListing.objects.select_for_update().filter(
        consent=consent, status__in=LIVE_LISTING_STATUSES
    ):
        _listing_end(listing, status=ListingStatus.WITHDRAWN, reason="当事人撤回同意")
        ended += 1
    event_record(
        actor=actor,
        action=AuditAction.CONSENT_WITHDRAW,
        obj=consent,
        detail={"person": consent.person_id, "listings_withdrawn": ended},
        household=consent.household,
        timeline=TimelineKind.CHARITY,
        summary=f"成员 {consent.person.name} 撤回慈善帮扶信息共享同意"
        + (f"，已撤下 {ended} 项公示需求" if ended else ""),
    )
    return ended


# D1: the anonymized projection --------------------------------------------------------------


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_band_of(birth_date: dt.date, *, today: dt.date) -> str:
    years = (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )
    for band, (low, high) in AGE_BAND_YEARS.items():
        if years >= low and (high is None or years <= high):
            return band
    raise ValueError(f"no age band for {years}")


def ledger_peers(
    *,
    sex: str,
    age_band: str,
    category: str,
    today: dt.date,
    street_code: str | None = None,
    district_code: str | None = None,
) -> int:
    """How many persons in the ledger (not exited, in an active household) share this area,
    age band, sex and category: the k of D1, counted against the ledger itself."""
    low, high = AGE_BAND_YEARS[age_band]
    persons = Person.objects.filter(
        exited_on__isnull=True,
        household__status=HouseholdStatus.ACTIVE,
        sex=sex,
        birth_date__lte=_years_before(today, low),
    )
    if high is not None:
        persons = persons.filter(birth_date__gt=_years_before(today, high + 1))
    if street_code is not None:
        persons = persons.filter(household__street_id=street_code)
    else:
        persons = persons.filter(household__district_id=district_code)
    holds = PersonCategory.objects.filter(person=OuterRef("pk"), category=category)
    return persons.filter(Exists(holds)).count()


@dataclass(frozen=True)
class Anonymity:
    """Where a listing may be placed (D1): the street, or only the district."""

    district: Area
    street: Area | None
    age_band: str
    k: int
    threshold: int

    @property
    def area_label(self) -> str:
        return f"{self.district.name}·{self.street.name}" if self.street else self.district.name


def k_threshold(*, category: str, need_type: str) -> int:
    sensitive = category in SENSITIVE_CATEGORIES or need_type in SENSITIVE_NEED_TYPES
    return K_MINIMUM_SENSITIVE if sensitive else K_MINIMUM


def listing_anonymity(
    *, person: Person, category: str, need_type: str, today: dt.date | None = None
) -> Anonymity:
    """D1: the street when enough persons of the ledger share the listing's combination there,
    else the district; else a RuleError that says why it cannot be published."""
    today = today or timezone.localdate()
    household = person.household
    band = age_band_of(person.birth_date, today=today)
    threshold = k_threshold(category=category, need_type=need_type)
    common = {"sex": person.sex, "age_band": band, "category": category, "today": today}
    k = ledger_peers(street_code=household.street_id, **common)
    district = Area.objects.get(code=household.district_id)
    if k >= threshold:
        street = Area.objects.get(code=household.street_id)
        return Anonymity(district=district, street=street, age_band=band, k=k, threshold=threshold)
    k = ledger_peers(district_code=household.district_id, **common)
    if k >= threshold:
        return Anonymity(district=district, street=None, age_band=band, k=k, threshold=threshold)
    raise RuleError(
        f"在{district.name}，与当事人年龄段、性别、类别都相同的在册人员只有 {k} 人，"
        f"少于 {threshold} 人：即使只显示到区，公开后也可能认出本人，因此不能发布。"
        "可以改为通过资源链接联系慈善组织。",
        field="category",
    )


def _name_pinyin(name: str) -> set[str]:
    """D1: how a name is written in pinyin: the full name run together ("zhangsan", also
    what "Zhang San" or "zhang-san" become once the spaces go), the initials ("zs"), and for a
    name of three or more characters the given name ("xiaoming"). Every reading of a
    character with several (单: dan, shan) counts, up to a few dozen spellings."""
    readings = pinyin(name, style=Style.NORMAL, heteronym=True, errors="ignore")
    initials = [sorted({r[:1] for r in chars if r}) for chars in readings]
    readings = [sorted({r for r in chars if r.isascii() and r.isalpha()}) for chars in readings]
    if len(readings) < 2 or not all(readings):
        return set()
    spellings: set[str] = set()
    for syllables, at_least in ((readings, 2), (initials, 2)):
        combos = [""]
        for options in syllables:
            combos = [c + o for c in combos for o in options][:64]
        spellings.update(c for c in combos if len(c) >= at_least)
    if len(readings) >= 3:
        combos = [""]
        for options in readings[-2:]:
            combos = [c + o for c in combos for o in options][:64]
        spellings.update(combos)
    return spellings


def _arabic(text: str) -> str:
    """Chinese numerals before a building word as digits ("五号楼" -> "5号楼", "十二单元" ->
    "12单元"), so that an address fragment is found however it is written."""

    def value(match: re.Match) -> str:
        digits = match.group(1)
        if not re.search("[十百]", digits):
            return digits.translate(_CHINESE_DIGITS) + match.group(2)
        total = 0
        for number, unit in re.findall(r"([零〇一二两三四五六七八九]?)([十百]?)", digits):
            n = int(number.translate(_CHINESE_DIGITS)) if number else (1 if unit else 0)
            total += n * {"十": 10, "百": 100}.get(unit, 1)
        return f"{total}{match.group(2)}"

    return _CHINESE_BUILDING.sub(value, text)


def _screen_terms(household: Household) -> dict[str, list[str]]:
    """The household's own words a public text must not contain: names (also in pinyin), the
    address and its building, unit and room numbers, the last digits of phones and IDs."""
    names: set[str] = set()
    spellings: set[str] = set()
    members = list(household.members.values_list("name", "phone_masked", "id_number_masked"))
    # A guardian who consented for a child may live elsewhere: their name is screened too (D4).
    guardians = household.share_consents.exclude(guardian_name="").values_list(
        "guardian_name", flat=True
    )
    for name in [*(m[0] for m in members), *guardians]:
        name = unicodedata.normalize("NFKC", name or "").strip()
        if len(name) >= 2:
            names.add(name)
            spellings |= _name_pinyin(name)
        if len(name) >= 3:
            names.add(name[-2:])  # the given name, as family and neighbours say it
    tails = {
        re.sub(r"[^0-9X]", "", masked.upper())[-4:]
        for _name, phone, id_number in members
        for masked in (phone, id_number)
        if masked
    }
    address = _SEPARATORS.sub("", _arabic(unicodedata.normalize("NFKC", household.address or "")))
    places = {address} if address else set()
    road = re.match(r"\D{3,}", address)
    if road:
        places.add(road.group(0))
    # The building, unit and room: "5号楼", "2单元", "501室", and the room number alone.
    buildings = {number + word for number, word in _BUILDING_PART.findall(address)}
    rooms = {number for number in re.findall(r"\d+", address) if len(number) >= 3}
    community = Area.objects.filter(code=household.community_id).values_list("name", flat=True)
    above = "".join(
        Area.objects.filter(code__in=[household.street_id, household.district_id]).values_list(
            "name", flat=True
        )
    )
    for full in community:
        places.add(full)
        short = full
        for suffix in _COMMUNITY_SUFFIXES:
            short = short.removesuffix(suffix)
        if len(short) >= 2 and short not in above:
            places.add(short)
    return {
        "names": sorted(names, key=len, reverse=True),
        "pinyin": sorted(spellings),
        "places": sorted(places, key=len),
        "buildings": sorted(buildings),
        "rooms": sorted(rooms),
        "tails": sorted(t for t in tails if len(t) == 4),
    }


def _pinyin_found(text: str, spellings: list[str]) -> bool:
    """Whether consecutive latin words of the text spell one of the names: "Zhang San",
    "zhang-san", "ZhangSan", "Z.S.", "zs" (never a part of a longer word)."""
    if not spellings:
        return False
    wanted, longest = set(spellings), max(map(len, spellings))
    words = re.findall(r"[a-z]+", text.lower())
    for start in range(len(words)):
        joined = ""
        for word in words[start:]:
            joined += word
            if joined in wanted:
                return True
            if len(joined) >= longest:
                break
    return False


def _digit_runs(text: str) -> list[str]:
    """The numbers of a text as digit strings, with Chinese digits read as digits and the
    spaces, dashes, dots or other marks people split a number with left out."""
    return [re.sub(r"\D", "", run) for run in _DIGIT_RUN.findall(text.translate(_CHINESE_DIGITS))]


_STREET_SUFFIXES = ("街道办事处", "地区办事处", "街道", "地区", "镇", "乡")


def _street_screen(description: str, household: Household) -> None:
    """D1: a listing shown only with its district must not name its street in the text."""
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", description))
    name = Area.objects.filter(code=household.street_id).values_list("name", flat=True).first()
    short = name or ""
    for suffix in _STREET_SUFFIXES:
        short = short.removesuffix(suffix)
    if any(term and len(term) >= 2 and term in compact for term in (name, short)):
        raise RuleError(
            "与当事人情况相同的人在所在街道（乡镇）人数少，该需求只能显示到区；"
            "说明中不能出现街道（乡镇）名称，请删去后再提交。",
            field="description",
        )


def text_screen(*, text: str, household: Household, field: str) -> str:
    """SECURITY D1: a text shown outside the station names nobody and locates nothing: none of
    the household's names (in characters or pinyin), its address, building, unit or room, no
    number that looks like an ID or phone number (masked, spaced or dashed out too) or ends
    like a member's own, no date of birth, no exact age. Returns the text, or raises RuleError
    saying what kind of detail to remove (never repeating it)."""
    text = (text or "").strip()
    normalized = unicodedata.normalize("NFKC", text)
    compact = _SEPARATORS.sub("", normalized)
    terms = _screen_terms(household)
    found = []
    if any(name in compact for name in terms["names"]):
        found.append("姓名")
    if _pinyin_found(normalized, terms["pinyin"]):
        found.append("姓名的拼音或首字母")
    if any(place and place in compact for place in terms["places"]):
        found.append("住址或社区")
    located = _arabic(compact)
    runs = _digit_runs(normalized)
    if any(part in located for part in terms["buildings"]) or any(
        run in terms["rooms"] for run in runs
    ):
        found.append("楼号、单元或房间号")
    if (
        _NUMBER_LIKE.search(compact)
        or _CHINESE_NUMBER_LIKE.search(compact)
        or re.search(r"\d{6,}[Xx]", compact)
        or any(len(run) >= 7 for run in runs)
    ):
        found.append("证件号码或电话号码")
    elif any(len(run) >= 4 and run.endswith(tail) for run in runs for tail in terms["tails"]):
        found.append("证件号码或电话号码的尾号")
    spaced = re.sub(r"\s+", "", normalized)
    if _DATE_LIKE.search(compact) or _DATE_LIKE.search(spaced):
        found.append("日期（如出生日期）")
    if _AGE_LIKE.search(compact):
        found.append("具体年龄")
    if found:
        raise RuleError(
            f"文字中含有可能认出当事人的信息（{'、'.join(found)}），请删去后再提交。",
            field=field,
        )
    return text


# Publishing (station) ------------------------------------------------------------------------


def _target_check(help_mode: str, target_quantity: int | None, unit: str) -> tuple[int | None, str]:
    if help_mode == HelpMode.ONE_TO_ONE:
        return None, ""
    if help_mode == HelpMode.MANY_TO_ONE:
        if not target_quantity or target_quantity < 2 or target_quantity > MANY_TO_ONE_MAX:
            raise RuleError(
                "多对一需求请填写目标数量（2 至 1000000），由多家慈善组织分别认捐。",
                field="target_quantity",
            )
        if unit not in TargetUnit.values:
            raise RuleError("请选择目标数量的单位。", field="unit")
        return target_quantity, unit
    if help_mode == HelpMode.CROWDFUNDING:
        if not target_quantity or target_quantity < 100 or target_quantity > CROWDFUNDING_MAX_YUAN:
            raise RuleError(
                "慈善众筹请填写目标金额（100 至 10000000 元）。", field="target_quantity"
            )
        return target_quantity, TargetUnit.YUAN
    raise RuleError("请选择帮扶方式：一对一、多对一或慈善众筹。", field="help_mode")


@transaction.atomic
def listing_publish(
    *,
    actor: Actor,
    need: Need,
    person: Person,
    category: str,
    help_mode: str,
    description: str,
    target_quantity: int | None = None,
    unit: str = "",
    today: dt.date | None = None,
) -> NeedListing:
    """U3, P3: put one of the household's needs on the charity board, for one member who (or
    whose guardian) has consented (D4), as an anonymized listing (D1)."""
    _staff(actor)
    today = today or timezone.localdate()
    need = Need.objects.select_for_update().select_related("household").get(pk=need.pk)
    household = need.household
    scope_require(actor, household)
    child_record_check(actor, person)
    if household.status != HouseholdStatus.ACTIVE:
        raise RuleError("该家庭已退出台账，不能发布帮扶需求。")
    if person.household_id != household.pk or person.exited_on is not None:
        raise RuleError("请选择本户在册的成员。", field="person")
    if need.person_id is not None and need.person_id != person.pk:
        raise RuleError("该需求登记在另一名成员名下，请选择该成员。", field="person")
    if need.status in (NeedStatus.MET, NeedStatus.CLOSED):
        raise RuleError("该需求已解决或已关闭，无需发布。")
    if NeedListing.objects.filter(need=need, status__in=LIVE_LISTING_STATUSES).exists():
        raise RuleError("该需求已在慈善帮扶公示中；如需修改，请先撤回再重新发布。")
    consent = consent_in_force(person)
    if consent is None:
        raise RuleError(
            f"请先记录当事人（未满 14 周岁的由监护人）同意向慈善组织匿名共享帮扶需求"
            f"（告知书 {SHARE_NOTICE_VERSION} 版），再发布。",
            field="person",
        )
    if not person.categories.filter(category=category).exists():
        raise RuleError("请选择该成员已认定的救助类别。", field="category")
    target_quantity, unit = _target_check(help_mode, target_quantity, unit)
    description = text_screen(text=description, household=household, field="description")
    if not description:
        raise RuleError("请写一句需求说明，例如“需要一台轮椅”。", field="description")
    if len(description) > DESCRIPTION_MAX:
        raise RuleError(f"需求说明请不超过 {DESCRIPTION_MAX} 个字。", field="description")
    anonymity = listing_anonymity(
        person=person, category=category, need_type=need.need_type, today=today
    )
    if anonymity.street is None:
        _street_screen(description, household)
    listing = NeedListing.objects.create(
        need=need,
        household=household,
        person=person,
        consent=consent,
        help_mode=help_mode,
        need_type=need.need_type,
        description=description,
        district=anonymity.district,
        street=anonymity.street,
        area_label=anonymity.area_label,
        age_band=anonymity.age_band,
        category=category,
        anonymity_k=anonymity.k,
        target_quantity=target_quantity,
        unit=unit,
        published_by=actor.user if actor.is_authenticated else None,
        published_by_name=actor.name,
    )
    if need.status == NeedStatus.OPEN:
        Need.objects.filter(pk=need.pk).update(status=NeedStatus.IN_PROGRESS)
    place = "只显示到区" if anonymity.street is None else "显示到街道"
    event_record(
        actor=actor,
        action=AuditAction.PUBLISH,
        obj=listing,
        detail={
            "need": need.pk,
            "person": person.pk,
            "help_mode": help_mode,
            "area": "district" if anonymity.street is None else "street",
            "k": anonymity.k,
        },
        household=household,
        timeline=TimelineKind.CHARITY,
        summary=f"发布慈善帮扶需求（{listing.get_help_mode_display()}）："
        f"{need.get_need_type_display()}，{place}（{listing.area_label}）",
    )
    return listing


def _listing_end(listing: NeedListing, *, status: str, reason: str) -> None:
    """Take a listing off the board: active take-ups end with it; the need is open again
    unless another listing still carries it. Delivered ones may still be confirmed."""
    now = timezone.now()
    listing.status = status
    listing.ended_at = now
    listing.end_reason = reason[:200]
    listing.save(update_fields=["status", "ended_at", "end_reason"])
    listing.take_ups.filter(status=TakeUpStatus.ACTIVE).update(
        status=TakeUpStatus.WITHDRAWN, ended_at=now
    )
    if (
        listing.need_id
        and not NeedListing.objects.filter(
            need_id=listing.need_id, status__in=LIVE_LISTING_STATUSES
        ).exists()
    ):
        Need.objects.filter(pk=listing.need_id, status=NeedStatus.IN_PROGRESS).update(
            status=NeedStatus.OPEN
        )


def _locked_listing(listing_id) -> NeedListing:
    try:
        return NeedListing.objects.select_for_update().get(pk=listing_id)
    except (NeedListing.DoesNotExist, ValueError, TypeError):
        raise RuleError("找不到该帮扶需求。") from None


@transaction.atomic
def listing_withdraw(*, actor: Actor, listing: NeedListing, reason: str) -> NeedListing:
    """The station takes a listing off the board at any time; what charities took up and did
    not deliver yet ends with it (they see why)."""
    _staff(actor, "backoffice.change_needlisting")
    listing = _locked_listing(listing.pk)
    scope_require(actor, listing.household)
    reason = (reason or "").strip()
    if not reason:
        raise RuleError("请填写撤回原因（慈善组织可以看到）。", field="reason")
    reason = text_screen(text=reason, household=listing.household, field="reason")
    if not listing.is_live:
        raise RuleError("该需求已不在公示中。")
    _listing_end(listing, status=ListingStatus.WITHDRAWN, reason=reason)
    event_record(
        actor=actor,
        action=AuditAction.WITHDRAW,
        obj=listing,
        detail={"reason": "station"},
        household=listing.household,
        timeline=TimelineKind.CHARITY,
        summary=f"撤回慈善帮扶需求（{listing.get_help_mode_display()}）："
        f"{listing.get_need_type_display()}",
    )
    return listing


@transaction.atomic
def listings_close(*, actor: Actor, household: Household, person: Person | None = None) -> int:
    """D3: when the household, or the member a listing is about, leaves the ledger, its
    listings close. Called from the exit services, in their transaction."""
    listings = NeedListing.objects.select_for_update().filter(
        household=household, status__in=LIVE_LISTING_STATUSES
    )
    if person is not None:
        listings = listings.filter(person=person)
    closed = 0
    for listing in listings:
        _listing_end(listing, status=ListingStatus.CLOSED, reason="当事人已退出台账")
        event_record(
            actor=actor, action=AuditAction.WITHDRAW, obj=listing, detail={"reason": "exit"}
        )
        closed += 1
    if closed:
        event_record(
            actor=actor,
            action=AuditAction.WITHDRAW,
            obj=household,
            detail={"listings_closed": closed},
            household=household,
            timeline=TimelineKind.CHARITY,
            summary=f"随退出台账关闭慈善帮扶需求 {closed} 项",
        )
    return closed


# D1 holds after publication: the ledger changes under a listing ----------------------------


@dataclass(frozen=True)
class LedgerSnapshot:
    """The combinations (district, street, sex, birth date, category) some persons counted in
    before a change of the ledger, and who they are: what `listings_recheck` looks at after."""

    keys: frozenset
    person_ids: frozenset

    def __bool__(self) -> bool:
        return bool(self.keys or self.person_ids)


def ledger_snapshot(
    *, persons=None, household: Household | None = None, exited: bool = False
) -> LedgerSnapshot:
    """Taken by a service before it changes persons of the ledger (a new ID number, a category
    changed or removed, a move to another community), in its transaction; or just after an
    exit (`exited=True`: the persons who just left count as they stood)."""
    rows = PersonCategory.objects.all()
    if not exited:
        rows = rows.filter(
            person__exited_on__isnull=True, person__household__status=HouseholdStatus.ACTIVE
        )
    if household is not None:
        rows = rows.filter(person__household=household)
    else:
        rows = rows.filter(person__in=[getattr(p, "pk", p) for p in persons or ()])
    keys, person_ids = set(), set()
    for row in rows.values_list(
        "person_id",
        "person__household__district_id",
        "person__household__street_id",
        "person__sex",
        "person__birth_date",
        "category",
    ):
        person_ids.add(row[0])
        keys.add(row[1:])
    return LedgerSnapshot(frozenset(keys), frozenset(person_ids))


# More combinations than this and the districts' live listings are all looked at instead.
_RECHECK_KEYS_MAX = 200


def _recheck_candidates(before: LedgerSnapshot, today: dt.date) -> list[int]:
    """The live listings whose published combination one of the changed persons counted in,
    and the listings of the changed persons themselves."""
    wanted = Q(person_id__in=before.person_ids)
    if len(before.keys) > _RECHECK_KEYS_MAX:
        wanted |= Q(district_id__in={key[0] for key in before.keys})
    else:
        for district, street, sex, birth_date, category in before.keys:
            wanted |= (
                Q(district_id=district, category=category, person__sex=sex)
                & Q(age_band=age_band_of(birth_date, today=today))
                & (Q(street__isnull=True) | Q(street_id=street))
            )
    return list(
        NeedListing.objects.filter(wanted, status__in=LIVE_LISTING_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def _still_describes(listing: NeedListing, person: Person, today: dt.date) -> bool:
    household = person.household
    return (
        person.categories.filter(category=listing.category).exists()
        and household.district_id == listing.district_id
        and (listing.street_id is None or household.street_id == listing.street_id)
        and age_band_of(person.birth_date, today=today) == listing.age_band
    )


def _street_named(listing: NeedListing) -> bool:
    try:
        _street_screen(listing.description, listing.household)
    except RuleError:
        return True
    return False


def _listing_recheck(listing: NeedListing, *, today: dt.date, channel: str) -> str:
    """One locked live listing against the ledger as it now stands: kept ("kept"), shown only
    with its district ("district"), or taken off the board with the reason ("withdrawn")."""
    system = system_actor(channel)
    person = Person.objects.select_related("household").get(pk=listing.person_id)
    if person.exited_on is not None or person.household.status != HouseholdStatus.ACTIVE:
        return "kept"  # listings_close ends it, with its own reason
    threshold = k_threshold(category=listing.category, need_type=listing.need_type)
    common = {
        "sex": person.sex,
        "age_band": listing.age_band,
        "category": listing.category,
        "today": today,
    }
    reason = ""
    if not _still_describes(listing, person, today):
        reason = "当事人的类别、年龄段或所在地区已变更，需核实后重新发布"
        k = 0
    elif listing.street_id is not None:
        k = ledger_peers(street_code=listing.street_id, **common)
        if k < threshold:
            k = ledger_peers(district_code=listing.district_id, **common)
            if k >= threshold and not _street_named(listing):
                district = Area.objects.get(code=listing.district_id)
                listing.street, listing.area_label, listing.anonymity_k = None, district.name, k
                listing.save(update_fields=["street", "area_label", "anonymity_k"])
                event_record(
                    actor=system,
                    action=AuditAction.UPDATE,
                    obj=listing,
                    detail={"fields": ["street", "area_label"], "reason": "k", "k": k},
                    household=listing.household,
                    timeline=TimelineKind.CHARITY,
                    summary=f"街道内情况相同的在册人员减少，慈善帮扶需求"
                    f"（{listing.get_need_type_display()}）改为只显示到区（{district.name}）",
                )
                return "district"
            if k >= threshold:
                k = 0  # the text names the street: it cannot move up to the district
    else:
        k = ledger_peers(district_code=listing.district_id, **common)
    if not reason and k >= threshold:
        if k != listing.anonymity_k:
            listing.anonymity_k = k
            listing.save(update_fields=["anonymity_k"])
        return "kept"
    reason = reason or f"情况相同的在册人员已少于 {threshold} 人，为防止认出当事人，已撤下"
    _listing_end(listing, status=ListingStatus.WITHDRAWN, reason=reason)
    event_record(
        actor=system,
        action=AuditAction.WITHDRAW,
        obj=listing,
        detail={"reason": "k" if k else "changed", "k": k},
        household=listing.household,
        timeline=TimelineKind.CHARITY,
        summary=f"慈善帮扶需求（{listing.get_need_type_display()}）已自动撤下：{reason}",
    )
    return "withdrawn"


@transaction.atomic
def listings_recheck(
    *, actor: Actor, before: LedgerSnapshot, today: dt.date | None = None
) -> dict[str, int]:
    """D1 after publication: persons left the ledger or their category, sex, birth date or
    community changed. Every live listing whose combination they counted in is counted again;
    one no longer shared by enough persons is shown only with its district, or withdrawn with
    the reason (charities see it; the board drops it). Called by the ledger services after
    the change, in their transaction; recorded as the system's decision."""
    if not before:
        return {}
    today = today or timezone.localdate()
    outcome: dict[str, int] = {}
    for listing_id in _recheck_candidates(before, today):
        listing = _locked_listing(listing_id)
        if not listing.is_live:
            continue
        result = _listing_recheck(listing, today=today, channel=actor.channel)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


@transaction.atomic
def listing_recheck(*, actor: Actor, listing_id: int, today: dt.date | None = None) -> str:
    """D1, daily: one live listing counted again against the ledger as it stands (persons age
    out of a band; a roster import changes categories), like `listings_recheck` does after
    a change made in the back office. Returns "kept", "district" or "withdrawn"."""
    listing = _locked_listing(listing_id)
    if not listing.is_live:
        return "ended"
    return _listing_recheck(listing, today=today or timezone.localdate(), channel=actor.channel)


def live_listing_ids() -> list[int]:
    return list(
        NeedListing.objects.filter(status__in=LIVE_LISTING_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# Taking up (charities) ----------------------------------------------------------------------


def _lapse_due(listing: NeedListing, *, today: dt.date, channel: str) -> int:
    """Claims and pledges of a locked listing past their delivery day lapse; their share goes
    back to the board. Recorded as the system's decision."""
    due = list(
        listing.take_ups.filter(
            status=TakeUpStatus.ACTIVE,
            kind__in=(TakeUpKind.CLAIM, TakeUpKind.PLEDGE),
            due_on__lt=today,
        )
    )
    if not due:
        return 0
    now = timezone.now()
    for take_up in due:
        take_up.status = TakeUpStatus.LAPSED
        take_up.ended_at = now
        take_up.save(update_fields=["status", "ended_at"])
        listing.committed_quantity -= take_up.quantity
        event_record(
            actor=system_actor(channel),
            action=AuditAction.LAPSE,
            obj=take_up,
            detail={"listing": listing.pk, "due_on": take_up.due_on.isoformat()},
        )
    if listing.status == ListingStatus.TAKEN:
        listing.status = ListingStatus.OPEN
    listing.save(update_fields=["committed_quantity", "status"])
    return len(due)


@transaction.atomic
def take_ups_lapse(*, actor: Actor, today: dt.date | None = None) -> int:
    """Every claim and pledge past its delivery day lapses (run daily: `manage.py
    charity_lapse`; a claim or pledge on a listing also lapses what is due on it first)."""
    today = today or timezone.localdate()
    listing_ids = (
        TakeUp.objects.filter(
            status=TakeUpStatus.ACTIVE,
            kind__in=(TakeUpKind.CLAIM, TakeUpKind.PLEDGE),
            due_on__lt=today,
        )
        .values_list("listing_id", flat=True)
        .distinct()
    )
    lapsed = 0
    for listing_id in sorted(set(listing_ids)):
        lapsed += _lapse_due(_locked_listing(listing_id), today=today, channel=actor.channel)
    return lapsed


def _open_for_take_up(listing: NeedListing, mode: str) -> None:
    if listing.help_mode != mode:
        raise RuleError(f"该需求的帮扶方式是“{listing.get_help_mode_display()}”。")
    if listing.status == ListingStatus.TAKEN:
        raise RuleError(
            {
                HelpMode.ONE_TO_ONE: "该需求已被其他慈善组织认领。",
                HelpMode.MANY_TO_ONE: "该需求的认捐已满。",
                HelpMode.CROWDFUNDING: "已有慈善组织为该需求发起众筹。",
            }[mode]
        )
    if listing.status != ListingStatus.OPEN:
        raise RuleError("该需求已不在公示中。")


def _take_up_record(actor: Actor, action: AuditAction, take_up: TakeUp, **detail) -> None:
    # No household here: a charity's actor has no ledger scope and names no household (B2).
    event_record(
        actor=actor,
        action=action,
        obj=take_up,
        detail={"listing": take_up.listing_id, "organisation": take_up.organisation_id, **detail},
    )


@transaction.atomic
def listing_claim(*, actor: Actor, listing_id: int, today: dt.date | None = None) -> TakeUp:
    """U3 one-to-one (微心愿): one charity claims the need. Exclusive: the listing row is
    locked, and a unique constraint holds one claim per listing whatever the path."""
    member = _member(actor)
    today = today or timezone.localdate()
    listing = _locked_listing(listing_id)
    _lapse_due(listing, today=today, channel=actor.channel)
    _open_for_take_up(listing, HelpMode.ONE_TO_ONE)
    take_up = TakeUp.objects.create(
        listing=listing,
        organisation=member.organisation,
        kind=TakeUpKind.CLAIM,
        quantity=1,
        created_by=actor.user,
        due_on=today + dt.timedelta(days=DELIVERY_DAYS),
    )
    listing.committed_quantity = 1
    listing.status = ListingStatus.TAKEN
    listing.save(update_fields=["committed_quantity", "status"])
    _take_up_record(actor, AuditAction.CLAIM, take_up)
    return take_up


@transaction.atomic
def listing_pledge(
    *, actor: Actor, listing_id: int, quantity: int, today: dt.date | None = None
) -> TakeUp:
    """U3 many-to-one: a charity pledges part of the target. Pledges never exceed the target:
    the listing row is locked and the database checks the sum."""
    member = _member(actor)
    today = today or timezone.localdate()
    listing = _locked_listing(listing_id)
    _lapse_due(listing, today=today, channel=actor.channel)
    _open_for_take_up(listing, HelpMode.MANY_TO_ONE)
    remaining = listing.remaining or 0
    unit = listing.get_unit_display()
    if not quantity or quantity < 1:
        raise RuleError("请填写认捐数量。", field="quantity")
    if quantity > remaining:
        raise RuleError(
            f"认捐数量超过尚缺的数量：最多还可认捐 {remaining} {unit}。", field="quantity"
        )
    take_up = TakeUp.objects.create(
        listing=listing,
        organisation=member.organisation,
        kind=TakeUpKind.PLEDGE,
        quantity=quantity,
        created_by=actor.user,
        due_on=today + dt.timedelta(days=DELIVERY_DAYS),
    )
    listing.committed_quantity += quantity
    if listing.committed_quantity >= listing.target_quantity:
        listing.status = ListingStatus.TAKEN
    listing.save(update_fields=["committed_quantity", "status"])
    _take_up_record(actor, AuditAction.PLEDGE, take_up, quantity=quantity)
    return take_up


def _campaign_check(platform: str, filing_number: str, campaign_url: str) -> tuple[str, str]:
    if platform not in FundraisingPlatform.values:
        raise RuleError("请选择民政部指定的互联网公开募捐信息平台。", field="platform")
    filing_number = (filing_number or "").strip().upper().replace(" ", "")
    if not FILING_NUMBER.fullmatch(filing_number):
        raise RuleError(
            "请填写募捐方案在慈善中国的备案编号（8 至 40 位数字和字母）。", field="filing_number"
        )
    parts = urlsplit((campaign_url or "").strip())
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise RuleError("请填写以 https:// 开头的众筹项目链接。", field="campaign_url")
    return filing_number, parts.geturl()


@transaction.atomic
def campaign_register(
    *, actor: Actor, listing_id: int, platform: str, filing_number: str, campaign_url: str
) -> TakeUp:
    """U3 crowdfunding: a charity qualified to raise publicly records the campaign it runs for
    the need on a designated platform (Charity Law 2023, art. 22-27). The portal links it."""
    member = _member(actor)
    if not member.organisation.public_fundraising:
        raise RuleError("只有具有公开募捐资格的慈善组织可以为需求发起慈善众筹。")
    filing_number, campaign_url = _campaign_check(platform, filing_number, campaign_url)
    listing = _locked_listing(listing_id)
    _open_for_take_up(listing, HelpMode.CROWDFUNDING)
    take_up = TakeUp.objects.create(
        listing=listing,
        organisation=member.organisation,
        kind=TakeUpKind.CAMPAIGN,
        quantity=listing.target_quantity or 0,
        created_by=actor.user,
        platform=platform,
        filing_number=filing_number,
        campaign_url=campaign_url,
    )
    listing.committed_quantity = listing.target_quantity or 0
    listing.status = ListingStatus.TAKEN
    listing.save(update_fields=["committed_quantity", "status"])
    _take_up_record(actor, AuditAction.CAMPAIGN, take_up, platform=platform)
    return take_up


def _own_take_up(actor: Actor, take_up_id) -> TakeUp:
    member = _member(actor)
    try:
        return TakeUp.objects.select_for_update().get(
            pk=take_up_id, organisation=member.organisation
        )
    except (TakeUp.DoesNotExist, ValueError, TypeError):
        raise RuleError("找不到该认领记录。") from None


@transaction.atomic
def campaign_progress(*, actor: Actor, take_up_id: int, raised_amount: int) -> TakeUp:
    """The charity reports how much its campaign has raised (shown on the board)."""
    take_up = _own_take_up(actor, take_up_id)
    if take_up.kind != TakeUpKind.CAMPAIGN or take_up.status != TakeUpStatus.ACTIVE:
        raise RuleError("只能更新进行中的众筹。")
    if raised_amount is None or raised_amount < 0 or raised_amount > CROWDFUNDING_MAX_YUAN:
        raise RuleError("请填写已筹金额（元）。", field="raised_amount")
    take_up.raised_amount = raised_amount
    take_up.save(update_fields=["raised_amount"])
    _take_up_record(actor, AuditAction.UPDATE, take_up, fields=["raised_amount"])
    return take_up


@transaction.atomic
def take_up_deliver(
    *, actor: Actor, take_up_id: int, note: str, raised_amount: int | None = None
) -> TakeUp:
    """The charity records that the item, service or funds were handed over (through the
    station, which confirms receipt with the person)."""
    take_up = _own_take_up(actor, take_up_id)
    if take_up.status != TakeUpStatus.ACTIVE:
        raise RuleError(f"该记录的状态是“{take_up.get_status_display()}”，不能登记送达。")
    note = (note or "").strip()
    if not note:
        raise RuleError("请简要说明送达情况，例如“轮椅已送至服务站”。", field="note")
    if len(note) > 200:
        raise RuleError("送达情况请不超过 200 个字。", field="note")
    fields = ["status", "delivered_at", "delivery_note"]
    if take_up.kind == TakeUpKind.CAMPAIGN and raised_amount is not None:
        if raised_amount < 0 or raised_amount > CROWDFUNDING_MAX_YUAN:
            raise RuleError("请填写已筹金额（元）。", field="raised_amount")
        take_up.raised_amount = raised_amount
        fields.append("raised_amount")
    take_up.status = TakeUpStatus.DELIVERED
    take_up.delivered_at = timezone.now()
    take_up.delivery_note = note
    take_up.save(update_fields=fields)
    _take_up_record(actor, AuditAction.DELIVER, take_up)
    return take_up


@transaction.atomic
def take_up_confirm(*, actor: Actor, take_up_id: int) -> TakeUp:
    """The station confirms with the person that what the charity delivered was received. The
    listing is fulfilled when all of it has arrived; the need is then met, and the household's
    timeline says so (L7)."""
    _staff(actor, "backoffice.change_needlisting")
    try:
        take_up = TakeUp.objects.select_related("organisation").get(pk=take_up_id)
    except (TakeUp.DoesNotExist, ValueError, TypeError):
        raise RuleError("找不到该认领记录。") from None
    listing = _locked_listing(take_up.listing_id)
    scope_require(actor, listing.household)
    take_up = TakeUp.objects.select_for_update().select_related("organisation").get(pk=take_up.pk)
    if take_up.status != TakeUpStatus.DELIVERED:
        raise RuleError("慈善组织登记送达后，才能确认收到。")
    take_up.status = TakeUpStatus.CONFIRMED
    take_up.confirmed_at = timezone.now()
    take_up.confirmed_by_name = actor.name
    take_up.save(update_fields=["status", "confirmed_at", "confirmed_by_name"])
    listing.confirmed_quantity += take_up.quantity
    fulfilled = listing.is_live and (
        listing.help_mode != HelpMode.MANY_TO_ONE
        or listing.confirmed_quantity >= (listing.target_quantity or 0)
    )
    fields = ["confirmed_quantity"]
    if fulfilled:
        listing.status = ListingStatus.FULFILLED
        listing.ended_at = timezone.now()
        fields += ["status", "ended_at"]
        if listing.need_id:
            Need.objects.filter(pk=listing.need_id).update(status=NeedStatus.MET)
    listing.save(update_fields=fields)
    what = take_up.get_kind_display()
    if take_up.kind == TakeUpKind.PLEDGE:
        what += f" {take_up.quantity} {listing.get_unit_display()}"
    event_record(
        actor=actor,
        action=AuditAction.CONFIRM,
        obj=take_up,
        detail={"listing": listing.pk, "fulfilled": fulfilled},
        household=listing.household,
        timeline=TimelineKind.CHARITY,
        summary=f"慈善帮扶已送达：{take_up.organisation.name}（{what}），经服务站与当事人确认收到"
        + (f"；{listing.get_need_type_display()}需求已解决" if fulfilled else ""),
    )
    return take_up


# Messages ------------------------------------------------------------------------------------


@transaction.atomic
def message_send(
    *, actor: Actor, listing_id: int, body: str, organisation_id: int | None = None
) -> ListingMessage:
    """A charity writes to the station about a listing, or the station answers a charity's
    thread. The station's words are screened like the listing (no name, address or number of
    the household); a charity reads only its own organisation's thread."""
    body = (body or "").strip()
    if not body:
        raise RuleError("请填写留言内容。", field="body")
    if len(body) > MESSAGE_MAX:
        raise RuleError(f"留言请不超过 {MESSAGE_MAX} 个字。", field="body")
    member = charity_member_of(actor.user)
    try:
        listing = NeedListing.objects.select_related("household").get(pk=listing_id)
    except (NeedListing.DoesNotExist, ValueError, TypeError):
        raise RuleError("找不到该帮扶需求。") from None
    if member is not None:
        organisation = member.organisation
        took_up = listing.take_ups.filter(organisation=organisation).exists()
        if not (listing.is_live or took_up):
            raise RuleError("该需求已不在公示中。")
        from_station = False
    else:
        _staff(actor, "backoffice.change_needlisting")
        scope_require(actor, listing.household)
        organisation = CharityOrganisation.objects.filter(pk=organisation_id).first()
        wrote = organisation is not None and (
            ListingMessage.objects.filter(listing=listing, organisation=organisation).exists()
            or listing.take_ups.filter(organisation=organisation).exists()
        )
        if not wrote:
            raise RuleError("只能回复认领或留言过该需求的慈善组织。", field="organisation")
        body = text_screen(text=body, household=listing.household, field="body")
        from_station = True
    message = ListingMessage.objects.create(
        listing=listing,
        organisation=organisation,
        from_station=from_station,
        author=actor.user if actor.is_authenticated else None,
        body=body,
    )
    # C3: the audit names the thread, never the words.
    event_record(
        actor=actor,
        action=AuditAction.MESSAGE,
        obj=listing,
        detail={"organisation": organisation.pk, "from": "station" if from_station else "charity"},
    )
    return message


# Organisations and their people (district) --------------------------------------------------


@transaction.atomic
def charity_organisation_save(
    *, actor: Actor, organisation: CharityOrganisation, changed_fields: list[str]
) -> CharityOrganisation:
    """The district registers a charity, or corrects it; its own district only (B8)."""
    _staff(actor, "backoffice.change_charityorganisation")
    if organisation.pk is not None:
        scope_require(actor, CharityOrganisation.objects.get(pk=organisation.pk))
    if not in_scope(actor, Area.objects.get(code=organisation.district_id)):
        raise RuleError("请选择您辖区内的区。", field="district")
    created = organisation.pk is None
    organisation.save()
    event_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=organisation,
        detail={"fields": sorted(changed_fields)},
    )
    return organisation


@transaction.atomic
def charity_member_add(
    *,
    actor: Actor,
    organisation: CharityOrganisation,
    username: str,
    full_name: str,
    password: str,
) -> CharityMember:
    """The district opens an account for a charity's person. They sign in at /charity/login/
    with the password and a code from a device the security administrator issues (A6, A7)."""
    _staff(actor, "backoffice.change_charityorganisation")
    scope_require(actor, organisation)
    if not organisation.active:
        raise RuleError("该慈善组织已停用。")
    user_model = get_user_model()
    username = (username or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_.@+-]{3,150}", username):
        raise RuleError("用户名请用 3 位以上的字母、数字或 _ . @ + -。", field="username")
    if user_model._default_manager.filter(username__iexact=username).exists():
        raise RuleError("该用户名已被使用，请换一个。", field="username")
    full_name = (full_name or "").strip()
    if not full_name:
        raise RuleError("请填写姓名。", field="full_name")
    user = user_model(username=username, first_name=full_name[:150], is_staff=False)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise RuleError("；".join(error.messages), field="password") from None
    user.set_password(password)
    user.save()
    staff_assign(user=user, role=Role.CHARITY)
    member = CharityMember.objects.create(
        user=user, organisation=organisation, added_by_name=actor.name
    )
    event_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=member,
        detail={"organisation": organisation.pk, "fields": ["username", "full_name"]},
    )
    return member


@transaction.atomic
def charity_member_deactivate(*, actor: Actor, member: CharityMember) -> CharityMember:
    """The person leaves the charity: the account no longer signs in anywhere."""
    _staff(actor, "backoffice.change_charityorganisation")
    scope_require(actor, member.organisation)
    CharityMember.objects.filter(pk=member.pk).update(active=False)
    get_user_model()._default_manager.filter(pk=member.user_id).update(is_active=False)
    member.refresh_from_db()
    event_record(actor=actor, action=AuditAction.UPDATE, obj=member, detail={"fields": ["active"]})
    return member


# Reads: the board and the charities' pages (P3; SECURITY B2, D1) ----------------------------

# What the board and the charities read of a listing: never the need, the household, the
# person or the consent.
PUBLIC_COLUMNS = (
    "id",
    "help_mode",
    "need_type",
    "description",
    "district_id",
    "street_id",
    "area_label",
    "age_band",
    "category",
    "target_quantity",
    "unit",
    "committed_quantity",
    "confirmed_quantity",
    "status",
    "published_at",
)
# What a charity that took a listing up (or wrote about it) also reads once it is off the
# board: when and why (the station's reason is chosen from WITHDRAW_REASONS or screened).
ENDING_COLUMNS = ("ended_at", "end_reason")
_labels: dict[tuple[str | None, type], dict[str, str]] = {}


def choice_labels(choices: type) -> dict[str, str]:
    """The labels of a TextChoices, translated once per language (P: the board renders 20 to
    100 listings a request; `get_FOO_display` hashes and translates each time)."""
    key = (get_language(), choices)
    if key not in _labels:
        _labels[key] = {value: str(label) for value, label in choices.choices}
    return _labels[key]


def _filtered(listings: QuerySet, district: str, need_type: str, help_mode: str) -> QuerySet:
    if district:
        listings = listings.filter(district_id=district)
    if need_type:
        listings = listings.filter(need_type=need_type)
    if help_mode:
        listings = listings.filter(help_mode=help_mode)
    return listings


def board_listings(*, district: str = "", need_type: str = "", help_mode: str = "") -> QuerySet:
    """The public board (P3): live listings, newest first, as rows of the anonymized columns."""
    listings = NeedListing.objects.filter(status__in=LIVE_LISTING_STATUSES)
    listings = _filtered(listings, district, need_type, help_mode)
    return listings.order_by("-published_at", "-id").values(*PUBLIC_COLUMNS)


def fulfilled_count(*, district: str = "", need_type: str = "", help_mode: str = "") -> int:
    listings = NeedListing.objects.filter(status=ListingStatus.FULFILLED)
    return _filtered(listings, district, need_type, help_mode).count()


def _campaigns(listing_ids: list[int]) -> dict[int, dict]:
    """The campaign (running, delivered or confirmed) of each crowdfunding listing."""
    if not listing_ids:
        return {}
    platforms = choice_labels(FundraisingPlatform)
    rows = TakeUp.objects.filter(
        listing_id__in=listing_ids, kind=TakeUpKind.CAMPAIGN, status__in=HOLDING_TAKE_UP_STATUSES
    ).values_list(
        "listing_id",
        "organisation__name",
        "platform",
        "filing_number",
        "campaign_url",
        "raised_amount",
    )
    return {
        listing_id: {
            "organisation": organisation,
            "platform": platforms.get(platform, platform),
            "filing_number": filing_number,
            "url": url,
            "raised": raised,
        }
        for listing_id, organisation, platform, filing_number, url, raised in rows
    }


def listing_cards(rows) -> list[dict]:
    """Listings as the public sees them (/needs/, /needs.json, the charities' pages): the
    anonymized columns with their labels, the progress, and a crowdfunding listing's campaign.
    `rows` are dicts of PUBLIC_COLUMNS (`board_listings`) or NeedListing objects."""
    rows = [row if isinstance(row, dict) else _public_row(row) for row in rows]
    campaigns = _campaigns([r["id"] for r in rows if r["help_mode"] == HelpMode.CROWDFUNDING])
    labels = {
        "need_type": choice_labels(NeedType),
        "help_mode": choice_labels(HelpMode),
        "status": choice_labels(ListingStatus),
        "age_band": choice_labels(AgeBand),
        "category": choice_labels(Category),
        "unit": choice_labels(TargetUnit),
    }
    cards = []
    for row in rows:
        target, committed = row["target_quantity"], row["committed_quantity"]
        campaign = campaigns.get(row["id"])
        progress = campaign["raised"] if campaign else committed
        cards.append(
            {
                "id": row["id"],
                "need_type": row["need_type"],
                "need_type_label": labels["need_type"].get(row["need_type"], ""),
                "help_mode": row["help_mode"],
                "help_mode_label": labels["help_mode"].get(row["help_mode"], ""),
                "status": row["status"],
                "status_label": labels["status"].get(row["status"], ""),
                "district": row["district_id"],
                "area": row["area_label"],
                "age_band": row["age_band"],
                "age_band_label": labels["age_band"].get(row["age_band"], ""),
                "category": row["category"],
                "category_label": labels["category"].get(row["category"], ""),
                "description": row["description"],
                "published_on": timezone.localtime(row["published_at"]).date(),
                "target": target,
                "unit_label": labels["unit"].get(row["unit"]) if row["unit"] else None,
                "committed": committed if target else None,
                "remaining": max(0, target - committed) if target else None,
                "percent": min(100, progress * 100 // target) if target else 0,
                "campaign": campaign,
            }
        )
    return cards


def _public_row(listing: NeedListing) -> dict:
    return {column: getattr(listing, column) for column in PUBLIC_COLUMNS}


def listing_open_data(card: dict) -> dict:
    """One listing of /needs.json: the anonymized fields and the listing's id, nothing else."""
    return {
        "id": card["id"],
        "need_type": card["need_type"],
        "need_type_label": card["need_type_label"],
        "help_mode": card["help_mode"],
        "help_mode_label": card["help_mode_label"],
        "status": card["status"],
        "status_label": card["status_label"],
        "district": card["district"],
        "area": card["area"],
        "age_band": card["age_band"],
        "category": card["category"],
        "category_label": card["category_label"],
        "description": card["description"],
        "published_on": card["published_on"].isoformat(),
        "target": card["target"],
        "unit": card["unit_label"],
        "committed": card["committed"],
        "campaign": card["campaign"],
    }
