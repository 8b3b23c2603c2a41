"""Markdown (legacy pages, `import_pages`) to the body blocks of the bureau's pages.

Headings, paragraphs, lists, emphasis and links become rich text blocks; each table becomes a
table block. Raw HTML in the Markdown is not passed through (it is shown as text).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False}).enable("table")
_HEADING = re.compile(r"<(/?)h([1-6])>")


def _heading_level(match: re.Match) -> str:
    # The page title is the one <h1>; body headings start at <h2> and stop at <h4>.
    level = min(max(int(match.group(2)) + 1, 2), 4)
    return f"<{match.group(1)}h{level}>"


def _table_block(tokens) -> dict:
    rows: list[list[str]] = []
    header = False
    row: list[str] | None = None
    for token in tokens:
        if token.type == "thead_open":
            header = True
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            rows.append(row)
            row = None
        elif token.type == "inline" and row is not None:
            row.append(token.content.strip())
    width = max((len(r) for r in rows), default=0)
    return {
        "data": [r + [""] * (width - len(r)) for r in rows],
        "first_row_is_table_header": header,
        "first_col_is_header": False,
        "table_caption": "",
    }


def markdown_blocks(source: str) -> list[tuple[str, object]]:
    """[("text", html), ("table", table data), ...] for a StreamField of BodyBlock."""
    tokens = _md.parse(source or "")
    blocks: list[tuple[str, object]] = []
    pending: list = []
    index = 0

    def flush():
        if pending:
            html = _HEADING.sub(_heading_level, _md.renderer.render(pending, _md.options, {}))
            if html.strip():
                blocks.append(("text", html.strip()))
            pending.clear()

    while index < len(tokens):
        token = tokens[index]
        if token.type == "table_open":
            flush()
            end = index
            while tokens[end].type != "table_close":
                end += 1
            blocks.append(("table", _table_block(tokens[index : end + 1])))
            index = end + 1
            continue
        pending.append(token)
        index += 1
    flush()
    return blocks


def markdown_sections(source: str) -> dict[str, str]:
    """The text under each `## heading` of `source` (for the fields of a disclosure)."""
    sections: dict[str, str] = {}
    current = None
    for line in (source or "").splitlines():
        heading = re.match(r"^#{1,6}\s*(.+?)\s*#*\s*$", line)
        if heading:
            current = heading.group(1)
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
    return {name: text.strip() for name, text in sections.items()}
