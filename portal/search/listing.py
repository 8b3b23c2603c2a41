"""Section listings, the home page's latest items and the notices feed, read from the public
index (portal/models/search.py): what is listed is exactly what is public and searchable now,
an expired disclosure included (it drops out of every list the moment its period ends)."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from django.core.paginator import Paginator
from django.db.models import Count
from wagtail.models import Page

from ..models import SearchDocument
from .engine import visible_documents


@dataclass
class Entry:
    document: SearchDocument
    url: str

    def __getattr__(self, name):
        return getattr(self.document, name)

    @property
    def kind_label(self) -> str:
        return self.document.get_kind_display()


@dataclass
class Listing:
    years: list[dict]
    year: int | None
    page: object
    groups: list[tuple[int | None, list[Entry]]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.page.paginator.count

    # What the pagination template reads (the same names as search results).
    @property
    def number(self) -> int:
        return self.page.number

    @property
    def num_pages(self) -> int:
        return self.page.paginator.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page.has_previous()

    @property
    def has_next(self) -> bool:
        return self.page.has_next()

    @property
    def query_string(self) -> str:
        return f"year={self.year}" if self.year else ""


def urls_for(page_ids, request=None) -> dict[int, str]:
    """Public URLs of pages, in one query."""
    pages = Page.objects.filter(pk__in=list(page_ids)).only(
        "id", "url_path", "path", "depth", "locale_id"
    )
    return {page.pk: page.get_url(request) or "" for page in pages}


def entries(documents, request=None) -> list[Entry]:
    documents = list(documents)
    urls = urls_for([d.page_id for d in documents], request)
    return [Entry(document=d, url=urls.get(d.page_id, "")) for d in documents]


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def section_listing(*, section, request) -> Listing:
    children = visible_documents().filter(parent_id=section.pk)
    years = list(
        children.exclude(year=None).values("year").annotate(n=Count("page")).order_by("-year")
    )
    year = _int(request.GET.get("year"))
    if year is not None and not any(row["year"] == year for row in years):
        year = None
    if year is not None:
        children = children.filter(year=year)
    ordered = children.order_by("-date", "-page_id").defer("text")
    paginator = Paginator(ordered, section.per_page or 20)
    page = paginator.get_page(request.GET.get("page"))
    listed = entries(page.object_list, request)
    groups = [(key, list(items)) for key, items in groupby(listed, key=lambda e: e.year)]
    return Listing(years=years, year=year, page=page, groups=groups)


def latest_entries(*, kind: str, limit: int, request=None) -> list[Entry]:
    documents = visible_documents().filter(kind=kind).order_by("-date", "-page_id").defer("text")
    return entries(documents[:limit], request)
