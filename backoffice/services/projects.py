"""M1, M2: purchased-service projects. The district publishes a project for streets of its own,
binds agencies that serve those streets, and records reviews (评审) and supervision visits
(督导); a station and the agencies bound read them. Every write is scoped and audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ..actor import Actor
from ..enums import AreaLevel, AuditAction, ProjectCheckKind, ProjectCheckResult, ServiceKind
from ..models import Agency, Area, ProjectCheck, ServiceProject
from ..scope import scope_require
from ..workdays import add_workdays
from .errors import RuleError
from .events import event_record

RECTIFY_WORKDAYS = 20  # M2: the default rectification period after a finding


@dataclass
class ProjectData:
    district: Area
    name: str
    streets: list[Area]
    agencies: list[Agency]
    starts_on: dt.date
    ends_on: dt.date
    services: list[str]
    budget: Decimal


def _project_check(actor: Actor, data: ProjectData) -> None:
    """THE rules of a project: the district's own, its streets in that district, the agencies
    bound serving that district, a period in order, at least one service, a positive budget."""
    if data.district.level != AreaLevel.DISTRICT:
        raise RuleError("请选择项目所属的区。", field="district")
    scope_require(actor, data.district)
    if not data.name.strip():
        raise RuleError("请填写项目名称。", field="name")
    if not data.streets:
        raise RuleError("请至少选择一个服务街道（乡镇）。", field="streets")
    outside = [s.name for s in data.streets if s.district_id != data.district.pk]
    if outside:
        raise RuleError(f"所选街道不在该区内：{'、'.join(outside)}", field="streets")
    foreign = [a.name for a in data.agencies if a.district_id != data.district.pk]
    if foreign:
        raise RuleError(f"所选机构不服务该区：{'、'.join(foreign)}", field="agencies")
    if data.ends_on < data.starts_on:
        raise RuleError("服务期结束不能早于开始。", field="ends_on")
    if (data.ends_on - data.starts_on).days > 3 * 366:
        raise RuleError("服务期不能超过三年，请分期立项。", field="ends_on")
    unknown = set(data.services) - set(ServiceKind.values)
    if not data.services or unknown:
        raise RuleError("请至少选择一项购买服务内容。", field="services")
    if data.budget <= 0:
        raise RuleError("预算应大于 0 元。", field="budget")


@transaction.atomic
def project_save(
    *,
    actor: Actor,
    data: ProjectData,
    project: ServiceProject | None = None,
    expected_version: int | None = None,
) -> ServiceProject:
    """Create a project or change one (G3: a stale save is refused)."""
    _project_check(actor, data)
    if project is None:
        project = ServiceProject(created_by_name=actor.name[:150])
        action, changed = AuditAction.CREATE, ["name"]
    else:
        scope_require(actor, project)
        locked = ServiceProject.objects.select_for_update().get(pk=project.pk)
        if expected_version is not None and locked.version != expected_version:
            raise RuleError("该项目已被他人修改，请刷新页面后重新填写。")
        project = locked
        project.version += 1
        action = AuditAction.UPDATE
        changed = [
            name
            for name in ("district", "name", "starts_on", "ends_on", "services", "budget")
            if getattr(project, name) != getattr(data, name)
        ]
        if {s.pk for s in data.streets} != set(project.streets.values_list("pk", flat=True)):
            changed.append("streets")
        if {a.pk for a in data.agencies} != set(project.agencies.values_list("pk", flat=True)):
            changed.append("agencies")
    project.district = data.district
    project.name = data.name.strip()
    project.starts_on, project.ends_on = data.starts_on, data.ends_on
    project.services = [k for k in ServiceKind.values if k in data.services]
    project.budget = data.budget
    project.save()
    project.streets.set(data.streets)
    project.agencies.set(data.agencies)
    event_record(actor=actor, action=action, obj=project, detail={"fields": changed})
    return project


@transaction.atomic
def project_publish(*, actor: Actor, project: ServiceProject) -> ServiceProject:
    """M2: the district publishes the project; stations and the agencies bound then see it."""
    scope_require(actor, project)
    project = ServiceProject.objects.select_for_update().get(pk=project.pk)
    if project.published_on is not None:
        raise RuleError(f"该项目已于 {project.published_on:%Y-%m-%d} 发布。")
    if not project.agencies.exists():
        raise RuleError("发布前请先确定承接机构。")
    project.published_on = timezone.localdate()
    project.version += 1
    project.save(update_fields=["published_on", "version"])
    event_record(
        actor=actor, action=AuditAction.UPDATE, obj=project, detail={"fields": ["published_on"]}
    )
    return project


@transaction.atomic
def project_check_record(
    *,
    actor: Actor,
    project: ServiceProject,
    kind: str,
    held_on: dt.date,
    findings: str,
    result: str,
    agency: Agency | None = None,
    rectify_by: dt.date | None = None,
    today: dt.date | None = None,
) -> ProjectCheck:
    """M2: a review before or during the project, or a supervision visit, with its findings;
    a result that asks for rectification gets a deadline (by default 20 working days)."""
    scope_require(actor, project)
    today = today or timezone.localdate()
    if kind not in ProjectCheckKind.values:
        raise RuleError("请选择评审或督导。", field="kind")
    if result not in ProjectCheckResult.values:
        raise RuleError("请选择结论。", field="result")
    if held_on > today:
        raise RuleError("日期不能晚于今天。", field="held_on")
    if kind == ProjectCheckKind.SUPERVISION and project.published_on is None:
        raise RuleError("项目发布后才能督导。", field="kind")
    if not findings.strip():
        raise RuleError("请填写发现的问题与意见。", field="findings")
    if agency is not None and not project.agencies.filter(pk=agency.pk).exists():
        raise RuleError("所选机构不是该项目的承接机构。", field="agency")
    if result == ProjectCheckResult.RECTIFY:
        rectify_by = rectify_by or add_workdays(held_on, RECTIFY_WORKDAYS).date
        if rectify_by <= held_on:
            raise RuleError("整改期限应晚于检查日期。", field="rectify_by")
    else:
        rectify_by = None
    check = ProjectCheck.objects.create(
        project=project,
        kind=kind,
        held_on=held_on,
        agency=agency,
        findings=findings.strip(),
        result=result,
        rectify_by=rectify_by,
        recorded_by=actor.user,
        recorded_by_name=actor.name[:150],
    )
    event_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=check,
        detail={"fields": ["findings", "result"], "project": project.pk},
    )
    return check
