from django.contrib.syndication.views import Feed
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .enums import PageKind
from .forms import SearchForm
from .search.engine import search
from .search.listing import latest_entries, urls_for


@require_GET
def search_view(request):
    """/search/?q=&type=&year=&page= (P1): Chinese full-text search of the public pages."""
    form = SearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"]:
        data = form.cleaned_data
        results = search(
            q=data["q"], kind=data["type"] or None, year=data["year"], page=data["page"] or 1
        )
        urls = urls_for([hit.page_id for hit in results.hits], request)
        for hit in results.hits:
            hit.url = urls.get(hit.page_id, "")
    return TemplateResponse(
        request,
        "portal/search.html",
        {"form": form, "results": results, "query_string": form.query_string()},
    )


class NoticesFeed(Feed):
    """An Atom feed of the latest notices (通知公告)."""

    feed_type = Atom1Feed
    link = "/"
    limit = 30

    def title(self):
        return _("北京市民政局 通知公告")

    def subtitle(self):
        return _("困难群众精准救助帮扶：最新发布的通知公告和政策文件")

    def __call__(self, request, *args, **kwargs):
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def items(self):
        return latest_entries(kind=PageKind.NOTICE, limit=self.limit, request=self.request)

    def item_title(self, item):
        return f"{item.title}（{item.doc_number}）" if item.doc_number else item.title

    def item_description(self, item):
        return item.text[:300]

    def item_link(self, item):
        return item.url

    def item_pubdate(self, item):
        if item.date is None:
            return None
        return timezone.make_aware(
            timezone.datetime.combine(item.date, timezone.datetime.min.time())
        )

    def item_updateddate(self, item):
        return item.indexed_at
