"""Issue 12, SECURITY E3: a bulk export asks for the one-time code again (A3, C1).

A whole street's plans in one PDF is the first bulk export: the batch print form asks for a
fresh code from the user's phone and checks it on the server; a wrong, missing or already
used code is a form error in Chinese, audited as an OTP failure, and no job is recorded. One
household's PDF is not bulk and stays one click. Codes are real TOTP codes of the demo secret
(tests/conftest.py `totp_now`); the personas sign in with force_login, so the current code is
still unused when a test starts.

Personas: street (东华门街道), worker (assigned households). Bystanders: the jobs and audit
entries of other users.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.demo.accounts import DEMO_TOTP_SECRET
from backoffice.enums import AuditAction, AuditOutcome, PrintJobStatus
from backoffice.models import AuditEvent, PrintJob
from backoffice.services.reauth import ReverifyRefused, otp_reverify
from tests.conftest import PASSWORD, as_actor, is_postgres, totp_now

DONGHUAMEN = "110101001000"
JOBS = "/admin/print-jobs/"


def wrong_code() -> str:
    """A 6-digit code that no clock drift the device tolerates would accept right now."""
    key = base64.b32decode(DEMO_TOTP_SECRET + "=" * (-len(DEMO_TOTP_SECRET) % 8))
    totp = TOTP(key)
    window = set()
    for drift in (-2, -1, 0, 1, 2):
        totp.drift = drift
        window.add(str(totp.token()).zfill(6))
    return next(code for code in ("000000", "111111", "222222", "123456") if code not in window)


def otp_failures(username: str):
    return AuditEvent.objects.filter(
        action=AuditAction.OTP_FAILED, actor_username=username, detail__purpose="batch_print"
    )


def post_street_job(client, code: str | None, django_capture_on_commit_callbacks):
    data = {"street": DONGHUAMEN}
    if code is not None:
        data["otp_code"] = code
    with django_capture_on_commit_callbacks(execute=False):
        return client.post(JOBS, data)


def test_e3_the_batch_print_form_asks_for_the_code(login_as, ledger):
    page = login_as("street").get(JOBS).content.decode()
    assert "动态口令" in page
    assert 'name="otp_code"' in page and 'autocomplete="one-time-code"' in page


def test_e3_a_batch_print_with_the_current_code_is_started(
    login_as, ledger, django_capture_on_commit_callbacks
):
    response = post_street_job(login_as("street"), totp_now(), django_capture_on_commit_callbacks)
    job = PrintJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{JOBS}{job.pk}/"
    assert (job.status, job.total) == (PrintJobStatus.QUEUED, 2)
    assert not otp_failures("street").exists()


def test_e3_a_batch_print_without_a_code_is_refused(
    login_as, ledger, django_capture_on_commit_callbacks
):
    response = post_street_job(login_as("street"), None, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "请输入手机验证器上的动态口令。" in response.content.decode()
    assert not PrintJob.objects.exists()


def test_e3_a_wrong_code_is_a_form_error_audited_as_an_otp_failure(
    login_as, ledger, django_capture_on_commit_callbacks
):
    code = wrong_code()
    response = post_street_job(login_as("street"), code, django_capture_on_commit_callbacks)
    page = response.content.decode()
    assert response.status_code == 200
    assert "动态口令不正确或已经使用过" in page
    assert f'value="{code}"' not in page  # C3: the code is not written back
    assert not PrintJob.objects.exists()
    failure = otp_failures("street").get()
    assert failure.outcome == AuditOutcome.FAILURE
    assert failure.detail == {"purpose": "batch_print", "reason": "wrong_or_used", "failures": 1}
    assert code not in str(failure.detail)


def test_e3_a_code_prints_once_and_is_refused_the_second_time(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("street")
    code = totp_now()
    assert post_street_job(client, code, django_capture_on_commit_callbacks).status_code == 302
    again = post_street_job(client, code, django_capture_on_commit_callbacks)
    assert again.status_code == 200
    assert "每个动态口令只能使用一次" in again.content.decode()
    assert PrintJob.objects.count() == 1
    assert otp_failures("street").count() == 1


def test_e3_the_code_typed_at_login_does_not_also_start_a_batch_print(
    client, ledger, django_capture_on_commit_callbacks
):
    code = totp_now()
    login = client.post(
        "/admin/login/", {"username": "street", "password": PASSWORD, "otp_token": code}
    )
    assert login.status_code == 302  # signed in with both factors
    response = post_street_job(client, code, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "动态口令不正确或已经使用过" in response.content.decode()
    assert not PrintJob.objects.exists()


def test_e3_repeated_wrong_codes_are_slowed_down(
    login_as, ledger, demo_users, django_capture_on_commit_callbacks
):
    client = login_as("street")
    post_street_job(client, wrong_code(), django_capture_on_commit_callbacks)
    # django-otp's throttle: right after a failure even the right code waits (A3).
    response = post_street_job(client, totp_now(), django_capture_on_commit_callbacks)
    assert "动态口令错误次数过多" in response.content.decode()
    assert not PrintJob.objects.exists()
    assert otp_failures("street").filter(detail__reason="throttled").count() == 1

    device = TOTPDevice.objects.get(user=demo_users["street"])
    device.throttling_failure_timestamp = timezone.now() - dt.timedelta(seconds=60)
    device.save(update_fields=["throttling_failure_timestamp"])
    later = post_street_job(client, totp_now(), django_capture_on_commit_callbacks)
    assert later.status_code == 302 and PrintJob.objects.count() == 1


def test_e3_the_other_fields_are_checked_before_the_code_is_spent(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("street")
    code = totp_now()
    with django_capture_on_commit_callbacks(execute=False):
        outside = client.post(JOBS, {"street": "110101002000", "otp_code": code})  # 景山街道
    assert outside.status_code == 200 and not PrintJob.objects.exists()
    assert post_street_job(client, code, django_capture_on_commit_callbacks).status_code == 302


def test_e3_a_worker_printing_the_caseload_gives_the_code_too(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("worker")
    with django_capture_on_commit_callbacks(execute=False):
        refused = client.post(JOBS, {})
        assert refused.status_code == 200 and not PrintJob.objects.exists()
        started = client.post(JOBS, {"otp_code": totp_now()})
    assert started.status_code == 302
    assert PrintJob.objects.get().kind == "caseload_plans"


def test_e3_one_households_pdf_stays_one_click(login_as, ledger):
    response = login_as("street").get(f"/admin/households/{ledger['home'].pk}/pdf/plan/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_e3_without_a_phone_device_there_is_no_bulk_export(demo_users):
    street = demo_users["street"]
    TOTPDevice.objects.filter(user=street).delete()  # signed in with a recovery code, say
    with pytest.raises(ReverifyRefused, match="没有绑定手机验证器") as refused:
        otp_reverify(actor=as_actor(street), code=totp_now(), purpose="batch_print")
    assert refused.value.field == "otp_code"
    assert otp_failures("street").get().detail["reason"] == "no_device"


def test_e3_a_code_typed_in_full_width_digits_is_the_same_code(demo_users):
    full_width = totp_now().translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    actor = as_actor(demo_users["street"])
    otp_reverify(actor=actor, code=full_width, purpose="batch_print")  # accepted: no refusal
    assert not otp_failures("street").exists()


def test_e3_a_malformed_code_is_refused_without_touching_the_device(demo_users):
    street = demo_users["street"]
    for code in ("", "12345", "1234567", "12a456", "١٢٣٤٥٦"):
        with pytest.raises(ReverifyRefused, match="位数字动态口令"):
            otp_reverify(actor=as_actor(street), code=code, purpose="batch_print")
    device = TOTPDevice.objects.get(user=street)
    assert device.throttling_failure_count == 0
    assert otp_failures("street").filter(detail__reason="format").count() == 5


def test_e3_two_requests_with_one_code_at_once_print_once(transactional_db, areas):
    """A3 under concurrency: the device row is locked while the code is checked."""
    if not is_postgres():
        pytest.skip("the concurrent re-verification is exercised on PostgreSQL")
    from django.contrib.auth import get_user_model

    from backoffice.demo.accounts import demo_accounts_create

    demo_accounts_create()
    street = get_user_model().objects.get(username="street")
    code = totp_now()
    barrier = threading.Barrier(2)
    outcomes = []

    def reverify():
        try:
            barrier.wait()
            try:
                otp_reverify(actor=as_actor(street), code=code, purpose="batch_print")
            except ReverifyRefused:
                outcomes.append("refused")
            else:
                outcomes.append("accepted")
        finally:
            connection.close()

    threads = [threading.Thread(target=reverify) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted", "refused"]


def test_e3_wrong_codes_count_toward_the_login_lock(login_as, demo_users, client):
    """A2: five wrong codes at a bulk export lock the username as five wrong logins would."""
    from backoffice.services.auth import accounts_locked

    street = demo_users["street"]
    wrong = "000000" if totp_now() != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ReverifyRefused):
            otp_reverify(actor=as_actor(street), code=wrong, purpose="batch_print")
    assert accounts_locked([street]) == {street.pk}
    with pytest.raises(ReverifyRefused, match="已被锁定"):
        otp_reverify(actor=as_actor(street), code=totp_now(), purpose="batch_print")
    login = client.post(
        "/admin/login/", {"username": "street", "password": PASSWORD, "otp_token": totp_now()}
    )
    assert "已被锁定" in login.content.decode()
