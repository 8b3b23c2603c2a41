"""Issue 19, item 3: what the public and the staff see when a service the portal needs is gone.

- the file store does not answer: the report is refused in Chinese, nothing is saved; every
  other screen that stores or reads a file (staff uploads and downloads, Wagtail's images and
  documents) answers 503 with a Chinese page, and writes nothing;
- Redis does not answer: the public form keeps working on a stricter per-process limit and a
  warning is logged; the login lockout (a database row) still locks;
- mail does not go out: the notice waits in the outbox and goes out on a later run;
- a worker dies in the middle of a batch print: the job does not stay "生成中" for ever, it
  is marked failed with a message and runs again on "重试".
(The database dropping connections under load is in tests/cluster: it needs real processes.)
"""

from __future__ import annotations

import datetime as dt
import inspect
import io
import logging
import re
import socket
from dataclasses import dataclass

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, ModelLogEntry, UploadedFile
from wagtail.users.models import UserProfile

from backoffice.demo.accounts import DEMO_LAPSED_AGENCY
from backoffice.enums import AuditOutcome, PrintJobStatus, RosterImportStatus
from backoffice.models import (
    Agency,
    AuditEvent,
    ConfidentialityAgreement,
    Household,
    Person,
    PrintJob,
    RosterImport,
)
from backoffice.services.agencies import agreement_record
from backoffice.services.exchange import APPLY_STORE_DOWN, CHECK_STORE_DOWN
from backoffice.services.print_jobs import PRINT_STORE_DOWN
from backoffice.services.task_recovery import PRINT_JOB_INTERRUPTED, WORKER_LOST
from intake.enums import NotificationStatus
from intake.models import Attachment, FileDeletion, Notification, Report
from intake.uploads import clean_upload
from portal import identity
from portal.storage_down import storage_failure
from tests.conftest import PASSWORD, as_actor, totp_now, verified_login
from tests.intake import pdfs
from tests.intake.conftest import report_data
from tests.integration.conftest import ZHANG_ID
from tests.integration.exchange import DISABILITY, survey_row, uploaded, xlsx
from tests.support import closed_port, store_down, store_on_disk

pytestmark = pytest.mark.django_db

STORAGE_DOWN = "附件暂时无法保存（文件存储服务暂不可用），本次反映未提交"
NEW_ID = identity.make_id_number(
    area_code="110101", birth=dt.date(1938, 4, 9), sequence=71, female=True
)


def post_report(client, *, files=None, **overrides):
    data = report_data(**overrides)
    if files:
        data["supporting_files"] = files
    return client.post("/report/", data)


def scan():
    return SimpleUploadedFile("低保证明.pdf", pdfs.clean_pdf(), content_type="application/pdf")


# The file store ------------------------------------------------------------------------------


@pytest.fixture
def storage_down(settings):
    store_down(settings)


def test_an_upload_is_refused_in_chinese_and_nothing_is_saved_while_the_store_is_down(
    client, storage_down
):
    response = post_report(client, files=[scan()])
    html = response.content.decode()
    assert response.status_code == 503
    assert STORAGE_DOWN in html and "12345" in html
    assert "赵桂兰" in html  # what was typed comes back to be sent again
    assert "Traceback" not in html and "botocore" not in html
    assert not Report.objects.exists() and not Attachment.objects.exists()
    assert not Notification.objects.exists()


def test_a_report_without_files_is_still_accepted_while_the_store_is_down(client, storage_down):
    response = post_report(client)
    assert response.status_code == 302
    assert Report.objects.count() == 1


# The file store down, on every screen that stores or reads a file ---------------------------------
# Issue 19, item 3. The screens were found by reading the views (FileResponse, request.FILES,
# an action whose files a task reads or deletes) and Wagtail's (images, documents, the profile
# picture, a document's public link); `test_the_sweep_covers_every_view_that_handles_a_file`
# keeps the list whole. Each screen is set up while the store answers (its files stored on
# the local disk), then the store goes down for the request.

STORE_DOWN_PAGE = "文件存储服务暂时不可用"
NOT_SAVED = "没有保存"
TRY_LATER = "请稍后"


def a_png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def a_roster() -> bytes:
    return xlsx([survey_row("孙大娘", NEW_ID, subtype="失能", situation="卧床，无人照料")])


@pytest.fixture
def local_store(settings, tmp_path):
    """Files stored while the store answers land in the test's own folder."""
    store_on_disk(settings, tmp_path)


@dataclass
class Visit:
    """One request to a screen, as its persona sends it."""

    client: Client
    method: str
    url: str
    data: dict | None = None
    xhr: bool = False  # Wagtail's multiple upload posts each file from a script
    # Wagtail's upload scripts show what they are sent only in a 200 answer (the multiple
    # upload's `success` false, a chooser's tab fragment); any other screen is answered 503.
    refused_with: int = 503

    def send(self, **extra):
        """The request, as the portal runs it: without a transaction around the request, a
        save that the store refused before its statement ran leaves what was written before
        it. Inside the test's transaction Django would mark everything for rollback (hiding
        such writes, and spoiling the counts after); the mark is lifted as autocommit would
        have it, so that half-written rows stay to be seen."""
        if self.xhr:
            extra["HTTP_X_REQUESTED_WITH"] = "XMLHttpRequest"
        with transaction.atomic():
            if self.method == "post":
                response = self.client.post(self.url, self.data or {}, **extra)
            else:
                response = self.client.get(self.url, **extra)
            transaction.set_rollback(False)
        return response


@dataclass
class Stage:
    """What the screens need while the store still answers."""

    users: dict
    ledger: dict
    capture: object

    def login(self, persona: str) -> Client:
        return verified_login(Client(), self.users[persona])

    def roster_import(self, persona: str, data: bytes, **kwargs) -> tuple[Client, RosterImport]:
        client = self.login(persona)
        roster_import, _page = uploaded(client, self.capture, data, **kwargs)
        return client, roster_import


def lapsed_agency() -> Agency:
    return Agency.objects.get(name=DEMO_LAPSED_AGENCY)


def agreement_upload(stage: Stage) -> Visit:
    today = timezone.localdate()
    data = {
        "signed_on": today.isoformat(),
        "expires_on": (today + dt.timedelta(days=365)).isoformat(),
        "document": scan(),
    }
    url = f"/admin/agencies/{lapsed_agency().pk}/agreements/new/"
    return Visit(stage.login("dongcheng"), "post", url, data)


def agreement_download(stage: Stage) -> Visit:
    today = timezone.localdate()
    agreement = agreement_record(
        actor=as_actor(stage.users["dongcheng"]),
        agency=lapsed_agency(),
        signed_on=today,
        expires_on=today + dt.timedelta(days=365),
        document=clean_upload(scan()),
    )
    url = f"/admin/agencies/{agreement.agency_id}/agreements/{agreement.pk}/download/"
    return Visit(stage.login("dongcheng"), "get", url)


def roster_upload(stage: Stage) -> Visit:
    data = {"kind": "survey", "file": SimpleUploadedFile("名册.xlsx", a_roster())}
    return Visit(stage.login("street"), "post", "/admin/exchange/", data)


def roster_errors_download(stage: Stage) -> Visit:
    bad = xlsx([survey_row("孙大娘", NEW_ID[:-1] + "0")])  # a wrong check digit
    client, roster_import = stage.roster_import("street", bad)
    assert roster_import.errors_file
    return Visit(client, "get", f"/admin/exchange/imports/{roster_import.pk}/errors/download/")


def roster_confirm(stage: Stage) -> Visit:
    """The apply task reads the rows file: the confirmation waits for the store."""
    client, roster_import = stage.roster_import("street", a_roster())
    assert roster_import.status == RosterImportStatus.PREVIEW
    return Visit(client, "post", f"/admin/exchange/imports/{roster_import.pk}/confirm/")


def roster_feedback(stage: Stage) -> Visit:
    """U12: the department's list streams from the rows file."""
    rows = [["张三", ZHANG_ID, "肢体残疾", "一级"]]
    client, roster_import = stage.roster_import(
        "dongcheng", xlsx(rows, DISABILITY), kind="disability"
    )
    url = f"/admin/exchange/imports/{roster_import.pk}/feedback/"
    return Visit(client, "post", url, {"file_format": "xlsx"})


def report_attachment_download(stage: Stage) -> Visit:
    assert post_report(Client(), files=[scan()]).status_code == 302
    attachment = Attachment.objects.get()
    url = f"/admin/reports/{attachment.report_id}/attachments/{attachment.pk}/"
    return Visit(stage.login("street"), "get", url)


def print_job_download(stage: Stage) -> Visit:
    client = stage.login("street")
    with stage.capture(execute=True):
        client.post("/admin/print-jobs/", {"street": "110101001000", "otp_code": totp_now()})
    job = PrintJob.objects.get()
    assert job.status == PrintJobStatus.DONE
    return Visit(client, "get", f"/admin/print-jobs/{job.pk}/download/")


def root_collection() -> int:
    return Collection.get_first_root_node().pk


def image_upload(stage: Stage) -> Visit:
    data = {
        "title": "社区活动",
        "file": SimpleUploadedFile("活动.png", a_png(), "image/png"),
        "collection": root_collection(),
    }
    return Visit(stage.login("editor"), "post", "/admin/images/add/", data)


def image_multiple_upload(stage: Stage) -> Visit:
    data = {"files[]": SimpleUploadedFile("活动.png", a_png(), "image/png")}
    return Visit(
        stage.login("editor"),
        "post",
        "/admin/images/multiple/add/",
        data,
        xhr=True,
        refused_with=200,
    )


def a_stored_image():
    return get_image_model().objects.create(
        title="社区活动", file=ContentFile(a_png(), name="活动.png"), width=8, height=8
    )


def image_replace(stage: Stage) -> Visit:
    """The edit page takes a new file for an image."""
    image = a_stored_image()
    data = {
        "title": image.title,
        "file": SimpleUploadedFile("新活动.png", a_png(), "image/png"),
        "collection": root_collection(),
    }
    return Visit(stage.login("editor"), "post", f"/admin/images/{image.pk}/", data)


def image_chooser_upload(stage: Stage) -> Visit:
    """The upload tab of the image chooser, in a page's editor."""
    data = {
        "image-chooser-upload-title": "社区活动",
        "image-chooser-upload-file": SimpleUploadedFile("活动.png", a_png(), "image/png"),
        "image-chooser-upload-collection": root_collection(),
    }
    url = "/admin/images/chooser/create/"
    return Visit(stage.login("editor"), "post", url, data, xhr=True, refused_with=200)


def image_preview(stage: Stage) -> Visit:
    """The focal-point editor's preview: a rendition made from the original."""
    image = a_stored_image()
    return Visit(stage.login("editor"), "get", f"/admin/images/{image.pk}/preview/width-100/")


def document_upload(stage: Stage) -> Visit:
    data = {"title": "申请表", "file": scan(), "collection": root_collection()}
    return Visit(stage.login("editor"), "post", "/admin/documents/add/", data)


def document_multiple_upload(stage: Stage) -> Visit:
    data = {"files[]": scan()}
    return Visit(
        stage.login("editor"),
        "post",
        "/admin/documents/multiple/add/",
        data,
        xhr=True,
        refused_with=200,
    )


def a_stored_document():
    return get_document_model().objects.create(
        title="申请表", file=ContentFile(pdfs.clean_pdf(pages=1), name="申请表.pdf")
    )


def document_replace(stage: Stage) -> Visit:
    document = a_stored_document()
    data = {"title": document.title, "file": scan(), "collection": root_collection()}
    return Visit(stage.login("editor"), "post", f"/admin/documents/edit/{document.pk}/", data)


def document_chooser_upload(stage: Stage) -> Visit:
    data = {
        "document-chooser-upload-title": "申请表",
        "document-chooser-upload-file": scan(),
        "document-chooser-upload-collection": root_collection(),
    }
    url = "/admin/documents/chooser/create/"
    return Visit(stage.login("editor"), "post", url, data, xhr=True, refused_with=200)


def document_served(stage: Stage) -> Visit:
    """A notice's attachment as the public downloads it (/documents/<id>/<name>)."""
    return Visit(Client(), "get", a_stored_document().url)


def profile_picture_upload(stage: Stage) -> Visit:
    client = stage.login("editor")
    page = client.get("/admin/account/")
    assert page.status_code == 200
    data = account_form_data(page.content.decode())
    data["name_email-last_name"] = "演示"  # the demo account has none; Wagtail wants one
    data["avatar-avatar"] = SimpleUploadedFile("头像.png", a_png(), "image/png")
    return Visit(client, "post", "/admin/account/", data)


FILE_SCREENS = [
    agreement_upload,
    agreement_download,
    roster_upload,
    roster_errors_download,
    roster_confirm,
    roster_feedback,
    report_attachment_download,
    print_job_download,
    image_upload,
    image_multiple_upload,
    image_replace,
    image_chooser_upload,
    image_preview,
    document_upload,
    document_multiple_upload,
    document_replace,
    document_chooser_upload,
    document_served,
    profile_picture_upload,
]
# The routes of the portal's own views that handle a file, and the screen of each above.
FILE_ROUTES = {
    "backoffice_agreement_record": agreement_upload,
    "backoffice_agreement_download": agreement_download,
    "backoffice_exchange": roster_upload,
    "backoffice_roster_import_errors": roster_errors_download,
    "backoffice_roster_import_confirm": roster_confirm,
    "backoffice_roster_feedback": roster_feedback,
    "backoffice_report_attachment": report_attachment_download,
    "backoffice_print_job_download": print_job_download,
}
# What a screen could write: rows, and the fields that point at a file or say what happened.
WATCHED = {
    AuditEvent: ("pk",),
    ConfidentialityAgreement: ("pk", "document"),
    RosterImport: ("pk", "status", "upload", "rows_file", "errors_file"),
    PrintJob: ("pk", "status", "file"),
    Report: ("pk",),
    Attachment: ("pk", "file"),
    UploadedFile: ("pk",),
    ModelLogEntry: ("pk",),
    UserProfile: ("pk", "avatar"),
}


def rows_now() -> dict:
    watched = {
        **WATCHED,
        get_image_model(): ("pk", "file"),
        get_document_model(): ("pk", "file"),
        get_user_model(): ("pk", "last_name"),  # the account page saves the name with the picture
    }
    return {
        model.__name__: sorted(model.objects.values_list(*fields))
        for model, fields in watched.items()
    }


def account_form_data(html: str) -> dict:
    """The account page's form as the browser would send it back unchanged."""
    data = {}
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        name = re.search(r'\bname="([^"]+)"', tag)
        if not name or 'type="file"' in tag or 'type="submit"' in tag:
            continue
        if 'type="radio"' in tag or 'type="checkbox"' in tag:
            if "checked" not in tag:
                continue
        value = re.search(r'\bvalue="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    for name, value in re.findall(
        r'<select[^>]*name="([^"]+)"[^>]*>.*?<option value="([^"]*)"[^>]*selected', html, re.S
    ):
        data[name] = value
    return data


def shown(response) -> str:
    """What the user reads: the page, or what Wagtail's upload scripts show of the answer (the
    message beside a file of the multiple upload; the fragment in a chooser's upload tab)."""
    if response["Content-Type"].startswith("application/json"):
        answer = response.json()
        if "htmlFragment" in answer:
            assert answer["step"] == "reshow_creation_form"
            assert 'id="tab-upload"' in answer["htmlFragment"]
            return answer["htmlFragment"]
        return answer["error_message"]
    return response.content.decode()


@pytest.mark.parametrize("screen", FILE_SCREENS, ids=lambda screen: screen.__name__)
def test_every_screen_that_stores_or_reads_a_file_answers_503_in_chinese_and_writes_nothing(
    screen, local_store, settings, demo_users, ledger, django_capture_on_commit_callbacks
):
    visit = screen(
        Stage(users=demo_users, ledger=ledger, capture=django_capture_on_commit_callbacks)
    )
    before = rows_now()
    store_down(settings)

    response = visit.send()

    text = shown(response)
    assert response.status_code == visit.refused_with, text[:2000]
    if visit.refused_with == 200:  # a Wagtail script's protocol: no success, and no file
        assert response.json().get("success") is not True and response["Retry-After"]
    assert STORE_DOWN_PAGE in text and TRY_LATER in text
    if visit.method == "post":
        assert NOT_SAVED in text
    assert not any(leak in text for leak in ("Traceback", "botocore", "Unavailable", "127.0.0.1"))
    assert "系统暂时无法处理您的请求" not in text  # not the generic 500 page
    assert rows_now() == before


DOWNLOADS = {
    agreement_download: ConfidentialityAgreement,
    roster_errors_download: RosterImport,
    report_attachment_download: Attachment,
    print_job_download: PrintJob,
}


@pytest.mark.parametrize("screen", DOWNLOADS, ids=lambda screen: screen.__name__)
def test_a_stored_file_that_is_gone_is_not_found_not_try_later(
    screen, local_store, demo_users, ledger, django_capture_on_commit_callbacks
):
    """The store answers, but the file is not there (lost, deleted by hand): the page says it
    does not exist (404), not that the store is down; nothing is audited as downloaded (the
    refusal is, as every 404 in the back office is)."""
    visit = screen(
        Stage(users=demo_users, ledger=ledger, capture=django_capture_on_commit_callbacks)
    )
    record = DOWNLOADS[screen].objects.latest("pk")
    field = next(
        getattr(record, name)
        for name in ("document", "errors_file", "file")
        if getattr(record, name, None)
    )
    field.storage.delete(field.name)
    before = rows_now()

    response = visit.send()

    html = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in html and STORE_DOWN_PAGE not in html
    assert "Traceback" not in html and "FileNotFoundError" not in html
    after = rows_now()
    new_events = {pk for (pk,) in after.pop("AuditEvent")} - {
        pk for (pk,) in before.pop("AuditEvent")
    }
    assert after == before
    assert set(AuditEvent.objects.filter(pk__in=new_events).values_list("outcome", flat=True)) <= {
        AuditOutcome.DENIED
    }


def test_the_sweep_covers_every_view_that_handles_a_file():
    """A new view that streams a stored file, takes an upload or asks the store first joins
    the sweep above, or this fails."""
    handles_files = re.compile(r"FileResponse|request\.FILES|_store_reachable")
    found = set()

    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns)
                continue
            view = inspect.unwrap(pattern.callback)
            if not view.__module__.startswith("backoffice."):
                continue
            if handles_files.search(inspect.getsource(view)):
                found.add(pattern.name)

    walk(get_resolver().url_patterns)
    assert found == set(FILE_ROUTES)
    assert set(FILE_ROUTES.values()) <= set(FILE_SCREENS)


def test_the_public_page_of_the_store_down_is_the_sites_own_and_names_the_hotline(
    local_store, settings
):
    visit = document_served(Stage(users={}, ledger={}, capture=None))
    store_down(settings)
    response = visit.send()
    html = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"]
    assert STORE_DOWN_PAGE in html and "12345" in html and "没有保存" not in html
    assert "no-store" in response["Cache-Control"]


def test_a_staff_page_of_the_store_down_is_in_the_admins_look_with_a_way_back(
    local_store, settings, demo_users
):
    visit = image_upload(Stage(users=demo_users, ledger={}, capture=None))
    store_down(settings)
    response = visit.send(HTTP_REFERER="http://testserver/admin/images/")
    html = response.content.decode()
    assert response.status_code == 503
    assert 'href="http://testserver/admin/images/"' in html  # back to the page it came from
    assert "联系系统管理员" in html and "sidebar" in html  # the admin's menu is there


def test_the_image_library_opens_while_the_store_is_down_and_makes_thumbnails_once_back(
    local_store, settings, demo_users
):
    """A thumbnail is made from the original the first time the library shows it. With the
    store down the library still lists the image (without its thumbnail, as Wagtail shows an
    unreadable file), nothing is written, and the thumbnail is made once the store is back."""
    image = a_stored_image()
    client = verified_login(Client(), demo_users["editor"])
    up, before = settings.STORAGES, rows_now()
    store_down(settings)

    response = client.get("/admin/images/")
    html = response.content.decode()
    assert response.status_code == 200
    assert image.title in html and 'src="/media/not-found"' in html
    assert rows_now() == before and not image.renditions.exists()

    settings.STORAGES = up
    html = client.get("/admin/images/").content.decode()
    assert image.renditions.count() == 1
    assert f'src="{image.renditions.get().url}"' in html


def test_a_household_plan_prints_while_the_store_is_down(login_as, ledger, storage_down):
    """The plan and the file are laid out from the ledger; no stored file is read."""
    client = login_as("street")
    response = client.get(f"/admin/households/{ledger['home'].pk}/pdf/plan/")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_the_exchange_page_still_opens_when_expired_files_cannot_be_deleted(
    local_store, settings, demo_users, ledger, django_capture_on_commit_callbacks
):
    """The expired import loses its files on the page; they wait in the outbox for the store
    (intake/deletions.py, tests/integration/test_file_deletions.py)."""
    stage = Stage(users=demo_users, ledger=ledger, capture=django_capture_on_commit_callbacks)
    client, roster_import = stage.roster_import("street", a_roster())
    names = {roster_import.upload.name, roster_import.rows_file.name}
    RosterImport.objects.filter(pk=roster_import.pk).update(expires_at=timezone.now())
    store_down(settings)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/admin/exchange/")
    assert response.status_code == 200
    roster_import.refresh_from_db()
    assert roster_import.upload.name == roster_import.rows_file.name == ""
    assert set(FileDeletion.objects.values_list("name", flat=True)) == names


def test_a_batch_print_finished_while_the_store_is_down_says_so_and_prints_on_retry(
    local_store, settings, login_as, ledger, django_capture_on_commit_callbacks
):
    """The worker renders the batch, then the store refuses the PDF: the job says the store is
    down (not a general error), nothing is half-saved, and "重试" prints it once it is back."""
    up = settings.STORAGES
    store_down(settings)
    client = login_as("street")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/print-jobs/", {"street": "110101001000", "otp_code": totp_now()}
        )
    assert response.status_code == 302
    job = PrintJob.objects.get()
    assert job.status == PrintJobStatus.FAILED and not job.file
    assert job.error == PRINT_STORE_DOWN
    page = client.get(f"/admin/print-jobs/{job.pk}/").content.decode()
    assert "文件存储服务暂不可用，PDF 未能保存" in page and "重试" in page

    settings.STORAGES = up
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/print-jobs/{job.pk}/retry/", {"otp_code": totp_now()})
    job.refresh_from_db()
    assert job.status == PrintJobStatus.DONE and job.error == ""
    assert client.get(f"/admin/print-jobs/{job.pk}/download/").status_code == 200


def test_a_roster_check_that_cannot_read_its_upload_says_the_store_is_down(
    local_store, settings, demo_users, django_capture_on_commit_callbacks
):
    """The upload was stored; the store fails before the worker reads it back."""
    up = settings.STORAGES
    client = verified_login(Client(), demo_users["street"])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            "/admin/exchange/",
            {"kind": "survey", "file": SimpleUploadedFile("名册.xlsx", a_roster())},
        )
    assert response.status_code == 302 and queued
    store_down(settings)
    for callback in queued:
        callback()
    settings.STORAGES = up
    roster_import = RosterImport.objects.get()
    assert roster_import.status == RosterImportStatus.FAILED
    assert roster_import.error == CHECK_STORE_DOWN
    page = client.get(response["Location"]).content.decode()
    assert "文件存储服务暂不可用，未能读取上传的文件，未导入任何数据" in page


def test_a_roster_apply_that_cannot_read_its_rows_is_undone_and_says_the_store_is_down(
    local_store, settings, demo_users, ledger, django_capture_on_commit_callbacks
):
    """The confirmation found the store up; it fails before the worker reads the rows: the
    ledger is as it was and the page says why."""
    stage = Stage(users=demo_users, ledger=ledger, capture=django_capture_on_commit_callbacks)
    client, roster_import = stage.roster_import("street", a_roster())
    assert roster_import.status == RosterImportStatus.PREVIEW
    up = settings.STORAGES
    before = (Person.objects.count(), Household.objects.count(), Report.objects.count())
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(f"/admin/exchange/imports/{roster_import.pk}/confirm/")
    assert response.status_code == 302 and queued
    store_down(settings)
    for callback in queued:
        callback()
    settings.STORAGES = up
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImportStatus.FAILED
    assert roster_import.error == APPLY_STORE_DOWN
    assert (Person.objects.count(), Household.objects.count(), Report.objects.count()) == before
    page = client.get(response["Location"]).content.decode()
    assert "文件存储服务暂不可用，写入已全部撤销，台账未作任何改动" in page


def test_an_oserror_outside_the_store_is_not_taken_for_the_store_being_down():
    try:
        socket.create_connection(("127.0.0.1", closed_port()), timeout=1)  # as mail would
    except OSError as refused:
        assert not storage_failure(refused)


# Redis ----------------------------------------------------------------------------------------


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache_backend.FailoverRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }


def test_the_public_form_keeps_working_on_a_stricter_local_limit_when_redis_is_down(
    client, redis_down, settings, caplog
):
    settings.INTAKE_REPORTS_PER_IP_PER_HOUR = 8  # a quarter of it per process: 2
    assert client.get("/report/").status_code == 200
    mid_hour = timezone.now().replace(minute=20)  # the three posts in one hourly window
    with (
        time_machine.travel(mid_hour, tick=True),
        caplog.at_level(logging.WARNING, logger="portal.cache"),
    ):
        first = post_report(client)
        second = post_report(client)
        third = post_report(client)
    assert first.status_code == second.status_code == 302
    assert Report.objects.count() == 2
    assert third.status_code == 429
    assert "每小时最多受理 8 份反映" in third.content.decode()
    assert Report.objects.count() == 2
    warnings = [r.getMessage() for r in caplog.records if r.name == "portal.cache"]
    assert warnings and "Redis unreachable" in warnings[0]
    assert len(warnings) == 1  # once while it stays down, not once per request


def test_the_login_lockout_still_locks_when_redis_is_down(client, redis_down, demo_users):
    for _ in range(5):
        client.post(
            "/admin/login/",
            {"username": "city", "password": "wrong-password-123", "otp_token": totp_now()},
        )
    response = client.post(
        "/admin/login/", {"username": "city", "password": PASSWORD, "otp_token": totp_now()}
    )
    assert response.status_code == 200
    assert "该账号因连续登录失败已被锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_shared_cache_is_used_while_redis_answers(settings):
    """The same backend on the real Redis of the machine (DESIGN: 127.0.0.1:6379)."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache_backend.FailoverRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/13",
            "KEY_PREFIX": f"faults-{timezone.now().timestamp()}",
        }
    }
    cache = caches["default"]
    try:
        cache.set("probe", 1, timeout=30)
    finally:
        degraded = cache.degraded
    if degraded:
        pytest.skip("no Redis on 127.0.0.1:6379")
    other = caches.create_connection("default")  # another process's view of the same Redis
    assert other.get("probe") == 1 and not other.degraded
    cache.delete("probe")


# Mail ---------------------------------------------------------------------------------------


def test_mail_down_leaves_the_notice_in_the_outbox_until_it_can_go(
    client, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_TIMEOUT = 2
    with django_capture_on_commit_callbacks(execute=True):  # the delivery run, after commit
        response = post_report(client)
    assert response.status_code == 302  # the resident gets the receipt all the same
    report = Report.objects.get()
    (notice,) = Notification.objects.all()
    assert notice.status == NotificationStatus.PENDING and notice.attempts == 1
    assert report.reference in notice.subject

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Notification.objects.update(next_attempt_at=timezone.now())
    call_command("notifications_retry", stdout=__import__("io").StringIO())
    notice.refresh_from_db()
    assert notice.status == NotificationStatus.SENT
    assert [message.subject for message in mail.outbox] == [notice.subject]


# A worker killed in the middle of a task ---------------------------------------------------------


def running_task(started: dt.datetime, job_id: int) -> DBTaskResult:
    """The row a worker leaves behind when it is killed after claiming the task."""
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": [job_id], "kwargs": {}},
        task_path="backoffice.tasks.print_job_render",
        backend_name="default",
        run_after=started,
        started_at=started,
        worker_ids=["killed-worker"],
    )


def test_a_batch_print_whose_worker_died_is_marked_failed_and_prints_again_on_retry(
    login_as, ledger, demo_users, django_capture_on_commit_callbacks, settings
):
    settings.TASKS_STALE_MINUTES = 30
    now = timezone.now()
    long_ago, recently = now - dt.timedelta(minutes=31), now - dt.timedelta(minutes=2)
    street = demo_users["street"]
    lost = PrintJob.objects.create(
        owner=street,
        kind="street_plans",
        street_id="110101001000",
        scope_label="东华门街道在册家庭帮扶方案",
        status=PrintJobStatus.RUNNING,
        total=2,
        done=1,
        started_at=long_ago,
    )
    busy = PrintJob.objects.create(
        owner=street,
        kind="street_plans",
        street_id="110101001000",
        scope_label="东华门街道在册家庭帮扶方案",
        status=PrintJobStatus.RUNNING,
        total=2,
        started_at=recently,
    )
    lost_task, busy_task = running_task(long_ago, lost.pk), running_task(recently, busy.pk)
    # Killed after taking the task but before starting the job: queued, no task left.
    orphan = PrintJob.objects.create(
        owner=street,
        kind="street_plans",
        street_id="110101001000",
        scope_label="东华门街道在册家庭帮扶方案",
        total=2,
        created_at=long_ago,
    )
    waiting = PrintJob.objects.create(  # long in the queue, its task still waiting: left alone
        owner=street,
        kind="street_plans",
        street_id="110101001000",
        scope_label="东华门街道在册家庭帮扶方案",
        total=2,
        created_at=long_ago,
    )
    DBTaskResult.objects.create(
        status=TaskResultStatus.READY,
        args_kwargs={"args": [waiting.pk], "kwargs": {}},
        task_path="backoffice.tasks.print_job_render",
        backend_name="default",
        run_after=long_ago,
    )

    out = __import__("io").StringIO()
    call_command("tasks_recover", stdout=out)
    assert "后台任务 1 个，批量打印 2 个" in out.getvalue()
    assert PrintJob.objects.get(pk=orphan.pk).status == PrintJobStatus.FAILED
    assert PrintJob.objects.get(pk=waiting.pk).status == PrintJobStatus.QUEUED

    lost_task.refresh_from_db(), busy_task.refresh_from_db()
    assert lost_task.status == TaskResultStatus.FAILED
    assert lost_task.exception_class_path == WORKER_LOST
    assert busy_task.status == TaskResultStatus.RUNNING  # a live worker's task is left alone
    assert PrintJob.objects.get(pk=busy.pk).status == PrintJobStatus.RUNNING

    client = login_as("street")
    page = client.get(f"/admin/print-jobs/{lost.pk}/").content.decode()
    assert PRINT_JOB_INTERRUPTED in page and "重试" in page
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(f"/admin/print-jobs/{lost.pk}/retry/", {"otp_code": totp_now()})
    assert retried.status_code == 302
    lost.refresh_from_db()
    assert lost.status == PrintJobStatus.DONE and lost.done == lost.total == 2
    assert client.get(f"/admin/print-jobs/{lost.pk}/download/").status_code == 200
    lost.file.delete(save=False)


def test_nothing_recent_is_touched(db):
    call_command("tasks_recover", stdout=__import__("io").StringIO())
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).exists()
