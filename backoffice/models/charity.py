"""Charity take-up (issue 17: U3, P3): charity organisations and their people, the person's
consent to share a need (SECURITY D4), the anonymized listing of a need (D1), what charities
take up (a claim, a pledge, a crowdfunding campaign) and the messages about a listing.

A listing keeps its own anonymized projection (area, age band, category, need type, a short
screened text), computed once when it is published: the public board and the charity pages
read only those columns and never join the person or the household.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import (
    HOLDING_TAKE_UP_STATUSES,
    LIVE_LISTING_STATUSES,
    AgeBand,
    Category,
    ConsentGiver,
    FundraisingPlatform,
    HelpMode,
    ListingStatus,
    NeedType,
    TakeUpKind,
    TakeUpStatus,
    TargetUnit,
)
from .ledger import HOUSEHOLD_SCOPE, _through


class CharityOrganisation(models.Model):
    """A charity (慈善组织) registered by a district bureau; its people work at /charity/."""

    name = models.CharField(_("组织名称"), max_length=100, unique=True)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, help_text=_("18 位，含校验码。")
    )
    district = models.ForeignKey(
        "backoffice.Area",
        verbose_name=_("登记区"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    registered_on = models.DateField(_("登记（认定）为慈善组织日期"))
    # Charity Law art. 22-27: only a charity qualified to raise publicly runs a campaign.
    public_fundraising = models.BooleanField(_("具有公开募捐资格"), default=False)
    contact_person = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=24, blank=True)
    active = models.BooleanField(
        _("在用"), default=True, help_text=_("停用后，该组织的人员不能再登录或认领。")
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    # The district that registered it manages it; the city reads every one.
    scope_fields = {"district": "district_id"}

    class Meta:
        verbose_name = _("慈善组织")
        verbose_name_plural = _("慈善组织")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CharityMember(models.Model):
    """A user who acts for a charity organisation (role 慈善组织; never the admin)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="charity_member"
    )
    organisation = models.ForeignKey(
        CharityOrganisation,
        verbose_name=_("慈善组织"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    active = models.BooleanField(_("在用"), default=True)
    added_at = models.DateTimeField(_("添加时间"), default=timezone.now)
    added_by_name = models.CharField(_("添加人"), max_length=150, blank=True)

    scope_fields = {"district": "organisation__district_id"}

    class Meta:
        verbose_name = _("慈善组织人员")
        verbose_name_plural = _("慈善组织人员")
        ordering = ["organisation_id", "id"]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.user.get_username()}"


class ShareConsent(models.Model):
    """D4: the person's (or the guardian's) consent to share one of their needs with charities
    in anonymized form, for one version of the notice read to them. A listing is published
    only on a consent in force for the current version; withdrawing it withdraws the listings."""

    household = models.ForeignKey(
        "backoffice.Household", on_delete=models.PROTECT, related_name="share_consents"
    )
    person = models.ForeignKey(
        "backoffice.Person",
        verbose_name=_("当事人"),
        on_delete=models.PROTECT,
        related_name="share_consents",
    )
    notice_version = models.CharField(_("告知书版本"), max_length=16)
    given_by = models.CharField(_("同意人"), max_length=12, choices=ConsentGiver.choices)
    guardian_name = models.CharField(_("监护人姓名"), max_length=40, blank=True)
    given_on = models.DateField(_("同意日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_name = models.CharField(_("记录人"), max_length=150, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    withdrawn_on = models.DateField(_("撤回日期"), null=True, blank=True)
    withdrawn_by_name = models.CharField(_("撤回记录人"), max_length=150, blank=True)

    scope_fields = _through("household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("慈善帮扶信息共享同意")
        verbose_name_plural = _("慈善帮扶信息共享同意")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "notice_version"],
                condition=Q(withdrawn_on__isnull=True),
                name="one_live_share_consent",
            )
        ]

    def __str__(self) -> str:
        return f"慈善帮扶信息共享同意（{self.notice_version} 版）"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_on is None


class NeedListing(models.Model):
    """A need shown to charities and the public (U3, P3) through its anonymized projection
    (SECURITY D1): need type, help mode, area (street, or the district only), age band, ledger
    category and a short screened text. `anonymity_k` is how many persons of the ledger shared
    the listing's area, age band, sex and category when it was published."""

    need = models.ForeignKey(
        "backoffice.Need",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="listings",
    )
    household = models.ForeignKey(
        "backoffice.Household", on_delete=models.PROTECT, related_name="listings"
    )
    person = models.ForeignKey(
        "backoffice.Person",
        verbose_name=_("当事人"),
        on_delete=models.PROTECT,
        related_name="listings",
    )
    consent = models.ForeignKey(ShareConsent, on_delete=models.PROTECT, related_name="listings")
    help_mode = models.CharField(_("帮扶方式"), max_length=16, choices=HelpMode.choices)
    # The anonymized projection, the only columns the board and the charities read.
    need_type = models.CharField(_("需求类型"), max_length=16, choices=NeedType.choices)
    description = models.CharField(_("需求说明"), max_length=80)
    district = models.ForeignKey(
        "backoffice.Area", verbose_name=_("区"), on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        "backoffice.Area",
        verbose_name=_("街道（乡镇）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("空：街道人数少，只显示到区。"),
    )
    area_label = models.CharField(_("地区"), max_length=80)
    age_band = models.CharField(_("年龄段"), max_length=8, choices=AgeBand.choices)
    category = models.CharField(_("类别"), max_length=2, choices=Category.choices)
    anonymity_k = models.PositiveIntegerField(_("同组人数（k）"), default=0)
    target_quantity = models.PositiveIntegerField(_("目标数量"), null=True, blank=True)
    unit = models.CharField(_("单位"), max_length=8, choices=TargetUnit.choices, blank=True)
    committed_quantity = models.PositiveIntegerField(_("已认领（认捐）数量"), default=0)
    confirmed_quantity = models.PositiveIntegerField(_("已确认收到数量"), default=0)
    status = models.CharField(
        _("状态"), max_length=12, choices=ListingStatus.choices, default=ListingStatus.OPEN
    )
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_by_name = models.CharField(_("发布人"), max_length=150, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)

    scope_fields = _through("household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("慈善帮扶需求")
        verbose_name_plural = _("慈善帮扶需求")
        ordering = ["-published_at", "-id"]
        constraints = [
            # A need is on the board at most once at a time.
            models.UniqueConstraint(
                fields=["need"],
                condition=Q(status__in=LIVE_LISTING_STATUSES),
                name="one_live_listing_per_need",
            ),
            # P3: pledges never exceed the target, whatever the path.
            models.CheckConstraint(
                condition=Q(target_quantity__isnull=True)
                | Q(committed_quantity__lte=F("target_quantity")),
                name="listing_committed_within_target",
            ),
        ]
        indexes = [
            # The board: live listings newest first, in Beijing or in one district.
            models.Index(fields=["status", "-published_at", "-id"], name="listing_board"),
            models.Index(
                fields=["district", "status", "-published_at", "-id"],
                name="listing_board_district",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_need_type_display()}·{self.get_help_mode_display()}（{self.pk}）"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_LISTING_STATUSES

    @property
    def remaining(self) -> int | None:
        if self.target_quantity is None:
            return None
        return max(0, self.target_quantity - self.committed_quantity)

    @property
    def progress_percent(self) -> int:
        if not self.target_quantity:
            return 0
        return min(100, self.committed_quantity * 100 // self.target_quantity)


class TakeUp(models.Model):
    """What a charity took up: a one-to-one claim (exclusive), a many-to-one pledge of a
    quantity, or a crowdfunding campaign it runs on a designated platform. The portal records
    and links campaigns; it never collects money."""

    listing = models.ForeignKey(NeedListing, on_delete=models.PROTECT, related_name="take_ups")
    organisation = models.ForeignKey(
        CharityOrganisation,
        verbose_name=_("慈善组织"),
        on_delete=models.PROTECT,
        related_name="take_ups",
    )
    kind = models.CharField(_("方式"), max_length=12, choices=TakeUpKind.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=TakeUpStatus.choices, default=TakeUpStatus.ACTIVE
    )
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Claims and pledges are delivered by this day or lapse (the need returns to the board).
    due_on = models.DateField(_("送达期限"), null=True, blank=True)
    platform = models.CharField(
        _("募捐平台"), max_length=16, choices=FundraisingPlatform.choices, blank=True
    )
    filing_number = models.CharField(_("募捐方案备案编号"), max_length=40, blank=True)
    campaign_url = models.URLField(_("项目链接"), max_length=300, blank=True)
    raised_amount = models.PositiveIntegerField(_("已筹金额（元）"), default=0)
    delivered_at = models.DateTimeField(_("登记送达时间"), null=True, blank=True)
    delivery_note = models.CharField(_("送达情况"), max_length=200, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by_name = models.CharField(_("确认人"), max_length=150, blank=True)
    ended_at = models.DateTimeField(_("失效时间"), null=True, blank=True)

    scope_fields = _through("listing__household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("认领认捐")
        verbose_name_plural = _("认领认捐")
        ordering = ["-created_at", "-id"]
        constraints = [
            # U3 one-to-one: exactly one claim holds a listing, whoever clicks at the same time.
            models.UniqueConstraint(
                fields=["listing"],
                condition=Q(kind=TakeUpKind.CLAIM, status__in=HOLDING_TAKE_UP_STATUSES),
                name="one_claim_per_listing",
            ),
            models.UniqueConstraint(
                fields=["listing"],
                condition=Q(kind=TakeUpKind.CAMPAIGN, status__in=HOLDING_TAKE_UP_STATUSES),
                name="one_campaign_per_listing",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="takeup_organisation"),
            models.Index(fields=["status", "due_on"], name="takeup_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.pk}）"


class ListingMessage(models.Model):
    """A message between a charity and the station about a listing. One thread per listing
    and organisation; a charity reads only its own threads. The station's messages are screened
    like the listing text, so that no message reveals the household."""

    listing = models.ForeignKey(NeedListing, on_delete=models.PROTECT, related_name="messages")
    organisation = models.ForeignKey(
        CharityOrganisation, on_delete=models.PROTECT, related_name="+"
    )
    from_station = models.BooleanField(_("发布方留言"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("内容"))
    sent_at = models.DateTimeField(_("时间"), default=timezone.now)

    scope_fields = _through("listing__household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("帮扶需求留言")
        verbose_name_plural = _("帮扶需求留言")
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["listing", "organisation", "sent_at"])]

    def __str__(self) -> str:
        return f"留言（{self.pk}）"
