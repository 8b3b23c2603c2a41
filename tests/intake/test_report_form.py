"""Issue 4, items 1-3: the public report form (F1, U2, D2, D4, E1, E5, G1, G2, G5).

Personas: a residents' committee filing for an old woman living alone (proxy, U2), a
neighbour, and a bot. Every test asserts what a resident sees and what the database holds.
"""

import datetime as dt
import re
import uuid

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError
from django.test import override_settings
from django.utils import timezone

from intake.enums import ConsentKind, NotificationStatus, ReportStatus
from intake.models import Attachment, ConsentRecord, Notification, Report
from intake.services import lookup_code_for
from portal import identity
from tests.intake.conftest import SUBJECT_ID, png_with_exif, report_data

pytestmark = pytest.mark.django_db


def submit(client, **overrides):
    return client.post("/report/", report_data(**overrides))


def test_the_form_opens_on_a_phone_with_the_privacy_notice(client):
    response = client.get("/report/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "反映困难" in html and "个人信息保护告知" in html
    assert 'name="viewport"' in html
    assert "东城区" in html  # districts from the real divisions
    assert 'name="form_token"' in html


def test_f1_a_committee_files_a_proxy_report_and_gets_a_receipt(client):
    response = submit(client)
    assert response.status_code == 302
    report = Report.objects.get()
    assert response["Location"] == f"/report/receipt/{report.reference}/"
    receipt = client.get(response["Location"]).content.decode()
    assert report.reference in receipt
    assert lookup_code_for(report.reference) in receipt
    assert re.fullmatch(r"BJ\d{6}-[0-9A-Z]{4}-[0-9A-Z]{4}", report.reference)
    assert report.status == ReportStatus.RECEIVED
    assert report.street_id == "110101001000" and report.category == "S2"


def test_u2_proxy_application_records_the_entrustment(client):
    submit(client)
    report = Report.objects.get()
    assert report.proxy_organisation == "东华门街道多福巷社区居委会"
    kinds = set(ConsentRecord.objects.values_list("kind", flat=True))
    assert kinds == {ConsentKind.PRIVACY_NOTICE, ConsentKind.ENTRUSTMENT}


def test_u2_a_proxy_without_entrustment_is_refused_with_a_message(client):
    response = submit(client, entrustment_statement="", proxy_organisation="")
    html = response.content.decode()
    assert "代理申请请填写贵单位名称" in html
    assert "代理申请请填写委托说明，或上传当事人签字的委托书" in html
    assert not Report.objects.exists()


def test_b3_identifiers_are_encrypted_and_masked(client):
    submit(client)
    report = Report.objects.get()
    assert SUBJECT_ID not in report.subject_id_encrypted
    assert identity.decrypt_value(report.subject_id_encrypted) == SUBJECT_ID
    assert report.subject_id_masked == identity.mask_id_number(SUBJECT_ID)
    assert report.subject_phone_masked == "139****2222"
    assert report.subject_id_index == identity.blind_index(SUBJECT_ID, kind="id")


@pytest.mark.parametrize(
    "overrides, field_message",
    [
        ({"reporter_type": ""}, "请选择您的身份"),
        ({"reporter_name": ""}, "请填写您的姓名"),
        ({"reporter_name": "A"}, "请填写真实姓名"),
        ({"reporter_phone": ""}, "请填写联系电话"),
        ({"reporter_phone": "12345"}, "请填写有效的手机号码或固定电话"),
        ({"subject_name": ""}, "请填写遇到困难的当事人姓名"),
        ({"subject_id_number": "110101194104027799"}, "校验位不正确"),
        ({"subject_phone": "999"}, "请填写有效的手机号码或固定电话"),
        ({"district": ""}, "请选择所在区"),
        ({"street": ""}, "请选择街道（乡镇）"),
        ({"community": ""}, "请选择社区（村）"),
        ({"community": "110105001024"}, "所选社区（村）不属于所选街道"),
        ({"street": "110105001000"}, "所选街道（乡镇）不属于所选的区"),
        ({"address": ""}, "请填写详细住址"),
        ({"address": "12"}, "住址太短"),
        ({"subtype": ""}, "请选择最接近的困难类别"),
        ({"what_happened": ""}, "请简要说明遇到的困难"),
        ({"what_happened": "难" * 2001}, "请控制在 2000 字以内"),
        ({"help_needed": ""}, "请说明需要什么帮助"),
        ({"consent": None}, "请阅读个人信息保护告知并勾选同意"),
    ],
)
def test_every_bad_field_gets_a_chinese_message_and_keeps_what_was_typed(
    client, overrides, field_message
):
    response = submit(client, **overrides)
    html = response.content.decode()
    assert response.status_code == 200
    assert field_message in html
    assert "您填写的内容都已保留" in html
    assert "多福巷12号院3-201" in html or overrides.get("address") is not None
    assert "老人独居" in html or "what_happened" in overrides
    assert not Report.objects.exists()


def test_the_area_picker_works_without_javascript_and_keeps_the_typing(client):
    data = report_data(street="", community="", _list_streets="1")
    html = client.post("/report/", data).content.decode()
    assert "东华门街道" in html and "景山街道" in html
    assert "请选择" in html and "提交未成功" not in html  # no errors while refining
    assert "多福巷12号院3-201" in html
    data = report_data(community="", _list_communities="1")
    html = client.post("/report/", data).content.decode()
    assert "多福巷社区" in html or "社区居委会" in html
    assert not Report.objects.exists()


def test_d2_an_elder_alone_and_unreachable_is_urgent(client):
    submit(client, urgency_reasons=["elder_unreachable"])
    assert Report.objects.get().urgent is True


def test_d2_a_minor_needing_shelter_is_urgent(client):
    submit(
        client,
        subtype="emergency_shelter",
        subject_id_number="",
        subject_is_child="on",
        guardian_consent="on",
        guardian_name="赵建国",
    )
    report = Report.objects.get()
    assert report.urgent is True and report.category == "S3"


def test_an_ordinary_report_is_not_urgent(client):
    submit(client)
    assert Report.objects.get().urgent is False


def test_d4_a_child_under_14_needs_the_guardians_consent(client):
    child_id = identity.make_id_number(
        area_code="110101",
        birth=__import__("datetime").date(2018, 6, 1),
        sequence=5,
        female=False,
    )
    response = submit(client, subject_id_number=child_id, subtype="child_in_difficulty")
    html = response.content.decode()
    assert "需要监护人同意" in html and "请填写监护人姓名" in html
    assert not Report.objects.exists()
    submit(
        client,
        subject_id_number=child_id,
        subtype="child_in_difficulty",
        guardian_consent="on",
        guardian_name="赵建国",
    )
    report = Report.objects.get()
    assert report.subject_is_child is True
    consent = ConsentRecord.objects.get(report=report, kind=ConsentKind.GUARDIAN)
    assert consent.given_by == "赵建国" and consent.notice_version == "2026-11"


def test_g2_a_double_click_creates_one_report_and_shows_the_same_receipt(
    client, django_capture_on_commit_callbacks
):
    data = report_data()
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/report/", data)
        second = client.post("/report/", data)
    assert Report.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert len(mail.outbox) == 1


def test_e5_a_honeypot_filled_by_a_bot_saves_nothing(client):
    response = submit(client, website="http://spam.example")
    assert response.status_code == 200
    assert "提交未成功，请稍后重试" in response.content.decode()
    assert not Report.objects.exists()


@override_settings(INTAKE_REPORTS_PER_IP_PER_HOUR=2)
def test_e5_too_many_reports_from_one_address_get_429(client):
    assert submit(client).status_code == 302
    assert submit(client).status_code == 302
    response = submit(client)
    assert response.status_code == 429
    assert "操作太频繁" in response.content.decode()
    assert Report.objects.count() == 2


def test_g5_an_oversized_request_gets_413_not_500(client):
    response = client.post(
        "/report/", data=b"x" * 10, content_type="text/plain", CONTENT_LENGTH=str(40 * 1024**2)
    )
    assert response.status_code == 413
    assert "附件合计不能超过 30 MB，每个文件不超过 10 MB" in response.content.decode()


def test_the_receipt_is_shown_only_to_the_browser_that_filed_it(client, django_user_model):
    from django.test import Client

    location = submit(client)["Location"]
    assert client.get(location).status_code == 200
    assert Client().get(location).status_code == 404
    # The browser's list of receipts is a signed cookie: a hand-made one shows nothing, and
    # no server session is written for a public report.
    reference = location.rstrip("/").rsplit("/", 1)[1]
    forger = Client()
    forger.cookies["intake_receipts"] = reference
    assert forger.get(location).status_code == 404
    assert "sessionid" not in client.cookies


def test_g1_mail_goes_out_after_commit_without_personal_data(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submit(client)
        assert not mail.outbox  # nothing is sent before the report is committed
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    report = Report.objects.get()
    assert report.reference in message.subject
    assert "赵桂兰" not in message.body and SUBJECT_ID not in message.body
    assert "东华门街道" in message.body
    assert Notification.objects.get().status == NotificationStatus.SENT


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_g1_with_production_tasks_one_queued_run_delivers_every_committed_report(
    client, django_capture_on_commit_callbacks
):
    """With the database task backend: each report commits with its outbox row and, after the
    commit, makes sure a delivery run is queued. The first report of a window queues one run,
    to start after the window; later reports of the window add no task row, and that run sends
    them all. The next window queues a new run. (`db_worker` itself needs its own
    transactions, which a test transaction on SQLite cannot give it.)"""
    from django.core.cache import cache
    from django_tasks_db.models import DBTaskResult

    from intake.services import DELIVERY_WINDOW_SECONDS
    from intake.tasks import deliver_pending_notifications  # what the worker runs for a row

    before = timezone.now()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert submit(client, form_token=str(uuid.uuid4())).status_code == 302
    assert Report.objects.count() == 2 and Notification.objects.count() == 2
    task = DBTaskResult.objects.get()  # one queued run for both reports
    assert task.task_path.endswith("deliver_pending_notifications")
    assert task.run_after > before + dt.timedelta(seconds=DELIVERY_WINDOW_SECONDS)
    assert not mail.outbox
    assert deliver_pending_notifications.call(*task.args_kwargs["args"]) == 2
    assert {m.subject.split()[-1] for m in mail.outbox} == set(
        Report.objects.values_list("reference", flat=True)
    )
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    cache.clear()  # the window has closed
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, form_token=str(uuid.uuid4()))
    assert DBTaskResult.objects.count() == 2


def test_g1_a_report_that_fails_to_save_leaves_nothing_behind(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    import intake.services

    def broken(*args, **kwargs):
        raise RuntimeError("notification text unavailable")

    monkeypatch.setattr(intake.services, "_notification_text", broken)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with pytest.raises(RuntimeError):
            submit(client)
    assert callbacks == []  # no delivery run is woken for a report that does not exist
    assert not Report.objects.exists() and not ConsentRecord.objects.exists()
    assert not Notification.objects.exists()


def test_g1_a_row_that_fails_in_the_database_takes_the_report_with_it(client, monkeypatch):
    """All or nothing in the database itself (portal/db.py): the outbox row violates its
    table's rules after the report row went in, and no report is left."""
    import intake.services

    def too_long(report):
        return "新的困难群众反映", None  # body is NOT NULL

    monkeypatch.setattr(intake.services, "_notification_text", too_long)
    with pytest.raises(IntegrityError):
        submit(client)
    assert not Report.objects.exists() and not ConsentRecord.objects.exists()


@override_settings(EMAIL_BACKEND="tests.support.FailingEmailBackend")
def test_g1_a_failing_mail_server_loses_nothing_and_a_retry_sends_it(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client)
    assert response.status_code == 302  # the reporter still gets the reference
    report = Report.objects.get()
    assert report.reference in client.get(response["Location"]).content.decode()
    notification = Notification.objects.get()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 1 and "SMTP" in notification.last_error
    Notification.objects.update(next_attempt_at=notification.next_attempt_at.replace(year=2000))
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        call_command("notifications_retry", stdout=__import__("io").StringIO())
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT and notification.attempts == 2
    assert len(mail.outbox) == 1


# E1: uploads ---------------------------------------------------------------------------------


def test_e1_an_image_is_reencoded_without_exif_and_kept_private(client, settings):
    photo = SimpleUploadedFile("诊断书.jpg", png_with_exif(), content_type="image/jpeg")
    assert submit(client, supporting_files=[photo]).status_code == 302
    attachment = Attachment.objects.get()
    stored = attachment.file.read()
    assert stored.startswith(b"\xff\xd8\xff")
    assert b"SecretCameraMaker" not in stored
    assert attachment.original_name == "诊断书.jpg"
    assert attachment.file.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not attachment.file.path.startswith(str(settings.MEDIA_ROOT))
    attachment.file.delete(save=False)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("报告.pdf", b"MZ\x90\x00 this is an exe", "只能上传 PDF、JPG 或 PNG 文件"),
        (
            "半截.pdf",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog",
            "无法读取",
        ),  # E1: parsed, not searched
        ("空.png", b"", "文件是空的"),
        ("坏图.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "图片已损坏"),
    ],
)
def test_e1_a_file_that_is_not_an_allowed_document_is_refused(client, name, content, message):
    upload = SimpleUploadedFile(name, content)
    response = submit(client, supporting_files=[upload])
    assert message in response.content.decode()
    assert not Report.objects.exists()


@override_settings(INTAKE_MAX_FILE_BYTES=1024)
def test_e1_a_file_over_the_size_cap_is_refused(client):
    upload = SimpleUploadedFile("大.pdf", b"%PDF-1.4\n" + b"0" * 2048)
    response = submit(client, supporting_files=[upload])
    assert "单个文件不能超过 10 MB" in response.content.decode()


def test_e1_more_than_five_files_are_refused(client):
    files = [SimpleUploadedFile(f"{n}.pdf", b"%PDF-1.4\n%%EOF") for n in range(6)]
    response = submit(client, supporting_files=files)
    assert "最多上传 5 个文件" in response.content.decode()


@override_settings(TRUSTED_PROXIES=["127.0.0.1"], INTAKE_REPORTS_PER_IP_PER_HOUR=2)
def test_e5_behind_the_proxy_each_resident_has_a_rate_limit_of_their_own(client):
    """Item 7 of issue 12: with REMOTE_ADDR alone the whole city would share one bucket."""
    proxied = {"REMOTE_ADDR": "127.0.0.1"}
    for _ in range(2):
        data = report_data()
        response = client.post("/report/", data, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxied)
        assert response.status_code == 302
    refused = client.post("/report/", report_data(), HTTP_X_FORWARDED_FOR="198.51.100.1", **proxied)
    assert refused.status_code == 429
    other = client.post("/report/", report_data(), HTTP_X_FORWARDED_FOR="198.51.100.2", **proxied)
    assert other.status_code == 302
    assert Report.objects.count() == 3
