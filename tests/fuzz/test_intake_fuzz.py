"""Issue 19, item 5: the public report form and the status lookup under hostile input.

Whatever arrives (huge strings, control characters, NULs, mixed scripts, bad ID numbers and
phones, other character sets, broken multipart bodies), the answer is a page, never a server
error, and a refused report writes nothing: no report, consent, attachment or outbox row.
The client raises any exception a view lets escape, so an unhandled one fails the test too.
"""

from __future__ import annotations

import io
import os
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from intake.models import Attachment, ConsentRecord, Notification, Report
from intake.services import lookup_code_for
from tests.fuzz.strategies import ID_NUMBERS, PHONES, hostile_text
from tests.intake.conftest import report_data

pytestmark = pytest.mark.usefixtures("no_rate_limits", "areas")

# The answers a refusal may take: the form again (200), too large (413), already sent (409),
# a request Django refuses to read (400: too many fields, a broken body).
REFUSED = {200, 400, 409, 413}
TEXT_FIELDS = [
    "reporter_name",
    "proxy_organisation",
    "entrustment_statement",
    "subject_name",
    "address",
    "what_happened",
    "help_needed",
    "benefits_received",
    "guardian_name",
    "website",
    "reporter_type",
    "subtype",
    "district",
    "street",
    "community",
    "form_token",
    "consent",
    "urgency_reasons",
]


def counts() -> tuple[int, int, int, int]:
    return (
        Report.objects.count(),
        ConsentRecord.objects.count(),
        Attachment.objects.count(),
        Notification.objects.count(),
    )


def check_outcome(response, before) -> None:
    """Accepted: one report with what belongs to it, its files stored. Refused: nothing."""
    assert response.status_code != 500
    if response.status_code == 302:
        assert response["Location"].startswith("/report/receipt/")
        after = counts()
        assert after[0] == before[0] + 1
        report = Report.objects.order_by("-pk").first()
        for attachment in Attachment.objects.filter(report=report):
            assert attachment.file.storage.exists(attachment.file.name)
    else:
        assert response.status_code in REFUSED, response.status_code
        assert counts() == before


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, format="PNG")
    return out.getvalue()


PNG = png()
FILE_BODIES = st.one_of(
    st.binary(max_size=300),
    st.just(PNG),
    st.binary(max_size=200).map(lambda junk: PNG[:40] + junk),  # a PNG cut and patched
    st.binary(max_size=200).map(lambda junk: b"%PDF-1.7\n" + junk),
    st.binary(max_size=200).map(lambda junk: b"\xff\xd8\xff\xe0" + junk),
    st.just(b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"),
)
FILE_NAMES = st.one_of(
    st.sampled_from(["证明.png", "a.pdf", "../../x.png", "x\x00.png", "", ".", "a" * 300 + ".jpg"]),
    hostile_text(40),
)


def _sendable(name: str) -> str:
    """Django's test client refuses to send a file named "", "." or ".." (the raw-body test
    below sends such names itself)."""
    return name if os.path.basename(name) not in {"", ".", ".."} else "x"


FILES = st.lists(
    st.builds(
        lambda name, body, content_type: SimpleUploadedFile(_sendable(name), body, content_type),
        FILE_NAMES,
        FILE_BODIES,
        st.sampled_from(["image/png", "application/pdf", "text/html", "", "\x00/\x00"]),
    ),
    max_size=3,
)


@given(
    overrides=st.dictionaries(st.sampled_from(TEXT_FIELDS), hostile_text(), max_size=6),
    id_number=st.one_of(st.none(), ID_NUMBERS),
    phones=st.tuples(st.one_of(st.none(), PHONES), st.one_of(st.none(), PHONES)),
    files=FILES,
    entrustment=st.one_of(st.none(), FILES.map(lambda files: files[:1])),
)
def test_the_report_form_answers_hostile_fields_with_a_page(
    db, overrides, id_number, phones, files, entrustment
):
    client = Client()
    data = report_data(**overrides)
    if id_number is not None:
        data["subject_id_number"] = id_number
    if phones[0] is not None:
        data["reporter_phone"] = phones[0]
    if phones[1] is not None:
        data["subject_phone"] = phones[1]
    if files:
        data["supporting_files"] = files
    if entrustment:
        data["entrustment_file"] = entrustment[0]
    before = counts()
    response = client.post("/report/", data)
    check_outcome(response, before)


def test_the_unchanged_fixture_is_accepted(db, no_rate_limits, areas):
    """The fuzzer's starting point files a report: the refusals above are the input's."""
    before = counts()
    response = Client().post("/report/", report_data())
    assert response.status_code == 302
    assert counts()[0] == before[0] + 1


CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=B",
            'multipart/form-data; boundary="B"; charset=utf-8',
            "multipart/form-data; boundary=B; charset=gbk",
            "multipart/mixed; boundary=B",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=gb18030",
            "application/x-www-form-urlencoded; charset=no-such-charset",
            "application/x-www-form-urlencoded; charset=utf-16",
            "text/plain",
            "application/json",
            "",
        ]
    ),
    st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=60),
)


def _part(name: str, value: bytes, filename: str | None, content_type: str | None) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"Content-Disposition: {disposition}\r\n"
    if content_type is not None:
        head += f"Content-Type: {content_type}\r\n"
    return b"--B\r\n" + head.encode("utf-8", "replace") + b"\r\n" + value + b"\r\n"


PARTS = st.lists(
    st.builds(
        _part,
        st.one_of(
            st.sampled_from(["subject_name", "supporting_files", "form_token"]), hostile_text(20)
        ),
        st.one_of(st.binary(max_size=120), hostile_text(40).map(lambda t: t.encode("utf-8"))),
        st.one_of(st.none(), FILE_NAMES),
        st.one_of(st.none(), st.sampled_from(["image/png", "text/plain; charset=gbk", "x"])),
    ),
    max_size=6,
)
BODIES = st.one_of(
    st.binary(max_size=400),
    PARTS.map(lambda parts: b"".join(parts) + b"--B--\r\n"),
    PARTS.map(lambda parts: b"".join(parts)),  # never closed
    st.tuples(PARTS, st.integers(0, 200)).map(lambda t: (b"".join(t[0]) + b"--B--\r\n")[: t[1]]),
    hostile_text(200).map(lambda text: text.encode("gb18030", "replace")),
    hostile_text(200).map(lambda text: text.encode("utf-16")),
    st.integers(401, 1200).map(lambda n: "&".join(f"f{i}=1" for i in range(n)).encode()),
)


@given(content_type=CONTENT_TYPES, body=BODIES, csrf=st.booleans())
def test_the_report_form_answers_broken_bodies_with_a_page(db, content_type, body, csrf):
    client = Client(enforce_csrf_checks=csrf)
    before = counts()
    response = client.generic("POST", "/report/", data=body, content_type=content_type)
    assert response.status_code != 500
    assert response.status_code in REFUSED | {403}, response.status_code
    assert counts() == before


REFERENCES = st.one_of(
    st.from_regex(r"\ABJ[0-9]{6}-[A-Z0-9]{4}-[A-Z0-9]{4}\Z"),
    st.from_regex(r"\A[bB][jJ][ -]?[0-9]{0,8}-?[a-zA-Z0-9]{0,5}-?[a-zA-Z0-9]{0,5}\Z"),
    hostile_text(40),
)
CODES = st.one_of(st.from_regex(r"\A[0-9 ]{0,12}\Z"), hostile_text(20))


@given(reference=REFERENCES, code=CODES, method=st.sampled_from(["post", "get"]))
def test_the_status_lookup_never_fails_nor_answers_a_wrong_code(db, reference, code, method):
    client = Client()
    before = counts()
    send = client.post if method == "post" else client.get
    response = send("/report/status/", {"reference": reference, "code": code})
    assert response.status_code == 200
    html = response.content.decode()
    assert "已受理</p>" not in html  # no progress shown for a code nobody was given
    assert counts() == before


def test_the_status_lookup_still_answers_the_right_code(db, no_rate_limits, areas):
    Client().post("/report/", report_data(form_token=str(uuid.uuid4())))
    report = Report.objects.get()
    code = lookup_code_for(report.reference)
    response = Client().post("/report/status/", {"reference": report.reference, "code": code})
    assert "已受理" in response.content.decode()


@given(
    params=st.dictionaries(
        st.sampled_from(["q", "type", "year", "page", "district", "street"]),
        hostile_text(80),
        max_size=4,
    ),
    path=st.sampled_from(["/search/", "/report/areas/", "/report/", "/report/status/"]),
)
def test_public_pages_answer_hostile_query_strings(db, params, path):
    response = Client().get(path, params)
    assert response.status_code in {200, 400, 404}, response.status_code


def test_a_png_with_a_non_ascii_chunk_is_refused_with_the_broken_image_message(
    db, no_rate_limits, areas, monkeypatch
):
    """Found by the fuzzer: WeasyPrint (imported for the PDFs) turns on Pillow's
    LOAD_TRUNCATED_IMAGES for the whole process; Pillow then reads a chunk type that is not
    ASCII and raises UnicodeDecodeError, which was a server error."""
    import struct

    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    chunk = struct.pack(">I", 4) + b"a\x80bc" + b"data" + struct.pack(">I", 0)
    broken = SimpleUploadedFile("证明.png", PNG[:33] + chunk + PNG[33:], "image/png")
    before = counts()
    response = Client().post("/report/", report_data(supporting_files=[broken]))
    assert response.status_code == 200
    assert "图片已损坏或格式不正确" in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("field", ["district", "street"])
def test_an_area_code_with_a_nul_gets_the_form_back(db, no_rate_limits, areas, field):
    """Found by the fuzzer on PostgreSQL: the sent district or street was looked up as it came
    (to list the streets or communities under it), and a NUL in it was a server error."""
    before = counts()
    response = Client().post("/report/", report_data(**{field: "1101010\x0001000"}))
    assert response.status_code == 200
    assert "请选择" in response.content.decode()
    assert counts() == before
