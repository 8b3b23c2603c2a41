"""Demo reports for the triage queue (issue 4): a living queue for a newcomer.

Some are urgent, some overdue on the working-day calendar, some assigned or visited, some
already in the ledger; most are in the demo station's street (东华门街道) so the `street`
and `worker` accounts see them. Deterministic for a given seed and day.

Each report is filed as of the moment it was received, over the past week and never in the
future: its reference (BJyymmdd of that day), submission time, the day the station learned of
it and so its deadlines agree, as they do for a report a resident files (issue 13, item 10).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from intake.enums import ReporterType, ReportStatus, UrgencyReason
from intake.models import Report
from intake.services import ReportFields, report_submit
from portal import identity
from portal.enums import SUBTYPES_BY_CATEGORY

from ..enums import VisitKind
from ..models import Agency, Area, Triage, Visit
from .accounts import require_demo_allowed
from .ledger import DEMO_STREET, GIVEN, SURNAMES

WHAT = {
    "S1": "家庭收入低，近期失业，孩子上学开支大。",
    "S2": "老人独自居住，行动不便，近期摔倒过一次。",
    "S3": "孩子父母外出务工，由年迈的祖母照看，学习生活缺人照料。",
    "S4": "重度肢体残疾，生活不能自理，家属照护压力大。",
    "S5": "家庭主要劳动力患重病住院，医疗费用负担沉重。",
    "S6": "房屋漏雨，冬季取暖困难。",
}
HELP = {
    "S1": "就业帮扶和临时救助",
    "S2": "上门照料、助餐",
    "S3": "课业辅导和生活照料",
    "S4": "康复服务和护理补贴",
    "S5": "医疗救助和临时救助",
    "S6": "房屋修缮",
}


# How many days before `today` the demo reports arrived: a few today, most within the week.
DAYS_AGO = (0, 0, 1, 2, 3, 5, 8)


def random_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _latest_moment(today: dt.date) -> dt.datetime:
    """Now when `today` is today; else the end of that day (a demo built for another day)."""
    if today == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(today, dt.time(23, 59)))


def _moment(day: dt.date, hour: int, minute: int, latest: dt.datetime) -> dt.datetime:
    """`day` at office time in Beijing, but never later than `latest`."""
    return min(timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute))), latest)


@transaction.atomic
def demo_reports_create(*, count: int, seed: int = 2026, today: dt.date | None = None) -> int:
    """Create `count` demo reports in the triage queue; returns how many were made."""
    require_demo_allowed()
    rng = random.Random(seed)
    today = today or timezone.localdate()
    latest = _latest_moment(today)
    streets = list(
        Area.objects.filter(level="street", district_id="110101000000", is_legal_unit=True)
    )
    communities = {
        street.code: list(Area.objects.filter(level="community", street_id=street.code))
        for street in streets
    }
    worker = get_user_model().objects.filter(username="worker").first()
    station = get_user_model().objects.filter(username="street").first()
    agency = Agency.objects.first()
    for number in range(count):
        street_code = DEMO_STREET if number % 3 else rng.choice(streets).code
        community = rng.choice(communities[street_code] or communities[DEMO_STREET])
        category = rng.choice(list(SUBTYPES_BY_CATEGORY))
        subtype = rng.choice(SUBTYPES_BY_CATEGORY[category])
        urgent = number % 7 == 0
        birth = today - dt.timedelta(days=rng.randint(20 * 365, 85 * 365))
        id_number = (
            identity.make_id_number(
                area_code="110101",
                birth=birth,
                sequence=rng.randint(0, 999),
                female=rng.random() < 0.5,
            )
            if rng.random() < 0.7
            else ""
        )
        fields = ReportFields(
            reporter_type=rng.choice(
                [ReporterType.NEIGHBOUR, ReporterType.RESIDENTS_COMMITTEE, ReporterType.FAMILY]
            ),
            reporter_name=random_name(rng),
            reporter_phone=f"139{rng.randint(0, 99999999):08d}",
            subject_name=random_name(rng),
            subject_id_number=id_number,
            subject_phone=f"138{rng.randint(0, 99999999):08d}",
            subject_declared_child=False,
            district_code="110101000000",
            street_code=street_code,
            community_code=community.code,
            address=(
                f"{community.name[:6]}{rng.randint(1, 80)}号院"
                f"{rng.randint(1, 9)}-{rng.randint(101, 602)}"
            ),
            category=category,
            subtype=subtype,
            what_happened=WHAT[category],
            help_needed=HELP[category],
            urgency_reasons=[UrgencyReason.ELDER_UNREACHABLE] if urgent else [],
        )
        learned = today - dt.timedelta(days=rng.choice(DAYS_AGO))
        received = _moment(learned, rng.randint(8, 18), rng.randint(0, 59), latest)
        # Filed as of the moment it arrived: the reference, submission time and learned_on
        # (where the F1 clock starts) all come from `received`.
        report, _created = report_submit(
            form_token=uuid.UUID(int=rng.getrandbits(128)),
            fields=fields,
            uploads=[],
            now=received,
        )
        stage = number % 5
        changed = received  # each step after the one before, none in the future
        if stage >= 2 and agency and worker:
            assigned = changed = min(received + dt.timedelta(hours=2), latest)
            Triage.objects.update_or_create(
                report=report,
                defaults={"agency": agency, "worker": worker, "assigned_at": assigned},
            )
            Report.objects.filter(pk=report.pk).update(
                status=ReportStatus.ASSIGNED, status_changed_at=assigned
            )
        if stage >= 3:
            visited_on = min(today, learned + dt.timedelta(days=1))
            Visit.objects.create(
                kind=VisitKind.INTAKE_INTERVIEW,
                report=report,
                visited_on=visited_on,
                visitors="东华门站社工",
                findings="情况基本属实，需进一步评估。",
                needs=HELP[category],
                recorded_by=station,
            )
            Report.objects.filter(pk=report.pk).update(
                status=ReportStatus.VISITED,
                status_changed_at=max(_moment(visited_on, 16, 0, latest), changed),
            )
    return count
