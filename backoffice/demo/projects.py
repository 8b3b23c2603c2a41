"""Demo: 东城区's purchased-service project for 东华门街道, published, with its review (M2)
and the year's unit costs (M1), so that the funds and the statements show amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model

from ..actor import Channel, user_actor
from ..enums import ProjectCheckKind, ProjectCheckResult, ServiceKind
from ..models import Agency, Area, ServiceProject
from ..services.funds import unit_costs_set
from ..services.projects import ProjectData, project_check_record, project_publish, project_save
from .accounts import DEMO_AGENCY, require_demo_allowed

DEMO_PROJECT = "东华门街道困难群众精准帮扶服务项目（演示）"
# M1: the year's unit cost of each service, in yuan (demo figures).
DEMO_UNIT_COSTS = {
    ServiceKind.LEDGER_RECORD: Decimal("60"),
    ServiceKind.HOME_VISIT: Decimal("150"),
    ServiceKind.NEEDS_ASSESSMENT: Decimal("100"),
    ServiceKind.PLAN: Decimal("200"),
    ServiceKind.CASE: Decimal("180"),
    ServiceKind.RETURN_VISIT: Decimal("80"),
}


def demo_project_create(*, today: dt.date) -> ServiceProject | None:
    """Once: the project, bound to the demo agency, published, reviewed at its start."""
    require_demo_allowed()
    if ServiceProject.objects.filter(name=DEMO_PROJECT).exists():
        return None
    district_user = get_user_model().objects.filter(username="dongcheng").first()
    agency = Agency.objects.filter(name=DEMO_AGENCY).first()
    if district_user is None or agency is None:
        return None
    actor = user_actor(district_user, channel=Channel.COMMAND)
    starts_on = dt.date(today.year, 1, 1)
    project = project_save(
        actor=actor,
        data=ProjectData(
            district=Area.objects.get(code="110101000000"),
            name=DEMO_PROJECT,
            streets=[Area.objects.get(code="110101001000")],
            agencies=[agency],
            starts_on=starts_on,
            ends_on=dt.date(today.year, 12, 31),
            services=list(ServiceKind.values),
            budget=Decimal("480000"),
        ),
    )
    project_check_record(
        actor=actor,
        project=project,
        kind=ProjectCheckKind.REVIEW,
        held_on=min(starts_on, today),
        findings="服务方案完整，人员配备符合要求；建议明确每季度回访的记录方式。",
        result=ProjectCheckResult.PASSED,
        today=today,
    )
    unit_costs_set(actor=actor, project=project, year=today.year, amounts=DEMO_UNIT_COSTS)
    return project_publish(actor=actor, project=project)
