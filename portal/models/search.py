"""The public search index (P1): one row per public page and its weighted terms.

Kept in the database itself, so that SQLite and PostgreSQL give the same answers in the same
order: the score is computed by the same arithmetic on the same rows on both (see
portal/search/engine.py), not by two different full-text rankers. Rows are written when a page
is published and removed when it is unpublished or deleted (portal/signals.py);
`manage.py search_reindex` rebuilds them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import PageKind


class SearchDocument(models.Model):
    """A public page as search and the section listings see it."""

    page = models.OneToOneField(
        "wagtailcore.Page", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=PageKind.choices)
    title = models.CharField(max_length=255)
    doc_number = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=255, blank=True)
    date = models.DateField(null=True)
    year = models.PositiveSmallIntegerField(null=True)
    # The moment the page leaves the site by itself (an enforcement disclosure), or null.
    visible_until = models.DateTimeField(null=True)
    # Tree position of the page, for section listings (children of a section).
    parent = models.ForeignKey(
        "wagtailcore.Page", null=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField(blank=True)  # plain text, for snippets
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("搜索索引条目")
        indexes = [
            models.Index(fields=["parent", "date"], name="portal_doc_parent_date"),
            models.Index(fields=["kind", "date"], name="portal_doc_kind_date"),
        ]

    def __str__(self) -> str:
        return self.title


class SearchPosting(models.Model):
    """One term of one page, with its weight (BM25 term-frequency part, field boosts)."""

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="postings")
    term = models.CharField(max_length=80)
    # An integer (x1000): the score is integer arithmetic, exact and equal on every database.
    weight = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("搜索索引词")
        indexes = [
            models.Index(fields=["term", "document", "weight"], name="portal_posting_term"),
            models.Index(fields=["document"], name="portal_posting_document"),
        ]

    def __str__(self) -> str:
        return f"{self.term} ({self.weight})"
