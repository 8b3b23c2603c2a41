"""Bulk loading of legacy pages (`manage.py import_pages DIR`, issue 14 item 5).

One UTF-8 Markdown file per page, with a header block:

    ---
    type: notice | interpretation | statistics | disclosure | page
    title: …
    doc_number: 京民核发〔2018〕195号
    date: 2018-05-25
    issuer: 北京市民政局
    slug: optional
    ---
    Markdown body (headings, paragraphs, lists, tables)

More header keys where a type needs them: `notice` (the 文号 an interpretation explains),
`period` (statistics: 2026-10 or 2026-Q3), `status`, `effective`, `expires`, `replaced_by`
(notices), `party_kind` (组织 or 自然人), `party`, `credit_code`, `authority`,
`publication_ends` (disclosures, whose body has the sections 违法事实, 处罚依据, 处罚内容),
`demo` (是: marked as demo content).

A page is updated when one of its type has the slug, else the 文号; otherwise it is created in
its type's section. Each file is written in a transaction of its own: a bad file is reported by
name with the reason and leaves nothing behind, and the good ones are still loaded. Pages are
published unless `draft`; publishing indexes them for search (portal/signals.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from .enums import NoticeStatus, PartyKind, PeriodKind
from .markdown import markdown_blocks, markdown_sections
from .models import (
    DisclosurePage,
    InterpretationPage,
    NoticePage,
    PlainPage,
    PortalPage,
    StatisticsReleasePage,
)
from .search.text import docno_canonical
from .services import home_page_ensure, site_sections_ensure

MAX_FILE_BYTES = 2 * 1024 * 1024
HEADER_KEYS = {
    "type",
    "title",
    "doc_number",
    "date",
    "issuer",
    "slug",
    "notice",
    "period",
    "status",
    "effective",
    "expires",
    "replaced_by",
    "party_kind",
    "party",
    "credit_code",
    "authority",
    "publication_ends",
    "demo",
}
TYPES = {
    "notice": NoticePage,
    "interpretation": InterpretationPage,
    "statistics": StatisticsReleasePage,
    "disclosure": DisclosurePage,
    "page": PlainPage,
}
# Notices first: interpretations and replacements name them.
TYPE_ORDER = ["page", "notice", "statistics", "disclosure", "interpretation"]
STATUS_WORDS = {
    "有效": NoticeStatus.VALID,
    "失效": NoticeStatus.EXPIRED,
    "已修订": NoticeStatus.REVISED,
}
PARTY_WORDS = {
    "组织": PartyKind.ORGANISATION,
    "法人": PartyKind.ORGANISATION,
    "法人或其他组织": PartyKind.ORGANISATION,
    "自然人": PartyKind.PERSON,
    "个人": PartyKind.PERSON,
}
DISCLOSURE_SECTIONS = {"facts": "违法事实", "legal_basis": "处罚依据", "penalty": "处罚内容"}
YES = {"是", "yes", "true", "1"}


class FileError(Exception):
    """A file that cannot be loaded, with the reason in Chinese."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    pages: list[tuple[str, str, PortalPage]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "errors": len(self.errors)}


@dataclass
class Source:
    name: str
    header: dict[str, str]
    body: str

    @property
    def kind(self) -> str:
        return self.header["type"]


def source_read(path: Path) -> Source:
    """The header and body of one file; FileError when it cannot be read as a page."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise FileError("文件超过 2 MB，请拆分后再导入。")
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileError("文件不是 UTF-8 编码，请用 UTF-8 另存后再导入。")
    if "\x00" in content:
        raise FileError("文件含有二进制内容，不是 Markdown 文本。")
    lines = content.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        raise FileError("文件开头缺少以 --- 开始的头部信息块。")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise FileError("头部信息块没有以 --- 结束。")
    header: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, colon, value = line.partition(":")
        if not colon:
            key, colon, value = line.partition("：")
        key = key.strip().lower()
        if not colon or not key:
            raise FileError(f"头部第 {number} 行应为“名称: 内容”的形式。")
        if key not in HEADER_KEYS:
            raise FileError(f"头部第 {number} 行的“{key}”不是可以识别的名称。")
        header[key] = value.strip().strip("\"'")
    kind = header.get("type", "")
    if kind not in TYPES:
        raise FileError(
            "头部缺少 type，或 type 不对：应为 notice、interpretation、statistics、"
            "disclosure 或 page 之一。"
        )
    if not header.get("title"):
        raise FileError("头部缺少 title（标题）。")
    return Source(name=path.name, header=header, body="\n".join(lines[end + 1 :]).strip())


def _date(value: str, label: str) -> dt.date:
    value = value.strip()
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", value)
    if not match:
        raise FileError(f"{label}“{value}”不是日期，应写作 2018-05-25。")
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise FileError(f"{label}“{value}”不是真实存在的日期。")


def _optional_date(header: dict, key: str, label: str) -> dt.date | None:
    return _date(header[key], label) if header.get(key) else None


def _required(header: dict, key: str, label: str) -> str:
    if not header.get(key):
        raise FileError(f"头部缺少 {key}（{label}）。")
    return header[key]


def _doc_number(value: str, label: str) -> str:
    canonical = docno_canonical(value)
    if canonical is None:
        raise FileError(
            f"{label}“{value}”格式不对，应为“机关代字〔年份〕序号号”，如 京民核发〔2018〕195号。"
        )
    return canonical


def _notice_by_number(value: str, label: str) -> NoticePage:
    number = _doc_number(value, label)
    notice = NoticePage.objects.filter(doc_number=number).first()
    if notice is None:
        raise FileError(f"{label}“{number}”在网站上找不到，请先导入这份文件。")
    return notice


def _period(value: str) -> dict:
    value = value.strip().upper()
    month = re.fullmatch(r"(\d{4})[-/年](\d{1,2})月?", value)
    if month and 1 <= int(month.group(2)) <= 12:
        return {
            "period_kind": PeriodKind.MONTH,
            "year": int(month.group(1)),
            "month": int(month.group(2)),
        }
    quarter = re.fullmatch(r"(\d{4})[-/]?Q([1-4])", value)
    if quarter:
        return {
            "period_kind": PeriodKind.QUARTER,
            "year": int(quarter.group(1)),
            "quarter": int(quarter.group(2)),
        }
    raise FileError(f"统计周期“{value}”不对：月度写 2026-10，季度写 2026-Q3。")


def _fields(source: Source) -> dict:
    """The page fields a file sets, type by type (FileError for a bad value)."""
    header, kind = source.header, source.kind
    values: dict = {"title": header["title"], "demo_content": header.get("demo", "") in YES}
    if kind == "page":
        values["body"] = markdown_blocks(source.body)
        return values
    date = _date(_required(header, "date", "日期"), "日期")
    if kind == "notice":
        values.update(
            doc_number=_doc_number(header["doc_number"], "文号")
            if header.get("doc_number")
            else "",
            issuer=header.get("issuer") or "北京市民政局",
            issued_on=date,
            effective_on=_optional_date(header, "effective", "施行日期"),
            expires_on=_optional_date(header, "expires", "有效期至"),
            body=markdown_blocks(source.body),
        )
        if header.get("status"):
            if header["status"] not in STATUS_WORDS:
                raise FileError("status 应为 有效、失效 或 已修订。")
            values["status"] = STATUS_WORDS[header["status"]]
        if header.get("replaced_by"):
            values["replaced_by"] = _notice_by_number(header["replaced_by"], "replaced_by 文号")
    elif kind == "interpretation":
        values.update(
            notice=_notice_by_number(
                _required(header, "notice", "所解读文件的文号"), "notice 文号"
            ),
            issuer=header.get("issuer") or "北京市民政局",
            issued_on=date,
            body=markdown_blocks(source.body),
        )
    elif kind == "statistics":
        values.update(
            _period(_required(header, "period", "统计周期")),
            issued_on=date,
            body=markdown_blocks(source.body),
        )
    elif kind == "disclosure":
        sections = markdown_sections(source.body)
        for name, heading in DISCLOSURE_SECTIONS.items():
            if not sections.get(heading):
                raise FileError(f"正文缺少“## {heading}”一节。")
            values[name] = sections[heading]
        party_kind = PARTY_WORDS.get(header.get("party_kind", "组织"))
        if party_kind is None:
            raise FileError("party_kind 应为 组织 或 自然人。")
        party = _required(header, "party", "当事人")
        values.update(
            decision_number=_doc_number(
                _required(header, "doc_number", "处罚决定书文号"), "处罚决定书文号"
            ),
            party_kind=party_kind,
            authority=header.get("authority") or header.get("issuer") or "北京市民政局",
            decided_on=date,
            publication_ends_on=_date(
                _required(header, "publication_ends", "公示截止日期"), "公示截止日期"
            ),
        )
        if party_kind == PartyKind.PERSON:
            # Only the surname is ever kept: a file naming the person in full is refused.
            if not re.fullmatch(r"[\u4e00-\u9fff]{1,2}某", party):
                raise FileError("当事人是自然人时只写姓氏加“某”，如 张某，不能写全名。")
            values["party_surname"] = party.removesuffix("某")
        else:
            values.update(party_name=party, credit_code=header.get("credit_code", ""))
    return values


def _slug(source: Source, values: dict) -> str:
    if source.header.get("slug"):
        slug = slugify(source.header["slug"], allow_unicode=False)
        if not slug:
            raise FileError("slug 只能由英文字母、数字和连字符组成。")
        return slug[:255]
    number = values.get("doc_number") or values.get("decision_number")
    seed = number or f"{source.kind}:{values['title']}:{values.get('issued_on') or ''}"
    digest = hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()[:8]
    year = (values.get("issued_on") or values.get("decided_on") or dt.date.today()).year
    return f"{source.kind}-{year}-{digest}"


def _existing(model, parent, slug: str, values: dict):
    found = model.objects.child_of(parent).filter(slug=slug).first()
    if found is None and values.get("doc_number"):
        found = model.objects.filter(doc_number=values["doc_number"]).first()
    if found is None and values.get("decision_number"):
        found = model.objects.filter(decision_number=values["decision_number"]).first()
    return found


def _error_text(error: ValidationError, model) -> str:
    if not hasattr(error, "error_dict"):
        return "；".join(error.messages)
    parts = []
    for name, errors in error.error_dict.items():
        try:
            label = str(model._meta.get_field(name).verbose_name)
        except Exception:  # noqa: BLE001 - a non-field error or a Wagtail form key
            label = "" if name == "__all__" else name
        messages = "；".join(message for e in errors for message in e.messages)
        parts.append(f"{label}：{messages}" if label else messages)
    return "；".join(parts)


@transaction.atomic
def page_import(*, source: Source, draft: bool, sections: dict, home, user=None) -> tuple:
    """Create or update one page from `source`; ("created" | "updated", page)."""
    model = TYPES[source.kind]
    values = _fields(source)
    parent = home if source.kind == "page" else sections[source.kind]
    slug = _slug(source, values)
    page = _existing(model, parent, slug, values)
    created = page is None
    if created:
        page = model(slug=slug, live=False)
    else:
        page = page.get_latest_revision_as_object()
    for name, value in values.items():
        setattr(page, name, value)
    try:  # Wagtail's save and save_revision run the model's full_clean
        if created:
            parent.add_child(instance=page)
        revision = page.save_revision(user=user, log_action=True)
    except ValidationError as error:
        raise FileError(_error_text(error, model))
    if not draft:
        revision.publish(user=user)
    return ("created" if created else "updated"), page


def pages_import(*, directory: Path, draft: bool = False, user=None) -> ImportReport:
    """Load every *.md file of `directory` (see the module docstring)."""
    report = ImportReport()
    home = home_page_ensure()
    sections = site_sections_ensure(home)
    sources: list[Source] = []
    for path in sorted(Path(directory).glob("*.md")):
        try:
            sources.append(source_read(path))
        except FileError as error:
            report.errors.append((path.name, str(error)))
        except OSError:
            report.errors.append((path.name, "文件无法读取。"))
    # A notice that names its replacement comes after the one it names.
    sources.sort(
        key=lambda s: (TYPE_ORDER.index(s.kind), bool(s.header.get("replaced_by")), s.name)
    )
    for source in sources:
        try:
            outcome, page = page_import(
                source=source, draft=draft, sections=sections, home=home, user=user
            )
        except FileError as error:
            report.errors.append((source.name, str(error)))
            continue
        if outcome == "created":
            report.created += 1
        else:
            report.updated += 1
        report.pages.append((source.name, outcome, page))
    return report
