"""Menus and small helpers of the public templates."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from ..models import SiteNavigation

register = template.Library()

# Until the CMS sets menus (设置 → 网站导航), the header offers the public services.
DEFAULT_HEADER = [
    (_("反映困难"), "/report/"),
    (_("查询进度"), "/report/status/"),
    (_("需求信息"), "/needs/"),
    (_("统计数据"), "/statistics/"),
]
DEFAULT_FOOTER = [(_("网站地图"), "/sitemap.xml"), (_("订阅通知公告"), "/feeds/notices.xml")]


def _link(request, label, href) -> dict:
    path = request.path if request is not None else ""
    current = (
        bool(href)
        and href.startswith("/")
        and (path == href or (href != "/" and path.startswith(href.rstrip("/") + "/")))
    )
    return {"label": label, "href": href, "current": current}


def _links(request, relation: str, default):
    links = []
    if request is not None:
        navigation = SiteNavigation.for_request(request)
        links = [
            _link(request, link.label, link.href(request))
            for link in getattr(navigation, relation).select_related("page")
        ]
    return links or [_link(request, label, href) for label, href in default]


@register.simple_tag(takes_context=True)
def header_links(context):
    return _links(context.get("request"), "header_links", DEFAULT_HEADER)


@register.simple_tag(takes_context=True)
def footer_links(context):
    return _links(context.get("request"), "footer_links", DEFAULT_FOOTER)


@register.filter
def cn_date(value) -> str:
    """2026年3月5日"""
    if not value:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"
