"""Bar charts drawn on the server as SVG (issue 16), for the back office's statistics and the
public releases alike: no JavaScript, Chinese text in the page's own fonts, a <title> and an
aria-label for screen readers; the table beside each chart holds the data.

A value is a count, or a published mark standing for a hidden one ("<10", "*" in a release,
P4): a mark gets no bar, only its text, so a chart never shows more than its table.
Drawn by templates/portal/includes/bar_chart.html.
"""

from __future__ import annotations

from dataclasses import dataclass

BAR_WIDTH = 260
VALUE_WIDTH = 70
ROW_HEIGHT = 26
BAR_HEIGHT = 16


@dataclass(frozen=True)
class Bar:
    label: str
    shown: str  # what is written after the bar: the count, or the mark that hides it
    y: int
    width: int
    label_width: int

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 3

    @property
    def value_x(self) -> int:
        return self.label_width + self.width + 6


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    label_width: int
    label_chars: int  # longer labels are cut with "…" (the full one is in the bar's <title>)
    bar_height: int = BAR_HEIGHT

    @property
    def width(self) -> int:
        return self.label_width + BAR_WIDTH + VALUE_WIDTH

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * ROW_HEIGHT + 8

    @property
    def description(self) -> str:
        """The chart in words, for its aria-label."""
        return f"{self.title}：" + "，".join(f"{bar.label} {bar.shown}" for bar in self.bars)


def _count(value: int | str) -> int | None:
    if isinstance(value, int):
        return value
    text = str(value or "").replace(",", "").strip()
    return int(text) if text.isdigit() else None


def bar_chart(
    title: str,
    values: list[tuple[str, int | str]],
    *,
    label_width: int = 170,
    label_chars: int = 13,
) -> BarChart:
    """A horizontal bar per (label, value), scaled to the largest count."""
    counts = [_count(value) for _label, value in values]
    largest = max((count for count in counts if count is not None), default=0)
    bars = [
        Bar(
            label=str(label),
            shown=str(value),
            y=index * ROW_HEIGHT + 4,
            width=round(BAR_WIDTH * count / largest) if count and largest else 0,
            label_width=label_width,
        )
        for index, ((label, value), count) in enumerate(zip(values, counts, strict=True))
    ]
    return BarChart(title=title, bars=bars, label_width=label_width, label_chars=label_chars)
