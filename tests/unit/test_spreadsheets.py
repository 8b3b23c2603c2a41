"""SECURITY E2, E3: spreadsheets in and out (backoffice/spreadsheets.py).

Reading: XLSX and CSV in the encodings Chinese offices save them in; macros, the legacy and
encrypted formats, zip bombs and XML entities refused before anything is parsed; formulas read
as text; caps on size, rows and cells. Writing: what Excel would run as a formula is escaped,
the workbook and the CSV (with its BOM) read back as written.
"""

from __future__ import annotations

import codecs
import io
import time
import zipfile

import openpyxl
import pytest

from backoffice.spreadsheets import (
    Limits,
    SpreadsheetError,
    XlsxWriter,
    cell_text,
    csv_stream,
    table_rows,
    xlsx_stream,
)

HEADERS = ["姓名", "公民身份号码", "调查完成日期"]


def workbook_bytes(rows, *, formula_in=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    if formula_in:
        sheet[formula_in] = "=SUM(1,2)"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(data: bytes, name: str = "名册.xlsx", limits: Limits = Limits()) -> list:
    return list(table_rows(io.BytesIO(data), name=name, limits=limits))


def test_an_xlsx_reads_row_by_row_with_the_row_numbers_excel_shows():
    rows = read(workbook_bytes([["张三", "110101195003080131", "2026-11-20"], [], ["李四"]]))
    assert rows[0] == (1, HEADERS)
    assert rows[1] == (2, ["张三", "110101195003080131", "2026-11-20"])
    assert rows[2] == (4, ["李四"])  # the blank row 3 is skipped, the numbering kept


def test_a_formula_cell_is_read_as_its_text_never_computed():
    rows = read(workbook_bytes([["张三", "1", "2"]], formula_in="A2"))
    assert rows[1][1][0] == "=SUM(1,2)"


def test_numbers_stay_numbers_so_the_rules_can_tell_an_id_excel_rounded():
    rows = read(workbook_bytes([["张三", 110101195003080131, 46346]]))
    assert isinstance(rows[1][1][1], int | float) and rows[1][1][2] == 46346


def test_our_own_formula_escape_reads_back_unescaped():
    rows = read(workbook_bytes([["'=张三", "'+1", "'-2"]]))
    assert rows[1][1] == ["=张三", "+1", "-2"]


@pytest.mark.parametrize("name", ["名册.xlsm", "名册.xlsb", "名册.XLSM"])
def test_macro_enabled_and_binary_workbooks_are_refused_by_name(name):
    with pytest.raises(SpreadsheetError, match="含宏"):
        read(workbook_bytes([]), name=name)


def test_a_workbook_carrying_a_macro_project_is_refused_whatever_its_name():
    data = io.BytesIO(workbook_bytes([["张三", "1", "2"]]))
    with zipfile.ZipFile(data, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\x00" * 100)
    with pytest.raises(SpreadsheetError, match="宏"):
        read(data.getvalue())


def test_the_legacy_and_encrypted_formats_are_refused_with_what_to_do():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    with pytest.raises(SpreadsheetError, match="另存为"):
        read(ole, name="名册.xls")


def test_a_zip_bomb_is_refused_from_its_directory_at_once():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * (200 * 1024 * 1024))
    started = time.perf_counter()
    with pytest.raises(SpreadsheetError, match="压缩炸弹"):
        read(data.getvalue())
    assert time.perf_counter() - started < 2


def test_a_sheet_that_inflates_past_the_limit_is_stopped_while_reading():
    rows = [["张三" * 50, "1", "2"] for _ in range(3000)]
    with pytest.raises(SpreadsheetError, match="过大"):
        read(workbook_bytes(rows), limits=Limits(max_unpacked_bytes=200_000))


def test_xml_entities_and_doctypes_are_refused():
    data = io.BytesIO()
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
        '"&lol;&lol;&lol;&lol;">]><Types>&lol2;</Types>'
    )
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("[Content_Types].xml", bomb)
    with pytest.raises(SpreadsheetError, match="DTD"):
        read(data.getvalue())


def test_more_rows_than_the_cap_are_refused():
    with pytest.raises(SpreadsheetError, match="超过 3 行"):
        read(workbook_bytes([["a", "b", "c"]] * 4), limits=Limits(max_rows=3))


def test_an_oversized_file_is_refused_before_it_is_read():
    with pytest.raises(SpreadsheetError, match="MB"):
        read(workbook_bytes([]), limits=Limits(max_bytes=100))


@pytest.mark.parametrize(
    "encoding, bom",
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("gb18030", b""), ("utf-16", b"")],
)
def test_a_csv_reads_in_the_encodings_excel_saves(encoding, bom):
    text = "姓名,公民身份号码\n张三,110101195003080131\n"
    if encoding == "utf-16":
        text = text.replace(",", "\t")  # Excel's "Unicode text" is tab separated
    rows = read(bom + text.encode(encoding), name="名册.csv")
    assert rows == [(1, ["姓名", "公民身份号码"]), (2, ["张三", "110101195003080131"])]


def test_a_csv_in_no_known_encoding_is_refused_with_what_to_do():
    with pytest.raises(SpreadsheetError, match="UTF-8"):
        read(b"\xff\xfe\xfd" * 10 + b"\x81", name="名册.csv")


@pytest.mark.parametrize("text", ["=1+1", "+86", "-1", "@SUM(A1)", "\t=x"])
def test_e3_what_excel_would_run_as_a_formula_is_escaped(text):
    assert cell_text(text) == "'" + text


def test_the_streamed_workbook_reads_back_with_its_headers_values_and_escapes():
    rows = [["张三", '=HYPERLINK("http://x")', 12], ["<李四&>", "", None]]
    data = b"".join(xlsx_stream("名册", ["姓名", "地址", "数字"], rows))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["姓名", "地址", "数字"]
    assert values[1] == ["张三", '\'=HYPERLINK("http://x")', 12]
    assert values[2][0] == "<李四&>"


def test_a_workbook_of_several_sheets_is_written_into_any_file():
    out = io.BytesIO()
    writer = XlsxWriter(out)
    writer.start_sheet("甲", ["a"])
    writer.write_row(["1"])
    writer.start_sheet("乙/丙", ["b"])
    writer.close()
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["甲", "乙丙"]


def test_the_csv_has_a_bom_for_excel_and_escapes_formulas():
    data = b"".join(csv_stream(["姓名", "备注"], [["张三", "=1+1"]]))
    assert data.startswith(codecs.BOM_UTF8)
    assert data.decode("utf-8-sig").splitlines() == ["姓名,备注", "张三,'=1+1"]
