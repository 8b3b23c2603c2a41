"""Spreadsheets in and out (SECURITY E2, E3): the file formats, nothing about the ledger.

Reading (`table_rows`): XLSX and CSV (UTF-8 with or without BOM, GB18030, or Excel's UTF-16
"Unicode text"), one table, row by row, so a 100,000-row roster never sits in memory whole.
- Refused before anything is parsed: the legacy and encrypted Excel formats, `.xlsm`/`.xlsb`
  and anything carrying a macro project, a file over the size limit, a zip whose entries
  claim more than MAX_UNPACKED_BYTES or a compression ratio above MAX_RATIO (a zip bomb is
  refused from its directory, in milliseconds); the bytes actually inflated are counted too,
  since a directory can lie.
- XML is parsed by expat with any document type declaration refused, so no entity can be
  declared, expanded or fetched (what defusedxml does; openpyxl uses defusedxml too, for the
  templates). openpyxl's reader is not used: it read 100,000 rows in 43 s on this machine,
  expat callbacks in 6 s.
- A formula cell is read as its formula text ("=SUM(A1:A3)"), never computed; numbers stay
  numbers (the ledger rules decide what a number in an ID column means); dates stay Excel's
  serial numbers. A cell the bureau's own export escaped ('=...) reads back unescaped.
- Caps on rows, columns and cell length.

Writing (`XlsxWriter`, `csv_stream`): streamed. XLSX parts are written straight into a zip
(inline strings, no shared-string table held in memory), so a 100,000-row export goes out as
it is produced; openpyxl's write-only mode took 25 s for that and keeps nothing streamed.
Every text cell passes `cell_text`, which escapes what Excel would run as a formula (E3).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from xml.parsers import expat

from .services.errors import RuleError

MAX_UPLOAD_BYTES = 30 * 1024 * 1024
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
MAX_RATIO = 120  # text XML deflates ~10:1; a bomb deflates 1000:1 and more
MAX_ZIP_ENTRIES = 2000
MAX_ROWS = 200_000
MAX_COLUMNS = 60
MAX_CELL_CHARS = 2000

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# E3: what a spreadsheet program takes for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


BROKEN = "工作簿内容已损坏，无法读取，请在 Excel 中重新保存后上传。"
MACROS = "不接受含宏或二进制格式的工作簿（.xlsm、.xlsb），请另存为 .xlsx 后上传。"
UNREADABLE_TEXT = "文件中有无法识别的字符，请另存为 UTF-8 编码的 CSV 后上传。"
BAD_CSV = "CSV 文件格式有误（引号不配对或单元格过长），请检查后上传。"


class SpreadsheetError(RuleError):
    """The file cannot be read as a roster; the message says why, in Chinese."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = MAX_UPLOAD_BYTES
    max_rows: int = MAX_ROWS
    max_columns: int = MAX_COLUMNS
    max_cell_chars: int = MAX_CELL_CHARS
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES
    max_ratio: int = MAX_RATIO


Cell = str | int | float
Row = tuple[int, list[Cell]]  # (the row's number in the file, its cells)


def table_rows(stream, *, name: str, limits: Limits = Limits()) -> Iterator[Row]:
    """The rows of the first worksheet (or of the CSV), header first, each with its number as
    the user sees it (Excel's row number, the CSV record number). Blank rows are skipped;
    cells are trimmed strings or numbers, and each row is cut after its last filled cell."""
    lower = (name or "").lower()
    if lower.endswith((".xlsm", ".xltm", ".xlam", ".xlsb")):
        raise SpreadsheetError(
            "不接受含宏或二进制格式的工作簿（.xlsm、.xlsb），请另存为 .xlsx 后上传。"
        )
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size > limits.max_bytes:
        raise SpreadsheetError(
            f"文件超过 {limits.max_bytes // (1024 * 1024)} MB，请分成几个文件分批导入。"
        )
    if size == 0:
        raise SpreadsheetError("文件是空的。")
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise SpreadsheetError(
            "这是旧版 Excel（.xls）或加了密码的工作簿，请在 Excel 中另存为“Excel 工作簿（.xlsx）”"
            "并取消密码后上传。"
        )
    if head.startswith(b"PK"):
        rows = _damaged_zip_refused(_xlsx_rows(stream, limits))
    elif lower.endswith((".xlsx", ".xls")):
        raise SpreadsheetError("文件内容不是 Excel 工作簿，请检查是否选错了文件。")
    else:
        rows = _csv_rows(stream, limits)
    return _capped(rows, limits)


def _capped(rows: Iterator[Row], limits: Limits) -> Iterator[Row]:
    count = 0
    for number, cells in rows:
        while cells and cells[-1] == "":
            cells.pop()
        if not cells:
            continue
        if len(cells) > limits.max_columns:
            raise SpreadsheetError(
                f"第 {number} 行超过 {limits.max_columns} 列，请只保留名册的列。"
            )
        for cell in cells:
            if isinstance(cell, str) and len(cell) > limits.max_cell_chars:
                raise SpreadsheetError(
                    f"第 {number} 行有单元格超过 {limits.max_cell_chars} 个字，请精简后再导入。"
                )
        count += 1
        if count > limits.max_rows + 1:  # the header is not a data row
            raise SpreadsheetError(
                f"超过 {limits.max_rows:,} 行，请分成几个文件分批导入。".replace(",", "")
            )
        yield number, cells


def _cell(value: str) -> str:
    """Trimmed; our own formula escape ('=...) taken off, so an export reads back as written."""
    value = value.strip()
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value


# CSV ------------------------------------------------------------------------------------------


def _csv_rows(stream, limits: Limits) -> Iterator[Row]:
    encoding = _csv_encoding(stream)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="", errors="strict")
    try:
        first = text.readline()
        delimiter = "\t" if "\t" in first and "," not in first else ","
        lines = _chain([first], text)
        reader = csv.reader(lines, delimiter=delimiter, strict=False)
        number = 0
        for record in reader:
            number += 1
            yield number, [_cell(value) for value in record]
    except UnicodeDecodeError:
        raise SpreadsheetError(
            "文件中有无法识别的字符，请另存为 UTF-8 编码的 CSV 后上传。"
        ) from None
    except csv.Error:
        raise SpreadsheetError(
            "CSV 文件格式有误（引号不配对或单元格过长），请检查后上传。"
        ) from None
    finally:
        if not stream.closed:  # the caller may close the file before dropping this reader
            text.detach()


def _chain(first: list[str], rest) -> Iterator[str]:
    yield from first
    # not `yield from`: closing this generator (a refused file) must not close the file
    for line in rest:  # noqa: UP028
        yield line


def _csv_encoding(stream) -> str:
    """UTF-8 (a BOM or not), UTF-16 with a BOM (Excel's "Unicode text"), else GB18030, the
    superset of GBK that Chinese Excel writes. Decided on the whole file, incrementally."""
    head = stream.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(1 << 16):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("gb18030")()
    try:
        while chunk := stream.read(1 << 16):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise SpreadsheetError(
            "无法识别文件编码，请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后上传。"
        ) from None
    return "gb18030"


# XLSX -----------------------------------------------------------------------------------------


class _Counted(io.RawIOBase):
    """A zip member, with the bytes it inflates to counted against the limit as they come."""

    def __init__(self, member, budget: list[int]):
        self.member, self.budget = member, budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.member.read(len(buffer))
        self.budget[0] -= len(data)
        if self.budget[0] < 0:
            raise SpreadsheetError("工作簿解压后过大，疑似压缩炸弹，已拒绝。")
        buffer[: len(data)] = data
        return len(data)


# Issue 19 (fuzzing): a damaged zip fails as it is read, not only when it is opened: a local
# header that disagrees with the directory, a bad CRC, a cut deflate stream, an unknown
# compression method. Each is the user's file, refused like any other damage.
ZIP_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError, ValueError)


def _damaged_zip_refused(rows: Iterator[Row]) -> Iterator[Row]:
    try:
        yield from rows
    except SpreadsheetError:
        raise
    except ZIP_DAMAGE:
        raise SpreadsheetError("工作簿已损坏，无法打开，请在 Excel 中重新保存后上传。") from None


def _refuse_dtd(*_args) -> None:
    raise SpreadsheetError("工作簿中含有不允许的 XML 声明（DTD/实体），已拒绝。")


def _parse(stream, *, start=None, end=None, chars=None) -> None:
    """expat with namespaces as "uri name" and every DTD refused (E2)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if chars:
        parser.CharacterDataHandler = chars
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    try:
        parser.ParseFile(stream)
    except expat.ExpatError:
        raise SpreadsheetError(
            "工作簿内容已损坏，无法读取，请在 Excel 中重新保存后上传。"
        ) from None


def _open_zip(stream, limits: Limits) -> tuple[zipfile.ZipFile, list[int]]:
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile:
        raise SpreadsheetError("工作簿已损坏，无法打开，请在 Excel 中重新保存后上传。") from None
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise SpreadsheetError("工作簿结构异常（文件数过多），已拒绝。")
    unpacked = 0
    for info in infos:
        name = info.filename.lower()
        if info.flag_bits & 0x1:
            raise SpreadsheetError("工作簿加了密码，请取消密码后上传。")
        if "vbaproject" in name or name.endswith(".bin") and "/activex/" in name:
            raise SpreadsheetError("工作簿含有宏或控件，已拒绝；请删除宏后另存为 .xlsx 上传。")
        unpacked += info.file_size
        if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
            if info.file_size > 1024 * 1024:
                raise SpreadsheetError("工作簿压缩比异常，疑似压缩炸弹，已拒绝。")
    if unpacked > limits.max_unpacked_bytes:
        raise SpreadsheetError("工作簿解压后过大，疑似压缩炸弹，已拒绝。")
    return archive, [limits.max_unpacked_bytes]


def _member(archive: zipfile.ZipFile, name: str, budget: list[int]):
    try:
        return io.BufferedReader(_Counted(archive.open(name), budget), 1 << 16)
    except KeyError:
        return None


def _content_types_check(archive: zipfile.ZipFile, budget: list[int]) -> None:
    part = _member(archive, "[Content_Types].xml", budget)
    if part is None:
        raise SpreadsheetError("文件不是有效的 Excel 工作簿（.xlsx）。")
    seen: list[str] = []

    def start(name, attrs):
        seen.append(attrs.get("ContentType", ""))

    _parse(part, start=start)
    if any("macroEnabled" in kind or "vbaProject" in kind for kind in seen):
        raise SpreadsheetError("工作簿含有宏，已拒绝；请删除宏后另存为 .xlsx 上传。")
    if not any("spreadsheetml.sheet.main" in kind or "template.main" in kind for kind in seen):
        raise SpreadsheetError("文件不是有效的 Excel 工作簿（.xlsx）。")


def _first_sheet(archive: zipfile.ZipFile, budget: list[int]) -> str:
    """The path of the workbook's first worksheet (its tab order, not the file names')."""
    sheets: list[str] = []
    targets: dict[str, str] = {}
    workbook = _member(archive, "xl/workbook.xml", budget)
    rels = _member(archive, "xl/_rels/workbook.xml.rels", budget)
    if workbook is None or rels is None:
        raise SpreadsheetError("文件不是有效的 Excel 工作簿（.xlsx）。")

    def sheet(name, attrs):
        if name == f"{MAIN} sheet":
            sheets.append(attrs.get(f"{REL} id", ""))

    def rel(name, attrs):
        if name == f"{PKG_REL} Relationship":
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    _parse(workbook, start=sheet)
    _parse(rels, start=rel)
    if not sheets or sheets[0] not in targets:
        raise SpreadsheetError("工作簿中没有工作表。")
    target = targets[sheets[0]]
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _shared_strings(archive: zipfile.ZipFile, budget: list[int]) -> list[str]:
    part = _member(archive, "xl/sharedStrings.xml", budget)
    if part is None:
        return []
    strings: list[str] = []
    text: list[str] = []
    depth = {"t": False, "phonetic": 0}
    si, t, rph = f"{MAIN} si", f"{MAIN} t", f"{MAIN} rPh"

    def start(name, attrs):
        if name == t:
            depth["t"] = True
        elif name == rph:  # phonetic guides are not part of the text
            depth["phonetic"] += 1

    def end(name):
        if name == t:
            depth["t"] = False
        elif name == rph:
            depth["phonetic"] -= 1
        elif name == si:
            strings.append("".join(text))
            text.clear()

    def chars(data):
        if depth["t"] and not depth["phonetic"]:
            text.append(data)

    _parse(part, start=start, end=end, chars=chars)
    return strings


def _column_index(reference: str) -> int:
    """0 for "A7", 26 for "AA7"."""
    index = 0
    for char in reference:
        if "A" <= char <= "Z":
            index = index * 26 + ord(char) - 64
        else:
            break
    return index - 1


def _number(text: str) -> int | float | str:
    try:
        value = float(text)
    except ValueError:
        return text
    if value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _xlsx_rows(stream, limits: Limits) -> Iterator[Row]:
    archive, budget = _open_zip(stream, limits)
    _content_types_check(archive, budget)
    path = _first_sheet(archive, budget)
    shared = _shared_strings(archive, budget)
    sheet = _member(archive, path, budget)
    if sheet is None:
        raise SpreadsheetError("工作簿中没有工作表。")
    # expat pushes callbacks (one per element: keep them lean, 4 per cell); the rows are
    # handed out in batches as the parser reads on.
    ready: list[Row] = []
    cells: list[Cell] = []
    text: list[str] = []
    formula: list[str] = []
    row_number = 0
    kind = None
    column = -1
    capture = 0  # 1: a value, 2: a formula
    cell_formula = None
    max_columns = limits.max_columns
    c_tag, v_tag, t_tag, f_tag, row_tag = (f"{MAIN} {n}" for n in ("c", "v", "t", "f", "row"))

    def start(name, attrs):
        nonlocal kind, column, capture, cell_formula, row_number
        if name == c_tag:
            kind = attrs.get("t")
            reference = attrs.get("r")
            column = _column_index(reference) if reference else -1
            if column < 0:  # no column letters ("a1", "7": a damaged file): the next cell
                column = len(cells)
            cell_formula = None
            text.clear()
        elif name == v_tag or name == t_tag:
            capture = 1
        elif name == f_tag:
            formula.clear()
            capture = 2
        elif name == row_tag:
            number = attrs.get("r")
            digits = number and number.isascii() and number.isdigit()  # not "²" (issue 19)
            row_number = int(number) if digits else row_number + 1
            cells.clear()

    def end(name):
        nonlocal capture, cell_formula
        if name == c_tag:
            if cell_formula is not None:  # E2: a formula is read as text, never computed
                value = cell_formula
            else:
                value = _xlsx_value(kind, "".join(text), shared)
            if column >= max_columns:
                if value != "":
                    raise SpreadsheetError(
                        f"第 {row_number} 行超过 {max_columns} 列，请只保留名册的列。"
                    )
                return
            if len(cells) == column:
                cells.append(value)
            else:
                while len(cells) < column:
                    cells.append("")
                if len(cells) == column:
                    cells.append(value)
                else:
                    cells[column] = value
        elif name == v_tag or name == t_tag:
            capture = 0
        elif name == f_tag:
            capture = 0
            cell_formula = "=" + "".join(formula)
        elif name == row_tag:
            ready.append((row_number, list(cells)))

    def chars(data):
        if capture == 1:
            text.append(data)
        elif capture == 2:
            formula.append(data)

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = chars
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    try:
        while chunk := sheet.read(1 << 16):
            parser.Parse(chunk, False)
            if ready:
                yield from ready
                ready.clear()
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise SpreadsheetError(
            "工作簿内容已损坏，无法读取，请在 Excel 中重新保存后上传。"
        ) from None
    yield from ready


def _xlsx_value(kind: str | None, raw: str, shared: list[str]) -> Cell:
    if kind is None or kind == "n":
        raw = raw.strip()
        return _number(raw) if raw else ""
    if kind == "s":
        try:
            index = int(raw)
            if index < 0:  # not the last string counted from the end (issue 19 fuzzing)
                raise IndexError(index)
            return _cell(shared[index])
        except (ValueError, IndexError):
            raise SpreadsheetError(
                "工作簿内容已损坏（共享字符串），请在 Excel 中重新保存后上传。"
            ) from None
    if kind == "b":
        return "TRUE" if raw.strip() == "1" else "FALSE"
    return _cell(raw)  # inlineStr, str (a formula's text result), e (an error), d (ISO date)


# Writing --------------------------------------------------------------------------------------

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cell_text(value) -> str:
    """E3: text as a spreadsheet cell may hold it; a leading = + - @ (a formula to Excel) gets
    an apostrophe in front, so the cell shows the text and never runs it."""
    text = "" if value is None else str(value)
    if text and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


# Whether a text needs any of what `_xml_text` does (most cells need nothing: one search).
_XML_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    if _XML_SPECIAL.search(text) is None:
        return text
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if _INVALID_XML.search(text):
        text = _INVALID_XML.sub("", text)
    return text


def _xml_cell(value) -> str:
    if type(value) is str:  # most cells: `cell_text` and the checks below, inlined
        if not value:
            return "<c/>"
        text = _xml_text("'" + value if value.startswith(FORMULA_STARTS) else value)
        if text[:1].isspace() or text[-1:].isspace():  # as text != text.strip()
            return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
        return f'<c t="inlineStr"><is><t>{text}</t></is></c>'
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, bool):
        value = "是" if value else "否"
    elif isinstance(value, int | float | Decimal):
        return f"<c><v>{value}</v></c>"
    elif isinstance(value, dt.datetime):
        value = f"{value:%Y-%m-%d %H:%M}"
    elif isinstance(value, dt.date):
        value = f"{value:%Y-%m-%d}"
    text = _xml_text(cell_text(value))
    if text != text.strip():
        return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


class _Sink(io.RawIOBase):
    """Where the zip writes when the workbook is streamed: taken out in pieces by `drain`."""

    def __init__(self):
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<styleSheet xmlns="{MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="宋体"/></font>'
    '<font><b/><sz val="11"/><name val="宋体"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="2"><xf xfId="0"/><xf fontId="1" applyFont="1" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


class XlsxWriter:
    """A workbook written sheet by sheet and row by row into `out` (a file, or the sink of a
    streamed response). Text is stored inline and escaped (E3); the header row is bold and
    frozen so that it stays in view."""

    def __init__(self, out=None, *, compresslevel: int = 1):
        self.sink = _Sink() if out is None else None
        self.zip = zipfile.ZipFile(
            out if out is not None else self.sink,
            "w",
            compression=zipfile.ZIP_DEFLATED,
            compresslevel=compresslevel,
        )
        self.titles: list[str] = []
        self.part = None
        self.pending: list[str] = []

    def drain(self) -> bytes:
        """What has been written since the last call (streaming only)."""
        return self.sink.drain() if self.sink is not None else b""

    def start_sheet(self, title: str, headers: Iterable[str], *, widths: Iterable[int] = ()):
        self.end_sheet()
        self.titles.append(_sheet_title(title, len(self.titles)))
        index = len(self.titles)
        self.part = self.zip.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True)
        widths = list(widths)
        columns = "".join(
            f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
            for i, w in enumerate(widths, 1)
        )
        self.part.write(
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<worksheet xmlns="{MAIN}"><sheetViews><sheetView workbookViewId="0">'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                "</sheetView></sheetViews>"
                + (f"<cols>{columns}</cols>" if columns else "")
                + "<sheetData>"
            ).encode()
        )
        cells = "".join(
            f'<c t="inlineStr" s="1"><is><t>{_xml_text(str(h))}</t></is></c>' for h in headers
        )
        self.part.write(f"<row>{cells}</row>".encode())

    def write_row(self, values: Iterable) -> None:
        self.pending.append("<row>" + "".join(map(_xml_cell, values)) + "</row>")
        if len(self.pending) >= 200:
            self.flush()

    def flush(self) -> None:
        if self.pending and self.part is not None:
            self.part.write("".join(self.pending).encode())
            self.pending.clear()

    def end_sheet(self) -> None:
        if self.part is None:
            return
        self.flush()
        self.part.write(b"</sheetData></worksheet>")
        self.part.close()
        self.part = None

    def close(self) -> None:
        self.end_sheet()
        sheets = "".join(
            f'<sheet name="{_xml_text(title)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, title in enumerate(self.titles, 1)
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(self.titles) + 1)
        )
        n = len(self.titles) + 1
        parts = {
            "[Content_Types].xml": (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                + "".join(
                    f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                    for i in range(1, len(self.titles) + 1)
                )
                + "</Types>"
            ),
            "_rels/.rels": (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
                f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
            "xl/workbook.xml": (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{sheets}</sheets></workbook>'
            ),
            "xl/_rels/workbook.xml.rels": (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<Relationships xmlns="{PKG_REL}">{rels}<Relationship Id="rId{n}" '
                f'Type="{REL}/styles" Target="styles.xml"/></Relationships>'
            ),
            "xl/styles.xml": _STYLES,
        }
        for name, content in parts.items():
            self.zip.writestr(name, content)
        self.zip.close()


def _sheet_title(title: str, index: int) -> str:
    """Excel's rules for a tab name: 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", "", title).strip()[:31]
    return cleaned or f"Sheet{index + 1}"


def xlsx_stream(title: str, headers: list[str], rows: Iterable[Iterable]) -> Iterator[bytes]:
    """One sheet as a stream of bytes for a StreamingHttpResponse."""
    writer = XlsxWriter()
    writer.start_sheet(title, headers, widths=[max(10, min(40, 2 * len(h) + 4)) for h in headers])
    for count, row in enumerate(rows, 1):
        writer.write_row(row)
        if count % 2000 == 0:
            writer.flush()
            if data := writer.drain():
                yield data
    writer.close()
    yield writer.drain()


class _Line:
    def write(self, value: str) -> str:
        return value


def csv_text_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, int | float | Decimal):
        return str(value)
    return cell_text(value)


def csv_stream(headers: list[str], rows: Iterable[Iterable]) -> Iterator[bytes]:
    """UTF-8 with a BOM, so that Excel opens the Chinese as Chinese; formulas escaped (E3)."""
    writer = csv.writer(_Line())
    yield codecs.BOM_UTF8 + writer.writerow([cell_text(h) for h in headers]).encode()
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow([csv_text_cell(value) for value in row]))
        if len(chunk) >= 2000:
            yield "".join(chunk).encode()
            chunk.clear()
    if chunk:
        yield "".join(chunk).encode()
