"""Intake rules: submit a report once (G1, G2), look up its coarse status, deliver notices.

Nothing is lost: the report, its consents, attachments and notification outbox rows are
written in one transaction; mail goes out only after commit, from the outbox, and a failed
send is retried later (`manage.py notifications_retry`) without touching the report.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from portal import identity, keys
from portal.db import insert_with_children
from portal.enums import Category, Subtype

from .areas import street_choices
from .deletions import files_delete_on_commit
from .enums import PUBLIC_STATUS, AttachmentKind, ConsentKind, NotificationStatus, PublicStatus
from .models import Attachment, ConsentRecord, Notification, Report
from .uploads import PRIVATE_ALIAS, CleanUpload, StorageUnavailable

log = logging.getLogger(__name__)

PRIVACY_NOTICE_VERSION = "2026-11"
CHILD_AGE = 14
# Crockford's base32 without I, L, O, U: easy to read out over the phone.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MAX_SEND_ATTEMPTS = 8


@dataclass(frozen=True)
class ReportFields:
    """What the public form collected, cleaned."""

    reporter_type: str
    reporter_name: str
    reporter_phone: str
    subject_name: str
    subject_id_number: str
    subject_phone: str
    subject_declared_child: bool
    district_code: str
    street_code: str
    community_code: str
    address: str
    category: str
    subtype: str
    what_happened: str
    help_needed: str
    benefits_received: str = ""
    urgency_reasons: list[str] = field(default_factory=list)
    proxy_organisation: str = ""
    entrustment_statement: str = ""
    guardian_name: str = ""


@dataclass(frozen=True)
class Receipt:
    reference: str
    lookup_code: str
    urgent: bool
    submitted_at: dt.datetime


def new_reference(now: dt.datetime) -> str:
    """`BJ261129-7KQ2-M9XD`: a date for people, 40 random bits so nobody can guess one."""
    random_part = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    local = timezone.localtime(now)
    return f"BJ{local:%y%m%d}-{random_part[:4]}-{random_part[4:]}"


def _lookup_code(reference: str, secret: str) -> str:
    digest = salted_hmac("intake.lookup-code", reference, secret=secret, algorithm="sha256")
    return f"{int(digest.hexdigest()[:16], 16) % 100_000_000:08d}"


def lookup_code_for(reference: str) -> str:
    """The 8-digit code printed on the receipt: derived from the reference with RECEIPT_KEY (a
    key of its own, so rotating SECRET_KEY leaves every receipt valid), so a replayed form
    shows the same receipt and no code is stored anywhere."""
    return _lookup_code(reference, keys.receipt_key())


def lookup_codes_accepted(reference: str) -> list[str]:
    """Every code that opens `reference`: RECEIPT_KEY's, then those of the keys it replaced
    (RECEIPT_KEY_FALLBACKS), then the old derivation from SECRET_KEY for receipts printed
    before the receipt key existed (LEGACY_SECRET_KEYS; see portal/keys.py)."""
    return [_lookup_code(reference, secret) for secret in keys.receipt_keys_accepted()]


class FormAlreadySent(Exception):
    """G2: this form's token has made a report already, and the form now says something else
    (sent, then Back, edited and sent again). Nothing new is written; `report` is the first."""

    def __init__(self, report: Report):
        super().__init__(report.reference)
        self.report = report


def content_digest(
    *, fields: ReportFields, uploads: list[tuple[AttachmentKind, CleanUpload]]
) -> str:
    """G2: a keyed hash of what a form said, its files' contents included. Kept on the report,
    it tells the same form posted again (a double click, a replayed POST) from one that was
    changed after it was sent, without storing the content a second time; the server key
    makes it useless for guessing what a report holds."""
    content = {**vars(fields)}  # shallow: asdict's deep copy was 45 of 78 µs
    content["urgency_reasons"] = sorted(fields.urgency_reasons)
    content["files"] = sorted([str(kind), upload.sha256] for kind, upload in uploads)
    message = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return salted_hmac("intake.form-content", message, algorithm="sha256").hexdigest()


def receipt_for(report: Report) -> Receipt:
    return Receipt(
        reference=report.reference,
        lookup_code=lookup_code_for(report.reference),
        urgent=report.urgent,
        submitted_at=report.submitted_at,
    )


def is_urgent(*, subtype: str, urgency_reasons: list[str]) -> bool:
    """D2: a minor needing shelter, or an elderly person alone and unreachable, is urgent."""
    return bool(urgency_reasons) or subtype == Subtype.EMERGENCY_SHELTER


def subject_birth_and_child(fields: ReportFields, today: dt.date) -> tuple[dt.date | None, bool]:
    if not fields.subject_id_number:
        return None, fields.subject_declared_child
    birth = identity.birth_date_from_id(fields.subject_id_number)
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return birth, age < CHILD_AGE or fields.subject_declared_child


def identifier_columns(prefix: str, *, id_number: str = "", phone: str = "") -> dict:
    values: dict[str, str] = {}
    if id_number:
        values.update(
            {
                f"{prefix}_id_encrypted": identity.encrypt_value(id_number),
                f"{prefix}_id_index": identity.blind_index(id_number, kind="id"),
                f"{prefix}_id_masked": identity.mask_id_number(id_number),
            }
        )
    if phone:
        values.update(
            {
                f"{prefix}_phone_encrypted": identity.encrypt_value(phone),
                f"{prefix}_phone_masked": identity.mask_phone(phone),
            }
        )
        if prefix == "subject":
            values["subject_phone_index"] = identity.blind_index(phone, kind="phone")
    return values


def _street_name(report: Report) -> str:
    """From the divisions each process keeps (intake/areas.py), without a query per report."""
    names = dict(street_choices(report.district_id))
    return names.get(report.street_id) or report.street.name


def _notification_text(report: Report) -> tuple[str, str]:
    """No personal data in mail (C3): where, what kind, how urgent; details are in the admin."""
    flag = "【紧急】" if report.urgent else ""
    subject = f"{flag}新的困难群众反映 {report.reference}"
    body = (
        f"受理编号：{report.reference}\n"
        f"所在街道（乡镇）：{_street_name(report)}\n"
        f"困难类别：{Category(report.category).label} · {Subtype(report.subtype).label}\n"
        f"紧急：{'是' if report.urgent else '否'}\n\n"
        "请登录救助帮扶工作台（/admin/reports/）分派并安排入户走访。"
    )
    return subject, body


def report_submit(
    *,
    form_token: uuid.UUID,
    fields: ReportFields,
    uploads: list[tuple[AttachmentKind, CleanUpload]],
    now: dt.datetime | None = None,
) -> tuple[Report, bool]:
    """Record a report once per form token (G2). Returns the report and whether it is new.

    G1: the report, its consents, attachments and outbox rows are written all or nothing
    (portal/db.py: one round trip on PostgreSQL); the delivery task is woken after commit.
    The unique form token decides: a replay or a double click fails to insert and gets the
    first report back (no query beforehand: the first POST of a form is the common case).
    The same token with other content raises FormAlreadySent, so that the change is not
    dropped silently; a report filed before content digests existed counts as the same.
    """
    now = now or timezone.now()
    digest = content_digest(fields=fields, uploads=uploads)
    written_files: list[str] = []
    try:
        report, children = _report_rows(
            form_token=form_token, fields=fields, now=now, uploads=uploads, files=written_files
        )
        report.content_digest = digest
        insert_with_children(report, children)
    except IntegrityError:
        _files_delete(written_files)  # the other request won: its files are the ones kept
        existing = Report.objects.filter(form_token=form_token).first()
        if existing is None:
            raise
        if existing.content_digest and not constant_time_compare(existing.content_digest, digest):
            raise FormAlreadySent(existing) from None
        return existing, False
    except Exception:
        _files_delete(written_files)  # nothing refers to them
        raise
    transaction.on_commit(delivery_wake, robust=True)
    return report, True


def _files_delete(names: list[str]) -> None:
    """Files that nothing refers to: deleted now, or, while the store refuses, through the
    outbox (intake/deletions.py), so that none stays for good (issue 19)."""
    for index, name in enumerate(names):
        try:
            Attachment.file.field.storage.delete(name)
        except StorageUnavailable:
            files_delete_on_commit(PRIVATE_ALIAS, names[index:])
            return


def _report_rows(
    *,
    form_token: uuid.UUID,
    fields: ReportFields,
    now: dt.datetime,
    uploads: list[tuple[AttachmentKind, CleanUpload]],
    files: list[str],
) -> tuple[Report, list]:
    """The unsaved report and the rows that belong to it (consents, attachments, outbox).
    Uploaded files are stored first; their names go to `files` so a failure can remove them."""
    birth, is_child = subject_birth_and_child(fields, timezone.localtime(now).date())
    report = Report(
        reference=new_reference(now),
        form_token=form_token,
        urgent=is_urgent(subtype=fields.subtype, urgency_reasons=fields.urgency_reasons),
        urgency_reasons=list(fields.urgency_reasons),
        submitted_at=now,
        learned_on=timezone.localtime(now).date(),
        status_changed_at=now,
        reporter_type=fields.reporter_type,
        reporter_name=fields.reporter_name,
        proxy_organisation=fields.proxy_organisation,
        entrustment_statement=fields.entrustment_statement,
        subject_name=fields.subject_name,
        subject_birth_date=birth,
        subject_is_child=is_child,
        district_id=fields.district_code,
        street_id=fields.street_code,
        community_id=fields.community_code,
        address=fields.address,
        category=fields.category,
        subtype=fields.subtype,
        what_happened=fields.what_happened,
        help_needed=fields.help_needed,
        benefits_received=fields.benefits_received,
        **identifier_columns("reporter", phone=fields.reporter_phone),
        **identifier_columns(
            "subject", id_number=fields.subject_id_number, phone=fields.subject_phone
        ),
    )
    # D4: one record per consent, tied to the notice version shown.
    consents = [(ConsentKind.PRIVACY_NOTICE, fields.reporter_name)]
    if is_child:
        consents.append((ConsentKind.GUARDIAN, fields.guardian_name))
    if fields.proxy_organisation:
        consents.append((ConsentKind.ENTRUSTMENT, fields.subject_name))
    children: list = [
        ConsentRecord(
            kind=kind, notice_version=PRIVACY_NOTICE_VERSION, given_by=given_by, given_at=now
        )
        for kind, given_by in consents
    ]
    for kind, upload in uploads:
        attachment = Attachment(
            kind=kind,
            original_name=upload.original_name,
            content_type=upload.content_type,
            size=len(upload.content),
            sha256=upload.sha256,
        )
        attachment.file.save(upload.as_file().name, upload.as_file(), save=False)
        files.append(attachment.file.name)
        children.append(attachment)
    subject, body = _notification_text(report)
    children.extend(
        Notification(recipient=address, subject=subject, body=body)
        for address in settings.INTAKE_NOTIFY_EMAILS
    )
    return report, children


# Coalesced delivery (G1): the first report of a 5-second window queues one delivery run to
# start when the window has closed; the window's later reports queue nothing, because their
# outbox rows are committed before that run reads the outbox. A busy hour queues hundreds of
# runs instead of one task row per report. Nothing depends on the cache being shared: each
# web process keeps its own window, and `notifications_retry` (cron) is the safety net.
DELIVERY_WINDOW_KEY = "intake:delivery-window"
DELIVERY_WINDOW_SECONDS = 5


def delivery_wake() -> None:
    """After a report commits: make sure a delivery run will read the outbox after it."""
    from .tasks import deliver_pending_notifications

    if not deliver_pending_notifications.get_backend().supports_defer:
        deliver_pending_notifications.enqueue()  # a backend that runs it now (the tests')
        return
    try:
        opened = cache.add(DELIVERY_WINDOW_KEY, 1, timeout=DELIVERY_WINDOW_SECONDS)
    except Exception:  # a cache outage must not hold mail back: queue a run at once
        log.warning("delivery window unavailable; queueing a delivery run", exc_info=True)
        deliver_pending_notifications.enqueue()
        return
    if opened:  # one second more than the window, for clocks that differ between machines
        run_after = timezone.now() + dt.timedelta(seconds=DELIVERY_WINDOW_SECONDS + 1)
        deliver_pending_notifications.using(run_after=run_after).enqueue()


def notifications_deliver_due(*, batch: int = 100) -> tuple[int, int]:
    """Send every outbox row that is due, oldest first; returns (sent, failed).
    A failed row gets a later attempt time and so drops out of "due" until then."""
    sent = failed = 0
    while due := list(notifications_due()[:batch]):
        for notification in due:
            if not _notification_claim(notification):
                continue  # another worker's run took it (issue 19: each notice sent once)
            if notification_deliver(notification=notification):
                sent += 1
            else:
                failed += 1
    return sent, failed


# Issue 19: delivery runs on several workers (and the cron retry) may overlap. A run claims a
# row before sending by moving its next attempt this far ahead, only if nobody has moved it
# since it was read; a run that dies after the claim leaves the row due again after that.
DELIVERY_CLAIM_SECONDS = 300


def _notification_claim(notification: Notification) -> bool:
    return bool(
        Notification.objects.filter(
            pk=notification.pk,
            status=NotificationStatus.PENDING,
            next_attempt_at=notification.next_attempt_at,
        ).update(next_attempt_at=timezone.now() + dt.timedelta(seconds=DELIVERY_CLAIM_SECONDS))
    )


def notification_deliver(*, notification: Notification, now: dt.datetime | None = None) -> bool:
    """Try to send one outbox row; a failure is recorded and retried later with back-off."""
    now = now or timezone.now()
    try:
        send_mail(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient],
        )
    except Exception as exc:  # any transport error: keep the row, try again later
        attempts = notification.attempts + 1
        log.warning("notification %s failed (attempt %s): %s", notification.pk, attempts, exc)
        Notification.objects.filter(pk=notification.pk).update(
            attempts=attempts,
            last_error=f"{type(exc).__name__}: {exc}"[:300],
            next_attempt_at=now + dt.timedelta(minutes=2**attempts),
            status=(
                NotificationStatus.FAILED
                if attempts >= MAX_SEND_ATTEMPTS
                else NotificationStatus.PENDING
            ),
        )
        return False
    Notification.objects.filter(pk=notification.pk).update(
        attempts=notification.attempts + 1, status=NotificationStatus.SENT, sent_at=now
    )
    return True


def notifications_due(now: dt.datetime | None = None):
    now = now or timezone.now()
    return Notification.objects.filter(
        status=NotificationStatus.PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")


def report_lookup(*, reference: str, code: str) -> Report | None:
    """The report for a reference and its receipt code, or None (same answer for both errors)."""
    reference = reference.strip().upper()
    code = "".join(ch for ch in code if ch.isdigit())
    # Every accepted code is compared (no early exit), so the time taken tells nothing.
    matches = [
        constant_time_compare(code, expected) for expected in lookup_codes_accepted(reference)
    ]
    report = Report.objects.filter(reference=reference).only("status", "status_changed_at").first()
    if report is None or not any(matches):
        return None
    return report


def report_by_reference(reference: str) -> Report | None:
    return (
        Report.objects.filter(reference=reference)
        .only("reference", "urgent", "submitted_at", "status", "status_changed_at")
        .first()
    )


def public_status(report: Report) -> PublicStatus:
    return PUBLIC_STATUS[report.status]
