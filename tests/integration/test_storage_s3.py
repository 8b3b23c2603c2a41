"""Issue 19, item 1: every private file in an S3-compatible bucket, when one is configured.

A real S3 endpoint (moto's server on a loopback port, tests/s3.py) stands in for the bureau's
object store. Personas: a neighbour who files a report with a scan, the street's staff who
download it and print the street's plans, and who import a survey roster.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from pypdf import PdfReader

from backoffice.enums import PrintJobStatus, RosterImportStatus
from backoffice.models import PrintJob
from intake.models import Attachment, Report
from intake.uploads import private_storage
from portal import identity
from portal.storage import storages_setting
from tests.conftest import totp_now, verified_login
from tests.intake import pdfs
from tests.intake.conftest import report_data
from tests.integration.exchange import confirm, survey_row, uploaded, xlsx
from tests.s3 import S3Server

pytestmark = pytest.mark.django_db

DONGHUAMEN = "110101001000"
NEW_ID = identity.make_id_number(
    area_code="110101", birth=dt.date(1938, 4, 9), sequence=71, female=True
)


@pytest.fixture(scope="module")
def s3_server():
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def bucket(s3_server, settings):
    """A fresh bucket per test, set as the portal's store as production would set it."""
    bucket = s3_server.new_bucket()
    settings.STORAGES = storages_setting(
        private_root=settings.PRIVATE_MEDIA_ROOT,
        staticfiles_backend="django.contrib.staticfiles.storage.StaticFilesStorage",
        environ=bucket.environ(),
    )
    return bucket


def file_report(client, content: bytes, name: str = "低保证明.pdf") -> Report:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client.post("/report/", report_data(supporting_files=[upload]))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Report.objects.get()


def test_a_report_attachment_is_kept_privately_in_the_bucket_and_staff_download_it(
    bucket, demo_users
):
    scan = pdfs.clean_pdf(pages=2)
    public = Client()
    report = file_report(public, scan)
    attachment = Attachment.objects.get(report=report)

    key = f"private/{attachment.file.name}"
    assert bucket.keys() == [key]  # nothing on the disk, nothing else in the bucket
    assert bucket.body(key) == scan
    assert [permission for _who, permission in bucket.grants(key)] == ["FULL_CONTROL"]
    with pytest.raises(ValueError):
        attachment.file.url  # noqa: B018 - no URL of a private file, signed or not

    staff = verified_login(Client(), demo_users["street"])
    workspace = staff.get(f"/admin/reports/{report.pk}/").content.decode()
    link = f"/admin/reports/{report.pk}/attachments/{attachment.pk}/"
    assert link in workspace
    assert bucket.endpoint not in workspace and "X-Amz-" not in workspace
    download = staff.get(link)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == scan

    attachment.file.delete(save=False)
    assert bucket.keys() == []


def test_a_street_batch_print_is_written_to_the_bucket_and_downloads(
    bucket, login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("street")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/print-jobs/", {"street": DONGHUAMEN, "otp_code": totp_now()})
    assert response.status_code == 302
    job = PrintJob.objects.latest("id")
    assert job.status == PrintJobStatus.DONE
    key = f"private/{job.file.name}"
    assert key in bucket.keys("private/print-jobs/")

    download = client.get(f"/admin/print-jobs/{job.pk}/download/")
    assert download.status_code == 200
    pdf = b"".join(download.streaming_content)
    assert pdf == bucket.body(key)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert ledger["home"].file_number in text

    job.file.delete(save=False)
    assert key not in bucket.keys()


def test_a_survey_roster_is_uploaded_to_the_bucket_checked_and_applied_from_it(
    bucket, login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("street")
    roster = xlsx([survey_row("孙大娘", NEW_ID, subtype="失能", situation="卧床，无人照料")])
    roster_import, page = uploaded(client, django_capture_on_commit_callbacks, roster)
    assert roster_import.status == RosterImportStatus.PREVIEW, page[:2000]
    assert "孙大娘" in page
    upload_key = f"private/{roster_import.upload.name}"
    assert bucket.body(upload_key) == roster  # the worker read it back from the bucket

    page = confirm(client, django_capture_on_commit_callbacks, roster_import)
    assert roster_import.status == RosterImportStatus.APPLIED
    assert Report.objects.filter(subject_name="孙大娘").exists()
    assert all(key.startswith("private/exchange/") for key in bucket.keys())


def test_public_media_go_to_the_bucket_under_the_sites_own_media_address(bucket):
    name = default_storage.save("images/社区活动.png", ContentFile(b"\x89PNG\r\n\x1a\nfake"))
    assert f"media/{name}" in bucket.keys("media/")
    url = default_storage.url(name)
    assert url.startswith("/media/images/") and bucket.endpoint not in url
    default_storage.delete(name)
    assert bucket.keys("media/") == []


def test_without_a_bucket_private_files_stay_on_the_local_disk(settings, tmp_path):
    settings.STORAGES = storages_setting(
        private_root=tmp_path,
        staticfiles_backend="django.contrib.staticfiles.storage.StaticFilesStorage",
        environ={},
    )
    name = private_storage.save("intake/x.pdf", ContentFile(b"%PDF-1.4"))
    assert (tmp_path / name).read_bytes() == b"%PDF-1.4"
    private_storage.delete(name)
    assert not (tmp_path / name).exists()
