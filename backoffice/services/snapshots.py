"""Issue 16 item 2 (U11): monthly statistics snapshots and the trends read from them.

A snapshot freezes the statistics page's tables for the city (districts as rows) and for each
district (streets as rows), one table more for the published release (needs by type), and the
month's flows community by community: households entered, exited and re-entered. Everything
is computed by aggregate queries (`area_statistics` and a few grouped counts); no ledger row is
loaded into Python. Once written, a snapshot is read and never recomputed: the October report
reads the same in December. Taking a month again needs `replace` (the command's --replace).

The tables hold the ledger as it stood when the snapshot was taken (taken on the 1st by cron,
that is the month's end); the flows are the month's own, whenever it is taken.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from portal.db import replica_reads

from ..actor import Actor, system_actor
from ..enums import AreaLevel, AuditAction, Category, HouseholdStatus, NeedType
from ..models import Area, Household, LedgerExit, Need, PersonCategory, StatisticsSnapshot
from ..scope import scope_of
from .errors import RuleError
from .events import event_record
from .statistics import AreaStatistics, StatisticsTable, area_statistics

SNAPSHOT_VERSION = 1
FLOWS = ("entered", "exited", "reentered")
FLOW_LABELS = {"entered": "新纳入", "exited": "退出", "reentered": "重新纳入"}


class SnapshotError(RuleError):
    pass


# --- months -------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def month_previous(today: dt.date) -> dt.date:
    """The month a snapshot taken today is for by default: the one just ended."""
    return month_start(month_start(today) - dt.timedelta(days=1))


def month_parse(text: str) -> dt.date:
    """'2026-10' -> 2026-10-01; ValueError otherwise."""
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return dt.date(year, month, 1)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a month (YYYY-MM): {text!r}") from exc


def month_key(month: dt.date) -> str:
    return f"{month:%Y-%m}"


# --- computing ------------------------------------------------------------------------------------


def _table_document(table: StatisticsTable) -> dict:
    """A table of the statistics page as it is frozen: labels, rows and totals as shown."""
    return {
        "key": table.key,
        "title": table.title,
        "columns": [[c.key, c.label] for c in table.columns],
        "rows": [[row.code, row.name, table.cells(row)] for row in table.rows],
        "totals": table.total_cells,
        "total_label": table.total_label,
        "row_heading": table.row_heading,
        "chart_column": table.chart_column,
        "chart_title": table.chart_title,
        "note": table.note,
    }


def _view_document(statistics: AreaStatistics) -> dict:
    return {
        "rows_level": statistics.rows_level,
        "tables": [_table_document(t) for t in statistics.tables],
    }


def _release_counts() -> dict[str, dict[str, dict[str, int]]]:
    """{"categories" | "need_types": {street: {column: count}}}: what the public release
    publishes, street by street (districts and the city are their sums). Persons still in the
    ledger by category (a person once per category held), needs of files in the ledger by
    type."""
    active = HouseholdStatus.ACTIVE
    categories = (
        PersonCategory.objects.filter(
            person__household__status=active, person__exited_on__isnull=True
        )
        .order_by()
        .values("person__household__street_id")
        .annotate(
            **{c.value: Count("person", filter=Q(category=c), distinct=True) for c in Category}
        )
    )
    need_types = (
        Need.objects.filter(household__status=active)
        .order_by()
        .values("household__street_id")
        .annotate(**{t.value: Count("id", filter=Q(need_type=t)) for t in NeedType})
    )
    return {
        "categories": {e.pop("person__household__street_id"): e for e in categories},
        "need_types": {e.pop("household__street_id"): e for e in need_types},
    }


def _flows(month: dt.date) -> dict[tuple[str, str, str], dict[str, int]]:
    """{(district, street, community): {entered, exited, reentered}} in `month`: households
    that entered the ledger, whole households that left it, and those that came back."""
    start, end = month, month_end(month)
    found: dict[tuple[str, str, str], dict[str, int]] = {}
    queries = [
        ("entered", Household.objects.filter(entered_on__range=(start, end)), ""),
        (
            "exited",
            LedgerExit.objects.filter(person__isnull=True, exited_on__range=(start, end)),
            "household__",
        ),
        (
            "reentered",
            LedgerExit.objects.filter(person__isnull=True, reentered_on__range=(start, end)),
            "household__",
        ),
    ]
    for name, queryset, prefix in queries:
        columns = [f"{prefix}district_id", f"{prefix}street_id", f"{prefix}community_id"]
        for entry in queryset.order_by().values(*columns).annotate(n=Count("id")):
            key = tuple(entry[c] for c in columns)
            found.setdefault(key, dict.fromkeys(FLOWS, 0))[name] = entry["n"]
    return found


def _ledger_size(view: dict, into: dict[str, dict]) -> None:
    """The households and persons in the ledger of each row area of a view (for trends)."""
    table = next((t for t in view["tables"] if t["key"] == "households"), None)
    if table is None or table.get("row_heading"):
        return
    keys = [k for k, _label in table["columns"]]
    for code, _name, cells in table["rows"]:
        if code in into:
            into[code]["ledger"] = dict(zip(keys, cells, strict=True))


def snapshot_compute(month: dt.date, *, today: dt.date | None = None) -> dict:
    """The frozen document of `month`: the statistics page of the city and of each district as
    they read now, the release's counts street by street, and the month's flows (city,
    districts, streets, communities). Reads the whole city, whoever asked for it."""
    today = today or timezone.localdate()
    system = system_actor()
    city = Area.objects.filter(level=AreaLevel.CITY).order_by("code").first()
    city_code = city.code if city else "city"

    def entry(name, level, parent):
        return {"name": name, "level": level, "parent": parent, "flows": dict.fromkeys(FLOWS, 0)}

    areas: dict[str, dict] = {city_code: entry(city.name if city else "北京市", "city", None)}
    for code, name, level, parent_id in Area.objects.filter(
        level__in=(AreaLevel.DISTRICT, AreaLevel.STREET)
    ).values_list("code", "name", "level", "parent_id"):
        areas[code] = entry(name, level, city_code if level == AreaLevel.DISTRICT else parent_id)
    city_view = _view_document(area_statistics(system, area=None, today=today))
    views = {city_code: city_view}
    _ledger_size(city_view, areas)
    table = next((t for t in city_view["tables"] if t["key"] == "households"), None)
    if table is not None:
        areas[city_code]["ledger"] = dict(
            zip([k for k, _label in table["columns"]], table["totals"], strict=True)
        )
    for district in Area.objects.filter(level=AreaLevel.DISTRICT).order_by("code"):
        views[district.code] = _view_document(area_statistics(system, area=district, today=today))
        _ledger_size(views[district.code], areas)
    flows = _flows(month)
    names = dict(Area.objects.filter(pk__in=[k[2] for k in flows]).values_list("code", "name"))
    for (district, street, community), counts in flows.items():
        areas.setdefault(community, entry(names.get(community, community), "community", street))
        for code in (city_code, district, street, community):
            if code in areas:
                _add(areas[code]["flows"], counts)
    return {
        "version": SNAPSHOT_VERSION,
        "month": month_key(month),
        "as_of": today.isoformat(),
        "city": city_code,
        "areas": areas,
        "views": views,
        "release": _release_counts(),
    }


def snapshot_summary(data: dict) -> dict[str, dict]:
    """{area code: {parent, name, entered, exited, reentered, households, persons}}: the
    trends' part of a snapshot document."""
    return {
        code: {
            "name": area["name"],
            "parent": area["parent"],
            **{flow: area["flows"].get(flow, 0) for flow in FLOWS},
            "households": area.get("ledger", {}).get("households"),
            "persons": area.get("ledger", {}).get("persons"),
        }
        for code, area in data["areas"].items()
    }


def _add(into: dict[str, int], values: dict[str, int]) -> None:
    for key, value in values.items():
        into[key] = into.get(key, 0) + value


@transaction.atomic
def snapshot_take(
    *, actor: Actor, month: dt.date, replace: bool = False, today: dt.date | None = None
) -> StatisticsSnapshot:
    """U11: freeze `month`'s statistics. A month already taken is refused unless `replace`;
    audited either way it is written. Only the city and the districts take snapshots."""
    if not actor.can("backoffice.take_statistics_snapshot"):
        raise SnapshotError("没有生成统计快照的权限。")
    month = month_start(month)
    today = today or timezone.localdate()
    if month > month_start(today):
        raise SnapshotError("不能为尚未开始的月份生成快照。")
    existing = StatisticsSnapshot.objects.select_for_update().filter(month=month).first()
    if existing is not None and not replace:
        raise SnapshotError(
            f"{month.year}年{month.month}月的快照已经生成，如需重新生成请选择“重新生成”。"
        )
    with replica_reads():  # issue 16: the replica, when there is one, bears the counting
        data = snapshot_compute(month, today=today)
    summary = snapshot_summary(data)
    who = {
        "taken_at": timezone.now(),
        "taken_by": actor.user if actor.is_authenticated else None,
        "taken_by_name": actor.name,
    }
    if existing is None:
        snapshot = StatisticsSnapshot.objects.create(month=month, data=data, summary=summary, **who)
        action = AuditAction.CREATE
    else:
        for name, value in who.items():
            setattr(existing, name, value)
        existing.data = data
        existing.summary = summary
        existing.replaced += 1
        existing.save()
        snapshot, action = existing, AuditAction.UPDATE
    event_record(
        actor=actor,
        action=action,
        obj=snapshot,
        detail={"statistics_snapshot": month_key(month), "replaced": existing is not None},
    )
    return snapshot


@transaction.atomic
def snapshot_request(*, actor: Actor, month: dt.date, replace: bool = False) -> str:
    """The back office's button: check now what can be checked (permission, a month already
    taken), and take the snapshot in the background (statistics_snapshot_task); the task's
    outcome when it ran at once ("taken: ..." or "refused: ..."), else ""."""
    from ..tasks import statistics_snapshot_task

    if not actor.can("backoffice.take_statistics_snapshot") or not actor.is_authenticated:
        raise SnapshotError("没有生成统计快照的权限。")
    month = month_start(month)
    if month > month_start(timezone.localdate()):
        raise SnapshotError("不能为尚未开始的月份生成快照。")
    if not replace and StatisticsSnapshot.objects.filter(month=month).exists():
        raise SnapshotError(
            f"{month.year}年{month.month}月的快照已经生成，如需重新生成请选择“重新生成”。"
        )
    # Enqueued in this transaction: the worker sees the task once it commits. The outcome
    # (the task's return value) tells whether it ran already (a test's immediate backend).
    result = statistics_snapshot_task.enqueue(month_key(month), actor.user_id, replace)
    return result.return_value if result.is_finished else ""


def snapshot_take_queued(*, month: str, user_id: int, replace: bool) -> str:
    """The task's work: `snapshot_take` as the user who pressed the button (a refusal, such as
    a month taken meanwhile, is the outcome)."""
    from django.contrib.auth import get_user_model

    from ..actor import user_actor
    from ..enums import Channel

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return "refused: no such user"
    try:
        snapshot = snapshot_take(
            actor=user_actor(user, channel=Channel.TASK), month=month_parse(month), replace=replace
        )
    except RuleError as error:
        return f"refused: {error.message}"
    return f"taken: {snapshot.month:%Y-%m}"


# --- reading ---------------------------------------------------------------------------------


@dataclass
class SnapshotRow:
    code: str
    name: str
    cells: list[int]


@dataclass
class SnapshotTable:
    key: str
    title: str
    columns: list[str]
    rows: list[SnapshotRow]
    totals: list[int]
    total_label: str
    row_heading: str | None
    chart_title: str
    chart_column: int | None  # index into the columns; None: the totals column by column
    note: str = ""

    def chart_bars(self) -> list[tuple[str, int]]:
        if self.chart_column is not None:
            return [(row.name, row.cells[self.chart_column]) for row in self.rows]
        return list(zip(self.columns[:-1], self.totals[:-1], strict=True))


@dataclass
class SnapshotView:
    snapshot: StatisticsSnapshot
    area_code: str
    area_name: str
    rows_level: str
    tables: list[SnapshotTable] = field(default_factory=list)
    drill_down: set[str] = field(default_factory=set)  # row codes that open a page
    parent: str | None = None
    partial: bool = False  # a street: its own row of its district's area tables only


def snapshot_visible_root(who, data: dict) -> str | None:
    """The area of a snapshot `who` may read from (the city for the city bureau, the own
    district or street otherwise; None for a community or no ledger role)."""
    scope = scope_of(who)
    if scope.is_everything:
        return data.get("city")
    if scope.level in ("district", "street"):
        return scope.area_code
    return None


def snapshot_may_read(who, data: dict, code: str) -> bool:
    """Whether `code` is `who`'s area or lies under it in the snapshot."""
    root = snapshot_visible_root(who, data)
    areas = data.get("areas", {})
    while code and root:
        if code == root:
            return True
        code = areas.get(code, {}).get("parent")
    return False


def _table(document: dict, only: str | None = None) -> SnapshotTable:
    keys = [k for k, _label in document["columns"]]
    rows = [SnapshotRow(code, name, cells) for code, name, cells in document["rows"]]
    totals = document["totals"]
    if only is not None:
        rows = [row for row in rows if row.code == only]
        totals = rows[0].cells if rows else [0] * len(keys)
    chart_column = document.get("chart_column")
    return SnapshotTable(
        key=document["key"],
        title=document["title"],
        columns=[label for _k, label in document["columns"]],
        rows=rows,
        totals=totals,
        total_label=document.get("total_label") or "合计",
        row_heading=document.get("row_heading"),
        chart_title=document.get("chart_title") or document["title"],
        chart_column=keys.index(chart_column) if chart_column in keys else None,
        note=document.get("note", ""),
    )


def snapshot_view(who, snapshot: StatisticsSnapshot, code: str | None = None) -> SnapshotView:
    """The frozen statistics page of one area of a snapshot in `who`'s scope: the city's or a
    district's page as it read; a street's own row of its district's tables by area.
    LookupError outside the scope or the snapshot."""
    data = snapshot.data
    code = code or snapshot_visible_root(who, data)
    areas = data.get("areas", {})
    if not code or code not in areas or not snapshot_may_read(who, data, code):
        raise LookupError(code)
    area = areas[code]
    views = data.get("views", {})
    if code in views:
        view, only, partial = views[code], None, False
    elif area["parent"] in views:
        view, only, partial = views[area["parent"]], code, True
    else:
        raise LookupError(code)
    tables = [
        _table(t, only)
        for t in view["tables"]
        if not (partial and t.get("row_heading"))  # a district's tables by kind
    ]
    parent = area.get("parent")
    return SnapshotView(
        snapshot=snapshot,
        area_code=code,
        area_name=area["name"],
        rows_level=area["level"] if partial else view["rows_level"],
        tables=tables,
        drill_down=set()
        if partial
        else {c for c in views if areas.get(c, {}).get("parent") == code},
        parent=parent if parent and snapshot_may_read(who, data, parent) else None,
        partial=partial,
    )


@dataclass
class TrendMonth:
    month: dt.date
    entered: int
    exited: int
    reentered: int
    households: int | None
    persons: int | None


def trends(who, *, code: str | None = None, months: int = 24) -> tuple[str, list[TrendMonth]]:
    """Month by month from the snapshots (oldest first, the latest `months`): the flows and the
    households and persons in the ledger of `who`'s area (or `code` under it). A community
    station reads its community's flows (snapshots hold no community tables). Reads each
    snapshot's summary only. LookupError for an area outside the scope."""
    scope = scope_of(who)
    snapshots = list(
        StatisticsSnapshot.objects.order_by("-month").only("month", "summary")[:months]
    )[::-1]
    if scope.level == "community":
        if code not in (None, scope.area_code):
            raise LookupError(code)
        root = scope.area_code
    elif scope.is_everything or scope.level in ("district", "street"):
        root = code or (None if scope.is_everything else scope.area_code)
    else:
        raise LookupError(code)
    name = ""
    found = []
    for snapshot in snapshots:
        summary = snapshot.summary
        here = root
        if here is None:  # the city: the area without a parent
            here = next((c for c, a in summary.items() if a["parent"] is None), None)
        if code is not None and not scope.is_everything and scope.level != "community":
            # Under the user's own area only.
            step = here
            while step and step != scope.area_code:
                step = summary.get(step, {}).get("parent")
            if step != scope.area_code:
                raise LookupError(code)
        area = summary.get(here)
        if area is None:
            if code is not None and scope.is_everything and summary:
                raise LookupError(code)
            found.append(TrendMonth(snapshot.month, 0, 0, 0, None, None))
            continue
        name = area["name"]
        found.append(
            TrendMonth(
                month=snapshot.month,
                entered=area.get("entered", 0),
                exited=area.get("exited", 0),
                reentered=area.get("reentered", 0),
                households=area.get("households"),
                persons=area.get("persons"),
            )
        )
    return name, found
