"""PDF rendering (issue 6): autoescaped Django templates in templates/pdf/, set by WeasyPrint.

SECURITY E4: the document may fetch nothing but the project's own static files. Every URL in a
document is resolved against `PDF_BASE_URL`, an origin under the reserved `.invalid` top-level
domain that never resolves, and `StaticOnlyFetcher` serves `<PDF_BASE_URL>/static/...` from the
staticfiles finders. Anything else (http, https elsewhere, file:, data:, ftp:) is refused before
any socket or file is opened, so a case note holding `<img src="http://169.254.169.254/">`
(printed as text anyway, because templates autoescape) can never reach the network.

Rendering failures surface as `PdfRenderError`, whose message is for the user (Chinese);
rendering writes nothing, so the data is untouched and a retry simply renders again.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import mimetypes
import posixpath
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from . import pdf_fonts
from .services.errors import RuleError

logger = logging.getLogger(__name__)

# RFC 2606: `.invalid` never resolves, so even a fetcher bug could not leave the machine.
PDF_BASE_URL = "https://pdf.invalid/"
# What a document may load from the static files: stylesheets, images and fonts.
STATIC_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
}


class PdfRenderError(RuleError):
    """A document could not be rendered. The message is shown to the user; nothing was saved."""

    default_message = _("生成 PDF 失败，档案数据未受影响。请稍后重试；如仍失败，请联系系统管理员。")

    def __init__(self, message: str | None = None):
        super().__init__(str(message or self.default_message))


class PdfResourceRefused(ValueError):
    """E4: a document asked for something other than one of the project's static files."""


def static_path_for(url: str) -> Path:
    """The file behind `url` when it names one of the project's static files, else refuse.

    Accepted: `<PDF_BASE_URL><STATIC_URL>path` (how `{% static %}` paths resolve against the
    document's base URL) and, when STATIC_URL is itself absolute, `<STATIC_URL>path`. The path
    must stay inside the static root (no `..`), have an allowed type and be found by the
    staticfiles finders. Also `<PDF_BASE_URL>pdf-fonts/<name>`, for the generated subset faces
    under PDF_FONT_DIR, by exact file name only.
    """
    static_url = settings.STATIC_URL or "/static/"
    font_prefix = PDF_BASE_URL + pdf_fonts.URL_PREFIX
    if url.startswith(font_prefix):
        # The generated subset faces (backoffice/pdf_fonts.py): exact known names only.
        font = pdf_fonts.font_file(url[len(font_prefix) :])
        if font is None:
            raise PdfResourceRefused(f"PDF 不能引用这个字体文件：{url[:80]}")
        return font
    if "://" in static_url:
        prefixes = (static_url,)
    else:
        prefixes = (PDF_BASE_URL.rstrip("/") + "/" + static_url.lstrip("/"),)
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or parts.username or parts.password or parts.port:
        raise PdfResourceRefused(f"PDF 只能引用本系统的静态文件：{url[:80]}")
    bare = f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}"
    prefix = next((p for p in prefixes if bare.startswith(p)), None)
    if prefix is None:
        raise PdfResourceRefused(f"PDF 只能引用本系统的静态文件：{url[:80]}")
    relative = unquote(bare[len(prefix) :])
    normalized = posixpath.normpath(relative)
    if (
        not relative
        or normalized != relative
        or normalized.startswith(("/", "../"))
        or normalized == ".."
        or "\\" in relative
        or "\x00" in relative
    ):
        raise PdfResourceRefused(f"静态文件路径不合法：{url[:80]}")
    content_type = STATIC_TYPES.get(posixpath.splitext(normalized)[1].lower())
    if content_type is None:
        raise PdfResourceRefused(f"PDF 不能引用这类文件：{url[:80]}")
    found = finders.find(normalized)
    if not found and settings.STATIC_ROOT:
        # Production's manifest storage gives {% static %} the hashed name
        # (document.15e9711504ec.css), which exists only where collectstatic wrote it (issue 19:
        # found by the cluster test, whose plans printed without their stylesheet).
        collected = Path(settings.STATIC_ROOT) / normalized
        found = str(collected) if collected.is_file() else None
    if not found:
        raise PdfResourceRefused(f"找不到静态文件：{normalized}")
    return Path(found)


class StaticOnlyFetcher(URLFetcher):
    """WeasyPrint's fetcher, narrowed to the project's static files (SECURITY E4).

    `fetch` never calls the parent's network code: it answers from the staticfiles finders or
    raises `PdfResourceRefused`. WeasyPrint logs a refused resource and renders without it.
    """

    def __init__(self):
        super().__init__(
            timeout=1, allowed_protocols=("https",), allow_redirects=False, fail_on_errors=False
        )

    def fetch(self, url, headers=None):
        path = static_path_for(url)
        content_type = STATIC_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path)[0]
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type or ""}
        )


def html_render(template_name: str, context: dict) -> str:
    """The document's HTML: a Django template with autoescaping on (never `|safe` user text).

    `pdf_font_faces` are the pre-subset faces that are built (pdf_fonts.py); base.html declares
    them with @font-face, and document.css lists each before its full system face."""
    return render_to_string(template_name, {**context, "pdf_font_faces": pdf_fonts.font_faces()})


_thread = threading.local()


def _thread_font_config() -> FontConfiguration:
    """One font configuration per thread, reused by every document it renders: fontconfig's
    set-up and Pango's font cache are built once, not for each PDF (about 10% of a plan)."""
    config = getattr(_thread, "font_config", None)
    if config is None:
        config = _thread.font_config = FontConfiguration()
    return config


_gc_lock = threading.Lock()
_gc_pauses = 0


@contextlib.contextmanager
def gc_paused():
    """No cyclic garbage collection while WeasyPrint works.

    Layout creates hundreds of thousands of short-lived objects, so the collector runs again
    and again over everything alive (in a batch chunk, every document laid out so far): a
    fifth of the CPU time of a batch, a tenth of a single plan. Reference counting still frees
    almost everything at once; the few cycles wait until the collector is back on. Nested and
    concurrent renders (threads) share one count, so the last one to finish turns it back on.
    """
    global _gc_pauses
    with _gc_lock:
        if _gc_pauses == 0:
            was_enabled = gc.isenabled()
            gc.disable()
            _gc_pauses = -1 if not was_enabled else 1
        elif _gc_pauses > 0:
            _gc_pauses += 1
        else:
            _gc_pauses -= 1
    try:
        yield
    finally:
        with _gc_lock:
            if _gc_pauses > 0:
                _gc_pauses -= 1
                if _gc_pauses == 0:
                    gc.enable()
            else:
                _gc_pauses += 1  # the collector was off before: leave it off


def html_layout(html: str, *, font_config: FontConfiguration | None = None) -> Document:
    """Lay out one document (pages with their own "第 X 页 / 共 Y 页")."""
    try:
        return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=StaticOnlyFetcher()).render(
            font_config=font_config or _thread_font_config()
        )
    except Exception as exc:  # WeasyPrint raises many types; the user needs one message
        logger.exception("PDF layout failed")
        raise PdfRenderError from exc


def documents_write(documents: Sequence[Document], target=None) -> bytes | None:
    """One PDF of the pages of `documents`, in order (metadata from the first)."""
    try:
        pages = [page for document in documents for page in document.pages]
        return documents[0].copy(pages).write_pdf(target)
    except Exception as exc:
        logger.exception("PDF writing failed")
        raise PdfRenderError from exc


def pdf_from_html(html: str) -> bytes:
    with gc_paused():
        return documents_write([html_layout(html)])


def pdf_from_template(template_name: str, context: dict) -> bytes:
    return pdf_from_html(html_render(template_name, context))


def pdf_merge_templates(items: Iterable[tuple[str, dict]], target, *, on_document=None) -> int:
    """Lay out each (template, context) as its own document and write them as ONE PDF.

    Each document keeps its own page numbering ("第 X 页 / 共 Y 页" of that household); one
    font configuration serves them all, so fonts are loaded and subset once for the file.
    `on_document()` is called after each document. Returns the number of pages.
    """
    font_config = FontConfiguration()
    documents = []
    with gc_paused():  # the chunk's documents stay alive until written: no collector passes
        for template_name, context in items:
            html = html_render(template_name, context)
            documents.append(html_layout(html, font_config=font_config))
            if on_document is not None:
                on_document()
        if not documents:
            raise PdfRenderError(_("没有可打印的档案。"))
        documents_write(documents, target)
        return sum(len(document.pages) for document in documents)


def pdf_files_concatenate(paths: Sequence[str | Path], target, *, title: str = "") -> None:
    """Concatenate finished PDF files (the chunks of a batch) into `target`, outlines kept."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    try:
        for path in paths:
            writer.append(str(path))
        writer.add_metadata({"/Title": title, "/Producer": "WeasyPrint, pypdf"})
        writer.write(target)
    except Exception as exc:
        logger.exception("PDF concatenation failed")
        raise PdfRenderError from exc
    finally:
        writer.close()
