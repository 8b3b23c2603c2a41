"""Triage: from a public report to a ledger file, under working-day deadlines (issue 4, item 5).

F1: a reported hardship gets a home-visit interview within 1 working day of learning of it, and
is in the ledger within 2. F2: after an approval, the interview within 1 working day. F3: after
a survey's basic investigation, in the ledger within 3 working days. Days are counted on the
official calendar (F4, `backoffice.workdays`). Every action is audited (C1) and, once a
household exists, written on its timeline (L7). Two staff accepting the same report at once
produce one ledger entry (G4): the report row is locked and its status re-read inside the
transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from intake.enums import OPEN_STATUSES, ReportStatus
from intake.models import Report
from portal import identity

from ..enums import (
    AuditAction,
    DeadlineState,
    EntryRoute,
    NeedType,
    Relation,
    TimelineKind,
    VisitKind,
)
from ..models import Agency, Household, Need, Person, PersonCategory, Triage, Visit
from ..scope import scope_queryset
from ..workdays import Due, add_workdays, deadline_state
from .audit import audit_record
from .ledger import household_create, household_refresh_completeness, person_create
from .timeline import timeline_add

# F1-F3: (visit within N working days, in the ledger within N working days), None = no clock.
DEADLINES: dict[str, tuple[int | None, int | None]] = {
    EntryRoute.REPORT: (1, 2),  # F1
    EntryRoute.APPROVAL: (1, None),  # F2
    EntryRoute.SURVEY: (None, 3),  # F3
}
# F1/F2 require the home-visit interview before the file is opened; F3 comes from a survey.
VISIT_REQUIRED = frozenset({EntryRoute.REPORT, EntryRoute.APPROVAL})


class TriageError(Exception):
    """A triage action that cannot be taken; the message is for the user."""


@dataclass(frozen=True)
class Clock:
    """One statutory deadline of a report, and where it stands."""

    label: str
    due: Due
    done_on: dt.date | None
    state: DeadlineState | None  # None once done

    @property
    def done_late(self) -> bool:
        return self.done_on is not None and self.done_on > self.due.date


def report_clocks(report: Report, *, today: dt.date, visited_on: dt.date | None) -> list[Clock]:
    """The F1-F3 clocks of a report: visit and ledger entry, each due, done or running."""
    visit_days, ledger_days = DEADLINES[report.route]
    accepted_on = (
        timezone.localtime(report.status_changed_at).date()
        if report.status == ReportStatus.ACCEPTED
        else None
    )
    closed = report.status not in OPEN_STATUSES
    clocks = []
    for label, days, done_on in (
        ("入户访谈", visit_days, visited_on),
        ("纳入台账", ledger_days, accepted_on),
    ):
        if days is None:
            continue
        due = add_workdays(report.learned_on, days)
        running = done_on is None and not closed
        clocks.append(
            Clock(
                label=label,
                due=due,
                done_on=done_on,
                state=deadline_state(due.date, today) if running else None,
            )
        )
    return clocks


def _triage(report: Report) -> Triage:
    triage, _created = Triage.objects.get_or_create(report=report)
    return triage


def _set_status(report: Report, status: ReportStatus) -> None:
    report.status = status
    report.status_changed_at = timezone.now()
    report.save(update_fields=["status", "status_changed_at"])


def _locked_open_report(report_id: int) -> Report:
    """G4: the report row, locked for this transaction, and still open."""
    report = Report.objects.select_for_update().get(pk=report_id)
    if report.status not in OPEN_STATUSES:
        raise TriageError(
            f"该反映已由其他工作人员处理（当前状态：{report.get_status_display()}），"
            "本次操作未执行。请刷新页面查看。"
        )
    return report


@transaction.atomic
def report_assign(*, report_id: int, agency: Agency, worker, request) -> Report:
    """Give a report to an agency and one of its workers, who then sees it (scope)."""
    report = _locked_open_report(report_id)
    profile = getattr(worker, "staff_profile", None) if worker else None
    if worker is not None and (profile is None or profile.agency_id != agency.pk):
        raise TriageError("所选社工不属于所选机构。")
    triage = _triage(report)
    triage.agency, triage.worker, triage.assigned_at = agency, worker, timezone.now()
    triage.save()
    if report.status in (ReportStatus.RECEIVED, ReportStatus.NEEDS_INFO):
        _set_status(report, ReportStatus.ASSIGNED)
    audit_record(
        action=AuditAction.ASSIGN,
        request=request,
        obj=report,
        detail={"agency": agency.pk, "worker": getattr(worker, "pk", None)},
    )
    return report


@transaction.atomic
def report_visit_record(
    *,
    report_id: int,
    visited_on: dt.date,
    visitors: str,
    findings: str,
    needs: str,
    request,
) -> Visit:
    """F1/F2: the home-visit interview (入户访谈): when, who, what was found, what is needed."""
    report = _locked_open_report(report_id)
    if visited_on < report.learned_on:
        raise TriageError("走访日期不能早于知悉困难的日期。")
    visit = Visit.objects.create(
        kind=VisitKind.INTAKE_INTERVIEW,
        report=report,
        visited_on=visited_on,
        visitors=visitors,
        findings=findings,
        needs=needs,
        recorded_by=request.user,
    )
    if report.status in (ReportStatus.RECEIVED, ReportStatus.ASSIGNED, ReportStatus.NEEDS_INFO):
        _set_status(report, ReportStatus.VISITED)
    audit_record(action=AuditAction.VISIT, request=request, obj=report)
    return visit


@dataclass(frozen=True)
class AcceptChoices:
    """What staff decide when accepting; everything else is carried over from the report."""

    household: Household | None = None  # None: open a new file
    relation: str = Relation.HEAD
    sex: str = ""
    birth_date: dt.date | None = None
    need_type: str = NeedType.OTHER


@transaction.atomic
def report_accept(*, report_id: int, choices: AcceptChoices, request) -> Household:
    """Bring the report's person into the ledger with no retyping (F1-F3, L7).

    A new file or an existing household; when the ID number is already in the ledger, the
    person keeps their one file and gains the category (one person, one file).
    """
    report = _locked_open_report(report_id)
    if report.route in VISIT_REQUIRED and not report.visits.exists():
        raise TriageError("请先记录入户访谈（F1/F2 要求先入户了解情况），再纳入台账。")
    id_number = (
        identity.decrypt_value(report.subject_id_encrypted) if report.subject_id_encrypted else ""
    )
    phone = (
        identity.decrypt_value(report.subject_phone_encrypted)
        if report.subject_phone_encrypted
        else ""
    )
    person = (
        Person.objects.select_related("household").filter(id_number_index=report.subject_id_index)
        if report.subject_id_index
        else Person.objects.none()
    ).first()
    if person is not None:
        household = person.household
    elif choices.household is not None:
        household = choices.household
    else:
        household = household_create(
            community=report.community,
            address=report.address,
            entry_route=report.route,
            learned_on=report.learned_on,
            request=request,
        )
    if person is None:
        if not id_number and (not choices.sex or not choices.birth_date):
            raise TriageError("反映中没有身份证号：请填写当事人的性别和出生日期。")
        person = person_create(
            household=household,
            name=report.subject_name,
            relation=Relation.HEAD if choices.household is None else choices.relation,
            id_number=id_number,
            phone=phone,
            sex=choices.sex,
            birth_date=choices.birth_date,
            request=request,
        )
    PersonCategory.objects.get_or_create(
        person=person,
        subtype=report.subtype,
        defaults={"category": report.category, "since": timezone.localdate()},
    )
    Need.objects.create(
        household=household,
        person=person,
        need_type=choices.need_type,
        description=report.help_needed[:500],
    )
    Visit.objects.filter(report=report, household__isnull=True).update(household=household)
    triage = _triage(report)
    triage.household = household
    triage.decided_at, triage.decided_by = timezone.now(), request.user
    triage.save()
    _set_status(report, ReportStatus.ACCEPTED)
    household_refresh_completeness(household)
    audit_record(
        action=AuditAction.ACCEPT, request=request, obj=report, detail={"household": household.pk}
    )
    timeline_add(
        household=household,
        kind=TimelineKind.REPORT,
        summary=(
            f"群众反映 {report.reference} 纳入台账：{person.name}（{report.get_subtype_display()}）"
        ),
        user=request.user,
    )
    return household


def _close(report: Report, *, status: ReportStatus, note: str, request, action, **extra) -> None:
    triage = _triage(report)
    triage.note = note
    triage.decided_at, triage.decided_by = timezone.now(), request.user
    for key, value in extra.items():
        setattr(triage, key, value)
    triage.save()
    _set_status(report, status)
    audit_record(action=action, request=request, obj=report)


@transaction.atomic
def report_merge(*, report_id: int, into: Report, request) -> Report:
    """A duplicate: the report is closed as merged into the earlier one."""
    report = _locked_open_report(report_id)
    if into.pk == report.pk:
        raise TriageError("不能把反映合并到它自己。")
    _close(
        report,
        status=ReportStatus.MERGED,
        note=f"与 {into.reference} 重复",
        request=request,
        action=AuditAction.MERGE,
        merged_into=into,
    )
    return report


@transaction.atomic
def report_request_info(*, report_id: int, message: str, request) -> Report:
    report = _locked_open_report(report_id)
    triage = _triage(report)
    triage.note = message
    triage.save()
    _set_status(report, ReportStatus.NEEDS_INFO)
    audit_record(action=AuditAction.REQUEST_INFO, request=request, obj=report)
    return report


@transaction.atomic
def report_reject(*, report_id: int, reason: str, request) -> Report:
    report = _locked_open_report(report_id)
    _close(
        report,
        status=ReportStatus.REJECTED,
        note=reason,
        request=request,
        action=AuditAction.REJECT,
    )
    return report


# Reads -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateCandidates:
    reports: list[Report]
    persons: list[Person]


def report_duplicates(*, report: Report, user) -> DuplicateCandidates:
    """Same ID (blind index), same phone, or same name in the same community: in the reports
    and in the ledger, within the user's scope."""
    same = Q(community_id=report.community_id, subject_name=report.subject_name)
    if report.subject_id_index:
        same |= Q(subject_id_index=report.subject_id_index)
    if report.subject_phone_index:
        same |= Q(subject_phone_index=report.subject_phone_index)
    reports = (
        scope_queryset(user, Report.objects.filter(same).exclude(pk=report.pk))
        .select_related("community")
        .order_by("-submitted_at")[:10]
    )
    in_ledger = Q(household__community_id=report.community_id, name=report.subject_name)
    if report.subject_id_index:
        in_ledger |= Q(id_number_index=report.subject_id_index)
    if report.subject_phone_index:
        in_ledger |= Q(phone_index=report.subject_phone_index)
    persons = scope_queryset(user, Person.objects.filter(in_ledger)).select_related(
        "household__community"
    )[:10]
    return DuplicateCandidates(reports=list(reports), persons=list(persons))


def reports_for(user) -> QuerySet:
    """The triage queue of `user`: urgent first, then oldest (D2, F1)."""
    return scope_queryset(user, Report.objects.all()).order_by("-urgent", "learned_on", "pk")
