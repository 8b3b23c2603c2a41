"""Body blocks of the bureau's pages: rich text, tables and (statistics) bar charts.

Everything renders as plain HTML and CSS: no page needs JavaScript (P2), and a chart is also a
table that a screen reader can read.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.contrib.table_block.blocks import TableBlock

RICH_TEXT_FEATURES = ["h2", "h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link", "hr"]


class ChartBlock(blocks.StructBlock):
    """A horizontal bar chart drawn in CSS, with its numbers as a table beside it."""

    title = blocks.CharBlock(label=_("图表标题"))
    unit = blocks.CharBlock(label=_("单位"), required=False, help_text=_("如：人、户、万元"))
    rows = blocks.ListBlock(
        blocks.StructBlock(
            [
                ("label", blocks.CharBlock(label=_("项目"))),
                ("value", blocks.DecimalBlock(label=_("数值"), min_value=0, decimal_places=2)),
            ]
        ),
        label=_("数据"),
        min_num=1,
    )
    note = blocks.CharBlock(label=_("注释"), required=False)

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        values = [row["value"] or Decimal(0) for row in value["rows"]]
        top = max(values, default=Decimal(0)) or Decimal(1)
        context["bars"] = [
            {"label": row["label"], "value": row["value"], "percent": int(v * 100 / top)}
            for row, v in zip(value["rows"], values, strict=True)
        ]
        return context

    class Meta:
        template = "portal/blocks/chart.html"
        icon = "table"
        label = _("柱状图")


class BodyBlock(blocks.StreamBlock):
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("正文"))
    table = TableBlock(
        label=_("表格"),
        table_options={"startRows": 3, "startCols": 3, "renderer": "text", "autoColumnSize": False},
    )


class StatisticsBodyBlock(BodyBlock):
    chart = ChartBlock()


def stream_text(stream) -> str:
    """The readable text of a body stream, for the search index and snippets."""
    parts: list[str] = []
    for child in stream or []:
        value = child.value
        if child.block_type == "text":
            parts.append(strip_tags(str(value.source if hasattr(value, "source") else value)))
        elif child.block_type == "table":
            caption = (value or {}).get("table_caption") or ""
            rows = (value or {}).get("data") or []
            parts.append(caption)
            parts.extend(" ".join(str(cell or "") for cell in row) for row in rows)
        elif child.block_type == "chart":
            parts.append(value["title"])
            parts.extend(f"{row['label']} {row['value']}" for row in value["rows"])
    return "\n".join(part.strip() for part in parts if part and part.strip())
