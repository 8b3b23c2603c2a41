"""M2: spot checks (抽查) of ledger files. The district draws a reproducible sample of its
active files, stratified by street and agency; a checker records for each file whether it is
complete (L1-L5), accurate against the documents and timely (F1-F3 clocks, L6 visits, U10
sessions), with findings and a rectification deadline in working days; the station or agency
keeping the file rectifies; the district rechecks. Results are summed per street and agency."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..actor import Actor
from ..enums import AreaLevel, AuditAction, HouseholdStatus, SpotCheckStatus
from ..models import Area, Household, HouseholdAssignment, SpotCheck, SpotCheckItem
from ..scope import scope_queryset, scope_require
from ..workdays import add_workdays
from .errors import RuleError
from .events import event_record

MAX_SAMPLE = 500


def stratified_sample(
    population: list[tuple[int, str, int | None]], size: int, seed: int
) -> list[tuple[int, str, int | None]]:
    """`size` of the (household, street, agency) rows, drawn per (street, agency) stratum in
    proportion to its size (largest remainders get the leftover places). Pure and seeded: the
    same rows, size and seed always give the same sample."""
    strata: dict[tuple[str, int], list[tuple[int, str, int | None]]] = defaultdict(list)
    for row in sorted(population):
        strata[(row[1], row[2] or 0)].append(row)
    total = len(population)
    keys = sorted(strata)
    quotas = {key: size * len(strata[key]) // total for key in keys}
    remainders = sorted(keys, key=lambda key: (-(size * len(strata[key]) % total), key))
    for key in remainders[: size - sum(quotas.values())]:
        quotas[key] += 1
    rng = random.Random(seed)
    drawn = []
    for key in keys:
        drawn.extend(rng.sample(strata[key], quotas[key]))
    return drawn


def _population(actor: Actor, district: Area) -> list[tuple[int, str, int | None]]:
    households = scope_queryset(
        actor, Household.objects.filter(district=district, status=HouseholdStatus.ACTIVE)
    )
    agency_of: dict[int, int] = {}
    for household_id, agency_id in (
        HouseholdAssignment.objects.filter(household__in=households.values("pk"))
        .order_by("id")
        .values_list("household_id", "agency_id")
    ):
        agency_of.setdefault(household_id, agency_id)
    return [
        (pk, street_id, agency_of.get(pk))
        for pk, street_id in households.order_by("pk").values_list("pk", "street_id")
    ]


@transaction.atomic
def spot_check_draw(
    *,
    actor: Actor,
    district: Area,
    title: str,
    size: int,
    seed: int | None = None,
    rectify_workdays: int = 10,
) -> SpotCheck:
    """Draw the sample and keep it with its seed (the same seed on the same ledger draws the
    same files again, for anyone who wants to verify the draw)."""
    if district.level != AreaLevel.DISTRICT:
        raise RuleError("请选择抽查的区。", field="district")
    scope_require(actor, district)
    if not title.strip():
        raise RuleError("请填写抽查名称。", field="title")
    if not 1 <= size <= MAX_SAMPLE:
        raise RuleError(f"抽取户数应在 1 到 {MAX_SAMPLE} 之间。", field="size")
    if not 1 <= rectify_workdays <= 60:
        raise RuleError("整改期限应在 1 到 60 个工作日之间。", field="rectify_workdays")
    population = _population(actor, district)
    if not population:
        raise RuleError(f"{district.name}没有在册家庭，无法抽查。")
    if size > len(population):
        raise RuleError(f"抽取户数不能超过在册户数（{len(population)} 户）。", field="size")
    seed = secrets.randbelow(10**9) if seed is None else seed
    check = SpotCheck.objects.create(
        district=district,
        title=title.strip(),
        seed=seed,
        size=size,
        population=len(population),
        rectify_workdays=rectify_workdays,
        drawn_by_name=actor.name[:150],
    )
    SpotCheckItem.objects.bulk_create(
        SpotCheckItem(spot_check=check, household_id=pk, street_id=street, agency_id=agency)
        for pk, street, agency in stratified_sample(population, size, seed)
    )
    event_record(
        actor=actor, action=AuditAction.CREATE, obj=check, detail={"count": size, "seed": seed}
    )
    return check


def _locked(actor: Actor, item: SpotCheckItem, expected_version: int | None) -> SpotCheckItem:
    scope_require(actor, item)
    locked = SpotCheckItem.objects.select_for_update().select_related("spot_check").get(pk=item.pk)
    if expected_version is not None and locked.version != expected_version:
        raise RuleError("该档案的抽查记录已被他人更新，请刷新页面后再操作。")
    return locked


@transaction.atomic
def spot_check_record(
    *,
    actor: Actor,
    item: SpotCheckItem,
    complete_ok: bool,
    accurate_ok: bool,
    timely_ok: bool,
    findings: str,
    expected_version: int | None = None,
    today: dt.date | None = None,
) -> SpotCheckItem:
    """The check of one file, or the recheck after its rectification: all three right, it
    passes; otherwise the findings say what is wrong and the file is due for rectification
    within the check's working days."""
    item = _locked(actor, item, expected_version)
    if item.status == SpotCheckStatus.PASSED:
        raise RuleError("该档案已检查合格。")
    if item.status == SpotCheckStatus.RECTIFY:
        raise RuleError("该档案正在整改，整改完成后再复查。")
    today = today or timezone.localdate()
    findings = findings.strip()
    passed = complete_ok and accurate_ok and timely_ok
    if not passed and not findings:
        raise RuleError("请写明发现的问题，便于整改。", field="findings")
    if item.status == SpotCheckStatus.RECTIFIED:
        item.rechecks += 1
    item.complete_ok, item.accurate_ok, item.timely_ok = complete_ok, accurate_ok, timely_ok
    item.findings = findings
    item.checked_on = today
    item.checked_by_name = actor.name[:150]
    if passed:
        item.status, item.rectify_by = SpotCheckStatus.PASSED, None
    else:
        item.status = SpotCheckStatus.RECTIFY
        item.rectify_by = add_workdays(today, item.spot_check.rectify_workdays).date
    item.version += 1
    item.save()
    event_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=item,
        detail={"fields": ["complete_ok", "accurate_ok", "timely_ok", "findings"]},
    )
    return item


@transaction.atomic
def spot_check_rectify(
    *,
    actor: Actor,
    item: SpotCheckItem,
    rectification: str,
    expected_version: int | None = None,
    today: dt.date | None = None,
) -> SpotCheckItem:
    """The station or agency keeping the file says what it rectified; the district rechecks."""
    item = _locked(actor, item, expected_version)
    if item.status != SpotCheckStatus.RECTIFY:
        raise RuleError("该档案没有待整改的问题。")
    rectification = rectification.strip()
    if not rectification:
        raise RuleError("请写明整改情况。", field="rectification")
    item.rectification = rectification
    item.rectified_on = today or timezone.localdate()
    item.rectified_by_name = actor.name[:150]
    item.status = SpotCheckStatus.RECTIFIED
    item.version += 1
    item.save()
    event_record(
        actor=actor, action=AuditAction.UPDATE, obj=item, detail={"fields": ["rectification"]}
    )
    return item


@dataclass
class ResultRow:
    name: str
    drawn: int = 0
    checked: int = 0
    passed: int = 0
    open: int = 0  # due for rectification or waiting for the recheck
    late: int = 0  # rectification deadline passed without rectification
    incomplete: int = 0
    inaccurate: int = 0
    untimely: int = 0


def spot_check_results(check: SpotCheck, *, today: dt.date | None = None) -> dict[str, list]:
    """The results per street and per agency (files drawn, checked, passed, open, late, and
    how many were found incomplete, inaccurate or late in their work)."""
    today = today or timezone.localdate()
    by_street: dict[str, ResultRow] = {}
    by_agency: dict[str, ResultRow] = {}
    for item in check.items.select_related("street", "agency"):
        for table, name in (
            (by_street, item.street.name),
            (by_agency, item.agency.name if item.agency else "（未分派社工机构）"),
        ):
            row = table.setdefault(name, ResultRow(name))
            row.drawn += 1
            if item.status == SpotCheckStatus.PENDING:
                continue
            row.checked += 1
            row.passed += item.status == SpotCheckStatus.PASSED
            row.open += item.status in (SpotCheckStatus.RECTIFY, SpotCheckStatus.RECTIFIED)
            row.late += item.status == SpotCheckStatus.RECTIFY and item.rectify_by < today
            row.incomplete += item.complete_ok is False
            row.inaccurate += item.accurate_ok is False
            row.untimely += item.timely_ok is False
    return {
        "streets": sorted(by_street.values(), key=lambda r: r.name),
        "agencies": sorted(by_agency.values(), key=lambda r: r.name),
    }
