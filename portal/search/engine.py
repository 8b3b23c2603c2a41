"""/search/ (P1): Chinese full-text search over the public pages, the same on every database.

A query is parsed into groups of terms (portal/search/text.py). A page matches when it holds a
term of at least one group; pages holding more groups come first, then by score: the sum over
matched terms of the page's weight (index.py) times the term's inverse document frequency,
all in integers, so SQLite and PostgreSQL compute exactly the same numbers. Ties go to the
newer page, then the higher id. Pages past their publication period are left out by the query
itself: a disclosure leaves search the moment its period ends, with nothing to run.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

from django.core.paginator import EmptyPage, Paginator
from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..enums import PageKind
from ..models import SearchDocument, SearchPosting
from . import text

IDF_SCALE = 1000
PER_PAGE = 10
MAX_PAGE = 100
SNIPPET_CHARS = 120


@dataclass
class Hit:
    page_id: int
    kind: str
    title: str
    doc_number: str
    date: dt.date | None
    summary: str
    snippet: SafeString
    title_html: SafeString
    url: str = ""

    @property
    def kind_label(self) -> str:
        return PageKind(self.kind).label


@dataclass
class Results:
    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    num_pages: int = 0
    parsed: text.Query | None = None
    per_page: int = PER_PAGE

    @property
    def first_rank(self) -> int:
        return (self.page - 1) * self.per_page + 1

    @property
    def number(self) -> int:
        return self.page

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


def visible_documents(*, now: dt.datetime | None = None):
    """Documents on the public site right now."""
    now = now or timezone.now()
    return SearchDocument.objects.filter(Q(visible_until__isnull=True) | Q(visible_until__gt=now))


def _idf(df: int, total: int) -> int:
    return round(math.log(1 + (total - df + 0.5) / (df + 0.5)) * IDF_SCALE)


def search(
    *,
    q: str,
    kind: str | None = None,
    year: int | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    now: dt.datetime | None = None,
) -> Results:
    """One page of results for `q`, optionally of one kind and one year."""
    parsed = text.query_parse(q)
    results = Results(query=q, parsed=parsed, page=min(max(page, 1), MAX_PAGE), per_page=per_page)
    if not parsed:
        return results
    terms = parsed.all_terms
    frequencies = dict(
        SearchPosting.objects.filter(term__in=terms)
        .values_list("term")
        .annotate(n=Count("id"))
        .values_list("term", "n")
    )
    if not frequencies:
        return results
    total = SearchDocument.objects.count()
    idf = {term: _idf(df, total) for term, df in frequencies.items()}
    group_of = {term: i for i, group in enumerate(parsed.groups) for term in group}
    ints = IntegerField()
    postings = SearchPosting.objects.filter(
        Q(document__visible_until__isnull=True)
        | Q(document__visible_until__gt=now or timezone.now()),
        term__in=list(idf),
    )
    if kind:
        postings = postings.filter(document__kind=kind)
    if year:
        postings = postings.filter(document__year=year)
    ranked = (
        postings.values("document_id")
        .annotate(
            matched=Count(
                Case(*(When(term=t, then=Value(group_of[t])) for t in idf), output_field=ints),
                distinct=True,
            ),
            score=Sum(
                F("weight")
                * Case(*(When(term=t, then=Value(v)) for t, v in idf.items()), output_field=ints),
                output_field=ints,
            ),
        )
        .order_by("-matched", "-score", F("document__date").desc(nulls_last=True), "-document_id")
    )
    paginator = Paginator(ranked, per_page)
    results.total = paginator.count
    results.num_pages = min(paginator.num_pages, MAX_PAGE)
    try:
        rows = list(paginator.page(results.page).object_list)
    except EmptyPage:
        rows = []
    documents = SearchDocument.objects.in_bulk([row["document_id"] for row in rows])
    results.hits = [
        _hit(documents[row["document_id"]], parsed)
        for row in rows
        if row["document_id"] in documents
    ]
    return results


def _hit(document: SearchDocument, parsed: text.Query) -> Hit:
    return Hit(
        page_id=document.page_id,
        kind=document.kind,
        title=document.title,
        doc_number=document.doc_number,
        date=document.date,
        summary=document.summary,
        snippet=snippet(document.text, parsed.highlights),
        title_html=highlight(document.title, parsed.highlights),
    )


def _pattern(words: tuple[str, ...]) -> re.Pattern | None:
    words = tuple(sorted({w for w in words if w}, key=len, reverse=True))
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)


def highlight(value: str, words: tuple[str, ...]) -> SafeString:
    """`value` escaped, with every occurrence of `words` in <mark>."""
    pattern = _pattern(words)
    if pattern is None:
        return escape(value)
    out, last = [], 0
    for match in pattern.finditer(value):
        out.append(escape(value[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(value[last:]))
    return mark_safe("".join(out))  # noqa: S308 (every piece escaped above)


def snippet(body: str, words: tuple[str, ...]) -> SafeString:
    """About SNIPPET_CHARS characters of `body` around the first matched word, highlighted."""
    body = " ".join(body.split())
    pattern = _pattern(words)
    match = pattern.search(body) if pattern else None
    start = max(0, match.start() - SNIPPET_CHARS // 3) if match else 0
    piece = body[start : start + SNIPPET_CHARS]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + SNIPPET_CHARS < len(body) else ""
    return mark_safe(f"{prefix}{highlight(piece, words)}{suffix}")  # noqa: S308
