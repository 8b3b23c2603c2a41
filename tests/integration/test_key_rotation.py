"""Issue 19, item 7: keys that rotate.

Receipt lookup codes and recovery-code hashes have keys of their own, so a new SECRET_KEY
breaks neither, and codes made before those keys existed keep working through
LEGACY_SECRET_KEYS. The field-encryption key is versioned: `rotate_field_key` re-encrypts
every protected identifier under the current key, and the old key can then be removed.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backoffice.enums import AuditAction
from backoffice.models import AuditEvent, Person
from backoffice.services.auth import otp_device_issue
from backoffice.services.keys import encrypted_columns
from intake.models import Report
from intake.services import _lookup_code, lookup_code_for
from portal import identity
from tests.conftest import as_actor
from tests.intake.conftest import report_data
from tests.integration.conftest import ZHANG_ID
from tests.integration.test_login import post_login

OLD_SECRET = "test-only-secret-key-not-for-production-use-0123456789"
NEW_SECRET = "a-brand-new-secret-key-after-rotation-9876543210-abcdefgh"
OLD_FIELD_KEY = "test-only-field-encryption-key-0123456789abcdef"
NEW_FIELD_KEY = "the-next-field-encryption-key-0123456789-zyxwvu"


def lookup(client, reference, code):
    return client.post("/report/status/", {"reference": reference, "code": code})


def opens(client, reference, code) -> bool:
    """Whether the status page shows the progress for this code (or says it is wrong)."""
    html = lookup(client, reference, code).content.decode()
    assert ('id="public-status"' in html) != ("受理编号或查询码不正确" in html)
    return 'id="public-status">已受理' in html


@pytest.fixture
def filed(client, db):
    client.post("/report/", report_data())
    return Report.objects.get()


# Receipts ---------------------------------------------------------------------------------------


def test_a_receipt_code_still_opens_the_status_after_secret_key_rotation(client, filed, settings):
    receipt = client.get(f"/report/receipt/{filed.reference}/").content.decode()
    code = lookup_code_for(filed.reference)
    assert code in receipt  # what the reporter wrote down
    settings.SECRET_KEY = NEW_SECRET
    settings.LEGACY_SECRET_KEYS = []
    assert opens(client, filed.reference, code)


def test_a_receipt_printed_before_the_upgrade_keeps_working(client, filed, settings):
    # Before issue 19 the code came from SECRET_KEY itself.
    old_code = _lookup_code(filed.reference, OLD_SECRET)
    assert old_code != lookup_code_for(filed.reference)
    # Upgraded, SECRET_KEY unchanged: LEGACY_SECRET_KEYS unset means the current SECRET_KEY.
    assert opens(client, filed.reference, old_code)
    # SECRET_KEY rotated, its old value kept as a legacy key: still opens.
    settings.SECRET_KEY = NEW_SECRET
    settings.LEGACY_SECRET_KEYS = [OLD_SECRET]
    assert opens(client, filed.reference, old_code)
    # The fallback is what opens it: without the legacy key the old code is refused.
    settings.LEGACY_SECRET_KEYS = []
    assert not opens(client, filed.reference, old_code)
    assert not opens(client, filed.reference, "12345678")


def test_a_rotated_receipt_key_keeps_its_codes_as_a_fallback(client, filed, settings):
    code = lookup_code_for(filed.reference)
    settings.RECEIPT_KEY = "a-second-receipt-key-0123456789abcdef0123456789"
    settings.RECEIPT_KEY_FALLBACKS = ["test-only-receipt-key-0123456789abcdef0123456789"]
    assert lookup_code_for(filed.reference) != code
    assert opens(client, filed.reference, code)


# Recovery codes ---------------------------------------------------------------------------------


def test_a_recovery_code_still_signs_in_after_secret_key_rotation(client, demo_users, settings):
    issued = otp_device_issue(actor=as_actor(demo_users["security"]), user=demo_users["dongcheng"])
    settings.SECRET_KEY = NEW_SECRET
    settings.LEGACY_SECRET_KEYS = []
    response = post_login(client, username="dongcheng", token=issued.recovery_codes[0])
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(demo_users["dongcheng"].pk)


def test_a_recovery_code_issued_before_the_upgrade_keeps_working(client, demo_users, settings):
    from backoffice.models import RecoveryCode

    issued = otp_device_issue(actor=as_actor(demo_users["security"]), user=demo_users["dongcheng"])
    raw = issued.recovery_codes[0]
    # Stored as it was before issue 19: keyed with SECRET_KEY.
    legacy = hmac.new(OLD_SECRET.encode(), raw.replace("-", "").encode(), hashlib.sha256)
    RecoveryCode.objects.filter(device__user=demo_users["dongcheng"]).update(
        code_hash=legacy.hexdigest()
    )
    settings.SECRET_KEY = NEW_SECRET
    settings.LEGACY_SECRET_KEYS = []
    assert post_login(client, username="dongcheng", token=raw).status_code == 200
    settings.LEGACY_SECRET_KEYS = [OLD_SECRET]
    assert post_login(client, username="dongcheng", token=raw).status_code == 302


# Field encryption -------------------------------------------------------------------------------


def _raw_values(model, field):
    return sorted(v for v in model._base_manager.values_list(field, flat=True) if v)


def test_every_encrypted_column_is_found_with_its_blind_index():
    found = {(c.label, c.index_field, c.kind) for c in encrypted_columns()}
    assert ("backoffice.person.id_number_encrypted", "id_number_index", "id") in found
    assert ("backoffice.person.phone_encrypted", "phone_index", "phone") in found
    assert ("intake.report.subject_id_encrypted", "subject_id_index", "id") in found
    assert ("intake.report.subject_phone_encrypted", "subject_phone_index", "phone") in found
    assert ("intake.report.reporter_phone_encrypted", "", "phone") in found


def test_values_of_the_single_key_era_are_read(settings):
    # "v1:" values (no key id), as stored before issue 19.
    import base64
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = identity._derive_key(OLD_FIELD_KEY, identity._ENCRYPTION_INFO)
    nonce = os.urandom(12)
    token = "v1:" + base64.urlsafe_b64encode(
        nonce + AESGCM(key).encrypt(nonce, b"13812345678", b"v1")
    ).decode("ascii")
    assert identity.decrypt_value(token) == "13812345678"
    settings.FIELD_ENCRYPTION_KEYS = [NEW_FIELD_KEY, OLD_FIELD_KEY]
    assert identity.decrypt_value(token) == "13812345678"
    assert identity.needs_reencryption(token)


def test_rotation_reencrypts_everything_and_the_old_key_can_go(
    ledger, client, settings, capsys, login_as
):
    client.post("/report/", report_data())
    before_people = _raw_values(Person, "id_number_encrypted") + _raw_values(
        Person, "phone_encrypted"
    )
    before_reports = _raw_values(Report, "subject_phone_encrypted")
    old_kid = identity.current_key_id()
    assert all(value.startswith(f"v2:{old_kid}:") for value in before_people + before_reports)
    indexes = list(Person.objects.order_by("pk").values_list("id_number_index", "phone_index"))

    # The new key first, the old one still read; blind indexes pinned to the old key.
    settings.FIELD_ENCRYPTION_KEYS = [NEW_FIELD_KEY, OLD_FIELD_KEY]
    settings.FIELD_BLIND_INDEX_KEY = OLD_FIELD_KEY
    new_kid = identity.current_key_id()
    assert new_kid != old_kid
    zhang = Person.objects.get(pk=ledger["zhang"].pk)
    assert identity.decrypt_value(zhang.id_number_encrypted) == ZHANG_ID  # old key still reads

    call_command("rotate_field_key", "--batch-size", "1")
    out = capsys.readouterr().out
    assert f"当前密钥 {new_kid}" in out
    assert "backoffice.person.id_number_encrypted: 已重新加密 2/2" in out
    after = _raw_values(Person, "id_number_encrypted") + _raw_values(Person, "phone_encrypted")
    assert len(after) == len(before_people)
    assert all(value.startswith(f"v2:{new_kid}:") for value in after)
    assert all(
        value.startswith(f"v2:{new_kid}:")
        for value in _raw_values(Report, "subject_phone_encrypted")
    )
    # Blind indexes untouched, and searches still find the person.
    assert indexes == list(
        Person.objects.order_by("pk").values_list("id_number_index", "phone_index")
    )
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, actor_role="system").latest("id")
    assert event.detail["key_rotation"]["key_id"] == new_kid
    assert (
        event.detail["key_rotation"]["columns"]["backoffice.person.phone_encrypted"]["reencrypted"]
        == 1
    )

    # Idempotent: a second run has nothing left to do; --check agrees.
    call_command("rotate_field_key")
    assert "完成：重新加密 0 个值。" in capsys.readouterr().out
    call_command("rotate_field_key", "--check")
    assert "合计待重新加密 0" in capsys.readouterr().out

    # The old key removed: everything still reads, and the ledger search still finds Zhang.
    settings.FIELD_ENCRYPTION_KEYS = [NEW_FIELD_KEY]
    zhang.refresh_from_db()
    assert identity.decrypt_value(zhang.id_number_encrypted) == ZHANG_ID
    report = Report.objects.get()
    assert identity.decrypt_value(report.subject_phone_encrypted) == "13911112222"
    login_as("city")
    found = client.get("/admin/persons/", {"q": ZHANG_ID}).content.decode()
    assert "张三" in found


def test_an_interrupted_rotation_resumes(ledger, settings, capsys):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_FIELD_KEY, OLD_FIELD_KEY]
    settings.FIELD_BLIND_INDEX_KEY = OLD_FIELD_KEY
    new_prefix = f"v2:{identity.current_key_id()}:"
    from backoffice.services.keys import rotate_batch

    column = next(c for c in encrypted_columns() if c.label.endswith("person.id_number_encrypted"))
    first = rotate_batch(column, after_pk=None, batch_size=1)
    assert first.reencrypted == 1  # then the process dies
    assert sum(v.startswith(new_prefix) for v in _raw_values(Person, "id_number_encrypted")) == 1
    call_command("rotate_field_key")
    assert "backoffice.person.id_number_encrypted: 已重新加密 1/1" in capsys.readouterr().out
    assert all(v.startswith(new_prefix) for v in _raw_values(Person, "id_number_encrypted"))


def test_rotation_refuses_when_blind_indexes_would_silently_change(ledger, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_FIELD_KEY, OLD_FIELD_KEY]  # no FIELD_BLIND_INDEX_KEY
    before = _raw_values(Person, "id_number_encrypted")
    with pytest.raises(CommandError, match="FIELD_BLIND_INDEX_KEY"):
        call_command("rotate_field_key")
    assert _raw_values(Person, "id_number_encrypted") == before


def test_reindex_recomputes_blind_indexes_under_the_new_key(ledger, settings, client, login_as):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_FIELD_KEY, OLD_FIELD_KEY]
    call_command("rotate_field_key", "--reindex")
    zhang = Person.objects.get(pk=ledger["zhang"].pk)
    assert zhang.id_number_index == identity.blind_index(ZHANG_ID, kind="id")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_FIELD_KEY]
    login_as("city")
    assert "张三" in client.get("/admin/persons/", {"q": ZHANG_ID}).content.decode()


def test_a_value_under_an_unknown_key_is_reported_not_destroyed(ledger, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_FIELD_KEY]  # the old key forgotten too early
    settings.FIELD_BLIND_INDEX_KEY = OLD_FIELD_KEY
    before = _raw_values(Person, "id_number_encrypted")
    with pytest.raises(CommandError, match="无法"):
        call_command("rotate_field_key")
    assert _raw_values(Person, "id_number_encrypted") == before
