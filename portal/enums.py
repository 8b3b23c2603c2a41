"""Vocabularies shared by the public intake and the back office: who goes into the ledger."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """S1-S6: who goes into the ledger."""

    S1 = "S1", _("社会救助对象")
    S2 = "S2", _("困境老年人")
    S3 = "S3", _("困境儿童")
    S4 = "S4", _("生活困难的重度残疾人")
    S5 = "S5", _("大病或重大变故致困")
    S6 = "S6", _("其他需要救助帮扶的困难群众")


class Subtype(models.TextChoices):
    DIBAO_URBAN = "dibao_urban", _("城市低保")  # S1
    DIBAO_RURAL = "dibao_rural", _("农村低保")  # S1
    LOW_INCOME = "low_income", _("低收入")  # S1
    EXTREME_POVERTY = "extreme_poverty", _("特困供养")  # S1
    DISABLED_ELDER = "disabled_elder", _("失能")  # S2
    DEMENTIA = "dementia", _("失智")  # S2
    LOST_ONLY_CHILD = "lost_only_child", _("失独")  # S2
    ADVANCED_AGE = "advanced_age", _("高龄")  # S2
    LIVING_ALONE = "living_alone", _("独居")  # S2
    CHILD_IN_DIFFICULTY = "child_in_difficulty", _("困境儿童")  # S3
    LEFT_BEHIND = "left_behind", _("留守儿童")  # S3
    EMERGENCY_SHELTER = "emergency_shelter", _("需紧急庇护的未成年人")  # S3
    SEVERE_DISABILITY = "severe_disability", _("重度残疾")  # S4
    SERIOUS_ILLNESS = "serious_illness", _("罹患大病")  # S5
    MAJOR_MISFORTUNE = "major_misfortune", _("遭遇重大变故")  # S5
    OTHER = "other", _("其他困难")  # S6


SUBTYPES_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    Category.S1: (
        Subtype.DIBAO_URBAN,
        Subtype.DIBAO_RURAL,
        Subtype.LOW_INCOME,
        Subtype.EXTREME_POVERTY,
    ),
    Category.S2: (
        Subtype.DISABLED_ELDER,
        Subtype.DEMENTIA,
        Subtype.LOST_ONLY_CHILD,
        Subtype.ADVANCED_AGE,
        Subtype.LIVING_ALONE,
    ),
    Category.S3: (Subtype.CHILD_IN_DIFFICULTY, Subtype.LEFT_BEHIND, Subtype.EMERGENCY_SHELTER),
    Category.S4: (Subtype.SEVERE_DISABILITY,),
    Category.S5: (Subtype.SERIOUS_ILLNESS, Subtype.MAJOR_MISFORTUNE),
    Category.S6: (Subtype.OTHER,),
}


class EntryRoute(models.TextChoices):
    """How a household came into the ledger (F1-F3)."""

    REPORT = "report", _("群众反映")  # F1
    APPROVAL = "approval", _("救助审批")  # F2
    SURVEY = "survey", _("摸排调查")  # F3


# The bureau's public site (P1).
class PageKind(models.TextChoices):
    """What a public page is; the search filter `type` takes these values."""

    NOTICE = "notice", _("通知公告")
    INTERPRETATION = "interpretation", _("政策解读")
    STATISTICS = "statistics", _("统计数据")
    DISCLOSURE = "disclosure", _("行政处罚公示")
    PAGE = "page", _("其他页面")


class NoticeStatus(models.TextChoices):
    VALID = "valid", _("有效")
    EXPIRED = "expired", _("失效")
    REVISED = "revised", _("已修订")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("月度")
    QUARTER = "quarter", _("季度")


class PartyKind(models.TextChoices):
    ORGANISATION = "organisation", _("法人或其他组织")
    PERSON = "person", _("自然人")
