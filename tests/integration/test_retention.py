"""Issue 19, item 8 (SECURITY D5): `manage.py apply_retention` removes what is due, and only that.

Attachments of rejected reports go after RETENTION_REJECTED_ATTACHMENTS_DAYS (rows and files);
households that left the ledger more than RETENTION_EXITED_HOUSEHOLD_YEARS ago are anonymized
with their members, casework text and reports; audit entries go after AUDIT_RETENTION_DAYS,
never younger than six months.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from backoffice.enums import AuditAction, HouseholdStatus, NeedType, PrintJobStatus
from backoffice.models import AuditEvent, Household, Need, Person, PrintJob, Triage
from backoffice.services.retention import ANONYMIZED
from intake.enums import ReportStatus
from intake.models import Attachment, FileDeletion, Report
from tests.conftest import is_postgres
from tests.intake.conftest import png_with_exif, report_data
from tests.integration.conftest import ZHANG_ID
from tests.support import store_down


def file_report(client, name: str) -> Report:
    photo = SimpleUploadedFile("诊断书.jpg", png_with_exif(), content_type="image/jpeg")
    response = client.post("/report/", report_data(subject_name=name, supporting_files=[photo]))
    assert response.status_code == 302
    return Report.objects.get(subject_name=name)


def run(*args) -> str:
    out = io.StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def world(ledger, client, settings):
    """Three reports with a photo each, two households that left (long ago, recently), audit
    entries old and young; the clock stands 200 days after the first rejection."""
    settings.RETENTION_REJECTED_ATTACHMENTS_DAYS = 180
    settings.RETENTION_EXITED_HOUSEHOLD_YEARS = 5
    settings.AUDIT_RETENTION_DAYS = 365
    # The clock of the run is today's (the database's own clock judges audit ages on
    # PostgreSQL); the reports are filed back in time.
    now = timezone.now().replace(microsecond=0)
    start = now - dt.timedelta(days=200)
    with time_machine.travel(start, tick=False):
        rejected_long_ago = file_report(client, "甲某")
        Report.objects.filter(pk=rejected_long_ago.pk).update(
            status=ReportStatus.REJECTED, status_changed_at=timezone.now()
        )
        accepted = file_report(client, "乙某")
        Report.objects.filter(pk=accepted.pk).update(
            status=ReportStatus.ACCEPTED, status_changed_at=timezone.now()
        )
    with time_machine.travel(start + dt.timedelta(days=100), tick=False):
        client.cookies.clear()
        rejected_lately = file_report(client, "丙某")
        Report.objects.filter(pk=rejected_lately.pk).update(
            status=ReportStatus.REJECTED, status_changed_at=timezone.now()
        )
    today = timezone.localdate(now)
    home, far = ledger["home"], ledger["far"]
    Household.objects.filter(pk=home.pk).update(
        status=HouseholdStatus.EXITED, exited_on=today - dt.timedelta(days=6 * 365)
    )
    Household.objects.filter(pk=far.pk).update(
        status=HouseholdStatus.EXITED, exited_on=today - dt.timedelta(days=2 * 365)
    )
    # The accepted report is how the long-gone household came into the ledger.
    Triage.objects.create(report=accepted, household=home, note="赵桂兰独居，已纳入")
    Need.objects.create(household=home, need_type=NeedType.CARE, description="张三腿脚不便")
    old_audit = AuditEvent.objects.create(
        at=now - dt.timedelta(days=400), action=AuditAction.VIEW, actor_username="city"
    )
    young_audit = AuditEvent.objects.create(
        at=now - dt.timedelta(days=200), action=AuditAction.VIEW, actor_username="city"
    )
    return {
        "now": now,
        "due": rejected_long_ago,
        "accepted": accepted,
        "lately": rejected_lately,
        "home": home,
        "far": far,
        "old_audit": old_audit,
        "young_audit": young_audit,
    }


def _files(report):
    return [a.file.name for a in Attachment.objects.filter(report=report)]


def test_d5_what_is_due_goes_and_everything_else_stays(
    world, ledger, django_capture_on_commit_callbacks
):
    due_files = _files(world["due"])
    accepted_files = _files(world["accepted"])  # its household is anonymized: they go too
    kept_files = _files(world["lately"])
    storage = Attachment._meta.get_field("file").storage
    everything = due_files + accepted_files + kept_files
    assert len(everything) == 3 and all(storage.exists(name) for name in everything)
    audit_before = AuditEvent.objects.count()

    with time_machine.travel(world["now"], tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            out = run()

    # Counts per kind, in Chinese.
    assert "附件（删除，含文件）: 2" in out
    assert "家庭档案（匿名化）: 1" in out
    assert "家庭成员（匿名化）: 2" in out
    assert "群众反映（匿名化）: 1" in out
    assert "审计日志（删除）: 1" in out
    # The rejected report's photo is gone, row and file; the others stay.
    assert not Attachment.objects.filter(report=world["due"]).exists()
    assert not any(storage.exists(name) for name in due_files + accepted_files)
    assert all(storage.exists(name) for name in kept_files)
    assert Report.objects.get(pk=world["due"].pk).subject_name == "甲某"  # the report stays
    # The report that led to the anonymized household loses its personal data.
    report = Report.objects.get(pk=world["accepted"].pk)
    assert (report.subject_name, report.reporter_name, report.address) == (ANONYMIZED,) * 3
    assert report.subject_id_encrypted == report.subject_phone_index == ""
    assert "赵桂兰" not in Triage.objects.get(pk=report.pk).note
    # The household that left six years ago is anonymized; its file and dates stay.
    home = Household.objects.get(pk=world["home"].pk)
    assert home.address == ANONYMIZED and home.exited_on is not None
    zhang = Person.objects.get(pk=ledger["zhang"].pk)
    assert zhang.name == ANONYMIZED
    assert zhang.id_number_encrypted == zhang.id_number_index == zhang.phone_encrypted == ""
    assert zhang.birth_date == dt.date(1950, 1, 1)  # the year stays, for statistics by age
    assert not Person.objects.filter(name__in=["张三", "张小"]).exists()
    assert Need.objects.get(household=home).description == ""
    # The household that left two years ago keeps everything.
    assert Household.objects.get(pk=world["far"].pk).address == "朝阳门外1号"
    assert Person.objects.get(pk=ledger["wang"].pk).name == "王五"
    # Audit: the 400-day-old entry went, the 200-day-old stays; the run is itself audited.
    assert not AuditEvent.objects.filter(pk=world["old_audit"].pk).exists()
    assert AuditEvent.objects.filter(pk=world["young_audit"].pk).exists()
    summary = AuditEvent.objects.filter(
        action=AuditAction.DELETE, actor_role="system", detail__retention="applied"
    ).get()
    assert summary.detail["counts"]["attachments"] == 2
    assert summary.detail["counts"]["audit"] == 1
    anonymized = AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_id=str(home.pk), detail__retention="anonymized"
    )
    assert anonymized.count() == 1
    # One old entry deleted; the run added its own entries (per object and the summary).
    assert AuditEvent.objects.count() == audit_before - 1 + 1 + 1 + 1

    # A second run finds nothing left.
    with time_machine.travel(world["now"], tick=False):
        again = run()
    assert "附件（删除，含文件）: 0" in again and "家庭档案（匿名化）: 0" in again


def test_d5_the_ledger_search_no_longer_finds_an_anonymized_person(world, client, login_as):
    with time_machine.travel(world["now"], tick=False):
        run()
    login_as("city")
    assert "张三" not in client.get("/admin/persons/", {"q": ZHANG_ID}).content.decode()


def test_d5_a_dry_run_counts_and_changes_nothing(world, ledger, django_capture_on_commit_callbacks):
    audit_before = list(AuditEvent.objects.values_list("pk", flat=True))
    files = _files(world["due"])
    with time_machine.travel(world["now"], tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            out = run("--dry-run")
    assert "试运行，未作修改" in out
    assert "附件（删除，含文件）: 2" in out and "家庭档案（匿名化）: 1" in out
    assert "审计日志（删除）: 1" in out
    assert _files(world["due"]) == files
    storage = Attachment._meta.get_field("file").storage
    assert all(storage.exists(name) for name in files)
    assert Person.objects.get(pk=ledger["zhang"].pk).name == "张三"
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == audit_before


def test_d5_an_audit_period_under_six_months_is_refused(world, settings):
    settings.AUDIT_RETENTION_DAYS = 90
    with pytest.raises(CommandError, match="六个月"):
        run()
    with pytest.raises(CommandError, match="六个月"):
        run("--dry-run")
    assert AuditEvent.objects.filter(pk=world["young_audit"].pk).exists()
    assert AuditEvent.objects.filter(pk=world["old_audit"].pk).exists()
    assert Person.objects.filter(name="张三").exists()


def test_c2_the_orm_still_refuses_to_delete_audit(world):
    from backoffice.models.audit import AppendOnlyError

    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=world["old_audit"].pk).delete()


def test_c2_postgresql_refuses_deleting_young_audit_even_for_retention(world):
    if not is_postgres():
        pytest.skip("the append-only trigger exists on PostgreSQL")
    young = AuditEvent.objects.create(
        at=timezone.now() - dt.timedelta(days=150), action=AuditAction.VIEW
    ).pk  # under six months by the database's clock
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('ledger.audit_retention', 'on', true)")
            cursor.execute("DELETE FROM backoffice_auditevent WHERE id = %s", [young])
    old = world["old_audit"].pk
    with pytest.raises(DatabaseError, match="append-only"):  # the flag is needed
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM backoffice_auditevent WHERE id = %s", [old])
    assert AuditEvent.objects.filter(pk__in=[young, old]).count() == 2
    with transaction.atomic(), connection.cursor() as cursor:  # what audit_prune does
        cursor.execute("SELECT set_config('ledger.audit_retention', 'on', true)")
        cursor.execute("DELETE FROM backoffice_auditevent WHERE id = %s", [old])
    assert not AuditEvent.objects.filter(pk=old).exists()


def test_d5_files_the_store_could_not_delete_go_once_it_is_back(
    world, settings, django_capture_on_commit_callbacks
):
    """The rows go at once; the files (ID scans, diagnoses) wait in the outbox for the store
    and go on the next cron run after it is back; none is left with nothing to delete it."""
    gone = _files(world["due"]) + _files(world["accepted"])
    root = settings.PRIVATE_MEDIA_ROOT
    up = settings.STORAGES
    store_down(settings)
    with time_machine.travel(world["now"], tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            out = run()
    assert "附件（删除，含文件）: 2" in out
    assert not Attachment.objects.filter(report=world["due"]).exists()
    assert sorted(FileDeletion.objects.values_list("name", flat=True)) == sorted(gone)
    assert all((root / name).exists() for name in gone)

    settings.STORAGES = up
    recovered = io.StringIO()
    with time_machine.travel(world["now"] + dt.timedelta(hours=1), tick=False):
        call_command("tasks_recover", stdout=recovered)
    assert "待删除文件：已删除 2 个，仍待删除 0 个。" in recovered.getvalue()
    assert not any((root / name).exists() for name in gone)
    assert all((root / name).exists() for name in _files(world["lately"]))


def test_d5_a_batch_print_loses_its_pdf_after_its_days_and_its_page_says_so(
    world, settings, demo_users, login_as, django_capture_on_commit_callbacks
):
    """A street's batch print holds every plan of the street; its PDF goes
    RETENTION_PRINT_FILES_DAYS after it was made. The job stays, and says what happened."""
    settings.RETENTION_PRINT_FILES_DAYS = 7
    root = settings.PRIVATE_MEDIA_ROOT

    def printed(days_ago: int) -> PrintJob:
        job = PrintJob.objects.create(
            owner=demo_users["street"],
            kind="street_plans",
            street_id="110101001000",
            scope_label="东华门街道在册家庭帮扶方案",
            status=PrintJobStatus.DONE,
            total=2,
            done=2,
            pages=4,
            finished_at=world["now"] - dt.timedelta(days=days_ago),
        )
        job.file.save(f"print-job-{job.pk}.pdf", ContentFile(b"%PDF-1.4 plans"), save=True)
        return job

    old, recent = printed(8), printed(2)
    old_file, recent_file = old.file.name, recent.file.name
    with time_machine.travel(world["now"], tick=False):
        assert "批量打印文件（删除）: 1" in run("--dry-run")
        with django_capture_on_commit_callbacks(execute=True):
            out = run()
    assert "批量打印文件（删除）: 1" in out
    old.refresh_from_db(), recent.refresh_from_db()
    assert old.file.name == "" and not (root / old_file).exists()
    assert recent.file.name == recent_file and (root / recent_file).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.DELETE, object_id=str(old.pk), detail__retention="print_file"
    ).exists()

    client = login_as("street")
    page = client.get(f"/admin/print-jobs/{old.pk}/").content.decode()
    assert "文件已在生成 7 天后删除" in page and "job-download" not in page
    assert client.get(f"/admin/print-jobs/{old.pk}/download/").status_code == 404
    listing = client.get("/admin/print-jobs/").content.decode()
    assert "文件已删除" in listing
    assert "job-download" in client.get(f"/admin/print-jobs/{recent.pk}/").content.decode()
