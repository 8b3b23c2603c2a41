"""Public reports filed as a resident would, for the back-office tests."""

import datetime as dt
import uuid

from intake.models import Report
from intake.services import ReportFields, report_submit
from portal import identity

SUBJECT_ID = identity.make_id_number(
    area_code="110101", birth=dt.date(1940, 2, 2), sequence=41, female=True
)


def file_report(
    *,
    community="110101001001",
    street="110101001000",
    district="110101000000",
    name="孙玉珍",
    id_number=SUBJECT_ID,
    urgent=False,
    learned_on=None,
    subtype="living_alone",
):
    fields = ReportFields(
        reporter_type="neighbour",
        reporter_name="周建华",
        reporter_phone="13700001111",
        subject_name=name,
        subject_id_number=id_number,
        subject_phone="13600002222",
        subject_declared_child=False,
        district_code=district,
        street_code=street,
        community_code=community,
        address="多福巷3号",
        category="S2",
        subtype=subtype,
        what_happened="独居老人摔伤，无人照料",
        help_needed="上门照料",
        urgency_reasons=["elder_unreachable"] if urgent else [],
    )
    report, _ = report_submit(form_token=uuid.uuid4(), fields=fields, uploads=[])
    if learned_on:
        Report.objects.filter(pk=report.pk).update(learned_on=learned_on)
        report.refresh_from_db()
    return report
