"""Issue 19: no stored file outlives its row for good, whatever the store does meanwhile.

Files are deleted through an outbox (intake/deletions.py): recorded in the transaction that
drops their rows, deleted once it commits, tried again (waiting longer each time) while the
store is down, by `manage.py tasks_recover` (cron). Wagtail's own deletions of image and
document files that failed are taken into the same outbox, and the storage Wagtail writes into
its task table never carries the bucket's keys.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from wagtail.images import get_image_model

from backoffice.enums import RosterImportStatus
from backoffice.models import RosterImport
from intake.deletions import (
    RETRY_FIRST,
    RETRY_LONGEST,
    WAGTAIL_DELETE_TASK,
    file_deletions_run,
    files_delete_on_commit,
)
from intake.models import FileDeletion
from intake.uploads import PRIVATE_ALIAS, private_storage
from portal.storage import storages_setting
from tests.conftest import verified_login
from tests.integration.exchange import survey_row, uploaded, xlsx
from tests.integration.test_faults import a_png
from tests.s3 import ACCESS_KEY, SECRET_KEY, S3Server
from tests.support import store_down, store_on_disk

pytestmark = pytest.mark.django_db

NEW_ID = "110101193804090714"


@pytest.fixture
def disk(settings, tmp_path):
    return store_on_disk(settings, tmp_path)


def private_file(text: str) -> str:
    return private_storage.save("scans/扫描件.pdf", ContentFile(text.encode()))


def recover(at: dt.datetime | None = None) -> str:
    out = io.StringIO()
    with time_machine.travel(at or timezone.now(), tick=False):
        call_command("tasks_recover", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_file_goes_once_the_transaction_that_recorded_it_commits(
    disk, django_capture_on_commit_callbacks
):
    name = private_file("低保证明")
    with django_capture_on_commit_callbacks(execute=True):
        assert files_delete_on_commit(PRIVATE_ALIAS, [name, name, ""]) == 1
    assert not (disk["private"] / name).exists()
    assert not FileDeletion.objects.exists()


def test_a_rolled_back_deletion_deletes_nothing(disk, django_capture_on_commit_callbacks):
    name = private_file("低保证明")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                files_delete_on_commit(PRIVATE_ALIAS, [name])
                raise RuntimeError("the caller failed after recording")
        except RuntimeError:
            pass
    assert callbacks == []
    assert (disk["private"] / name).exists()
    assert not FileDeletion.objects.exists()


def test_while_the_store_is_down_deletions_wait_longer_each_time_and_go_once_it_is_back(
    disk, settings, django_capture_on_commit_callbacks
):
    names = [private_file("甲"), private_file("乙"), private_file("丙")]
    up = settings.STORAGES
    store_down(settings)
    with django_capture_on_commit_callbacks(execute=True):
        files_delete_on_commit(PRIVATE_ALIAS, names)

    # The first failure of the store stops the run: the other two were not tried.
    rows = list(FileDeletion.objects.order_by("pk"))
    assert [row.attempts for row in rows] == [1, 0, 0]
    assert rows[0].last_error.startswith("StorageUnavailable")
    assert all((disk["private"] / name).exists() for name in names)

    # Each failure waits twice as long as the one before, never more than six hours.
    now = timezone.now()
    waits = []
    for _ in range(9):
        row = FileDeletion.objects.order_by("pk").first()
        at = max(now, row.next_attempt_at)
        file_deletions_run(ids=[row.pk], now=at)
        row.refresh_from_db()
        waits.append(row.next_attempt_at - at)
    assert waits[:3] == [RETRY_FIRST * 2, RETRY_FIRST * 4, RETRY_FIRST * 8]
    assert waits[-1] == RETRY_LONGEST

    settings.STORAGES = up
    out = recover(at=now + dt.timedelta(days=3))
    assert "待删除文件：已删除 3 个，仍待删除 0 个。" in out
    assert not any((disk["private"] / name).exists() for name in names)
    assert not FileDeletion.objects.exists()


def test_a_deletion_not_yet_due_is_left_for_later(disk, settings):
    name = private_file("甲")
    FileDeletion.objects.create(
        storage=PRIVATE_ALIAS, name=name, attempts=2, next_attempt_at=timezone.now() + RETRY_FIRST
    )
    assert "已删除 0 个，仍待删除 1 个" in recover()
    assert (disk["private"] / name).exists()
    assert "已删除 1 个，仍待删除 0 个" in recover(at=timezone.now() + 2 * RETRY_FIRST)


def test_a_roster_import_is_cancelled_while_the_store_is_down_and_its_files_go_later(
    disk, settings, demo_users, django_capture_on_commit_callbacks
):
    client = verified_login(Client(), demo_users["street"])
    rows = [survey_row("孙大娘", NEW_ID[:-1] + "0")]  # a wrong check digit: an errors file too
    roster_import, _page = uploaded(client, django_capture_on_commit_callbacks, xlsx(rows))
    files = [
        roster_import.upload.name,
        roster_import.rows_file.name,
        roster_import.errors_file.name,
    ]
    assert all(files) and all((disk["private"] / name).exists() for name in files)
    up = settings.STORAGES
    store_down(settings)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/exchange/imports/{roster_import.pk}/cancel/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已取消" in page
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImportStatus.CANCELLED
    assert (roster_import.upload.name, roster_import.rows_file.name) == ("", "")
    assert sorted(FileDeletion.objects.values_list("name", flat=True)) == sorted(files)

    settings.STORAGES = up
    assert "已删除 3 个" in recover(at=timezone.now() + RETRY_FIRST)
    assert not any((disk["private"] / name).exists() for name in files)
    assert RosterImport.objects.get(pk=roster_import.pk).errors_file.name == ""


@pytest.fixture(scope="module")
def s3_server():
    server = S3Server()
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)  # the worker takes its task in a transaction of its own
def test_wagtail_deletions_carry_no_bucket_key_and_a_failed_one_is_done_later(
    s3_server, settings, django_capture_on_commit_callbacks
):
    """An editor deletes an image; the worker that runs Wagtail's deletion finds the store
    down; the cron takes it into the outbox and deletes the file once the store is back."""
    bucket = s3_server.new_bucket()
    settings.STORAGES = storages_setting(
        private_root=settings.PRIVATE_MEDIA_ROOT,
        staticfiles_backend="django.contrib.staticfiles.storage.StaticFilesStorage",
        environ=bucket.environ(),
    )
    up = settings.STORAGES
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    image = get_image_model().objects.create(
        title="社区活动",
        file=ContentFile(a_png(), name="活动.png"),
        width=8,
        height=8,
    )
    key = f"media/{image.file.name}"
    assert bucket.keys("media/") == [key]

    with django_capture_on_commit_callbacks(execute=True):
        image.delete()
    task = DBTaskResult.objects.get(task_path=WAGTAIL_DELETE_TASK)
    stored = json.dumps(task.args_kwargs)
    assert ACCESS_KEY not in stored and SECRET_KEY not in stored
    assert task.args_kwargs["args"][0] == ["portal.storage_s3.configured_storage", ["default"], {}]

    store_down(settings)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert bucket.keys("media/") == [key]

    settings.STORAGES = up
    out = recover()
    assert "网站图片和文档未能删除的文件：1 个转入待删除。" in out
    assert "待删除文件：已删除 1 个，仍待删除 0 个。" in out
    assert bucket.keys("media/") == []
    assert not DBTaskResult.objects.filter(task_path=WAGTAIL_DELETE_TASK).exists()


def test_the_files_of_a_report_that_was_not_saved_go_later_if_the_store_refuses_now(
    disk, settings, django_capture_on_commit_callbacks
):
    """A report whose rows could not be written deletes the files it had stored; a store that
    fails just then leaves them to the outbox, not in the store for good."""
    from intake.services import _files_delete

    names = [private_file("甲"), private_file("乙")]
    up = settings.STORAGES
    store_down(settings)
    with django_capture_on_commit_callbacks(execute=True):
        _files_delete(names)
    assert sorted(FileDeletion.objects.values_list("name", flat=True)) == sorted(names)
    settings.STORAGES = up
    assert "已删除 2 个" in recover(at=timezone.now() + RETRY_FIRST)
    assert not any((disk["private"] / name).exists() for name in names)
