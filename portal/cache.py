"""The public pages' cache (DESIGN: a published page p95 <= 20 ms).

A page's rendered HTML is kept in Django's cache (Redis in production, shared by every web
node) under a key holding the site's generation, the page and its live revision. Any publish,
unpublish, move, deletion or menu change bumps the generation (portal/signals.py), so menus,
listings and breadcrumbs are never stale; old keys simply age out. A page that leaves the site
at a set moment (an enforcement disclosure) is cached no longer than until then.

The same HTML is also kept under the request's host, path and query, and
`PublishedPageCacheMiddleware` answers a repeat request from there before Wagtail routes it: no
site lookup, no tree walk, no query at all (measured: eight queries per hit without it). Only a
page that Wagtail served in full, with no view restriction (password, login or group), is kept
that way; adding or removing a restriction bumps the generation too (portal/signals.py).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

GENERATION_KEY = "portal:site-generation"


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = int(timezone.now().timestamp() * 1000)  # never reuses an older generation
        cache.add(GENERATION_KEY, value, timeout=None)
        value = cache.get(GENERATION_KEY, value)
    return value


def generation_bump(**_kwargs) -> None:
    """Every cached public page is stale from now on."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not set yet (or evicted): a fresh one is as good
        cache.set(GENERATION_KEY, int(timezone.now().timestamp() * 1000), timeout=None)


def gone_response(request, page) -> HttpResponse:
    """410: the page was public and has left the site by itself (a disclosure's period)."""
    html = render_to_string("portal/gone.html", {"page": page}, request=request)
    return HttpResponse(html, status=410)


PATH_QUERY_MAX = 200  # a longer query string is never answered from the path cache


def path_key(request) -> str | None:
    """The key under which a public GET of this URL may have been kept (None: never kept)."""
    if request.method != "GET" or not settings.PORTAL_PAGE_CACHE_SECONDS:
        return None
    query = request.META.get("QUERY_STRING", "")
    if len(query) > PATH_QUERY_MAX:
        return None
    where = f"{request.get_host()}{request.path}?{query}"
    digest = hashlib.sha1(where.encode(), usedforsecurity=False).hexdigest()
    return f"portal:path:{generation()}:{digest}"


class PublishedPageCacheMiddleware:
    """Answers a repeat public page request from the cache before Wagtail routes it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = path_key(request)
        if key is not None:
            html = cache.get(key)
            if html is not None:
                return HttpResponse(html)
        return self.get_response(request)


def cached_serve(page, request, serve, *args, **kwargs):
    now = timezone.now()
    if not page.is_public_now(now):
        return gone_response(request, page)
    query_keys = set(request.GET)
    if (
        request.method != "GET"
        or getattr(request, "is_preview", False)
        or not query_keys <= page.cache_query_keys
        or not settings.PORTAL_PAGE_CACHE_SECONDS
    ):
        return serve(request, *args, **kwargs)
    query = "&".join(f"{key}={request.GET.get(key, '')[:20]}" for key in sorted(query_keys))
    digest = hashlib.sha1(query.encode(), usedforsecurity=False).hexdigest()[:12]
    key = f"portal:page:{generation()}:{page.pk}:{page.live_revision_id}:{digest}"
    html = cache.get(key)
    if html is not None:
        return HttpResponse(html)
    response = serve(request, *args, **kwargs)
    if response.status_code != 200 or response.streaming:
        return response
    if hasattr(response, "render"):
        response.render()
    timeout = settings.PORTAL_PAGE_CACHE_SECONDS
    until = page.public_until()
    if until is not None:
        timeout = max(1, min(timeout, int((until - now).total_seconds())))
    cache.set(key, response.content, timeout)
    if not page.get_view_restrictions().exists():
        keyed_by_path = path_key(request)
        if keyed_by_path is not None:
            cache.set(keyed_by_path, response.content, timeout)
    return response
