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
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from intake.enums import OPEN_STATUSES, ReporterType, ReportStatus
from intake.models import Report
from intake.services import identifier_columns, new_reference
from portal import identity

from ..actor import Actor
from ..children import child_birth_cutoff
from ..enums import (
    AuditAction,
    Category,
    DeadlineState,
    EntryRoute,
    HandoverKind,
    HandoverStatus,
    NeedType,
    Relation,
    TimelineKind,
    VisitKind,
)
from ..models import Agency, Handover, Household, Need, Person, PersonCategory, Triage, Visit
from ..permissions import user_can_reveal_identifiers, user_can_see_reporter
from ..scope import in_scope, scope_queryset, scope_require
from ..workdays import Due, add_workdays, deadline_state
from .assignments import assignment_carry_over
from .errors import RuleError
from .events import event_record, events_record_bulk
from .ledger import (
    CATEGORY_OF_SUBTYPE,
    household_create,
    household_require_open,
    person_by_id_number,
    person_create,
)
from .ledger_edits import ledger_record_save

# F1-F3: (visit within N working days, in the ledger within N working days), None = no clock.
DEADLINES: dict[str, tuple[int | None, int | None]] = {
    EntryRoute.REPORT: (1, 2),  # F1
    EntryRoute.APPROVAL: (1, None),  # F2
    EntryRoute.SURVEY: (None, 3),  # F3
}
# F1/F2 require the home-visit interview before the file is opened; F3 comes from a survey.
VISIT_REQUIRED = frozenset({EntryRoute.REPORT, EntryRoute.APPROVAL})


# B8: the jurisdiction that holds the file takes a handed-over report up within this many
# working days (as F1 gives a station one working day for the visit).
HANDOVER_WORKDAYS = 1


class TriageError(RuleError):
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


def _locked_open_report(report_id: int, *, actor: Actor) -> Report:
    """G4: the report row, locked for this transaction, in the actor's scope and still open."""
    report = Report.objects.select_for_update().get(pk=report_id)
    scope_require(actor, report)
    if report.status not in OPEN_STATUSES:
        raise TriageError(
            f"该反映已由其他工作人员处理（当前状态：{report.get_status_display()}），"
            "本次操作未执行。请刷新页面查看。"
        )
    return report


@transaction.atomic
def report_assign(*, report_id: int, agency: Agency, worker, actor: Actor) -> Report:
    """Give a report to an agency and one of its workers, who then sees it (scope)."""
    report = _locked_open_report(report_id, actor=actor)
    if agency.district_id != report.district_id:  # B8: the district's own agencies only
        raise TriageError("所选社工机构不服务于该反映所在的区。")
    profile = getattr(worker, "staff_profile", None) if worker else None
    if worker is not None and (profile is None or profile.agency_id != agency.pk):
        raise TriageError("所选社工不属于所选机构。")
    triage = _triage(report)
    triage.agency, triage.worker, triage.assigned_at = agency, worker, timezone.now()
    triage.save()
    if report.status in (ReportStatus.RECEIVED, ReportStatus.NEEDS_INFO):
        _set_status(report, ReportStatus.ASSIGNED)
    event_record(
        actor=actor,
        action=AuditAction.ASSIGN,
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
    actor: Actor,
) -> Visit:
    """F1/F2: the home-visit interview (入户访谈): when, who, what was found, what is needed."""
    report = _locked_open_report(report_id, actor=actor)
    if visited_on < report.learned_on:
        raise TriageError("走访日期不能早于知悉困难的日期。")
    visit = Visit.objects.create(
        kind=VisitKind.INTAKE_INTERVIEW,
        report=report,
        visited_on=visited_on,
        visitors=visitors,
        findings=findings,
        needs=needs,
        recorded_by=actor.user,
    )
    if report.status in (ReportStatus.RECEIVED, ReportStatus.ASSIGNED, ReportStatus.NEEDS_INFO):
        _set_status(report, ReportStatus.VISITED)
    event_record(actor=actor, action=AuditAction.VISIT, obj=report)
    return visit


@dataclass(frozen=True)
class AcceptChoices:
    """What staff decide when accepting; everything else is carried over from the report."""

    household: Household | None = None  # None: open a new file
    relation: str = Relation.HEAD
    sex: str = ""
    birth_date: dt.date | None = None
    need_type: str = NeedType.OTHER


@dataclass(frozen=True)
class Accepted:
    """What accepting a report did: brought it into a file, or handed it over (B8)."""

    household: Household | None = None
    handover: Handover | None = None


def _report_identifiers(report: Report) -> tuple[str, str]:
    decrypt = identity.decrypt_value
    id_number = decrypt(report.subject_id_encrypted) if report.subject_id_encrypted else ""
    phone = decrypt(report.subject_phone_encrypted) if report.subject_phone_encrypted else ""
    return id_number, phone


def _into_file(*, report: Report, person: Person, need_type: str, actor: Actor) -> Household:
    """The report's category, need and visits join the person's file (one person, one file)."""
    household = person.household
    household_require_open(household)
    if not PersonCategory.objects.filter(person=person, subtype=report.subtype).exists():
        category = PersonCategory(person=person, subtype=report.subtype, since=timezone.localdate())
        ledger_record_save(actor=actor, record=category, changed_fields=["subtype", "since"])
    need = Need(
        household=household,
        person=person,
        need_type=need_type,
        description=report.help_needed[:500],
    )
    ledger_record_save(actor=actor, record=need, changed_fields=["need_type", "description"])
    Visit.objects.filter(report=report, household__isnull=True).update(household=household)
    triage = _triage(report)
    # M4: the worker triage gave the report to serves the file it joins.
    assignment_carry_over(actor=actor, household=household, worker=triage.worker)
    triage.household = household
    triage.decided_at, triage.decided_by = timezone.now(), actor.user
    triage.save()
    _set_status(report, ReportStatus.ACCEPTED)
    event_record(
        actor=actor,
        action=AuditAction.ACCEPT,
        obj=report,
        detail={"household": household.pk},
        household=household,
        timeline=TimelineKind.REPORT,
        summary=(
            f"群众反映 {report.reference} 纳入台账：{person.name}（{report.get_subtype_display()}）"
        ),
    )
    return household


@transaction.atomic
def report_accept(*, report_id: int, choices: AcceptChoices, actor: Actor) -> Accepted:
    """Bring the report's person into the ledger with no retyping (F1-F3, L7).

    A new file or an existing household; when the ID number is already in the ledger, the
    person keeps their one file and gains the category (one person, one file). When that file
    is outside the actor's jurisdiction, nothing is written into it: the report is handed
    over to the jurisdiction that holds it (B8), and the actor learns only that.
    """
    report = _locked_open_report(report_id, actor=actor)
    if report.route in VISIT_REQUIRED and not report.visits.exists():
        raise TriageError("请先记录入户访谈（F1/F2 要求先入户了解情况），再纳入台账。")
    id_number, phone = _report_identifiers(report)
    person = person_by_id_number(id_number) if id_number else None
    if person is not None and not in_scope(actor, person.household):
        return Accepted(handover=_hand_over(report=report, person=person, actor=actor))
    if person is None:
        if choices.household is not None:
            scope_require(actor, choices.household)
            household = choices.household
        else:
            household = household_create(
                community=report.community,
                address=report.address,
                entry_route=report.route,
                learned_on=report.learned_on,
                actor=actor,
            )
        if not id_number and (not choices.sex or not choices.birth_date):
            raise TriageError("反映中没有身份证号：请填写当事人的性别和出生日期。")
        person = person_create(
            actor=actor,
            household=household,
            name=report.subject_name,
            relation=Relation.HEAD if choices.household is None else choices.relation,
            id_number=id_number,
            phone=phone,
            sex=choices.sex,
            birth_date=choices.birth_date,
        )
    household = _into_file(report=report, person=person, need_type=choices.need_type, actor=actor)
    return Accepted(household=household)


def _handover_create(*, kind: str, person: Person, origin, note: str, actor: Actor, **extra):
    """One handover from `origin` (a report or a household: its district, street, community)
    to the jurisdiction that holds `person`'s file, due within HANDOVER_WORKDAYS (B8)."""
    holder = person.household
    return Handover.objects.create(
        kind=kind,
        person=person,
        from_district_id=origin.district_id,
        from_street_id=origin.street_id,
        from_community_id=origin.community_id,
        to_district_id=holder.district_id,
        to_street_id=holder.street_id,
        to_community_id=holder.community_id,
        note=note,
        created_by=actor.user,
        created_by_name=actor.name,
        due_on=add_workdays(timezone.localdate(), HANDOVER_WORKDAYS).date,
        **extra,
    )


def _hand_over(*, report: Report, person: Person, actor: Actor) -> Handover:
    """B8: the report goes to the jurisdiction that holds the person's file."""
    handover = _handover_create(
        kind=HandoverKind.REPORT,
        person=person,
        origin=report,
        note="当事人已在接收辖区建档（一人一档），由接收辖区纳入原档案办理。",
        actor=actor,
        report=report,
    )
    triage = _triage(report)
    triage.note = "当事人已在其他辖区建档，已移交其所在辖区办理。"
    triage.decided_at, triage.decided_by = timezone.now(), actor.user
    triage.save()
    _set_status(report, ReportStatus.HANDED_OVER)
    event_record(
        actor=actor, action=AuditAction.HANDOVER, obj=report, detail={"handover": handover.pk}
    )
    return handover


def _close(report: Report, *, status: ReportStatus, note: str, actor: Actor, action, **extra):
    triage = _triage(report)
    triage.note = note
    triage.decided_at, triage.decided_by = timezone.now(), actor.user
    for key, value in extra.items():
        setattr(triage, key, value)
    triage.save()
    _set_status(report, status)
    event_record(actor=actor, action=action, obj=report)


@transaction.atomic
def report_merge(*, report_id: int, into: Report, actor: Actor) -> Report:
    """A duplicate: the report is closed as merged into the earlier one."""
    report = _locked_open_report(report_id, actor=actor)
    scope_require(actor, into)
    if into.pk == report.pk:
        raise TriageError("不能把反映合并到它自己。")
    _close(
        report,
        status=ReportStatus.MERGED,
        note=f"与 {into.reference} 重复",
        actor=actor,
        action=AuditAction.MERGE,
        merged_into=into,
    )
    return report


@transaction.atomic
def report_request_info(*, report_id: int, message: str, actor: Actor) -> Report:
    report = _locked_open_report(report_id, actor=actor)
    triage = _triage(report)
    triage.note = message
    triage.save()
    _set_status(report, ReportStatus.NEEDS_INFO)
    event_record(actor=actor, action=AuditAction.REQUEST_INFO, obj=report)
    return report


@transaction.atomic
def report_reject(*, report_id: int, reason: str, actor: Actor) -> Report:
    report = _locked_open_report(report_id, actor=actor)
    _close(
        report, status=ReportStatus.REJECTED, note=reason, actor=actor, action=AuditAction.REJECT
    )
    return report


# Leads that staff register (F2, F3) -------------------------------------------------------------

# F2 follows an approval for social assistance (S1); F3 a survey sweep that found elderly,
# children or disabled people in difficulty (S2-S4).
LEAD_CATEGORIES = {
    EntryRoute.APPROVAL: (Category.S1,),
    EntryRoute.SURVEY: (Category.S2, Category.S3, Category.S4),
}
LEAD_DATE_LABELS = {EntryRoute.APPROVAL: "审批通过日期", EntryRoute.SURVEY: "基本情况调查完成日期"}


@dataclass(frozen=True)
class Lead:
    """What a station types for an approval-route or survey-route lead (or a roster row)."""

    route: str
    started_on: dt.date  # approval granted (F2) or basic investigation complete (F3)
    name: str
    community: object  # an Area of level community
    address: str
    subtype: str
    situation: str
    help_needed: str
    id_number: str = ""
    phone: str = ""
    benefits_received: str = ""  # F2: the benefit approved, as the approval list gives it


def lead_check(*, actor: Actor, lead: Lead, today: dt.date | None = None) -> str:
    """THE rules of a lead, however it comes (the lead form, a roster import): a known route,
    a community in the actor's jurisdiction, a start date neither in the future nor over a
    year old, and a category the route serves (F2: S1; F3: S2-S4). Returns the category."""
    if lead.route not in LEAD_CATEGORIES:
        raise TriageError("请选择线索来源：审批通过或摸排发现。", field="route")
    scope_require(actor, lead.community)
    label = LEAD_DATE_LABELS[lead.route]
    today = today or timezone.localdate()
    if lead.started_on > today:
        raise TriageError(f"{label}不能晚于今天。", field="started_on")
    if lead.started_on < today - dt.timedelta(days=366):
        raise TriageError(f"{label}早于一年前，请核对。", field="started_on")
    category = CATEGORY_OF_SUBTYPE.get(lead.subtype)
    if category not in LEAD_CATEGORIES[lead.route]:
        allowed = "、".join(str(Category(c).label) for c in LEAD_CATEGORIES[lead.route])
        raise TriageError(f"该来源的线索应为：{allowed}。", field="subtype")
    return category


def _lead_values(*, actor: Actor, lead: Lead, category: str, now: dt.datetime) -> dict:
    """The queue's report of a checked lead, as column values: its clock runs from
    `started_on`."""
    community = lead.community
    birth = identity.birth_date_from_id(lead.id_number) if lead.id_number else None
    return {
        "reference": new_reference(now),
        "form_token": uuid.uuid4(),
        "route": lead.route,
        "learned_on": lead.started_on,
        "submitted_at": now,
        "status_changed_at": now,
        "reporter_type": ReporterType.STAFF,
        "reporter_name": actor.name[:40],
        "subject_name": lead.name.strip(),
        "subject_birth_date": birth,
        "subject_is_child": birth is not None and birth > child_birth_cutoff(),
        "district_id": community.district_id,
        "street_id": community.street_id,
        "community_id": community.pk,
        "address": lead.address.strip(),
        "category": category,
        "subtype": lead.subtype,
        "what_happened": lead.situation.strip(),
        "help_needed": lead.help_needed.strip(),
        "benefits_received": lead.benefits_received.strip()[:200],
        **identifier_columns("subject", id_number=lead.id_number, phone=lead.phone),
    }


def _lead_event(report: Report) -> dict:
    return {
        "action": AuditAction.CREATE,
        "obj": report,
        "detail": {"route": report.route, "fields": ["started_on", "subject", "subtype"]},
    }


@transaction.atomic
def lead_register(*, actor: Actor, lead: Lead) -> Report:
    """F2/F3: a station registers a lead that did not come from the public, and the queue runs
    its clock from the day it started, in working days: the home visit within 1 working day of
    an approval (F2), in the ledger within 3 working days of the basic investigation (F3)."""
    category = lead_check(actor=actor, lead=lead)
    report = Report.objects.create(
        **_lead_values(actor=actor, lead=lead, category=category, now=timezone.now())
    )
    _triage(report)
    event_record(actor=actor, **_lead_event(report))
    return report


@transaction.atomic
def leads_register(*, actor: Actor, leads: list[Lead]) -> list[int]:
    """Many leads at once (a roster import): each checked by `lead_check`, as one lead is; the
    reports, their triage rows and their audit entries written in bulk (COPY where the
    database has it). Returns the reports' ids."""
    from ..bulk import bulk_insert, reserve_ids

    now = timezone.now()
    today = timezone.localdate()
    rows = [
        _lead_values(
            actor=actor,
            lead=lead,
            category=lead_check(actor=actor, lead=lead, today=today),
            now=now,
        )
        for lead in leads
    ]
    if not rows:
        return []
    # A reference carries 40 random bits: across 100,000 leads of one day, a repeat is likely
    # enough (~0.5%) to be drawn again rather than left to fail the whole import.
    taken = set(
        Report.objects.filter(reference__in=[row["reference"] for row in rows]).values_list(
            "reference", flat=True
        )
    )
    for row in rows:
        while row["reference"] in taken:
            row["reference"] = new_reference(now)
        taken.add(row["reference"])
    ids = reserve_ids(Report, len(rows))
    if ids is None:
        created = Report.objects.bulk_create([Report(**row) for row in rows], batch_size=1000)
        ids = [report.pk for report in created]
    else:
        columns = list(dict.fromkeys(key for row in rows for key in row))  # some lack a phone
        bulk_insert(
            Report,
            ["id", *columns],
            [(pk, *(row.get(c, "") for c in columns)) for pk, row in zip(ids, rows, strict=True)],
        )
    bulk_insert(Triage, ("report_id",), [(pk,) for pk in ids])
    reports = [
        Report(
            pk=pk, reference=row["reference"], subject_name=row["subject_name"], route=row["route"]
        )
        for pk, row in zip(ids, rows, strict=True)
    ]
    events_record_bulk(actor=actor, events=[_lead_event(report) for report in reports], at=now)
    return ids


@transaction.atomic
def lead_hand_over(*, actor: Actor, lead: Lead, holder: Person) -> Handover:
    """B8: a lead (a sweep found the person here, or an approval) whose person is filed in
    another jurisdiction: registered here, and handed at once to the jurisdiction that holds
    the file, as accepting it would hand it over. The actor learns only that."""
    report = lead_register(actor=actor, lead=lead)
    return _hand_over(report=report, person=holder, actor=actor)


# Handovers (B8) --------------------------------------------------------------------------------


def _locked_open_handover(handover_id: int, *, actor: Actor) -> Handover:
    """The handover, locked, on the receiving side of the actor's scope, and still open."""
    handover = (
        Handover.objects.select_for_update().select_related("person__household").get(pk=handover_id)
    )
    if not in_scope(actor, handover.person.household):
        raise TriageError("只有当事人档案所在辖区可以办理该移交。")
    if not handover.is_open:
        raise TriageError(
            f"该移交已办理（{handover.get_status_display()}），本次操作未执行。请刷新页面查看。"
        )
    return handover


def _decide(handover: Handover, *, status: HandoverStatus, note: str, actor: Actor) -> None:
    handover.status = status
    handover.decided_at = timezone.now()
    handover.decided_by_name = actor.name
    handover.decision_note = note
    handover.save(update_fields=["status", "decided_at", "decided_by_name", "decision_note"])


@transaction.atomic
def handover_accept(*, handover_id: int, need_type: str, actor: Actor) -> Household:
    """The receiving jurisdiction brings a handed-over report into the person's file."""
    handover = _locked_open_handover(handover_id, actor=actor)
    if handover.kind != HandoverKind.REPORT:
        raise TriageError("该移交不是群众反映，请核实后选择“已核实”。")
    report = Report.objects.select_for_update().get(pk=handover.report_id)
    household = _into_file(report=report, person=handover.person, need_type=need_type, actor=actor)
    _decide(handover, status=HandoverStatus.ACCEPTED, note="已纳入原档案。", actor=actor)
    return household


@transaction.atomic
def handover_acknowledge(*, handover_id: int, note: str, actor: Actor) -> Handover:
    """A new member filed elsewhere: the receiver checks (moved? still here?) and says so."""
    handover = _locked_open_handover(handover_id, actor=actor)
    if handover.kind != HandoverKind.MEMBER:
        raise TriageError("群众反映请纳入原档案，或退回移交方。")
    _decide(handover, status=HandoverStatus.ACKNOWLEDGED, note=note.strip(), actor=actor)
    event_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=handover,
        detail={"fields": ["status", "decision_note"]},
        household=handover.person.household,
        timeline=TimelineKind.MEMBER_UPDATED,
        summary=f"核实移交 {handover.pk}：其他辖区拟登记 {handover.person.name} 为其家庭成员",
    )
    return handover


@transaction.atomic
def handover_return(*, handover_id: int, note: str, actor: Actor) -> Handover:
    """The receiver sends the matter back (not the same person...): the report is open again
    for the sender, with the reason."""
    handover = _locked_open_handover(handover_id, actor=actor)
    if not note.strip():
        raise TriageError("请写明退回的理由。", field="note")
    _decide(handover, status=HandoverStatus.RETURNED, note=note.strip(), actor=actor)
    if handover.report_id:
        report = Report.objects.select_for_update().get(pk=handover.report_id)
        triage = _triage(report)
        triage.note = f"移交被退回：{note.strip()}"
        triage.decided_at = triage.decided_by = None
        triage.save()
        _set_status(report, ReportStatus.VISITED)
    event_record(
        actor=actor, action=AuditAction.HANDOVER_RETURN, obj=handover, detail={"note": "yes"}
    )
    return handover


@transaction.atomic
def member_hand_over(
    *, household: Household, holder: Person, relation: str, actor: Actor
) -> Handover:
    """B8: a member whose ID is filed elsewhere is not added; the holder is asked to check."""
    scope_require(actor, household)
    handover = _handover_create(
        kind=HandoverKind.MEMBER,
        person=holder,
        origin=household,
        note="移交方拟将该人员登记为其辖区一户的家庭成员，请核实其现居住情况。",
        actor=actor,
        from_household=household,
        relation=relation,
    )
    event_record(
        actor=actor,
        action=AuditAction.HANDOVER,
        obj=handover,
        household=household,
        timeline=TimelineKind.MEMBER_ADDED,
        summary=f"拟新增的成员已在其他辖区建档，已移交其所在辖区核实（移交 {handover.pk}）",
    )
    return handover


def handovers_for(who) -> QuerySet:
    """Handovers the actor's jurisdiction sent or received, open first."""
    return scope_queryset(who, Handover.objects.all()).order_by("status", "-created_at", "-id")


def handovers_incoming(who) -> QuerySet:
    """Open handovers the actor's jurisdiction must take up (it holds the file)."""
    holders = scope_queryset(who, Household.objects.all()).values("pk")
    return Handover.objects.filter(
        status=HandoverStatus.OPEN, person__household__in=holders
    ).order_by("due_on", "id")


# F1: the station calls the person (or the reporter) within one working day of learning of the
# hardship, so it may see a report's full numbers, as on a person's record (B3): with the
# permission, a written reason, audited. The reporter's number needs the reporter permission
# too (B7: hidden from agencies).
REPORT_IDENTIFIERS = {
    "subject_phone": ("subject_phone_encrypted", "当事人电话"),
    "subject_id": ("subject_id_encrypted", "当事人身份证号"),
    "reporter_phone": ("reporter_phone_encrypted", "反映人电话"),
}


def report_identifier_choices(who) -> list[tuple[str, str]]:
    user = getattr(who, "user", who)
    return [
        (field, label)
        for field, (_column, label) in REPORT_IDENTIFIERS.items()
        if field != "reporter_phone" or user_can_see_reporter(user)
    ]


def report_reveal(*, actor: Actor, report: Report, field: str, reason: str) -> str:
    """A report's full phone or ID number, recorded with the reason (B3, B7, C1, F1)."""
    scope_require(actor, report)
    if not user_can_reveal_identifiers(actor.user):
        raise TriageError("查看完整号码需要专门授权。")
    if field not in dict(report_identifier_choices(actor)):
        raise TriageError("请选择要查看的号码。", field="field")
    reason = reason.strip()
    if len(reason) < 4:
        raise TriageError("请具体说明查看原因（至少 4 个字）。", field="reason")
    encrypted = getattr(report, REPORT_IDENTIFIERS[field][0])
    event_record(
        actor=actor,
        action=AuditAction.REVEAL,
        obj=report,
        detail={"field": field, "reason": reason},
    )
    return identity.decrypt_value(encrypted) if encrypted else ""


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
