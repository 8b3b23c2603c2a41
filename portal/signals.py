"""Keeping the public index and the page cache in step with what is published (P1).

Wagtail tells when a page is published (by an approved workflow, a reviewer, the scheduler or
`import_pages`), unpublished, moved or deleted; the public index follows and every cached page
becomes stale. Wagtail's own search index follows the same events by itself.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from .cache import generation_bump


def _published(sender, instance, **kwargs):
    from .search.index import page_index

    page_index(instance)
    generation_bump()


def _unpublished(sender, instance, **kwargs):
    from .search.index import page_unindex

    page_unindex(instance.pk)
    generation_bump()


def _moved(sender, instance, **kwargs):
    from .search.index import subtree_reindex

    subtree_reindex(instance)
    generation_bump()


def _restriction_changed(sender, instance, **kwargs):
    from .search.index import subtree_reindex

    page = Page.objects.filter(pk=instance.page_id).first()
    if page is not None:  # not when the page itself is being deleted
        subtree_reindex(page)
    generation_bump()


def _page_deleted(sender, instance, **kwargs):
    generation_bump()


def connect() -> None:
    from .models import FooterLink, HeaderLink, SiteNavigation

    page_published.connect(_published, dispatch_uid="portal_index_published")
    page_unpublished.connect(_unpublished, dispatch_uid="portal_index_unpublished")
    post_page_move.connect(_moved, dispatch_uid="portal_index_moved")
    post_save.connect(_restriction_changed, sender=PageViewRestriction, dispatch_uid="portal_pvr")
    post_delete.connect(
        _restriction_changed, sender=PageViewRestriction, dispatch_uid="portal_pvr_del"
    )
    post_delete.connect(_page_deleted, sender=Page, dispatch_uid="portal_page_deleted")
    for model in (SiteNavigation, HeaderLink, FooterLink):
        post_save.connect(
            generation_bump, sender=model, dispatch_uid=f"portal_nav_{model.__name__}"
        )
        post_delete.connect(
            generation_bump, sender=model, dispatch_uid=f"portal_nav_del_{model.__name__}"
        )
