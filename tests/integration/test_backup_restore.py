"""Issue 19, item 6 (SECURITY G6): `make backup` and `make restore-drill` on the demo data.

The backup is taken from committed data (pg_dump is another process), so these tests are
transactional. On PostgreSQL the drill restores with pg_restore into a new database; on
SQLite into a new file. Both restore the files into a fresh folder through the Storage API.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from backoffice.models import AuditEvent, Household, Person
from intake.models import Attachment
from portal.backup import MANIFEST, latest_backup
from tests.intake.conftest import png_with_exif, report_data

pytestmark = pytest.mark.django_db(transaction=True)

FS = "django.core.files.storage.FileSystemStorage"


@pytest.fixture
def demo(settings, tmp_path, areas, demo_users, client):
    """The demo ledger, one public report with a photo, files in a storage of this test's own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": FS, "OPTIONS": {"location": str(tmp_path / "private")}},
        "default": {"BACKEND": FS, "OPTIONS": {"location": str(tmp_path / "media")}},
    }
    settings.BACKUP_DIR = tmp_path / "backups"
    call_command("seed_demo", households=12, reports=4, casework=2, stdout=io.StringIO())
    photo = SimpleUploadedFile("诊断书.jpg", png_with_exif(), content_type="image/jpeg")
    response = client.post("/report/", report_data(supporting_files=[photo]))
    assert response.status_code == 302
    assert Attachment.objects.count() == 1
    return tmp_path


def backup() -> str:
    out = io.StringIO()
    call_command("backup", stdout=out)
    return out.getvalue()


def drill() -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("restore_drill", stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def test_g6_a_backup_restores_and_verifies(demo):
    assert "备份完成" in backup()
    folder = latest_backup()
    manifest = json.loads((folder / MANIFEST).read_text())
    tables = manifest["database"]["tables"]
    assert tables["backoffice_household"] == Household.objects.count() >= 12
    assert tables["backoffice_person"] == Person.objects.count()
    assert manifest["database"]["audit"]["count"] == AuditEvent.objects.count() > 0
    photo = Attachment.objects.get().file.name
    assert manifest["files"]["private"][photo]["size"] > 0
    assert (folder / "files" / "private" / photo).exists()

    ok, out = drill()
    assert ok, out
    assert "结果：恢复演练通过 / Result: restore drill passed" in out
    for check in (
        "各表行数与清单一致",
        "审计日志完整（条数与摘要）",
        "加密身份信息抽样解密",
        "文件齐全且校验和一致",
        "数据库引用的文件都在",
    ):
        assert f"[通过 OK  ] {check}" in out
    assert "FAIL" not in out


def test_g6_a_damaged_file_fails_the_drill(demo):
    backup()
    folder = latest_backup()
    photo = Attachment.objects.get().file.name
    (folder / "files" / "private" / photo).write_bytes(b"not the photo")
    ok, out = drill()
    assert not ok
    assert "[失败 FAIL] 文件齐全且校验和一致" in out
    assert "恢复演练失败" in out


def test_g6_a_missing_row_or_audit_entry_fails_the_drill(demo):
    backup()
    folder = latest_backup()
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["database"]["tables"]["backoffice_person"] += 1  # a row the dump lacks
    manifest["database"]["audit"]["count"] += 1
    (folder / MANIFEST).write_text(json.dumps(manifest))
    ok, out = drill()
    assert not ok
    assert "[失败 FAIL] 各表行数与清单一致" in out
    assert "backoffice_person" in out
    assert "[失败 FAIL] 审计日志完整（条数与摘要）" in out


def test_g6_identifiers_under_a_lost_key_fail_the_drill(demo, settings):
    backup()
    settings.FIELD_ENCRYPTION_KEYS = ["a-key-that-never-encrypted-anything-0123456789"]
    settings.FIELD_BLIND_INDEX_KEY = ""
    ok, out = drill()
    assert not ok
    assert "[失败 FAIL] 加密身份信息抽样解密" in out


def test_g6_the_drill_needs_a_finished_backup(demo):
    with pytest.raises(CommandError, match="没有可用的备份"):
        call_command("restore_drill", stdout=io.StringIO())


def test_g6_restore_files_puts_every_file_back_into_the_storage(demo):
    backup()
    folder = latest_backup()
    attachment = Attachment.objects.get()
    original = attachment.file.read()
    attachment.file.close()
    storage = attachment.file.storage
    storage.delete(attachment.file.name)  # the disk is lost
    out = io.StringIO()
    call_command("restore_files", str(folder), stdout=out)
    assert "private: 恢复 restored 1" in out.getvalue()
    with storage.open(attachment.file.name, "rb") as restored:
        assert restored.read() == original
    # Again: nothing to do; a file changed since is never overwritten.
    call_command("restore_files", str(folder), stdout=out)
    with storage.open(attachment.file.name, "wb") as changed:
        changed.write(b"changed since")
    with pytest.raises(CommandError, match="different file"):
        call_command("restore_files", str(folder), stdout=io.StringIO())


@pytest.fixture(scope="module")
def s3_server():
    from tests.s3 import S3Server

    server = S3Server()
    yield server
    server.stop()


def test_g6_files_in_an_s3_bucket_are_backed_up_and_restored(
    s3_server, settings, tmp_path, areas, client
):
    """The storage is walked through Django's Storage API, so a bucket works like the disk."""
    from portal.storage import storages_setting

    def use(bucket):
        settings.STORAGES = storages_setting(
            private_root=settings.PRIVATE_MEDIA_ROOT,
            staticfiles_backend="django.contrib.staticfiles.storage.StaticFilesStorage",
            environ=bucket.environ(),
        )

    bucket = s3_server.new_bucket()
    use(bucket)
    settings.BACKUP_DIR = tmp_path / "backups"
    photo = SimpleUploadedFile("诊断书.jpg", png_with_exif(), content_type="image/jpeg")
    assert client.post("/report/", report_data(supporting_files=[photo])).status_code == 302
    name = Attachment.objects.get().file.name
    assert bucket.keys("private/") == [f"private/{name}"]

    backup()
    folder = latest_backup()
    manifest = json.loads((folder / MANIFEST).read_text())
    assert list(manifest["files"]["private"]) == [name]
    ok, out = drill()
    assert ok, out
    assert "[通过 OK  ] 文件齐全且校验和一致 / files present with matching checksums  (1/1)" in out

    # The bucket is lost: the files go back into a new one.
    fresh = s3_server.new_bucket()
    use(fresh)
    call_command("restore_files", str(folder), stdout=io.StringIO())
    assert fresh.keys("private/") == [f"private/{name}"]
    assert fresh.body(f"private/{name}") == bucket.body(f"private/{name}")
