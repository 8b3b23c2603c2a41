"""PDF files for the upload tests (E1): ordinary ones as scanners and phones make them, and
hostile ones as an attacker would write them, with pypdf or by hand, byte by byte.

The hand-made ones matter: pypdf's writer spells names plainly and never packs objects into
object streams, which is exactly what a check of raw bytes would have caught.
"""

from __future__ import annotations

import io
import zlib

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

# A page tree of one page, in the objects 2 and 3, for the hand-made files below.
PAGE_TREE = {
    2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
    4: b"<< /Length 0 >>\nstream\n\nendstream",
}


def _write(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _scan_like(pages: int = 3) -> PdfWriter:
    """Pages, a link on the first (links are accepted), and an opening view (a destination,
    which scanner software writes)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    first = writer.pages[0]
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (50, 50, 200, 80)]),
            NameObject("/A"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/URI"),
                    NameObject("/URI"): TextStringObject("https://www.beijing.gov.cn/"),
                }
            ),
        }
    )
    first[NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    writer.root_object[NameObject("/OpenAction")] = ArrayObject(
        [first.indirect_reference, NameObject("/Fit")]
    )
    return writer


def clean_pdf(pages: int = 3) -> bytes:
    return _write(_scan_like(pages))


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = TextStringObject(value)
    return action


def pdf_with_open_action() -> bytes:
    """Opens a web page as soon as the file is opened (a beacon telling who read it, when)."""
    writer = _scan_like()
    writer.root_object[NameObject("/OpenAction")] = _action("/URI", URI="http://evil.example/")
    return _write(writer)


def pdf_with_page_open_action() -> bytes:
    """/AA: an action run when the second page is shown."""
    writer = _scan_like()
    writer.pages[1][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): _action("/URI", URI="http://evil.example/")}
    )
    return _write(writer)


def pdf_with_embedded_file() -> bytes:
    writer = _scan_like()
    writer.add_attachment("发票.exe", b"MZ\x90\x00 a program")
    return _write(writer)


def pdf_with_launch_link() -> bytes:
    """A link that starts a program: /Launch, in an annotation's action."""
    writer = _scan_like()
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(n) for n in (0, 0, 595, 842)]),
            NameObject("/A"): _action("/Launch", F="C:\\Windows\\System32\\cmd.exe"),
        }
    )
    writer.pages[2][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    return _write(writer)


def pdf_from_objects(objects: dict[int, bytes]) -> bytes:
    """A PDF written by hand: objects as given (1 is the catalog), a cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    size = max(objects) + 1
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += (
            b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 00001 f \n"
        )
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref_at)
    return bytes(out)


def pdf_with_object_stream(plain: dict[int, bytes], packed: dict[int, bytes]) -> bytes:
    """A PDF 1.5 written by hand: `packed` objects go into one compressed object stream
    (/ObjStm, deflated, so their names never appear in the file's bytes), the others are
    written plainly; a cross-reference stream lists both."""
    header, body = [], b""
    for number, source in packed.items():
        header.append(b"%d %d" % (number, len(body)))
        body += source + b"\n"
    index = b" ".join(header) + b"\n"
    stream_number = max(plain | packed) + 1
    xref_number = stream_number + 1
    deflated = zlib.compress(index + body)
    plain = {
        **plain,
        stream_number: b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\n"
        b"stream\n%s\nendstream" % (len(packed), len(index), len(deflated), deflated),
    }
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(plain):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, plain[number])
    offsets[xref_number] = len(out)
    rows = []
    for number in range(xref_number + 1):
        if number in offsets:
            rows.append(b"\x01" + offsets[number].to_bytes(4, "big") + b"\x00\x00")
        elif number in packed:
            position = list(packed).index(number)
            rows.append(b"\x02" + stream_number.to_bytes(4, "big") + position.to_bytes(2, "big"))
        else:
            rows.append(b"\x00" + b"\x00" * 4 + b"\xff\xff")
    table = b"".join(rows)
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\n"
        b"stream\n%s\nendstream\nendobj\n" % (xref_number, xref_number + 1, len(table), table)
    )
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    return bytes(out)
