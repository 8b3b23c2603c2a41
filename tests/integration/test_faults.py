"""Issue 19, item 3: what the public and the staff see when a service the portal needs is gone.

- the file store does not answer: the report is refused in Chinese, nothing is saved;
- Redis does not answer: the public form keeps working on a stricter per-process limit and a
  warning is logged; the login lockout (a database row) still locks;
- mail does not go out: the notice waits in the outbox and goes out on a later run;
- a worker dies in the middle of a batch print: the job does not stay "生成中" for ever, it
  is marked failed with a message and runs again on "重试".
(The database dropping connections under load is in tests/cluster: it needs real processes.)
"""

from __future__ import annotations

import datetime as dt
import logging
import socket

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from backoffice.enums import PrintJobStatus
from backoffice.models import PrintJob
from backoffice.services.task_recovery import PRINT_JOB_INTERRUPTED, WORKER_LOST
from intake.enums import NotificationStatus
from intake.models import Attachment, Notification, Report
from portal.storage import storages_setting
from tests.conftest import PASSWORD, totp_now
from tests.intake import pdfs
from tests.intake.conftest import report_data

pytestmark = pytest.mark.django_db

STORAGE_DOWN = "附件暂时无法保存（文件存储服务暂不可用），本次反映未提交"


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    endpoint = f"http://127.0.0.1:{closed_port()}"
    settings.STORAGES = storages_setting(
        private_root=settings.PRIVATE_MEDIA_ROOT,
        staticfiles_backend="django.contrib.staticfiles.storage.StaticFilesStorage",
        environ={
            "STORAGE_S3_BUCKET": "ledger",
            "STORAGE_S3_ENDPOINT_URL": endpoint,
            "STORAGE_S3_ACCESS_KEY_ID": "key",
            "STORAGE_S3_SECRET_ACCESS_KEY": "secret",
        },
    )


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
