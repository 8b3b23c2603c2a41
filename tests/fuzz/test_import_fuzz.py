"""Issue 19, item 5: the import parsers (backoffice/spreadsheets.py) and the roster check under
hostile files.

The reader's contract: a file yields rows (numbered, cells of text or numbers) or is refused
with SpreadsheetError and a Chinese message; no other exception, whatever the bytes. Through
the import itself: a checked upload ends "invalid" or "preview", never "failed" (the page that
says an error happened on our side), and the ledger is untouched.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import os
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice.enums import RosterImportStatus
from backoffice.models import Household, Person, RosterImport
from backoffice.services import exchange
from backoffice.spreadsheets import Limits, SpreadsheetError, table_rows
from intake.models import Report
from tests.conftest import as_actor
from tests.fuzz.strategies import ID_NUMBERS, PHONES, hostile_text
from tests.integration.exchange import SURVEY, survey_row

# The reader alone takes milliseconds a file: it gets many more examples than the pages.
PARSER_EXAMPLES = max(150, int(os.environ.get("FUZZ_EXAMPLES") or 0))
SMALL = Limits(max_rows=500, max_columns=60, max_cell_chars=2000)
ENCODINGS = [
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-32",
    "gb18030",
    "gbk",
    "big5",
    "shift_jis",
    "latin-1",
    "cp1252",
]


def read_all(data: bytes, name: str) -> list:
    """Every row, or the refusal; any other exception fails the test."""
    try:
        rows = list(table_rows(io.BytesIO(data), name=name, limits=SMALL))
    except SpreadsheetError as refusal:
        assert refusal.message and not refusal.message.isascii()  # said in Chinese
        return []
    for number, cells in rows:
        assert isinstance(number, int)
        assert cells and all(isinstance(cell, str | int | float) for cell in cells)
    return rows


CELLS = st.one_of(hostile_text(30), ID_NUMBERS, PHONES)
TABLES = st.lists(st.lists(CELLS, max_size=8), max_size=12)


def csv_bytes(table: list[list[str]], encoding: str, delimiter: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(table)
    return out.getvalue().encode(encoding, errors="replace")


@settings(max_examples=PARSER_EXAMPLES)
@given(
    table=TABLES,
    encoding=st.sampled_from(ENCODINGS),
    delimiter=st.sampled_from([",", "\t", ";"]),
    name=st.sampled_from(["名册.csv", "名册.txt", "名册", "名册.CSV", "x.xlsx"]),
)
def test_csv_in_any_encoding_is_read_or_refused(table, encoding, delimiter, name):
    read_all(csv_bytes(table, encoding, delimiter), name)


@settings(max_examples=PARSER_EXAMPLES)
@given(data=st.binary(max_size=2000), name=st.sampled_from(["a.csv", "a.xlsx", "a", "a.txt"]))
def test_random_bytes_are_read_or_refused(data, name):
    read_all(data, name)


# Cells a person types: whatever the alphabet, a CSV saved as UTF-8 (BOM or not) or GB18030
# reads back as written (trimmed, blank rows and trailing empty cells dropped).
PLAIN = st.text(
    st.characters(categories=("L", "N", "Zs", "P", "S"), exclude_characters="'\t\"\u3000\x85\xa0"),
    max_size=12,
)


@settings(max_examples=PARSER_EXAMPLES)
@given(
    table=st.lists(st.lists(PLAIN, min_size=1, max_size=6), min_size=1, max_size=8),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030"]),
)
def test_a_csv_reads_back_what_was_written(table, encoding):
    if encoding == "gb18030" and any(ch > "\uffff" for row in table for cell in row for ch in cell):
        encoding = "utf-8"  # GB18030 covers them too, but keep the case simple
    data = csv_bytes(table, encoding, ",")
    expected = []
    for row in table:
        cells = [cell.strip() for cell in row]
        while cells and cells[-1] == "":
            cells.pop()
        if cells:
            expected.append(cells)
    rows = list(table_rows(io.BytesIO(data), name="名册.csv", limits=SMALL))
    assert [cells for _number, cells in rows] == expected


# XLSX-ish zips --------------------------------------------------------------------------------


def _workbook() -> dict[str, bytes]:
    book = openpyxl.Workbook()
    book.active.append(SURVEY)
    book.active.append(["赵桂兰", "110101194104020771", "=1+1", 3.5, None, "多福巷"])
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


PARTS = _workbook()
XML_NOISE = st.sampled_from(
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b"<x><y></x>",
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="a"><c r="1" t="s"><v>99</v></c><c r="a1"><v>1</v></c>'
        b'<c r="ZZZZZZZZ1"><v>1</v></c><c t="s"><v>x</v></c></row></sheetData></worksheet>',
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="99999999999999999999"><c r="A1" t="b"><v>1</v></c>'
        b'<c r="B1"><f>SUM(A1)</f><v>1e400</v></c><c r="C1" t="inlineStr"><is><t>\xe4\xb8\xad'
        b"</t></is></c></row></sheetData></worksheet>",
        b"",
        b"\x00" * 50,
    ]
)


def _mutate(data: bytes, cut: int, flips: list[tuple[int, int]]) -> bytes:
    data = bytearray(data[: max(0, len(data) - cut)] if cut else data)
    for position, value in flips:
        if data:
            data[position % len(data)] = value
    return bytes(data)


MUTATION = st.tuples(
    st.integers(0, 400), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4)
)


@st.composite
def xlsx_like(draw) -> bytes:
    names = draw(
        st.lists(st.sampled_from(sorted(PARTS) + ["xl/vbaProject.bin", "xl/x.xml"]), unique=True)
    )
    out = io.BytesIO()
    method = draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]))
    with zipfile.ZipFile(out, "w", method) as archive:
        for name in names:
            body = PARTS.get(name, b"<x/>")
            choice = draw(st.integers(0, 3))
            if choice == 1:
                body = draw(XML_NOISE)
            elif choice == 2:
                cut, flips = draw(MUTATION)
                body = _mutate(body, cut, flips)
            archive.writestr(name, body)
    data = out.getvalue()
    if draw(st.booleans()):  # the zip itself damaged: its directory, a header, a CRC
        cut, flips = draw(MUTATION)
        data = _mutate(data, cut, flips)
    return data


@settings(max_examples=PARSER_EXAMPLES)
@given(data=xlsx_like(), name=st.sampled_from(["名册.xlsx", "名册.csv", "名册.xlsm"]))
def test_broken_workbooks_are_read_or_refused(data, name):
    read_all(data, name)


@settings(max_examples=PARSER_EXAMPLES)
@given(mutation=MUTATION)
def test_a_real_workbook_damaged_anywhere_is_read_or_refused(mutation):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in PARTS.items():
            archive.writestr(name, body)
    read_all(_mutate(out.getvalue(), *mutation), "名册.xlsx")


# Through the import: upload, check; the ledger untouched ---------------------------------------


def ledger_counts() -> tuple[int, int, int]:
    return Person.objects.count(), Household.objects.count(), Report.objects.count()


ROWS = st.lists(
    st.builds(
        lambda name, id_number, phone, address: survey_row(
            name, id_number, phone=phone, address=address
        ),
        hostile_text(20),
        ID_NUMBERS,
        PHONES,
        hostile_text(40),
    ),
    min_size=1,
    max_size=4,
)


@pytest.mark.usefixtures("areas")
@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES") or 15))  # an upload and a check each
@given(
    rows=ROWS,
    form=st.sampled_from(["xlsx", "utf-8-sig", "gb18030", "utf-16"]),
)
def test_a_hostile_roster_is_checked_to_invalid_or_preview_never_failed(demo_users, rows, form):
    if form == "xlsx":
        book = openpyxl.Workbook()
        book.active.append(SURVEY)
        for row in rows:
            # openpyxl refuses control characters itself; the file keeps what it can carry
            book.active.append([_xml_safe(cell) for cell in row])
        out = io.BytesIO()
        book.save(out)
        data, name = out.getvalue(), "名册.xlsx"
    else:
        data, name = csv_bytes([SURVEY, *rows], form, ","), "名册.csv"
    if form == "utf-8-sig":
        assert data.startswith(codecs.BOM_UTF8)
    before = ledger_counts()
    roster_import = exchange.roster_import_create(
        actor=as_actor(demo_users["street"]),
        kind="survey",
        upload=SimpleUploadedFile(name, data),
        name=name,
        queue=False,
    )
    checked = exchange.roster_import_check(import_id=roster_import.pk)
    assert checked.status in {RosterImportStatus.INVALID, RosterImportStatus.PREVIEW}, (
        checked.status,
        checked.error,
    )
    assert ledger_counts() == before
    RosterImport.objects.filter(pk=roster_import.pk).delete()


def _xml_safe(value: str) -> str:
    return "".join(ch for ch in value if ch in "\t\n\r" or ch >= " ")[:2000]


# What the fuzzer found, kept as plain examples ------------------------------------------------

SHEET = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>%s</sheetData></worksheet>"
)


def _with_sheet(rows_xml: bytes, shared: bytes | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in PARTS.items():
            sheet = name == "xl/worksheets/sheet1.xml"
            archive.writestr(name, SHEET % rows_xml if sheet else body)
        if shared is not None:
            archive.writestr("xl/sharedStrings.xml", shared)
    return out.getvalue()


def _rows(data: bytes) -> list:
    return list(table_rows(io.BytesIO(data), name="名册.xlsx", limits=SMALL))


def test_a_cell_without_column_letters_is_the_next_cell():
    xml = b'<row r="1"><c r="A1"><v>1</v></c><c r="b1"><v>2</v></c><c r="7"><v>3</v></c></row>'
    assert _rows(_with_sheet(xml)) == [(1, [1, 2, 3])]


def test_a_row_number_in_other_digits_counts_on():
    xml = b'<row r="\xc2\xb2"><c r="A1"><v>1</v></c></row><row><c r="A2"><v>2</v></c></row>'
    assert _rows(_with_sheet(xml)) == [(1, [1]), (2, [2])]


def test_a_negative_shared_string_index_is_damage_not_the_last_string():
    xml = b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>-1</v></c></row>'
    shared = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>\xe5\xa7\x93\xe5\x90\x8d</t></si></sst>"
    )
    first = b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    assert _rows(_with_sheet(first, shared)) == [(1, ["姓名"])]
    with pytest.raises(SpreadsheetError, match="共享字符串"):
        _rows(_with_sheet(xml, shared))


def test_a_zip_whose_local_header_disagrees_with_its_directory_is_refused():
    data = bytearray(_with_sheet(b'<row r="1"><c r="A1"><v>1</v></c></row>'))
    header = data.index(b"xl/workbook.xml")  # the first local header naming it
    data[header] = 0
    with pytest.raises(SpreadsheetError, match="工作簿已损坏"):
        _rows(bytes(data))


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_reader_dropped_after_its_file_closed_stays_quiet():
    """The roster check stops reading at a bad header and closes the upload; the reader,
    collected later, raised ValueError from its `finally` (printed as ignored)."""
    upload = io.BytesIO("姓名,公民身份号码\n张三,1\n李四,2\n".encode())
    rows = table_rows(upload, name="名册.csv", limits=SMALL)
    assert next(rows) == (1, ["姓名", "公民身份号码"])
    upload.close()
    del rows
    gc.collect()
