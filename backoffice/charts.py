"""Bar charts drawn on the server as SVG (issue 16): no JavaScript, Chinese text in the page's
own fonts, a <title> and an aria-label for screen readers; the table beside it holds the data."""

from __future__ import annotations

from dataclasses import dataclass

LABEL_WIDTH = 170
BAR_WIDTH = 260
VALUE_WIDTH = 70
ROW_HEIGHT = 26
BAR_HEIGHT = 16


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: int

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 3

    @property
    def value_x(self) -> int:
        return LABEL_WIDTH + self.width + 6


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    width: int
    height: int
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def description(self) -> str:
        """The chart in words, for its aria-label."""
        return f"{self.title}：" + "，".join(f"{bar.label} {bar.value}" for bar in self.bars)


def bar_chart(title: str, values: list[tuple[str, int]]) -> BarChart:
    """A horizontal bar per (label, value), scaled to the largest value."""
    largest = max((value for _label, value in values), default=0)
    bars = [
        Bar(
            label=label,
            value=value,
            y=index * ROW_HEIGHT + 4,
            width=round(BAR_WIDTH * value / largest) if largest else 0,
        )
        for index, (label, value) in enumerate(values)
    ]
    return BarChart(
        title=title,
        bars=bars,
        width=LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH,
        height=max(len(bars), 1) * ROW_HEIGHT + 8,
    )
