"""Issue 19, item 3: the file store down answers every screen with one clear page.

Whatever a request was doing with a stored file (an upload, a download, a thumbnail), a store
that fails ends it with 503 and a Chinese page: the file store is temporarily unavailable,
what was sent was not saved (for a POST), try again later. Never a traceback, never the
generic 500 page. The failures recognised are:

- `StorageUnavailable`: the private files (SECURITY E1) through `intake.uploads.private_storage`,
  which turns a failure of the store into it for writes, deletes, opens and look-ups;
- a failure of the store itself (`intake.uploads.store_failure`: the disk, the network, the
  S3 service) raised inside a storage backend: Wagtail's images and documents on the
  "default" storage. An OSError raised elsewhere (mail, a socket) is not the file store's
  and stays a 500.

A stored file that is not there (the store answered "no such file") is not a failure of the
store: the answer is the 404 page, not "try again later".

Nothing is half-written by the time this page is shown: the writes that refer to a file come
after the file is stored (FileField saves it before its row is inserted) and the downloads
open their file before they audit it; tests/integration/test_faults.py sweeps every screen.
The public report form keeps its own answer (the form again, with what was typed).
"""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.defaults import page_not_found

from intake.uploads import StorageUnavailable, store_failure

logger = logging.getLogger(__name__)

ADMIN_PREFIX = "/admin/"
# Where the frames of a storage backend come from: Django's (the local disk) and
# django-storages' (the bucket, botocore under it).
STORAGE_MODULES = ("django.core.files.storage", "storages.")
# Heading and first sentence, for a script that asks (Wagtail's multiple upload) and for the
# last resort when no template can be rendered.
TITLE = "文件存储服务暂时不可用"
NOT_SAVED = "您刚才提交的内容没有保存，请稍后重新提交。"
NOT_READ = "文件暂时无法读取，请稍后再试。"
WAGTAIL_MULTIPLE_UPLOADS = frozenset({"wagtailimages:add_multiple", "wagtaildocs:add_multiple"})
# Wagtail's chooser upload views, and the id of the tab their form is in.
WAGTAIL_CHOOSER_UPLOADS = {
    "wagtailimages_chooser:create": "upload",
    "wagtaildocs_chooser:create": "upload",
}
WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _raised_in_storage(exc: BaseException) -> bool:
    traceback = exc.__traceback__
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        if module.startswith(STORAGE_MODULES):
            return True
        traceback = traceback.tb_next
    return False


def storage_failure(exc: BaseException) -> bool:
    """Whether `exc` (or what it was raised from or while handling) is the file store's
    failure."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, StorageUnavailable):
            return True
        if store_failure(exc) and _raised_in_storage(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def missing_file(exc: BaseException) -> bool:
    """Whether `exc` is a stored file that is not there (deleted, lost, never written): the
    store answered, so the page is "not found", not "try later"."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, FileNotFoundError) and _raised_in_storage(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _way_back(request) -> dict:
    """The page the user came from when it is one of ours, else the start page."""
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return {"back": referer, "back_is_previous": True}
    start = ADMIN_PREFIX if request.path.startswith(ADMIN_PREFIX) else "/"
    return {"back": start, "back_is_previous": False}


def storage_unavailable_response(request) -> HttpResponse:
    """The 503 page: in the admin's look under /admin/ for a signed-in user, else the site's."""
    writing = request.method in WRITING_METHODS
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        message = f"{TITLE}：{NOT_SAVED if writing else NOT_READ}"
        # Wagtail's multiple upload shows `error_message` beside the file only in a 200 answer
        # (jQuery inserts it as HTML, hence escaped); on any error status it shows "server
        # error, report this to your administrator" and the code, which is not what happened.
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match else ""
        if view in WAGTAIL_CHOOSER_UPLOADS:
            # A chooser's upload tab: the step "reshow_creation_form" puts the fragment in the
            # tab's place (on an error status the modal shows "server error" and the code).
            fragment = render_to_string(
                "backoffice/includes/storage_unavailable_tab.html",
                {"tab": WAGTAIL_CHOOSER_UPLOADS[view], "title": TITLE},
            )
            return JsonResponse({"step": "reshow_creation_form", "htmlFragment": fragment})
        status = 200 if view in WAGTAIL_MULTIPLE_UPLOADS else 503
        return JsonResponse({"success": False, "error_message": escape(message)}, status=status)
    context = {"writing": writing, **_way_back(request)}
    user = getattr(request, "user", None)
    templates = ["storage_unavailable.html"]
    if request.path.startswith(ADMIN_PREFIX) and user is not None and user.is_authenticated:
        templates.insert(0, "backoffice/storage_unavailable.html")
    for template in templates:
        try:
            return render(request, template, context, status=503)
        except Exception:  # a page that needs the database or a file: the next one
            logger.warning("storage unavailable page %s failed", template, exc_info=True)
    text = (
        f'<!DOCTYPE html><html lang="zh-CN"><meta charset="utf-8"><title>{TITLE}</title>'
        f"<h1>{TITLE}</h1><p>{NOT_SAVED if writing else NOT_READ}</p>"
        f'<p><a href="{escape(context["back"])}">返回</a></p></html>'
    )
    return HttpResponse(text, status=503, content_type="text/html; charset=utf-8")


class StorageDownMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if missing_file(exception):
            logger.warning("stored file missing", exc_info=exception)
            return page_not_found(request, exception)
        if not storage_failure(exception):
            return None
        logger.warning(
            "file store unavailable",
            exc_info=(type(exception), exception, exception.__traceback__),
        )
        response = storage_unavailable_response(request)
        response["Retry-After"] = "60"
        add_never_cache_headers(response)
        return response
