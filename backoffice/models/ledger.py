"""The ledger (L7: one household, one file): households, members, categories, benefits, needs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import (
    BenefitType,
    Category,
    Education,
    Employment,
    EntryRoute,
    Health,
    HouseholdStatus,
    NeedStatus,
    NeedType,
    Relation,
    Sex,
    Subtype,
    TimelineKind,
)

HOUSEHOLD_SCOPE = {
    "district": "district_id",
    "street": "street_id",
    "community": "community_id",
    "assigned": "assignments__worker_id",
}


def _through(prefix: str, scope: dict[str, str]) -> dict[str, str]:
    """The scope columns of a row that belongs to a household through `prefix`."""
    return {level: f"{prefix}__{column}" for level, column in scope.items()}


class Household(models.Model):
    """一户一档: the file of one household (L7, M5)."""

    file_number = models.CharField(_("档案编号"), max_length=32, unique=True)
    district = models.ForeignKey(
        "backoffice.Area", verbose_name=_("区"), on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        "backoffice.Area",
        verbose_name=_("街道（乡镇）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    community = models.ForeignKey(
        "backoffice.Area",
        verbose_name=_("社区（村）"),
        on_delete=models.PROTECT,
        related_name="households",
    )
    address = models.CharField(_("住址"), max_length=200)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=HouseholdStatus.choices,
        default=HouseholdStatus.ACTIVE,
        db_index=True,
    )
    entry_route = models.CharField(_("建档来源"), max_length=12, choices=EntryRoute.choices)
    learned_on = models.DateField(_("知悉困难日期"), null=True, blank=True)
    entered_on = models.DateField(_("纳入台账日期"), default=timezone.localdate)
    exited_on = models.DateField(_("退出日期"), null=True, blank=True)
    next_visit_due = models.DateField(_("下次回访截止"), null=True, blank=True, db_index=True)
    # D3: a household that left is visited once more, 3 months later (None once done).
    checkin_due = models.DateField(_("退出后回访日期"), null=True, blank=True, db_index=True)
    completeness = models.PositiveSmallIntegerField(_("完整度"), default=0, db_index=True)
    # The categories its members hold, "S1 S4": derived with the completeness score
    # (`household_refresh_completeness`) so that the category filter reads one column instead
    # of probing members and their categories for every file of a street (P, 1M persons).
    member_categories = models.CharField(
        _("成员类别"), max_length=24, blank=True, default="", editable=False
    )
    version = models.PositiveIntegerField(default=1)  # G3: optimistic locking
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_fields = HOUSEHOLD_SCOPE

    class Meta:
        verbose_name = _("家庭档案")
        verbose_name_plural = _("家庭档案")
        ordering = ["next_visit_due", "id"]
        # Issue 16 (U11): counts of the ledger area by area, for the city, districts and streets.
        permissions = [("view_statistics", _("查看统计分析"))]
        indexes = [
            models.Index(fields=["street", "status", "next_visit_due"]),
            models.Index(fields=["district", "status", "next_visit_due"]),
            # P (ledger list at 1M persons): files in due order (the list's default), in all of
            # Beijing or in a street or district, read a page of 50 off the index instead of
            # sorting the whole jurisdiction (PostgreSQL keeps equal dates in row order).
            models.Index(fields=["next_visit_due", "id"], name="household_due"),
            models.Index(fields=["street", "next_visit_due", "id"], name="household_street_due"),
            models.Index(
                fields=["district", "next_visit_due", "id"], name="household_district_due"
            ),
            # The category filter's count (the paginator's) reads these alone, not the rows.
            models.Index(fields=["street", "member_categories"], name="household_street_cats"),
            models.Index(fields=["district", "member_categories"], name="household_district_cats"),
        ]

    def __str__(self) -> str:
        return self.file_number


class HouseholdAssignment(models.Model):
    """Which agency worker serves a household (the scope of an agency worker)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="assignments")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assigned_households"
    )
    agency = models.ForeignKey("backoffice.Agency", on_delete=models.PROTECT, related_name="+")
    assigned_on = models.DateField(default=timezone.localdate)

    class Meta:
        verbose_name = _("分派")
        verbose_name_plural = _("分派")
        # M4: a station or district decides which agency worker serves a household.
        permissions = [("assign_household", _("分派或结束分派承接家庭的社工"))]
        constraints = [
            models.UniqueConstraint(fields=["household", "worker"], name="unique_household_worker")
        ]

    def __str__(self) -> str:
        return f"{self.household} → {self.worker}"


class Person(models.Model):
    """A member of a household. ID and phone are encrypted; lists show the masked copies (B3)."""

    household = models.ForeignKey(
        Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="members"
    )
    relation = models.CharField(_("与户主关系"), max_length=12, choices=Relation.choices)
    name = models.CharField(_("姓名"), max_length=40, db_index=True)
    name_initials = models.CharField(_("姓名首字母"), max_length=40, db_index=True)
    sex = models.CharField(_("性别"), max_length=8, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    id_number_encrypted = models.TextField(blank=True)
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=24, blank=True)
    phone_encrypted = models.TextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("联系电话"), max_length=16, blank=True)
    education = models.CharField(_("文化程度"), max_length=4, choices=Education.choices, blank=True)
    employment = models.CharField(
        _("就业状况"), max_length=12, choices=Employment.choices, blank=True
    )
    health = models.CharField(_("健康状况"), max_length=12, choices=Health.choices, blank=True)
    # D3: a member who left the ledger (deceased, moved away...); the reason is in LedgerExit.
    exited_on = models.DateField(_("退出日期"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_fields = _through("household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        ordering = ["household_id", "id"]
        permissions = [
            ("view_child_record", _("查看未满 14 周岁儿童的档案")),
            ("reveal_identifiers", _("查看完整身份证号和电话")),
        ]
        constraints = [
            # L7: one head per household among the members still in the ledger (the service
            # check in services/ledger.py gives the message; this holds on every path).
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(relation=Relation.HEAD, exited_on__isnull=True),
                name="one_head_per_household",
            )
        ]
        # P (person search at 1M persons): a name or initials prefix, counted and scoped by
        # household without reading the rows; pattern ops so PostgreSQL's LIKE 'x%' uses them
        # whatever the collation (other databases ignore opclasses).
        indexes = [
            models.Index(
                fields=["name", "household"],
                name="person_name_household",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            ),
            models.Index(
                fields=["name_initials", "household"],
                name="person_initials_household",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return f"{self.name[:1]}**（{self.id_number_masked}）"

    def age_on(self, day) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class PersonCategory(models.Model):
    """A category (S1-S6) with subtype and the ledger-standard items of L1-L5 in `details`."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="categories")
    category = models.CharField(_("类别"), max_length=2, choices=Category.choices, db_index=True)
    subtype = models.CharField(_("细类"), max_length=24, choices=Subtype.choices)
    since = models.DateField(_("认定日期"), null=True, blank=True)
    details = models.JSONField(_("台账标准事项"), default=dict, blank=True)

    scope_fields = _through("person__household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("救助类别")
        verbose_name_plural = _("救助类别")
        constraints = [
            models.UniqueConstraint(fields=["person", "subtype"], name="unique_person_subtype")
        ]
        # P (ledger list filtered by category): "has this member that category" from the index.
        indexes = [models.Index(fields=["person", "category"], name="personcategory_person_cat")]

    def __str__(self) -> str:
        return f"{self.get_category_display()}·{self.get_subtype_display()}"


class Benefit(models.Model):
    """享受保障情况: one benefit a person receives."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="benefits")
    benefit_type = models.CharField(_("保障类型"), max_length=24, choices=BenefitType.choices)
    monthly_amount = models.DecimalField(
        _("月金额（元）"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    since = models.DateField(_("起始日期"), null=True, blank=True)

    scope_fields = _through("person__household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("享受保障")
        verbose_name_plural = _("享受保障")

    def __str__(self) -> str:
        return self.get_benefit_type_display()


class Need(models.Model):
    """帮扶需求: a need from the controlled list, for the household or one member."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="needs")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="needs"
    )
    need_type = models.CharField(_("需求类型"), max_length=16, choices=NeedType.choices)
    description = models.TextField(_("需求描述"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=NeedStatus.choices, default=NeedStatus.OPEN
    )
    recorded_on = models.DateField(_("登记日期"), default=timezone.localdate)

    scope_fields = _through("household", HOUSEHOLD_SCOPE)

    class Meta:
        verbose_name = _("帮扶需求")
        verbose_name_plural = _("帮扶需求")

    def __str__(self) -> str:
        return self.get_need_type_display()


class HouseholdEvent(models.Model):
    """One line of the household timeline: what happened to the file, when and by whom (L7)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"), default=timezone.now)
    kind = models.CharField(_("事项"), max_length=24, choices=TimelineKind.choices)
    summary = models.CharField(_("摘要"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("经办人"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("档案时间线")
        verbose_name_plural = _("档案时间线")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["household", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.summary}"
