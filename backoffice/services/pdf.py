"""The printed plan and file of a household (issue 6; L7, M5: 一户一策一档).

`household_document` gathers what a document shows, already cut to what the viewer may see
(SECURITY B2): identifiers only masked (B3), children under 14 without name, birth date or ID
for a viewer lacking the child permission (B4), also where free text names them, and every
page watermarked with the viewer's name and the time (M3) so that a leaked print can be traced.
`household_pdf` renders one document and audits the print (C1).

Values go to the templates as plain strings; the templates autoescape them (SECURITY E4).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from ..actor import Actor
from ..enums import (
    AuditAction,
    AuditOutcome,
    DisabilityGrade,
    DisabilityType,
    NeedStatus,
    PrintDocument,
)
from ..models import Household, Person
from ..pdf import PdfRenderError, documents_write, gc_paused, html_layout, html_render
from ..permissions import user_can_open_child_record
from ..scope import scope_require
from .events import event_record
from .ledger import ITEM_LABELS, LEDGER_STANDARDS, PERSON_FIELDS, household_missing_items
from .plans import plan_current

CHILD_AGE = 14  # SECURITY B4
CHILD_LABEL = "未满14周岁儿童"
HIDDEN_NAME = "（儿童）"
CONFIDENTIAL = "内部资料 注意保密"
ORGANISATION = "北京市困难群众精准救助帮扶台账"
WATERMARK_ROWS = (1, 2, 3, 4)  # four diagonal lines per page
DIGITS = "一二三四五六七八九"


TEMPLATES = {
    PrintDocument.PLAN: "pdf/household_plan.html",
    PrintDocument.FILE: "pdf/household_file.html",
}
DETAIL_VALUE_LABELS = {
    "disability_type": dict(DisabilityType.choices),
    "disability_grade": dict(DisabilityGrade.choices),
}


@dataclass(frozen=True)
class Viewer:
    """Who prints: their name and the time go into the watermark and the footer."""

    name: str
    username: str
    sees_children: bool
    printed_at: dt.datetime

    @classmethod
    def of(cls, actor: Actor, printed_at: dt.datetime | None = None) -> Viewer:
        return cls(
            name=actor.name,
            username=actor.username,
            sees_children=user_can_open_child_record(actor.user),
            printed_at=timezone.localtime(printed_at or timezone.now()),
        )

    @property
    def stamp(self) -> str:
        return f"{self.name}（{self.username}） {self.printed_at:%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class MemberRow:
    number: int
    name: str
    relation: str
    sex: str
    birth_date: str
    id_number: str
    phone: str
    education: str
    employment: str
    health: str


@dataclass(frozen=True)
class CategoryRow:
    member: str
    category: str
    since: str
    items: list[tuple[str, str]]

    @property
    def text(self) -> str:
        """One line per ledger-standard item (the cell keeps line breaks; no markup)."""
        return "\n".join(f"{label}：{value}" for label, value in self.items)


@dataclass(frozen=True)
class Line:
    """One row of a simple table (benefits, needs, visits, measures, sessions...)."""

    cells: tuple[str, ...]


@dataclass(frozen=True)
class PlanPart:
    """The plan in force (帮扶计划, L7): goals, and measures with who and by when."""

    title: str
    goals: str
    measures: list[Line]
    revisions: list[Line]


@dataclass(frozen=True)
class CasePart:
    """One case (个案, U5-U10) with its sessions so far."""

    title: str
    facts: str
    sessions: list[Line]
    outcome: str


@dataclass(frozen=True)
class Section:
    """A table of the household file: referrals, exits (numbered after the fixed sections)."""

    title: str
    headings: tuple[str, ...]
    widths: tuple[int | None, ...]
    rows: list[Line]
    empty: str


@dataclass
class Redactor:
    """Replaces hidden children's names in free text (B4): timeline lines and notes name them."""

    names: list[str] = field(default_factory=list)

    def __call__(self, text: str) -> str:
        text = text or ""
        for name in self.names:
            text = text.replace(name, HIDDEN_NAME)
        return text


def chinese_number(n: int) -> str:
    """1-99 as section numbers are written in Chinese documents: 九, 十, 十一, 二十三."""
    tens, ones = divmod(n, 10)
    prefix = "" if tens == 0 else ("十" if tens == 1 else f"{DIGITS[tens - 1]}十")
    return prefix + (DIGITS[ones - 1] if ones else "")


def _date(value) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def _person_label(person: Person | None, hidden: set[int]) -> str:
    if person is None:
        return "全户"
    return CHILD_LABEL if person.pk in hidden else person.name


def _user_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _members(household: Household, viewer: Viewer):
    today = viewer.printed_at.date()
    people = list(household.members.order_by("id").prefetch_related("categories", "benefits"))
    hidden = {p.pk for p in people if p.age_on(today) < CHILD_AGE and not viewer.sees_children}
    rows = []
    for number, person in enumerate(people, start=1):
        is_hidden = person.pk in hidden
        rows.append(
            MemberRow(
                number=number,
                name=CHILD_LABEL if is_hidden else person.name,
                relation=person.get_relation_display(),
                sex=person.get_sex_display(),
                birth_date="" if is_hidden else _date(person.birth_date),
                id_number="" if is_hidden else person.id_number_masked,  # B3: masked only
                phone="" if is_hidden else person.phone_masked,
                education=person.get_education_display(),
                employment=person.get_employment_display(),
                health=person.get_health_display(),
            )
        )
    return people, hidden, rows


def _item_value(item: str, person: Person, details: dict, needs_count: int) -> str:
    if item == "members":
        return "已登记"
    if item == "benefits":
        benefits = [b.get_benefit_type_display() for b in person.benefits.all()]
        if benefits:
            return "、".join(benefits)
        return "经核实未享受保障待遇" if details.get("benefits") == "none" else ""
    if item == "needs":
        return f"已登记 {needs_count} 项" if needs_count else ""
    if item in PERSON_FIELDS:
        return getattr(person, f"get_{item}_display")()
    value = str(details.get(item, "")).strip()
    return DETAIL_VALUE_LABELS.get(item, {}).get(value, value)


def _categories(people, hidden, redact, needs_count: int) -> list[CategoryRow]:
    """Each category with the ledger-standard items of L1-L5, missing ones marked."""
    return [
        CategoryRow(
            member=_person_label(person, hidden),
            category=str(record),
            since=_date(record.since),
            items=[
                (
                    ITEM_LABELS[item],
                    redact(_item_value(item, person, record.details, needs_count)) or "（未登记）",
                )
                for item in LEDGER_STANDARDS.get(record.category, ())
            ],
        )
        for person in people
        for record in person.categories.all()
    ]


def _benefits(people, hidden) -> list[Line]:
    return [
        Line(
            (
                _person_label(person, hidden),
                benefit.get_benefit_type_display(),
                "" if benefit.monthly_amount is None else f"{benefit.monthly_amount}",
                _date(benefit.since),
            )
        )
        for person in people
        for benefit in person.benefits.all()
    ]


def _needs(household, hidden, redact) -> tuple[list[Line], list[Line]]:
    """All needs, and those still open (the basis of a plan not yet drawn up)."""
    rows, still_open = [], []
    for need in household.needs.select_related("person").order_by("recorded_on", "id"):
        row = Line(
            (
                need.get_need_type_display(),
                _person_label(need.person, hidden),
                redact(need.description),
                need.get_status_display(),
                _date(need.recorded_on),
            )
        )
        rows.append(row)
        if need.status in (NeedStatus.OPEN, NeedStatus.IN_PROGRESS):
            still_open.append(row)
    return rows, still_open


def _visits(household, redact) -> list[Line]:
    rows = []
    for visit in household.visits.order_by("visited_on", "id"):
        findings = visit.findings
        if visit.measures_progress:
            findings = f"{findings}\n措施落实：{visit.measures_progress}"
        rows.append(
            Line(
                (
                    _date(visit.visited_on),
                    visit.get_kind_display(),
                    redact(visit.visitors),
                    redact(findings),
                    redact(visit.needs),
                )
            )
        )
    return rows


def _plan(household, redact, *, with_revisions: bool) -> PlanPart | None:
    plan = plan_current(household)
    if plan is None:
        return None
    measures = [
        Line(
            (
                redact(measure.content),
                measure.responsible,
                (f"{_date(measure.starts_on)} 至 " if measure.starts_on else "")
                + _date(measure.due_on),
                measure.get_status_display(),
            )
        )
        for measure in plan.measures.order_by("position", "id")
    ]
    revisions = []
    if with_revisions:
        revisions = [
            Line(
                (
                    f"第 {version.number} 版",
                    f"{timezone.localtime(version.created_at):%Y-%m-%d}",
                    version.created_by_name,
                    redact(version.change_note) or ("首次制定" if version.number == 1 else ""),
                )
            )
            for version in household.plans.order_by("number")
        ]
    title = (
        f"帮扶计划第 {plan.number} 版（{timezone.localtime(plan.created_at):%Y-%m-%d} 制定"
        + (f"，制定人 {plan.created_by_name}" if plan.created_by_name else "")
        + "）"
    )
    return PlanPart(title=title, goals=redact(plan.goals), measures=measures, revisions=revisions)


def _session_text(session) -> str:
    """What a session did: its service type, the content and the plan step it served."""
    service = session.get_service_type_display()
    lines = [f"【{service}】" if service else "", session.content]
    if session.plan_step:
        lines.append(f"对应计划步骤：{session.plan_step}")
    return "\n".join(line for line in lines if line)


def _cases(household, hidden, redact) -> list[CasePart]:
    """Cases and their sessions so far (U10: at least five sessions per case)."""
    parts = []
    cases = household.cases.select_related("person", "worker").order_by("opened_on", "id")
    for case in cases:
        sessions = [
            Line(
                (
                    _date(session.held_on),
                    _user_name(session.worker),
                    redact(_session_text(session)),
                    session.get_change_degree_display(),
                    "是" if session.goal_met else "否",
                )
            )
            for session in case.sessions.select_related("worker").order_by("held_on", "id")
        ]
        facts = (
            f"服务对象：{_person_label(case.person, hidden)}；类别：{case.get_group_display()}；"
            f"服务类型：{case.service_type_labels() or '—'}；负责社工：{_user_name(case.worker)}；"
            f"开案日期：{_date(case.opened_on)}；计划服务 {case.planned_sessions} 次，"
            f"已服务 {len(sessions)} 次；状态：{case.get_status_display()}。"
            f"\n服务目标：{case.goals}"
        )
        outcome = ""
        if case.closed_on:
            met = {True: "已达成", False: "未达成", None: "未评估"}[case.goals_met]
            outcome = f"结案日期：{_date(case.closed_on)}；目标{met}。{case.outcome}"
        parts.append(
            CasePart(
                title=f"个案 {case.pk}（{case.get_group_display()}）",
                facts=redact(facts),
                sessions=sessions,
                outcome=redact(outcome),
            )
        )
    return parts


def _referrals(household, hidden, redact) -> Section:
    rows = [
        Line(
            (
                _date(referral.sent_on),
                referral.get_kind_display(),
                f"{referral.target}（{referral.get_target_type_display()}）",
                redact(f"{_person_label(referral.person, hidden)}：{referral.description}"),
                f"{referral.get_status_display()}（期限 {_date(referral.due_on)}）",
                redact(referral.outcome),
            )
        )
        for referral in household.referrals.select_related("person").order_by("sent_on", "id")
    ]
    return Section(
        title="资源链接",
        headings=("发送日期", "链接类型", "对接部门或组织", "事由", "状态", "办理结果"),
        widths=(19, 20, 30, None, 24, 28),
        rows=rows,
        empty="暂无资源链接记录",
    )


def _exits(household, hidden, redact) -> Section:
    rows = [
        Line(
            (
                _date(record.exited_on),
                _person_label(record.person, hidden),
                redact(record.reason_label),
                record.decided_by_name,
                (
                    f"{_date(record.reentered_on)} 重新纳入：{redact(record.reentry_reason)}"
                    if record.reentered_on
                    else ""
                ),
            )
        )
        for record in household.exits.select_related("person").order_by("exited_on", "id")
    ]
    return Section(
        title="退出与重新纳入",
        headings=("退出日期", "对象", "退出原因", "经办人", "重新纳入"),
        widths=(19, 22, None, 24, 40),
        rows=rows,
        empty="未办理过退出",
    )


def _timeline(household, redact) -> list[Line]:
    return [
        Line(
            (
                f"{timezone.localtime(event.at):%Y-%m-%d %H:%M}",
                event.get_kind_display(),
                redact(event.summary),
                event.actor_name or "系统",
            )
        )
        for event in household.events.order_by("at", "id")
    ]


def _workers(household) -> tuple[str, str]:
    assignments = list(household.assignments.select_related("agency", "worker").order_by("id"))
    agencies = "、".join(dict.fromkeys(a.agency.name for a in assignments))
    workers = "、".join(dict.fromkeys(_user_name(a.worker) for a in assignments))
    return agencies, workers


def household_document(*, household: Household, viewer: Viewer, kind: str) -> dict:
    """The context of the plan or the file of `household`, as `viewer` may see it."""
    title = str(PrintDocument(kind).label)
    household = Household.objects.select_related(
        "district", "street", "community__parent__parent__parent"
    ).get(pk=household.pk)
    people, hidden, members = _members(household, viewer)
    redact = Redactor([p.name for p in people if p.pk in hidden and len(p.name) >= 2])
    needs, open_needs = _needs(household, hidden, redact)
    agencies, workers = _workers(household)
    missing, score = household_missing_items(household)
    is_file = kind == PrintDocument.FILE
    context = {
        "kind": kind,
        "title": title,
        "organisation": ORGANISATION,
        "confidential": CONFIDENTIAL,
        "watermark_rows": WATERMARK_ROWS,
        "viewer": viewer,
        "household": household,
        "community": household.community.full_name,
        "station": f"{household.street.name}社会救助服务站",
        "agencies": agencies,
        "workers": workers,
        "members": members,
        "hidden_children": len(hidden),
        "categories": _categories(people, hidden, redact, len(needs)),
        "benefits": _benefits(people, hidden),
        "needs": needs,
        "open_needs": open_needs,
        "plan": _plan(household, redact, with_revisions=is_file),
        "cases": _cases(household, hidden, redact),
        "visits": _visits(household, redact),
        "completeness": score,
        "missing": [redact(item.label) for item in missing],
    }
    if is_file:
        sections = [_referrals(household, hidden, redact), _exits(household, hidden, redact)]
        # Sections 一 to 八 are those the plan also has; these follow, then the timeline.
        numbered = [(chinese_number(9 + index), section) for index, section in enumerate(sections)]
        context.update(
            sections=numbered,
            timeline_number=chinese_number(9 + len(sections)),
            timeline=_timeline(household, redact),
        )
    return context


def household_pdf(*, household: Household, kind: str, actor: Actor) -> bytes:
    """The plan or the file of one household as a PDF; the print is audited (C1).

    A failure raises PdfRenderError and is audited as a failed print; nothing else is written,
    so the data is untouched and the user can simply try again.
    """
    scope_require(actor, household)
    template = TEMPLATES[kind]
    viewer = Viewer.of(actor)
    try:
        context = household_document(household=household, viewer=viewer, kind=kind)
        with gc_paused():
            document = html_layout(html_render(template, context))
            pdf = documents_write([document])
    except PdfRenderError:
        event_record(
            actor=actor,
            action=AuditAction.PRINT,
            obj=household,
            outcome=AuditOutcome.FAILURE,
            detail={"document": kind},
        )
        raise
    event_record(
        actor=actor,
        action=AuditAction.PRINT,
        obj=household,
        detail={"document": kind, "pages": len(document.pages)},
    )
    return pdf
