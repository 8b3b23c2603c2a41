"""Retention of personal data (SECURITY D5; issue 19): what is kept how long, and removing it.

Four kinds of data expire (periods in settings, see portal/settings/base.py):

- the attachments of a rejected report, RETENTION_REJECTED_ATTACHMENTS_DAYS after the
  rejection: rows deleted, their files through the outbox of intake/deletions.py;
- the personal data of a household that left the ledger more than
  RETENTION_EXITED_HOUSEHOLD_YEARS years ago: names, identifiers, phones, addresses and the
  free text of its casework are overwritten, birth dates cut to the year; the file itself,
  its area, categories and dates stay, so the statistics of past years still add up. The
  reports that led to it lose their personal data and attachments the same way;
- the PDF of a batch print, RETENTION_PRINT_FILES_DAYS after it was made (the job stays);
- audit entries older than AUDIT_RETENTION_DAYS, never one younger than six months
  (AUDIT_RETENTION_MIN_DAYS): refused here, and on PostgreSQL by the database itself
  (migration 0029), which deletes audit rows only for this function and only that old.

Each step works in batches, each batch one transaction, and records what it did in the audit
(counts and object ids, never values: C3), so an interrupted run is resumed by running again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import TruncYear
from django.utils import timezone

from intake.deletions import files_delete_on_commit
from intake.enums import ReportStatus
from intake.models import Attachment, ConsentRecord, Report
from intake.uploads import PRIVATE_ALIAS

from ..actor import Actor
from ..enums import AuditAction, HouseholdStatus
from ..models import AuditEvent, Household, Person, PrintJob
from .events import event_record, events_record_bulk

ANONYMIZED = "（已匿名）"

# Free text about a household's people, by model: (app.Model, path to the household, fields).
FREE_TEXT = (
    ("backoffice.Need", "household", ("description",)),
    ("backoffice.Case", "household", ("goals", "outcome")),
    ("backoffice.CaseSession", "case__household", ("content",)),
    ("backoffice.Referral", "household", ("materials", "description", "outcome")),
    ("backoffice.Plan", "household", ("goals", "change_note")),
    ("backoffice.Visit", "household", ("findings", "needs", "measures_progress")),
    ("backoffice.SpotCheckItem", "household", ("findings", "rectification")),
    ("backoffice.LedgerExit", "household", ("reentry_reason",)),
    ("backoffice.Triage", "household", ("note",)),
    ("backoffice.Handover", "from_household", ("note", "decision_note")),
    ("backoffice.HouseholdEvent", "household", ("summary",)),
)
PERSON_CLEARED = (
    "name_initials",
    "id_number_encrypted",
    "id_number_index",
    "id_number_masked",
    "phone_encrypted",
    "phone_index",
    "phone_masked",
)
REPORT_CLEARED = (
    "reporter_phone_encrypted",
    "reporter_phone_masked",
    "proxy_organisation",
    "entrustment_statement",
    "subject_id_encrypted",
    "subject_id_index",
    "subject_id_masked",
    "subject_phone_encrypted",
    "subject_phone_index",
    "subject_phone_masked",
    "benefits_received",
)
REPORT_OVERWRITTEN = ("reporter_name", "subject_name", "address", "what_happened", "help_needed")


class RetentionError(ValueError):
    """A retention setting that would remove what must be kept."""


@dataclass(frozen=True)
class Cutoffs:
    attachments_before: dt.datetime  # rejected before this: attachments go
    households_exited_before: dt.date  # left the ledger before this: anonymized
    audit_before: dt.datetime  # audit entries before this go
    print_files_before: dt.datetime  # batch prints finished before this lose their PDF


def retention_cutoffs(now: dt.datetime | None = None) -> Cutoffs:
    """The cutoffs of the configured periods; RetentionError for an audit period under six
    months."""
    now = now or timezone.now()
    audit_days = settings.AUDIT_RETENTION_DAYS
    if audit_days < settings.AUDIT_RETENTION_MIN_DAYS:
        raise RetentionError(
            f"审计日志至少保存六个月：AUDIT_RETENTION_DAYS 不得小于 "
            f"{settings.AUDIT_RETENTION_MIN_DAYS}（现为 {audit_days}）。"
        )
    today = timezone.localdate(now)
    years = settings.RETENTION_EXITED_HOUSEHOLD_YEARS
    try:
        exited_before = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        exited_before = today.replace(year=today.year - years, day=28)
    return Cutoffs(
        attachments_before=now - dt.timedelta(days=settings.RETENTION_REJECTED_ATTACHMENTS_DAYS),
        households_exited_before=exited_before,
        audit_before=now - dt.timedelta(days=audit_days),
        print_files_before=now - dt.timedelta(days=settings.RETENTION_PRINT_FILES_DAYS),
    )


def _attachments_due(cutoffs: Cutoffs):
    return Attachment.objects.filter(
        report__status=ReportStatus.REJECTED,
        report__status_changed_at__lt=cutoffs.attachments_before,
    )


def _households_due(cutoffs: Cutoffs):
    return Household.objects.filter(
        status=HouseholdStatus.EXITED, exited_on__lt=cutoffs.households_exited_before
    ).exclude(address=ANONYMIZED)


def _print_files_due(cutoffs: Cutoffs):
    return PrintJob.objects.filter(finished_at__lt=cutoffs.print_files_before).exclude(file="")


def _audit_due(cutoffs: Cutoffs):
    return AuditEvent.objects.filter(at__lt=cutoffs.audit_before)


def _reports_of(household_ids) -> list[int]:
    triage = apps.get_model("backoffice", "Triage")
    return list(
        triage.objects.filter(household_id__in=household_ids).values_list("report_id", flat=True)
    )


def retention_due(cutoffs: Cutoffs) -> dict[str, int]:
    """What is due now, by kind (what `--dry-run` prints)."""
    households = list(_households_due(cutoffs).values_list("pk", flat=True))
    reports = _reports_of(households)
    return {
        "attachments": _attachments_due(cutoffs).count()
        + Attachment.objects.filter(report_id__in=reports).count(),
        "households": len(households),
        "persons": Person.objects.filter(household_id__in=households).count(),
        "reports": len(reports),
        "print_files": _print_files_due(cutoffs).count(),
        "audit": _audit_due(cutoffs).count(),
    }


def _delete_attachments(attachments) -> int:
    """Delete the rows, and their files through the outbox (intake/deletions.py): recorded in
    this transaction, deleted once it commits, tried again while the store is down. A
    rollback keeps rows and files; no file is left behind with nothing to delete it."""
    attachments = list(attachments)
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
    files_delete_on_commit(PRIVATE_ALIAS, [a.file.name for a in attachments])
    return len(attachments)


@transaction.atomic
def attachments_purge(*, actor: Actor, cutoffs: Cutoffs, batch_size: int = 200) -> int:
    """Delete the next batch of attachments of rejected reports past their period; 0 when done."""
    batch = list(_attachments_due(cutoffs).select_related("report").order_by("pk")[:batch_size])
    if not batch:
        return 0
    by_report: dict[int, list[Attachment]] = {}
    for attachment in batch:
        by_report.setdefault(attachment.report_id, []).append(attachment)
    events = [
        {
            "action": AuditAction.DELETE,
            "obj": attachments[0].report,
            "detail": {"retention": "rejected_report_attachments", "count": len(attachments)},
        }
        for attachments in by_report.values()
    ]
    deleted = _delete_attachments(batch)
    events_record_bulk(actor=actor, events=events)
    return deleted


def _overwrite(model, path: str, ids, fields) -> None:
    values = {}
    for name in fields:
        field = model._meta.get_field(name)
        values[name] = "" if field.blank else ANONYMIZED
    model._base_manager.filter(**{f"{path}__in": ids}).update(**values)


@transaction.atomic
def households_anonymize(
    *, actor: Actor, cutoffs: Cutoffs, batch_size: int = 100
) -> dict[str, int]:
    """Anonymize the next batch of households that left the ledger long enough ago, with
    their members, casework text and the reports that led to them. Counts of this batch."""
    households = list(_households_due(cutoffs).select_for_update().order_by("pk")[:batch_size])
    counts = {"households": len(households), "persons": 0, "reports": 0, "attachments": 0}
    if not households:
        return counts
    ids = [household.pk for household in households]
    counts["persons"] = Person.objects.filter(household_id__in=ids).update(
        name=ANONYMIZED,
        birth_date=TruncYear("birth_date"),
        version=F("version") + 1,
        **dict.fromkeys(PERSON_CLEARED, ""),
    )
    for label, path, fields in FREE_TEXT:
        _overwrite(apps.get_model(label), path, ids, fields)
    reports = _reports_of(ids)
    counts["reports"] = Report.objects.filter(pk__in=reports).update(
        subject_birth_date=None,
        version=F("version") + 1,
        **dict.fromkeys(REPORT_CLEARED, ""),
        **dict.fromkeys(REPORT_OVERWRITTEN, ANONYMIZED),
    )
    ConsentRecord.objects.filter(report_id__in=reports).update(given_by=ANONYMIZED)
    counts["attachments"] = _delete_attachments(Attachment.objects.filter(report_id__in=reports))
    Household.objects.filter(pk__in=ids).update(address=ANONYMIZED, version=F("version") + 1)
    events_record_bulk(
        actor=actor,
        events=[
            {
                "action": AuditAction.UPDATE,
                "obj": household,
                "detail": {"retention": "anonymized", "exited_on": household.exited_on.isoformat()},
            }
            for household in households
        ],
    )
    return counts


@transaction.atomic
def print_files_purge(*, actor: Actor, cutoffs: Cutoffs, batch_size: int = 200) -> int:
    """Delete the PDFs of the next batch of batch prints made long enough ago (the job rows
    stay, saying so); 0 when done. The files go through the outbox, as attachments do."""
    jobs = list(_print_files_due(cutoffs).select_for_update().order_by("pk")[:batch_size])
    if not jobs:
        return 0
    PrintJob.objects.filter(pk__in=[job.pk for job in jobs]).update(file="")
    files_delete_on_commit(PRIVATE_ALIAS, [job.file.name for job in jobs])
    events_record_bulk(
        actor=actor,
        events=[
            {
                "action": AuditAction.DELETE,
                "obj": job,
                "detail": {"retention": "print_file", "finished_at": job.finished_at.isoformat()},
            }
            for job in jobs
        ],
    )
    return len(jobs)


# PostgreSQL: the append-only trigger lets a DELETE through only with this set in the same
# transaction, and only for rows older than six months (migration 0029).
AUDIT_RETENTION_FLAG = "ledger.audit_retention"


@transaction.atomic
def audit_prune(*, actor: Actor, cutoffs: Cutoffs, batch_size: int = 5000) -> int:
    """Delete the next batch of audit entries older than the audit period; 0 when done."""
    floor = timezone.now() - dt.timedelta(days=settings.AUDIT_RETENTION_MIN_DAYS)
    if cutoffs.audit_before > floor:
        raise RetentionError("审计日志至少保存六个月，不删除六个月内的记录。")
    ids = list(_audit_due(cutoffs).order_by("pk").values_list("pk", flat=True)[:batch_size])
    if not ids:
        return 0
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, 'on', true)", [AUDIT_RETENTION_FLAG])
        # C2: the ORM refuses to delete audit rows; this is the one place that may.
        placeholders = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN ({placeholders}) AND at < %s",  # noqa: S608
            [*ids, cutoffs.audit_before],
        )
        deleted = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, 'off', true)", [AUDIT_RETENTION_FLAG])
    return deleted


@transaction.atomic
def retention_record(*, actor: Actor, cutoffs: Cutoffs, counts: dict[str, int]) -> AuditEvent:
    """The run's own audit entry: what was removed, by kind, and the cutoffs."""
    return event_record(
        actor=actor,
        action=AuditAction.DELETE,
        detail={
            "retention": "applied",
            "counts": counts,
            "cutoffs": {key: value.isoformat() for key, value in asdict(cutoffs).items()},
        },
    )
