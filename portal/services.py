"""Portal setup shared by seed_demo, import_pages and the tests."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from wagtail.models import Locale, Page, Site

from .enums import PageKind
from .models import FooterLink, HeaderLink, HomePage, SectionPage, SiteNavigation
from .workflow import site_workflow_ensure

HOME_TITLE = "困难群众精准救助帮扶"
DEMO_PAGES = Path(__file__).resolve().parent / "demo" / "pages"

# The site's sections (P1): where each type of page lives, and the home page links to them.
SECTIONS = {
    PageKind.NOTICE: ("notices", "通知公告", "市民政局发布的通知公告和政策文件，按发布日期排列。"),
    PageKind.INTERPRETATION: ("interpretations", "政策解读", "对政策文件的解读、图解和问答。"),
    PageKind.STATISTICS: (
        "statistics",
        "统计数据",
        "按月、按季度发布的救助帮扶统计。为保护个人信息，不足 10 人的数据不单独公布。",
    ),
    PageKind.DISCLOSURE: (
        "disclosures",
        "行政处罚公示",
        "民政部门作出的行政处罚决定，在公示期内公开；公示期满后自动撤下。",
    ),
}
HEADER_MENU = [
    ("通知公告", "notices"),
    ("政策解读", "interpretations"),
    ("统计数据", "statistics"),
    ("行政处罚公示", "disclosures"),
    ("反映困难", "/report/"),
    ("查询进度", "/report/status/"),
]
FOOTER_MENU = [
    ("关于本网站", "about"),
    ("个人信息保护说明", "privacy"),
    ("网站地图", "/sitemap.xml"),
    ("订阅通知公告", "/feeds/notices.xml"),
]


@transaction.atomic
def home_page_ensure() -> HomePage:
    """The bureau's home page as the default site's root (created when missing)."""
    home = HomePage.objects.first()
    if home is None:
        Locale.objects.get_or_create(language_code="zh-hans")
        root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
        home = root.add_child(instance=HomePage(title=HOME_TITLE, slug="home"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "root_page": home, "site_name": "北京市民政局"},
    )
    site_workflow_ensure(home)
    return home


@transaction.atomic
def site_sections_ensure(home: HomePage) -> dict[str, SectionPage]:
    """One published section per page type under the home page (kept when it exists)."""
    sections = {}
    for kind, (slug, title, intro) in SECTIONS.items():
        section = SectionPage.objects.child_of(home).filter(slug=slug).first()
        if section is None:
            section = home.add_child(
                instance=SectionPage(title=title, slug=slug, intro=intro, show_in_menus=True)
            )
            section.save_revision().publish()
        sections[kind] = section
    return sections


@transaction.atomic
def site_navigation_ensure(home: HomePage) -> SiteNavigation:
    """The header and footer menus, when nobody has set them yet."""
    site = Site.objects.get(is_default_site=True)
    navigation = SiteNavigation.for_site(site)
    for model, menu in ((HeaderLink, HEADER_MENU), (FooterLink, FOOTER_MENU)):
        if model.objects.filter(setting=navigation).exists():
            continue
        for order, (label, target) in enumerate(menu):
            page = (
                None
                if target.startswith("/")
                else Page.objects.child_of(home).filter(slug=target).first()
            )
            if page is None and not target.startswith("/"):
                continue
            model.objects.create(
                setting=navigation,
                sort_order=order,
                label=label,
                page=page,
                url=target if page is None else "",
            )
    return navigation


def demo_site_load():
    """The demo site (`make run`): the seed notice 京民核发〔2018〕195号 and a few demo pages
    of each type (marked 演示内容), its sections and menus. Loading again updates them."""
    from .importing import pages_import

    home = home_page_ensure()
    report = pages_import(directory=DEMO_PAGES)
    site_navigation_ensure(home)
    return report
