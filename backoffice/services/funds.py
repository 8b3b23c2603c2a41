"""M1: what a purchased-service project costs. Unit costs per service and project year; the
funds a year needs, calculated from the ledger as it stands in the project's streets (files to
build or complete, home-visit interviews still to make, households to assess, plans to draw,
case sessions (at least five per case, U10), return visits (every three months, L6)) times a
service-radius factor for townships and remote streets; and a monthly statement per agency of
the services its people actually recorded, times the unit costs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from intake.enums import ReportStatus
from intake.models import Report

from ..actor import Actor
from ..enums import (
    OPEN_CASE_STATUSES,
    AuditAction,
    HouseholdStatus,
    NeedStatus,
    ServiceKind,
    VisitKind,
)
from ..models import (
    Agency,
    Case,
    CaseSession,
    Household,
    HouseholdAssignment,
    Need,
    Plan,
    ServiceProject,
    UnitCost,
    Visit,
)
from ..scope import scope_require
from .errors import RuleError
from .events import event_record

# L6: a follow-up visit every three months.
RETURN_VISITS_PER_YEAR = 4
# U10: at least five sessions per case.
SESSIONS_PER_CASE = 5
# Townships (镇, 乡) and remote streets cost more to serve: a default factor the district adjusts.
REMOTE_FACTOR = Decimal("1.2")
MAX_FACTOR = Decimal("3")
OPEN_REPORTS = (
    ReportStatus.RECEIVED,
    ReportStatus.ASSIGNED,
    ReportStatus.VISITED,
    ReportStatus.NEEDS_INFO,
)
NOT_VISITED = (ReportStatus.RECEIVED, ReportStatus.ASSIGNED)
CENT = Decimal("0.01")


@transaction.atomic
def unit_costs_set(
    *, actor: Actor, project: ServiceProject, year: int, amounts: dict[str, Decimal]
) -> list[UnitCost]:
    """The district sets the year's unit cost of each service the project buys."""
    scope_require(actor, project)
    if not project.starts_on.year <= year <= project.ends_on.year:
        raise RuleError(
            f"年度应在项目服务期内（{project.starts_on.year}–{project.ends_on.year}）。",
            field="year",
        )
    for kind in project.services:
        amount = amounts.get(kind)
        if amount is None:
            raise RuleError(f"请填写“{ServiceKind(kind).label}”的单价。", field=f"cost_{kind}")
        if amount < 0:
            raise RuleError("单价不能为负数。", field=f"cost_{kind}")
        cost, created = UnitCost.objects.get_or_create(
            project=project,
            year=year,
            kind=kind,
            defaults={"amount": amount, "set_by_name": actor.name[:150]},
        )
        if not created and cost.amount != amount:
            cost.amount, cost.set_by_name, cost.set_at = amount, actor.name[:150], timezone.now()
            cost.save()
    event_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=project,
        detail={"fields": ["unit_costs"], "year": year},
    )
    return list(UnitCost.objects.filter(project=project, year=year))


def return_visits_in(project: ServiceProject, year: int) -> int:
    """L6: one return visit every three months, for the months of `year` the project serves
    (a project from July to December pays for two a household, not four)."""
    first = max(project.starts_on, dt.date(year, 1, 1))
    last = min(project.ends_on, dt.date(year, 12, 31))
    if last < first:
        return 0
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    return -(-months * RETURN_VISITS_PER_YEAR // 12)


def unit_costs_of(project: ServiceProject, year: int) -> dict[str, Decimal]:
    return dict(UnitCost.objects.filter(project=project, year=year).values_list("kind", "amount"))


def default_factor(street_name: str) -> Decimal:
    return REMOTE_FACTOR if street_name.endswith(("镇", "乡", "地区")) else Decimal("1")


@dataclass
class FundRow:
    street_code: str
    street: str
    factor: Decimal
    quantities: dict[str, int]
    costs: dict[str, Decimal] = field(default_factory=dict)
    # The basis M1 names: the people in the ledger and their needs still open.
    households: int = 0
    persons: int = 0
    open_needs: int = 0

    @property
    def amount(self) -> Decimal:
        return sum(self.costs.values(), Decimal("0"))


@dataclass
class FundEstimate:
    project: ServiceProject
    year: int
    kinds: list[str]
    unit_costs: dict[str, Decimal]
    rows: list[FundRow]
    households: int
    persons: int
    visits_per_household: int = RETURN_VISITS_PER_YEAR

    @property
    def missing_costs(self) -> list[str]:
        return [str(ServiceKind(k).label) for k in self.kinds if k not in self.unit_costs]

    @property
    def total_quantities(self) -> dict[str, int]:
        return {k: sum(r.quantities.get(k, 0) for r in self.rows) for k in self.kinds}

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.rows), Decimal("0"))

    @property
    def open_needs(self) -> int:
        return sum(r.open_needs for r in self.rows)


def fund_estimate(
    project: ServiceProject,
    *,
    year: int,
    factors: dict[str, Decimal] | None = None,
    overrides: dict[tuple[str, str], int] | None = None,
) -> FundEstimate:
    """The year's funds from the ledger as it stands, street by street: quantities of each
    service the project buys (the district may override any), times the unit cost, times
    the street's service-radius factor."""
    factors, overrides = factors or {}, overrides or {}
    streets = list(project.streets.order_by("code"))
    codes = [s.code for s in streets]
    active = Household.objects.filter(street_id__in=codes, status=HouseholdStatus.ACTIVE)
    per_street = {
        row["street_id"]: row
        for row in active.annotate(has_plan=Exists(Plan.objects.filter(household=OuterRef("pk"))))
        .order_by()
        .values("street_id")
        .annotate(
            households=Count("id"),
            incomplete=Count("id", filter=Q(completeness__lt=100)),
            without_plan=Count("id", filter=Q(has_plan=False)),
        )
    }
    reports = {
        row["street_id"]: row
        for row in Report.objects.filter(street_id__in=codes, status__in=OPEN_REPORTS)
        .order_by()
        .values("street_id")
        .annotate(
            open=Count("id"),
            not_visited=Count("id", filter=Q(status__in=NOT_VISITED)),
        )
    }
    cases = dict(
        Case.objects.filter(household__street_id__in=codes, status__in=OPEN_CASE_STATUSES)
        .order_by()
        .values("household__street_id")
        .annotate(n=Count("id"))
        .values_list("household__street_id", "n")
    )
    # M1 "their needs": a household with a need still open and no case yet is one more case
    # to open (U5-U9), at five sessions like the others.
    open_needs = Need.objects.filter(
        household__in=active, status__in=(NeedStatus.OPEN, NeedStatus.IN_PROGRESS)
    )
    needs = dict(
        open_needs.order_by()
        .values("household__street_id")
        .annotate(n=Count("id"))
        .values_list("household__street_id", "n")
    )
    uncased = dict(
        active.filter(Exists(open_needs.filter(household=OuterRef("pk"))))
        .exclude(
            Exists(Case.objects.filter(household=OuterRef("pk"), status__in=OPEN_CASE_STATUSES))
        )
        .order_by()
        .values("street_id")
        .annotate(n=Count("id"))
        .values_list("street_id", "n")
    )
    visits_per_household = return_visits_in(project, year)
    persons = dict(
        active.order_by()
        .values("street_id")
        .annotate(n=Count("members", filter=Q(members__exited_on__isnull=True)))
        .values_list("street_id", "n")
    )
    unit_costs = unit_costs_of(project, year)
    rows = []
    for street in streets:
        ledger = per_street.get(street.code, {})
        open_reports = reports.get(street.code, {})
        households = ledger.get("households", 0)
        quantities = {
            ServiceKind.LEDGER_RECORD: open_reports.get("open", 0) + ledger.get("incomplete", 0),
            ServiceKind.HOME_VISIT: open_reports.get("not_visited", 0),
            ServiceKind.NEEDS_ASSESSMENT: households,
            ServiceKind.PLAN: ledger.get("without_plan", 0),
            ServiceKind.CASE: (cases.get(street.code, 0) + uncased.get(street.code, 0))
            * SESSIONS_PER_CASE,
            ServiceKind.RETURN_VISIT: households * visits_per_household,
        }
        quantities = {k: overrides.get((street.code, k), quantities[k]) for k in project.services}
        factor = factors.get(street.code, default_factor(street.name))
        row = FundRow(
            street.code,
            street.name,
            factor,
            quantities,
            households=households,
            persons=persons.get(street.code, 0),
            open_needs=needs.get(street.code, 0),
        )
        for kind, quantity in quantities.items():
            if kind in unit_costs:
                row.costs[kind] = (quantity * unit_costs[kind] * factor).quantize(
                    CENT, ROUND_HALF_UP
                )
        rows.append(row)
    return FundEstimate(
        project=project,
        year=year,
        kinds=list(project.services),
        unit_costs=unit_costs,
        rows=rows,
        households=sum(r.get("households", 0) for r in per_street.values()),
        persons=sum(persons.values()),
        visits_per_household=visits_per_household,
    )


@dataclass
class StatementRow:
    agency: str
    quantities: dict[str, int]
    costs: dict[str, Decimal]

    @property
    def amount(self) -> Decimal:
        return sum(self.costs.values(), Decimal("0"))


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """'2026-11' -> (2026-11-01, 2026-12-01); RuleError for anything else."""
    try:
        first = dt.datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise RuleError("月份格式应为 2026-11。", field="month") from None
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, following


def agency_statement(
    project: ServiceProject, *, month: str, only: Agency | None = None
) -> list[StatementRow]:
    """Per agency bound to the project (or only that one): the services its people recorded
    in the month in the project's streets (intake interviews; needs recorded at an interview;
    plans drawn; case sessions; follow-up and special visits; files of households assigned to
    it entered that month), times the unit costs of the month's year."""
    first, following = month_bounds(month)
    codes = list(project.streets.values_list("code", flat=True))
    unit_costs = unit_costs_of(project, first.year)
    rows = []
    agencies = project.agencies.order_by("name")
    if only is not None:
        agencies = agencies.filter(pk=only.pk)
    for agency in agencies:
        staff = agency.staff.values("user_id")
        visits = Visit.objects.filter(recorded_by__in=staff, visited_on__gte=first).filter(
            visited_on__lt=following
        )
        visits = visits.filter(Q(household__street_id__in=codes) | Q(report__street_id__in=codes))
        interviews = visits.filter(kind=VisitKind.INTAKE_INTERVIEW)
        quantities = {
            ServiceKind.LEDGER_RECORD: Household.objects.filter(
                street_id__in=codes,
                entered_on__gte=first,
                entered_on__lt=following,
                pk__in=HouseholdAssignment.objects.filter(agency=agency).values("household_id"),
            ).count(),
            ServiceKind.HOME_VISIT: interviews.count(),
            ServiceKind.NEEDS_ASSESSMENT: interviews.exclude(needs="").count(),
            ServiceKind.PLAN: Plan.objects.filter(
                created_by__in=staff,
                household__street_id__in=codes,
                created_at__date__gte=first,
                created_at__date__lt=following,
            ).count(),
            ServiceKind.CASE: CaseSession.objects.filter(
                worker__in=staff,
                case__household__street_id__in=codes,
                held_on__gte=first,
                held_on__lt=following,
            ).count(),
            ServiceKind.RETURN_VISIT: visits.filter(
                kind__in=(VisitKind.FOLLOW_UP, VisitKind.SPECIAL, VisitKind.EXIT_CHECKIN)
            ).count(),
        }
        quantities = {k: quantities[k] for k in project.services}
        costs = {
            k: (q * unit_costs[k]).quantize(CENT, ROUND_HALF_UP)
            for k, q in quantities.items()
            if k in unit_costs
        }
        rows.append(StatementRow(agency.name, quantities, costs))
    return rows


@dataclass
class OwnStatement:
    project: ServiceProject
    row: StatementRow
    missing_costs: list[str]


def agency_own_statements(agency: Agency, *, month: str) -> list[OwnStatement]:
    """M1, read by the agency's own people: its row of the monthly statement of every
    published project it is bound to in the month, and nothing of any other agency."""
    first, following = month_bounds(month)
    projects = (
        ServiceProject.objects.filter(
            agencies=agency,
            published_on__isnull=False,
            starts_on__lt=following,
            ends_on__gte=first,
        )
        .order_by("-starts_on", "name")
        .distinct()
    )
    statements = []
    for project in projects:
        (row,) = agency_statement(project, month=month, only=agency)
        costs = unit_costs_of(project, first.year)
        missing = [str(ServiceKind(k).label) for k in project.services if k not in costs]
        statements.append(OwnStatement(project, row, missing))
    return statements
