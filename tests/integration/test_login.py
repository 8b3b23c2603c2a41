"""SECURITY A1-A5: one-step login with password and TOTP, lockout, replay, recovery codes."""

from datetime import timedelta

import time_machine
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from backoffice.enums import AuditAction
from backoffice.models import AuditEvent, LoginThrottle, RecoveryCode
from backoffice.models.auth import throttle_key
from backoffice.services.auth import otp_device_issue
from tests.conftest import PASSWORD, as_actor, totp_now

LOGIN = "/admin/login/"


def post_login(client, username="city", password=PASSWORD, token=None):
    return client.post(
        LOGIN,
        {
            "username": username,
            "password": password,
            "otp_token": totp_now() if token is None else token,
        },
    )


def test_the_login_form_asks_for_username_password_and_code_in_one_step(client, demo_users):
    response = client.get(LOGIN)
    html = response.content.decode()
    assert response.status_code == 200
    for name in ("username", "password", "otp_token"):
        assert f'name="{name}"' in html
    assert "动态口令" in html
    assert 'name="remember"' not in html


def test_a_right_password_and_code_open_the_admin(client, demo_users):
    response = post_login(client)
    assert response.status_code == 302
    assert DEVICE_ID_SESSION_KEY in client.session
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor_username="city").exists()


def test_a_right_password_with_a_wrong_code_is_refused_and_audited(client, demo_users):
    response = post_login(client, token="000000" if totp_now() != "000000" else "111111")
    assert response.status_code == 200
    assert "用户名、密码或动态口令不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditAction.OTP_FAILED, actor_username="city").exists()


def test_a_wrong_password_is_refused_with_the_same_message(client, demo_users):
    response = post_login(client, password="wrong-password-123")
    assert "用户名、密码或动态口令不正确" in response.content.decode()
    assert (
        AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor_username="city").count()
        == 1
    )


def test_a_missing_code_gets_a_clear_message_and_counts_as_a_failure(client, demo_users):
    # A7: a password without a code is an attempt like any other.
    response = post_login(client, token="")
    assert "请输入动态口令" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert LoginThrottle.objects.get(key=throttle_key("city")).failures == 1
    assert AuditEvent.objects.filter(action=AuditAction.OTP_FAILED, actor_username="city").exists()


def test_five_posts_without_a_code_lock_the_username(client, demo_users):
    for _ in range(5):
        post_login(client, token="")
    response = post_login(client)
    assert "已被锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_replayed_code_is_refused(client, demo_users):
    # A3: the same code cannot open a second session.
    with time_machine.travel(timezone.now(), tick=False):
        code = totp_now()
        assert post_login(client, token=code).status_code == 302
        client.logout()
        second = post_login(client, token=code)
        assert second.status_code == 200
        assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_username_even_for_the_right_credentials(client, demo_users):
    # A2: five failures, then the right password and code are refused for fifteen minutes.
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            post_login(client, password="wrong-password-123")
        response = post_login(client)
        assert response.status_code == 200
        assert "已被锁定" in response.content.decode()
        assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED, actor_username="city").exists()
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_ATTEMPT).exists()
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        response = post_login(client)
        assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.UNLOCKED, actor_username="city").exists()


def test_the_lock_of_one_user_leaves_another_untouched(client, demo_users):
    for _ in range(5):
        post_login(client, username="street", password="wrong-password-123")
    assert post_login(client, username="city").status_code == 302


def test_a_recovery_code_works_once_and_is_stored_hashed(client, demo_users, rf):
    issued = otp_device_issue(actor=as_actor(demo_users["security"]), user=demo_users["dongcheng"])
    code = issued.recovery_codes[0]
    stored = list(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert all(code.replace("-", "") not in h for h in stored)
    assert post_login(client, username="dongcheng", token=code).status_code == 302
    client.logout()
    again = post_login(client, username="dongcheng", token=code)
    assert again.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_user_without_a_device_is_told_to_ask_for_one(client, demo_users):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=demo_users["editor"]).delete()
    response = post_login(client, username="editor")
    assert "尚未绑定动态口令设备" in response.content.decode()


def test_charities_cannot_enter_the_admin_even_with_both_factors(client, demo_users):
    post_login(client, username="charity")
    response = client.get("/admin/")
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/admin/login/" in response["Location"]


def test_login_issues_a_new_session_key(client, demo_users):
    client.get(LOGIN)
    client.cookies["sessionid"] = "attacker-chosen-session-key"
    post_login(client)
    assert client.cookies["sessionid"].value != "attacker-chosen-session-key"


def test_logout_destroys_the_session(client, demo_users):
    post_login(client)
    client.post("/admin/logout/")
    response = client.get("/admin/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor_username="city").exists()


def test_a_password_typed_as_the_username_is_kept_nowhere_in_clear(client, demo_users):
    # C3: the username field sometimes gets the password. An unknown username is kept only as
    # a short keyed digest, the same for the same text, so repeated attempts can be followed.
    typed = "Jiuzhu-Mima-2026!"
    for _ in range(2):
        post_login(client, username=typed, password="whatever-12345")
    failures = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert failures.count() == 2
    assert {(e.actor_username, e.actor_id) for e in failures} == {("", None)}
    digests = {e.detail["username_digest"] for e in failures}
    assert len(digests) == 1 and len(digests.pop()) == 12
    stored = str(list(AuditEvent.objects.values())) + str(list(LoginThrottle.objects.values()))
    assert typed.lower() not in stored.lower()


def test_a_failed_login_of_a_known_account_names_the_account(client, demo_users):
    post_login(client, password="wrong-password-123")
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert (event.actor_username, event.actor_id) == ("city", demo_users["city"].pk)
    assert event.detail == {"failures": 1}


def test_the_throttle_is_keyed_by_a_keyed_hash_of_the_username(client, demo_users):
    post_login(client, password="wrong-password-123")
    (row,) = LoginThrottle.objects.all()
    assert row.key == throttle_key("city") != "city"
    assert row.failures == 1


def test_other_spellings_of_a_username_share_its_count(client, demo_users):
    # A2: case or Unicode variants must not earn fresh guesses.
    for name in ("CITY", "City", "ｃｉｔｙ", "city ", "cIty"):
        post_login(client, username=name, password="wrong-password-123")
    response = post_login(client)
    assert "已被锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_unknown_username_locks_like_a_real_one(client, demo_users):
    # No answer tells whether an account exists: unknown names lock after five failures too.
    for _ in range(5):
        post_login(client, username="no-such-user", password="wrong-password-123")
    response = post_login(client, username="no-such-user", password="wrong-password-123")
    assert "已被锁定" in response.content.decode()
    locked = AuditEvent.objects.get(action=AuditAction.LOCKED)
    assert locked.actor_username == "" and len(locked.detail["username_digest"]) == 12
    assert post_login(client).status_code == 302  # a bystander account is untouched
