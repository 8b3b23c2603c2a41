"""The bureau's public pages (P1): notices with 文号, policy interpretations, statistics releases,
administrative enforcement disclosures, plain pages and the section pages that list them.

Editors draft them in the Wagtail admin; a reviewer approves them through the site's workflow
before they are published (portal/workflow.py). Every type says what it puts in the search
index (`search_parts`) and until when it is public (`public_until`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from ..blocks import BodyBlock, StatisticsBodyBlock, stream_text
from ..cache import cached_serve
from ..enums import NoticeStatus, PageKind, PartyKind, PeriodKind
from ..search import text as search_text
from ..validators import credit_code_clean, doc_number_clean, surname_clean

DEFAULT_ISSUER = "北京市民政局"


class PortalPage(Page):
    """What every public page of the bureau shares: its kind, its date, what search indexes
    of it, until when it is public, and the cached serve (DESIGN: a page p95 <= 20 ms)."""

    kind: ClassVar[str] = PageKind.PAGE
    # Query parameters that change what the page shows (cached separately); others bypass.
    cache_query_keys: ClassVar[frozenset[str]] = frozenset()

    demo_content = models.BooleanField(
        _("演示内容"),
        default=False,
        help_text=_("演示数据：页面上会标明“演示内容”，正式上线前请删除。"),
    )

    search_fields = Page.search_fields + [
        # The admin's page search (and Elasticsearch, for a larger site) get the same jieba
        # segmentation as /search/: the text as space-separated index terms (portal/search).
        index.SearchField("search_text_terms"),
        index.AutocompleteField("search_title_terms"),
    ]

    settings_panels = Page.settings_panels + [FieldPanel("demo_content")]

    class Meta:
        abstract = True

    # Dates and search ------------------------------------------------------------------
    def listing_date(self) -> dt.date | None:
        published = self.first_published_at or self.latest_revision_created_at
        return timezone.localdate(published) if published else None

    def own_doc_number(self) -> str:
        return ""

    def search_meta(self) -> list[str]:
        """Short fields worth more than body text (issuer, party, period)."""
        return []

    def search_body(self) -> str:
        return ""

    def search_parts(self) -> dict:
        return {
            "title": self.title,
            "doc_number": self.own_doc_number(),
            "meta": [part for part in self.search_meta() if part],
            "body": self.search_body(),
        }

    def search_text_terms(self) -> str:
        parts = self.search_parts()
        return search_text.segmented(
            "\n".join([parts["title"], parts["doc_number"], *parts["meta"], parts["body"]])
        )

    def search_title_terms(self) -> str:
        return search_text.segmented(f"{self.title} {self.own_doc_number()}")

    # Visibility ------------------------------------------------------------------------
    def public_until(self) -> dt.datetime | None:
        """The moment the page leaves the public site and search by itself (None: never)."""
        return None

    def is_public_now(self, now: dt.datetime | None = None) -> bool:
        until = self.public_until()
        return until is None or (now or timezone.now()) < until

    def serve(self, request, *args, **kwargs):
        return cached_serve(self, request, super().serve, *args, **kwargs)

    def get_sitemap_urls(self, request=None):
        return super().get_sitemap_urls(request) if self.is_public_now() else []

    @cached_property
    def breadcrumbs(self) -> list[Page]:
        return list(self.get_ancestors().filter(depth__gt=1).specific(defer=True))


class HomePage(PortalPage):
    """The bureau's public front page: what residents can do here, in plain words (P2)."""

    intro = models.TextField(
        _("导语"),
        blank=True,
        default="家里遇到困难，可以在这里向民政部门反映。本人、家属、邻居，或者村（居）委会、"
        "社工机构都可以代为反映。我们会在 1 个工作日内安排入户了解情况。",
    )
    body = RichTextField(_("正文"), blank=True)
    hotline = models.CharField(_("咨询电话"), max_length=40, blank=True, default="12345")

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("hotline"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]
    max_count = 1
    subpage_types = ["portal.SectionPage", "portal.PlainPage"]
    searchable = False  # the front door, not a document: /search/ lists what it links to

    class Meta:
        verbose_name = _("首页")

    def get_context(self, request, *args, **kwargs):
        from ..search.listing import latest_entries

        context = super().get_context(request, *args, **kwargs)
        context["latest_notices"] = latest_entries(kind=PageKind.NOTICE, limit=5)
        context["latest_releases"] = latest_entries(kind=PageKind.STATISTICS, limit=3)
        return context


class SectionPage(PortalPage):
    """A section of the site (通知公告, 政策解读, 统计数据, 行政处罚公示...): lists its
    children newest first, by year, a page at a time."""

    intro = models.TextField(_("栏目说明"), blank=True)
    per_page = models.PositiveSmallIntegerField(
        _("每页条数"), default=20, help_text=_("列表每页显示多少条，10 到 100。")
    )

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("per_page")]
    subpage_types = [
        "portal.NoticePage",
        "portal.InterpretationPage",
        "portal.StatisticsReleasePage",
        "portal.DisclosurePage",
        "portal.PlainPage",
        "portal.SectionPage",
    ]
    parent_page_types = ["portal.HomePage", "portal.SectionPage"]
    cache_query_keys = frozenset({"page", "year"})

    class Meta:
        verbose_name = _("栏目")
        verbose_name_plural = _("栏目")

    def clean(self):
        super().clean()
        if not 10 <= (self.per_page or 0) <= 100:
            raise ValidationError({"per_page": _("每页条数应在 10 到 100 之间。")})

    def search_body(self) -> str:
        return self.intro

    def get_context(self, request, *args, **kwargs):
        from ..search.listing import section_listing

        context = super().get_context(request, *args, **kwargs)
        context["listing"] = section_listing(section=self, request=request)
        # Issue 16 (P4): the statistics section opens on its latest release, tables and charts.
        latest = StatisticsReleasePage.latest_in(self)
        if latest is not None:
            from ..statistics import published_tables

            context["latest_release"] = latest
            context["latest_blocks"] = published_tables(latest.body)
        return context


class PlainPage(PortalPage):
    """A page of text (办事指南, 关于我们...)."""

    body = StreamField(BodyBlock(), verbose_name=_("正文"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("body")]
    parent_page_types = ["portal.HomePage", "portal.SectionPage"]
    subpage_types: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("普通页面")
        verbose_name_plural = _("普通页面")

    def search_body(self) -> str:
        return stream_text(self.body)


class NoticePage(PortalPage):
    """通知公告 / 政策文件: a document with its 文号, issuer, dates, status and attachments."""

    kind = PageKind.NOTICE

    doc_number = models.CharField(
        _("文号"),
        max_length=64,
        blank=True,
        help_text=_("如 京民核发〔2018〕195号；方括号、【】也可以，保存时统一为〔〕。"),
    )
    issuer = models.CharField(_("发文机关"), max_length=100, default=DEFAULT_ISSUER)
    issued_on = models.DateField(_("成文日期"))
    effective_on = models.DateField(_("施行日期"), null=True, blank=True)
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.CharField(
        _("效力状态"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.VALID
    )
    replaced_by = models.ForeignKey(
        "portal.NoticePage",
        verbose_name=_("被以下文件替代"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
        help_text=_("状态为“已修订”或“失效”时，选择替代它的新文件。"),
    )
    body = StreamField(BodyBlock(), verbose_name=_("正文"), blank=True)

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [
                FieldPanel("doc_number"),
                FieldPanel("issuer"),
                FieldRowPanel([FieldPanel("issued_on"), FieldPanel("effective_on")]),
                FieldPanel("expires_on"),
            ],
            heading=_("文件信息"),
        ),
        MultiFieldPanel([FieldPanel("status"), FieldPanel("replaced_by")], heading=_("效力")),
        FieldPanel("body"),
        InlinePanel("attachments", label=_("附件")),
    ]
    parent_page_types = ["portal.SectionPage"]
    subpage_types: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("通知公告")
        verbose_name_plural = _("通知公告")
        constraints = [
            models.UniqueConstraint(
                fields=["doc_number"],
                condition=~Q(doc_number=""),
                name="portal_notice_doc_number_unique",
                violation_error_message=_("已有文件使用这个文号。"),
            )
        ]

    def clean(self):
        super().clean()
        errors = {}
        if self.doc_number:
            try:
                self.doc_number = doc_number_clean(self.doc_number)
            except ValidationError as error:
                errors["doc_number"] = error
        if self.effective_on and self.expires_on and self.expires_on < self.effective_on:
            errors["expires_on"] = _("有效期截止日期不能早于施行日期。")
        if self.status == NoticeStatus.REVISED and not self.replaced_by_id:
            errors["replaced_by"] = _("已修订的文件，请选择修订后的新文件。")
        if self.replaced_by_id and self.pk and self.replaced_by_id == self.pk:
            errors["replaced_by"] = _("文件不能被它自己替代。")
        if errors:
            raise ValidationError(errors)

    @property
    def current_status(self) -> str:
        """The status a reader sees: past its expiry date a valid notice is 失效."""
        if self.status == NoticeStatus.VALID and self.expires_on:
            if self.expires_on < timezone.localdate():
                return NoticeStatus.EXPIRED
        return self.status

    @property
    def current_status_label(self) -> str:
        return NoticeStatus(self.current_status).label

    def listing_date(self):
        return self.issued_on

    def own_doc_number(self) -> str:
        return self.doc_number

    def search_meta(self) -> list[str]:
        return [self.issuer]

    def search_body(self) -> str:
        return stream_text(self.body)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["interpretations"] = [
            page
            for page in InterpretationPage.objects.live().public().filter(notice=self)
            if page.is_public_now()
        ]
        context["attachment_list"] = list(self.attachments.select_related("document"))
        return context


class NoticeAttachment(Orderable):
    page = ParentalKey(NoticePage, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey(
        "wagtaildocs.Document", verbose_name=_("文件"), on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(_("附件名称"), max_length=200, blank=True)

    panels = [FieldPanel("document"), FieldPanel("title")]

    class Meta(Orderable.Meta):
        verbose_name = _("附件")

    @property
    def label(self) -> str:
        return self.title or self.document.title


class InterpretationPage(PortalPage):
    """政策解读: explains one notice; each links to the other."""

    kind = PageKind.INTERPRETATION

    notice = models.ForeignKey(
        NoticePage,
        verbose_name=_("解读的文件"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="interpretations",
    )
    issuer = models.CharField(_("解读机关"), max_length=100, default=DEFAULT_ISSUER)
    issued_on = models.DateField(_("发布日期"))
    body = StreamField(BodyBlock(), verbose_name=_("正文"), blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("notice"),
        FieldRowPanel([FieldPanel("issuer"), FieldPanel("issued_on")]),
        FieldPanel("body"),
    ]
    parent_page_types = ["portal.SectionPage"]
    subpage_types: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("政策解读")
        verbose_name_plural = _("政策解读")

    def clean(self):
        super().clean()
        if not self.notice_id:
            raise ValidationError({"notice": _("请选择这篇解读所解读的文件。")})

    def listing_date(self):
        return self.issued_on

    def search_meta(self) -> list[str]:
        notice = self.notice
        return [self.issuer, *((notice.title, notice.doc_number) if notice else ())]

    def search_body(self) -> str:
        return stream_text(self.body)


class StatisticsReleasePage(PortalPage):
    """统计数据: a monthly or quarterly release (城乡低保和城乡特困人员救助情况...), with
    tables and charts, filled by the statistics service or by hand."""

    kind = PageKind.STATISTICS

    period_kind = models.CharField(
        _("统计周期"), max_length=8, choices=PeriodKind.choices, default=PeriodKind.MONTH
    )
    year = models.PositiveSmallIntegerField(_("年份"))
    month = models.PositiveSmallIntegerField(_("月份"), null=True, blank=True)
    quarter = models.PositiveSmallIntegerField(_("季度"), null=True, blank=True)
    issued_on = models.DateField(_("发布日期"))
    summary = models.TextField(_("概要"), blank=True)
    body = StreamField(StatisticsBodyBlock(), verbose_name=_("表格和图表"), blank=True)

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [
                FieldPanel("period_kind"),
                FieldRowPanel([FieldPanel("year"), FieldPanel("month"), FieldPanel("quarter")]),
                FieldPanel("issued_on"),
            ],
            heading=_("统计周期"),
        ),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    parent_page_types = ["portal.SectionPage"]
    subpage_types: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("统计数据")
        verbose_name_plural = _("统计数据")

    def clean(self):
        super().clean()
        errors = {}
        if not 2000 <= (self.year or 0) <= 2100:
            errors["year"] = _("请填写四位年份，如 2026。")
        if self.period_kind == PeriodKind.MONTH:
            if not 1 <= (self.month or 0) <= 12:
                errors["month"] = _("月度数据请填写月份（1 到 12）。")
            self.quarter = None
        else:
            if not 1 <= (self.quarter or 0) <= 4:
                errors["quarter"] = _("季度数据请填写季度（1 到 4）。")
            self.month = None
        # SECURITY D2: a hand-edited cell must not undo the suppression (portal/statistics.py).
        from ..statistics import release_body_problems

        problems = release_body_problems(self.body, settings.STATISTICS_SMALL_CELL_MAX)
        if problems:
            errors["body"] = problems
        if errors:
            raise ValidationError(errors)

    @property
    def period_label(self) -> str:
        if self.period_kind == PeriodKind.QUARTER and self.quarter:
            return f"{self.year}年第{'一二三四'[self.quarter - 1]}季度"
        if self.month:
            return f"{self.year}年{self.month}月"
        return f"{self.year}年"

    def listing_date(self):
        return self.issued_on

    @classmethod
    def latest_in(cls, section) -> StatisticsReleasePage | None:
        """The live release of the latest period under `section` (a month's end for a
        quarter), the latest issued first."""
        from django.db.models.functions import Coalesce

        return (
            cls.objects.child_of(section)
            .live()
            .annotate(period_month=Coalesce("month", models.F("quarter") * 3))
            .order_by("-year", models.F("period_month").desc(nulls_last=True), "-issued_on", "-pk")
            .first()
        )

    def serve(self, request, *args, **kwargs):
        # Issue 16 (P4): ?csv=N downloads the page's Nth table, exactly as published.
        if "csv" in request.GET and not getattr(request, "is_preview", False):
            from ..statistics import table_csv_response

            return table_csv_response(self, request.GET["csv"])
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from ..statistics import published_tables

        context = super().get_context(request, *args, **kwargs)
        context["blocks"] = published_tables(self.body)
        return context

    def search_meta(self) -> list[str]:
        return [self.period_label, self.summary]

    def search_body(self) -> str:
        return stream_text(self.body)


NAME_AFTER_SURNAME = "某"


class DisclosurePage(PortalPage):
    """行政处罚公示: public only during its publication period, then gone from the site, the
    listings, the sitemap and search by itself (nothing has to run). A natural person is shown
    by surname only (张某); the full name is never stored here."""

    kind = PageKind.DISCLOSURE

    decision_number = models.CharField(
        _("处罚决定书文号"), max_length=64, help_text=_("如 京民罚〔2026〕3号")
    )
    party_kind = models.CharField(
        _("当事人类型"), max_length=16, choices=PartyKind.choices, default=PartyKind.ORGANISATION
    )
    party_name = models.CharField(
        _("当事人名称"), max_length=120, blank=True, help_text=_("法人或其他组织的全称")
    )
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    party_surname = models.CharField(
        _("当事人姓氏"),
        max_length=2,
        blank=True,
        help_text=_("自然人只填姓氏，页面显示为“张某”；不要在任何地方填写全名。"),
    )
    facts = models.TextField(_("违法事实"))
    legal_basis = models.TextField(_("处罚依据"))
    penalty = models.TextField(_("处罚内容"))
    authority = models.CharField(_("处罚机关"), max_length=100, default=DEFAULT_ISSUER)
    decided_on = models.DateField(_("处罚决定日期"))
    publication_ends_on = models.DateField(
        _("公示截止日期"), help_text=_("这一天结束后，本公示自动从网站和搜索中撤下。")
    )

    content_panels = Page.content_panels + [
        FieldPanel("decision_number"),
        MultiFieldPanel(
            [
                FieldPanel("party_kind"),
                FieldPanel("party_name"),
                FieldPanel("credit_code"),
                FieldPanel("party_surname"),
            ],
            heading=_("当事人"),
        ),
        FieldPanel("facts"),
        FieldPanel("legal_basis"),
        FieldPanel("penalty"),
        FieldRowPanel([FieldPanel("authority"), FieldPanel("decided_on")]),
        FieldPanel("publication_ends_on"),
    ]
    parent_page_types = ["portal.SectionPage"]
    subpage_types: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("行政处罚公示")
        verbose_name_plural = _("行政处罚公示")

    def clean(self):
        super().clean()
        errors: dict = {}
        try:
            self.decision_number = doc_number_clean(self.decision_number)
        except ValidationError as error:
            errors["decision_number"] = error
        if self.party_kind == PartyKind.ORGANISATION:
            if not self.party_name.strip():
                errors["party_name"] = _("请填写当事人（法人或其他组织）的全称。")
            try:
                self.credit_code = credit_code_clean(self.credit_code)
            except ValidationError as error:
                errors["credit_code"] = error
            self.party_surname = ""
        else:
            try:
                self.party_surname = surname_clean(self.party_surname)
            except ValidationError as error:
                errors["party_surname"] = error
            self.party_name = ""
            self.credit_code = ""
            if "party_surname" not in errors:
                errors.update(self._full_name_errors())
        if self.decided_on and self.publication_ends_on:
            if self.publication_ends_on < self.decided_on:
                errors["publication_ends_on"] = _("公示截止日期不能早于处罚决定日期。")
        if errors:
            raise ValidationError(errors)

    def _full_name_errors(self) -> dict:
        """SECURITY (P1): a natural person appears as 张某 only. Wherever the surname is
        written in the title or the text, it must be followed by 某."""
        pattern = re.compile(re.escape(self.party_surname) + f"(?!{NAME_AFTER_SURNAME})")
        message = _("当事人是自然人，只能写作“%(name)s”，不能出现全名。") % {
            "name": self.party_display
        }
        return {
            field: message
            for field in ("title", "facts", "penalty")
            if pattern.search(getattr(self, field) or "")
        }

    @property
    def party_display(self) -> str:
        if self.party_kind == PartyKind.PERSON:
            return f"{self.party_surname}{NAME_AFTER_SURNAME}"
        return self.party_name

    def public_until(self) -> dt.datetime | None:
        if self.publication_ends_on is None:
            return None
        next_day = self.publication_ends_on + dt.timedelta(days=1)
        return timezone.make_aware(dt.datetime.combine(next_day, dt.time.min))

    def listing_date(self):
        return self.decided_on

    def own_doc_number(self) -> str:
        return self.decision_number

    def search_meta(self) -> list[str]:
        return [self.party_display, self.credit_code, self.authority]

    def search_body(self) -> str:
        return "\n".join([self.facts, self.legal_basis, self.penalty])
