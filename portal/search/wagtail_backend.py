"""Wagtail's own search backend with the portal's Chinese segmentation (P1, issue 14 item 4).

Wagtail's database backend (and Elasticsearch's standard analyzer) split Chinese on spaces or
into single characters, so 低保 finds nothing. Pages index their text as space-separated
index terms already (`PortalPage.search_text_terms`, the same jieba segmentation, dictionary
and synonyms as /search/); this backend segments the query the same way before handing it to
the real backend, for page searches in the admin (the explorer, choosers) and anywhere else a
page queryset is searched. Other models (images, documents, users) get the query as typed.

Settings: {"BACKEND": "portal.search.wagtail_backend", "INNER": <a Wagtail backend module>},
INNER defaulting to Wagtail's database backend. Only the public `search` and `autocomplete`
methods are overridden.
"""

from __future__ import annotations

from functools import cache

from django.db.models import QuerySet
from django.utils.module_loading import import_string
from wagtail.models import Page
from wagtail.search.query import PlainText

from . import text

DEFAULT_INNER = "wagtail.search.backends.database"


def _is_page_search(model_or_queryset) -> bool:
    model = (
        model_or_queryset.model if isinstance(model_or_queryset, QuerySet) else model_or_queryset
    )
    return isinstance(model, type) and issubclass(model, Page)


class SegmentingMixin:
    def _segment(self, query, model_or_queryset):
        if not _is_page_search(model_or_queryset):
            return query
        if isinstance(query, str) and query.strip():
            return text.segmented_query(query) or query
        if isinstance(query, PlainText) and query.query_string.strip():
            # The admin's page search parses the box into PlainText(..., operator="and").
            segmented = text.segmented_query(query.query_string)
            return PlainText(segmented, operator=query.operator) if segmented else query
        return query

    def search(self, query, model_or_queryset, *args, **kwargs):
        return super().search(
            self._segment(query, model_or_queryset), model_or_queryset, *args, **kwargs
        )

    def autocomplete(self, query, model_or_queryset, *args, **kwargs):
        return super().autocomplete(
            self._segment(query, model_or_queryset), model_or_queryset, *args, **kwargs
        )


@cache
def _segmenting(backend_class: type) -> type:
    return type(f"Segmenting{backend_class.__name__}", (SegmentingMixin, backend_class), {})


def SearchBackend(params):  # noqa: N802 (Wagtail looks this name up in the module)
    params = dict(params)
    inner = params.pop("INNER", DEFAULT_INNER)
    inner_backend = import_string(f"{inner}.SearchBackend")(params)
    return _segmenting(type(inner_backend))(params)
