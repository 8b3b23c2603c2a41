"""Writing the public search index (portal/models/search.py) for a page.

Each term's weight is the term-frequency part of BM25 (k1 = 1.2, b = 0.75) per field, times
the field's boost, summed over the fields, as an integer (x1000). The inverse document
frequency is applied at query time (engine.py), so adding a page never rewrites the others.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db import transaction
from wagtail.models import Page, PageViewRestriction

from ..models import PortalPage, SearchDocument, SearchPosting
from . import text

K1 = 1.2
B = 0.75
# Field: (boost, typical length in terms). The page's own 文号 outweighs everything: whoever
# types it wants that document.
FIELDS = {
    "title": (4.0, 12),
    "doc_number": (8.0, 6),
    "meta": (1.5, 12),
    "body": (1.0, 400),
}
WEIGHT_SCALE = 1000
MAX_WEIGHT = 30_000  # keeps weight x idf inside a 32-bit integer on PostgreSQL
TEXT_LIMIT = 20_000
SUMMARY_LIMIT = 255


def _field_weights(field: str, field_terms: list[str]) -> dict[str, float]:
    boost, typical = FIELDS[field]
    counts = Counter(field_terms)
    length = max(len(field_terms), 1)
    norm = K1 * (1 - B + B * length / typical)
    return {term: boost * tf * (K1 + 1) / (tf + norm) for term, tf in counts.items()}


def page_terms(parts: dict) -> dict[str, int]:
    """The weighted terms of a page's search parts (title, doc_number, meta, body)."""
    fields = {
        "title": text.terms(parts["title"]),
        "doc_number": [],
        "meta": text.terms("\n".join(parts["meta"])),
        "body": text.terms(parts["body"]),
    }
    own = text.docno_parse(parts["doc_number"]) if parts["doc_number"] else None
    if own is not None:
        fields["doc_number"] = own.terms(own=True) + text.terms(parts["doc_number"])
    weights: Counter[str] = Counter()
    for field, field_terms in fields.items():
        for term, weight in _field_weights(field, field_terms).items():
            weights[term] += weight
    return {
        term[: text.MAX_TERM_LENGTH]: min(MAX_WEIGHT, max(1, round(weight * WEIGHT_SCALE)))
        for term, weight in weights.items()
    }


def indexable(page: Page) -> bool:
    """Live pages of the public page types, without a view restriction on them or above."""
    if not isinstance(page, PortalPage) or not getattr(page, "searchable", True):
        return False
    if not page.live:
        return False
    return not PageViewRestriction.objects.filter(
        page__path__in=[
            page.path[:i] for i in range(Page.steplen, len(page.path) + 1, Page.steplen)
        ]
    ).exists()


def _summary(page: PortalPage) -> str:
    parts = [part for part in page.search_meta()[:2] if part and len(part) < 80]
    return " · ".join(parts)[:SUMMARY_LIMIT]


@transaction.atomic
def page_index(page: Page) -> bool:
    """Write (or remove) the index rows of `page`; True when it is in the index now."""
    page = page.specific
    if not indexable(page):
        SearchDocument.objects.filter(page_id=page.pk).delete()
        return False
    parts = page.search_parts()
    date: dt.date | None = page.listing_date()
    document, _created = SearchDocument.objects.update_or_create(
        page_id=page.pk,
        defaults={
            "kind": page.kind,
            "title": page.title[:255],
            "doc_number": parts["doc_number"][:64],
            "summary": _summary(page),
            "date": date,
            "year": date.year if date else None,
            "visible_until": page.public_until(),
            "parent_id": page.get_parent().pk if page.depth > 1 else None,
            "text": parts["body"][:TEXT_LIMIT],
        },
    )
    SearchPosting.objects.filter(document=document).delete()
    SearchPosting.objects.bulk_create(
        [
            SearchPosting(document=document, term=term, weight=weight)
            for term, weight in page_terms(parts).items()
        ],
        batch_size=2000,
    )
    return True


def page_unindex(page_id: int) -> None:
    SearchDocument.objects.filter(page_id=page_id).delete()


def subtree_reindex(page: Page) -> int:
    """Re-index `page` and everything below it (a view restriction was added or removed)."""
    count = 0
    for descendant in page.get_descendants(inclusive=True).specific().iterator():
        count += page_index(descendant)
    return count


def index_rebuild(*, progress=None) -> int:
    """Rebuild the whole index from the live pages (`manage.py search_reindex`)."""
    SearchPosting.objects.all().delete()
    SearchDocument.objects.all().delete()
    indexed = 0
    for number, page in enumerate(Page.objects.live().specific().iterator(), start=1):
        indexed += page_index(page)
        if progress and number % 500 == 0:
            progress(number, indexed)
    return indexed
