"""SECURITY E4: PDF rendering fetches only the project's own static files; the CJK font check.

The fetcher is asked directly for what a hostile case note could smuggle into a document:
the cloud metadata address, local files, data: URLs, other origins, paths that climb out of
the static root. Each is refused before any socket or file is opened.
"""

import socket

import pytest
from weasyprint import HTML

from backoffice import checks
from backoffice.pdf import PDF_BASE_URL, PdfResourceRefused, StaticOnlyFetcher

STYLESHEET = f"{PDF_BASE_URL}static/pdf/document.css"


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test loudly (and is recorded)."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network call attempted: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_e4_the_fetcher_serves_the_documents_stylesheet_from_the_static_files():
    response = StaticOnlyFetcher().fetch(STYLESHEET)
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/",
        "http://127.0.0.1:8000/static/pdf/document.css",
        "https://example.com/static/pdf/document.css",
        "https://pdf.invalid.example.com/static/pdf/document.css",
        "https://user:pw@pdf.invalid/static/pdf/document.css",
        "https://pdf.invalid:8443/static/pdf/document.css",
        "file:///etc/passwd",
        "file:///work/main/static/pdf/document.css",
        "data:image/png;base64,iVBORw0KGgo=",
        "data:text/css,body{}",
        "ftp://pdf.invalid/static/pdf/document.css",
        "https://pdf.invalid/media/private/x.pdf",
        "https://pdf.invalid/static/../portal/settings/base.py",
        "https://pdf.invalid/static/pdf/%2e%2e/%2e%2e/portal/settings/base.py",
        "https://pdf.invalid/static/pdf/..%2f..%2fportal%2fsettings%2fbase.py",
        "https://pdf.invalid/static//etc/passwd",
        "https://pdf.invalid/static/pdf/document.py",
        "https://pdf.invalid/static/pdf/missing.css",
    ],
)
def test_e4_the_fetcher_refuses_everything_but_own_static_files(no_network, url):
    with pytest.raises(PdfResourceRefused):
        StaticOnlyFetcher().fetch(url)
    assert no_network == []


def test_e4_a_document_asking_for_the_metadata_address_renders_without_a_network_call(
    no_network,
):
    html = (
        '<html><body><p>独居老人</p><img src="http://169.254.169.254/latest/meta-data/">'
        '<link rel="stylesheet" href="http://169.254.169.254/x.css"></body></html>'
    )
    pdf = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=StaticOnlyFetcher()).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert no_network == []


def test_a_missing_cjk_font_is_an_error_at_start_up(monkeypatch):
    monkeypatch.setattr(checks, "cjk_font_families", lambda: set())
    ids = [message.id for message in checks.check_pdf_fonts()]
    assert "backoffice.E001" in ids


def test_the_documents_noto_faces_pass_the_font_check(monkeypatch):
    monkeypatch.setattr(
        checks, "cjk_font_families", lambda: {"Noto Serif CJK SC", "Noto Sans CJK SC"}
    )
    assert not [m for m in checks.check_pdf_fonts() if m.id.startswith("backoffice.E")]


def test_another_cjk_font_only_warns_that_the_layout_differs(monkeypatch):
    monkeypatch.setattr(checks, "cjk_font_families", lambda: {"WenQuanYi Zen Hei"})
    messages = checks.check_pdf_fonts()
    assert "backoffice.W001" in [m.id for m in messages]
    assert not [m for m in messages if m.id.startswith("backoffice.E")]


def test_this_machine_has_the_fonts_the_documents_use():
    """make system-deps installs fonts-noto-cjk; without it every PDF prints empty boxes."""
    families = checks.cjk_font_families()
    assert families is not None
    assert set(checks.PDF_FONT_FAMILIES) <= families
