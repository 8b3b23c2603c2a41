"""Issue 16 item 3 (P4, SECURITY D2): a public statistics release drawn from a snapshot.

The city bureau generates, from one month's snapshot, a draft StatisticsReleasePage under the
site's statistics section: persons by category and needs by type, citywide (districts as rows)
and for each district (streets as rows). The draft is submitted to the site's moderation
workflow (portal/workflow.py); only the reviewer's approval publishes it.

Every count is suppressed before it leaves the back office: counts of 1 to
STATISTICS_SMALL_CELL_MAX are "<10", and complementary entries are hidden ("*") so that no hidden
count can be worked out from a row or a column. The citywide table and the district tables
share entries (a district's row citywide is the totals row of its own table), so they are
suppressed together, as one set of lines (`lines_suppress`), with `table_suppress`'s rule:
no line leaves one of its hidden entries a single possible value. Only the published marks and
numbers are stored in the page; the CSV files read exactly those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..actor import Actor
from ..enums import AuditAction, Category, NeedType
from ..models import StatisticsSnapshot
from .errors import RuleError
from .events import event_record
from .statistics import COMPLEMENT_MARK, SMALL_MARK, Cell, derived_bounds, reader_bounds

TOTAL = "total"
# What the release publishes (the snapshot's "release" counts): columns, title, what a row
# total counts.
RELEASE_TABLES = {
    "categories": (Category.choices, "按类别分的在册人员", "人次"),
    "need_types": (NeedType.choices, "按类型分的需求", "项"),
}


class ReleaseError(RuleError):
    pass


# --- suppression over linked tables -------------------------------------------------------------

Line = tuple[list[Hashable], Hashable]


def _pinned(values, states, small_max, line: Line) -> bool:
    parts, whole = line
    part_bounds = [reader_bounds(states[k], values[k], small_max) for k in parts]
    whole_bounds = reader_bounds(states[whole], values[whole], small_max)
    for index, key in [*enumerate(parts), (None, whole)]:
        if states[key] is Cell.SHOWN:
            continue
        low, high = derived_bounds(part_bounds, whole_bounds, index)
        if low >= high:
            return True
    return False


def _next_complement(values, states, line: Line):
    parts, whole = line
    shown = [(values[k], i) for i, k in enumerate(parts) if states[k] is Cell.SHOWN and values[k]]
    if shown:
        return parts[min(shown)[1]]
    if states[whole] is Cell.SHOWN and values[whole]:
        return whole
    return None


def lines_suppress(
    values: dict[Hashable, int], lines: list[Line], *, small_max: int | None = None
) -> dict[Hashable, Cell]:
    """SECURITY D2 over any set of additive lines (parts summing to a whole) sharing entries:
    the rule of `table_suppress` (statistics.py), applied until no line changes."""
    if small_max is None:
        small_max = settings.STATISTICS_SMALL_CELL_MAX
    if any(value < 0 for value in values.values()):
        raise ValueError("counts cannot be negative")
    states = {k: Cell.SMALL if 1 <= v <= small_max else Cell.SHOWN for k, v in values.items()}
    changed = True
    while changed:
        changed = False
        for line in lines:
            while _pinned(values, states, small_max, line):
                target = _next_complement(values, states, line)
                if target is None:
                    break  # table_suppress's documented limitation (nine cells of 1)
                states[target] = Cell.COMPLEMENT
                changed = True
    return states


def _mark(value: int, state: Cell) -> str:
    if state is Cell.SMALL:
        return SMALL_MARK
    if state is Cell.COMPLEMENT:
        return COMPLEMENT_MARK
    return str(value)


# --- the release's tables -------------------------------------------------------------------------


@dataclass
class ReleaseTable:
    caption: str
    data: list[list[str]]  # header row, a row per area, the totals row (合计) last

    def block(self) -> dict:
        """The value of a TableBlock (portal/blocks.py BodyBlock "table")."""
        return {
            "data": self.data,
            "first_row_is_table_header": True,
            "first_col_is_header": True,
            "table_caption": self.caption,
        }


def release_tables(data: dict, *, small_max: int | None = None) -> list[ReleaseTable]:
    """The published tables of a snapshot's document: for each release table, citywide by
    district, then district by district by street, suppressed together."""
    areas = data["areas"]
    city = data["city"]
    districts = sorted(c for c, a in areas.items() if a["parent"] == city)
    streets = {
        d: sorted(c for c, a in areas.items() if a["parent"] == d and a["level"] == "street")
        for d in districts
    }
    published = []
    for key, (choices, title, unit) in RELEASE_TABLES.items():
        counts = data.get("release", {}).get(key, {})
        columns = [value for value, _label in choices]
        every = [*columns, TOTAL]
        values: dict[Hashable, int] = {}
        for d in districts:
            for s in streets[d]:
                found = counts.get(s, {})
                for c in columns:
                    values[(s, c)] = found.get(c, 0)
                values[(s, TOTAL)] = sum(values[(s, c)] for c in columns)
            # A district's entries are its streets' sums, so every line adds up exactly.
            for c in every:
                values[(d, c)] = sum(values[(s, c)] for s in streets[d])
        for c in every:
            values[(city, c)] = sum(values[(d, c)] for d in districts)
        lines: list[Line] = []
        for parent, children in [(city, districts), *((d, streets[d]) for d in districts)]:
            if not children:
                continue
            for code in [*children, parent]:
                lines.append(([(code, c) for c in columns], (code, TOTAL)))
            for c in every:
                lines.append(([(code, c) for code in children], (parent, c)))
        states = lines_suppress(values, lines, small_max=small_max)
        header = [str(label) for _value, label in choices]

        def table(
            parent,
            children,
            heading,
            caption,
            header=header,
            every=every,
            unit=unit,
            values=values,
            states=states,
        ):
            rows = [[heading, *header, f"合计（{unit}）"]]
            for code in [*children, parent]:
                name = "合计" if code == parent else areas[code]["name"]
                rows.append([name, *(_mark(values[(code, c)], states[(code, c)]) for c in every)])
            return ReleaseTable(caption=caption, data=rows)

        published.append(table(city, districts, "区", f"全市{title}（按区）"))
        for d in districts:
            if streets[d]:
                name = areas[d]["name"]
                published.append(table(d, streets[d], "街道（乡镇）", f"{name}{title}（按街道）"))
    return published


# --- the release page ---------------------------------------------------------------------------


def release_slug(month: dt.date) -> str:
    return f"ledger-stats-{month:%Y-%m}"


def release_title(month: dt.date) -> str:
    return f"{month.year}年{month.month}月困难群众救助帮扶统计"


def release_find(month: dt.date):
    """The release page drawn from `month`'s snapshot (draft or live), or None."""
    from portal.models import StatisticsReleasePage

    return StatisticsReleasePage.objects.filter(slug=release_slug(month)).first()


def _statistics_section():
    from portal.enums import PageKind
    from portal.models import SectionPage
    from portal.services import SECTIONS

    slug = SECTIONS[PageKind.STATISTICS][0]
    section = SectionPage.objects.filter(slug=slug).order_by("depth").first()
    if section is None:
        raise ReleaseError("网站上还没有“统计数据”栏目，请先建立网站栏目。")
    return section


@transaction.atomic
def release_generate(*, actor: Actor, snapshot: StatisticsSnapshot, today: dt.date | None = None):
    """P4: the draft release of `snapshot`'s month, submitted to the reviewers' workflow.
    Refused when the month already has a release (draft or published)."""
    from portal.enums import PeriodKind
    from portal.models import StatisticsReleasePage

    if not actor.can("backoffice.release_statistics"):
        raise ReleaseError("没有生成统计发布稿的权限。")
    today = today or timezone.localdate()
    month = snapshot.month
    if release_find(month) is not None:
        raise ReleaseError(f"{month.year}年{month.month}月的统计发布稿已经生成。")
    section = _statistics_section()
    as_of = snapshot.data.get("as_of") or f"{snapshot.taken_at:%Y-%m-%d}"
    intro = (
        f"<p>本期统计为截至 {as_of} 全市困难群众台账的在册人员和需求情况，按区、按街道（乡镇）"
        "分列。一名人员同时属于几个类别的，在每个类别中各计一次（“人次”）。</p>"
        f"<p>为保护个人信息，1 至 {settings.STATISTICS_SMALL_CELL_MAX} 的数字显示为“{SMALL_MARK}”；"
        f"为防止由合计推算出这些数字，部分其他数字也不公布，显示为“{COMPLEMENT_MARK}”"
        f"（均不少于 {settings.STATISTICS_SMALL_CELL_MAX + 1}）。</p>"
    )
    body = [("text", intro)] + [("table", t.block()) for t in release_tables(snapshot.data)]
    page = StatisticsReleasePage(
        title=release_title(month),
        slug=release_slug(month),
        period_kind=PeriodKind.MONTH,
        year=month.year,
        month=month.month,
        issued_on=today,
        summary=f"{month.year}年{month.month}月全市及各区在册困难群众按类别、按需求类型的统计。",
        body=body,
        live=False,
    )
    section.add_child(instance=page)
    user = actor.user if actor.is_authenticated else None
    page.save_revision(user=user, log_action=True)
    workflow = page.get_workflow()
    if workflow is not None:
        workflow.start(page, user)
    event_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=snapshot,
        detail={"statistics_release": f"{month:%Y-%m}", "page": page.pk},
    )
    return page


def release_state(page) -> str:
    """What became of a release, in words for the snapshot list."""
    if page is None:
        return ""
    if page.live:
        return "已发布"
    state = page.current_workflow_state
    if state is not None and state.status == state.STATUS_IN_PROGRESS:
        return "待审核"
    return "草稿（未提交或被退回）"
