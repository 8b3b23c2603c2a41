"""The pre-subset GB 2312 faces of the PDFs and their fallback to the full system faces.

Names hold characters outside GB 2312 (朱镕基, 王堃, 刘䶮...). The documents list the subset
face first and the full Noto face after it, so such a character must be drawn from the full
face with its real glyph: never an empty box. Checked on a real PDF: for every character, the
font whose ToUnicode map holds it, and the outline of its glyph in the embedded font program.
"""

from __future__ import annotations

import io
import re

import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from weasyprint.text.fonts import FontConfiguration

from backoffice import pdf_fonts
from backoffice.pdf import (
    PDF_BASE_URL,
    PdfResourceRefused,
    StaticOnlyFetcher,
    documents_write,
    html_layout,
    html_render,
    pdf_from_html,
)

IN_GB2312 = "王李张刘陈秀英建国、。（）：《》〇第页"
OUTSIDE_GB2312 = "堃玥䶮镕喆赟𠇔"


@pytest.fixture(scope="module")
def subset_faces():
    """The faces `make fonts` cuts; cut here when missing (about a minute, once)."""
    for face in pdf_fonts.FACES:
        pdf_fonts.build_face(face)
    pdf_fonts.font_faces.cache_clear()
    assert pdf_fonts.font_faces() == pdf_fonts.FACES
    return pdf_fonts.FACES


def drawn_characters(pdf: bytes) -> dict[str, set[tuple[str, bool]]]:
    """Each character shown in the PDF: the fonts drawing it (base name, whether the glyph
    has ink)."""
    drawn = {}
    reader = PdfReader(io.BytesIO(pdf))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    for base_name, font in fonts.items():
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        program = TTFont(io.BytesIO(descriptor["/FontFile3"].get_object().get_data()))
        glyph_set, order = program.getGlyphSet(), program.getGlyphOrder()
        cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
        for gid, utf16 in re.findall(r"<([0-9a-f]{4})> <([0-9a-f]+)>", cmap):
            text = bytes.fromhex(utf16).decode("utf-16-be")
            gid = int(gid, 16)
            inked = False
            if gid < len(order):
                pen = BoundsPen(glyph_set)
                glyph_set[order[gid]].draw(pen)
                inked = pen.bounds is not None
            drawn.setdefault(text, set()).add((base_name.split("+", 1)[-1], inked))
    return drawn


def test_the_subset_holds_gb2312_and_the_punctuation_but_not_the_rarer_characters():
    codepoints = pdf_fonts.subset_codepoints()
    assert {ord(c) for c in IN_GB2312 + "ABCxyz0129-—“”"} <= codepoints
    assert not {ord(c) for c in OUTSIDE_GB2312} & codepoints
    assert 7000 < len(codepoints) < 9000


def test_characters_outside_the_subset_are_drawn_from_the_full_face_never_as_boxes(
    subset_faces,
):
    names = f"{IN_GB2312}{OUTSIDE_GB2312}"
    html = html_render("pdf/base.html", {"station": names, "title": f"个案帮扶方案{names}"})
    assert "@font-face" in html
    drawn = drawn_characters(pdf_from_html(html))
    for character in IN_GB2312 + OUTSIDE_GB2312:
        assert character in drawn, character
        for font, inked in drawn[character]:
            assert inked, f"{character} printed without a glyph in {font}"
    # The body (serif) and the title (sans bold) each take GB 2312 from their subset face
    # and the rest from their full system face.
    for character in IN_GB2312:
        assert {font for font, _inked in drawn[character]} == {
            "Ledger-Serif-GB",
            "Ledger-Sans-GB-Bold",
        }, character
    for character in OUTSIDE_GB2312:
        assert {font for font, _inked in drawn[character]} == {
            "Noto-Serif-CJK-SC",
            "Noto-Sans-CJK-SC-Bold",
        }, character


def test_without_the_subset_faces_the_documents_use_the_system_faces(monkeypatch):
    monkeypatch.setattr(pdf_fonts, "font_faces", lambda: ())
    html = html_render("pdf/base.html", {"station": "王堃", "title": "个案帮扶方案"})
    assert "@font-face" not in html
    # A fresh font configuration: this thread's own one already knows the subset faces.
    document = html_layout(html, font_config=FontConfiguration())
    drawn = drawn_characters(documents_write([document]))
    assert drawn["王"] == {("Noto-Serif-CJK-SC", True)}
    assert drawn["堃"] == {("Noto-Serif-CJK-SC", True)}


def test_e4_the_fetcher_serves_only_the_generated_faces_by_their_exact_names(subset_faces):
    face = subset_faces[0]
    response = StaticOnlyFetcher().fetch(f"{PDF_BASE_URL}{face.url_path}")
    assert response.content_type == "font/otf"
    for name in (
        "missing.otf",
        f"{face.filename}.json",
        f"./{face.filename}",
        f"../fonts/{face.filename}",
        f"%2e%2e/{face.filename}",
        "../db.sqlite3",
        "../../portal/settings/base.py",
        f"{face.filename}?x=1",
    ):
        with pytest.raises(PdfResourceRefused):
            StaticOnlyFetcher().fetch(f"{PDF_BASE_URL}{pdf_fonts.URL_PREFIX}{name}")
    with pytest.raises(PdfResourceRefused):
        StaticOnlyFetcher().fetch(f"http://pdf.invalid/{face.url_path}")


def test_the_collector_is_paused_while_rendering_and_back_on_after(monkeypatch):
    import gc

    from backoffice import pdf

    seen = []
    layout = pdf.html_layout
    monkeypatch.setattr(
        pdf, "html_layout", lambda *a, **k: seen.append(gc.isenabled()) or layout(*a, **k)
    )
    assert gc.isenabled()
    with pdf.gc_paused():
        assert pdf.pdf_from_html("<p>王</p>").startswith(b"%PDF")  # nested
        assert not gc.isenabled()
    assert seen == [False]
    assert gc.isenabled()
    with pytest.raises(PdfResourceRefused), pdf.gc_paused():
        raise PdfResourceRefused("x")
    assert gc.isenabled()
