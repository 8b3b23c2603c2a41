"""SECURITY A4, A6: devices are issued by a security administrator; secrets are shown once."""

from datetime import timedelta

import time_machine
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.enums import AuditAction
from backoffice.models import AuditEvent, EnrolmentLink
from backoffice.services.auth import enrolment_link_create
from tests.conftest import PASSWORD, as_actor, totp_now


def test_only_the_security_administrator_can_issue_devices(login_as, demo_users):
    client = login_as("city")
    assert client.get("/admin/staff-devices/").status_code in (302, 403)
    target = demo_users["street"].pk
    assert client.post(f"/admin/staff-devices/{target}/issue/").status_code in (302, 403)
    assert TOTPDevice.objects.filter(user_id=target).count() == 1


def test_issuing_shows_the_qr_code_and_recovery_codes_once(login_as, demo_users):
    client = login_as("security")
    target = demo_users["street"]
    response = client.post(f"/admin/staff-devices/{target.pk}/issue/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and "只显示这一次" in html
    device = TOTPDevice.objects.get(user=target)
    assert device.confirmed
    listing = client.get("/admin/staff-devices/").content.decode()
    assert device.key not in listing
    secret = html.split("<code>")[1].split("</code>")[0]
    assert secret not in listing
    assert AuditEvent.objects.filter(
        action=AuditAction.DEVICE_ISSUED, actor_username="security"
    ).exists()
    # The new secret works for a login; the demo secret no longer does.
    client.logout()
    response = client.post(
        "/admin/login/", {"username": "street", "password": PASSWORD, "otp_token": totp_now(secret)}
    )
    assert response.status_code == 302


def test_an_enrolment_link_binds_a_phone_once(login_as, demo_users, client):
    admin = login_as("security")
    target = demo_users["editor"]
    TOTPDevice.objects.filter(user=target).delete()
    html = admin.post(f"/admin/staff-devices/{target.pk}/link/").content.decode()
    link = html.split("<code>")[1].split("</code>")[0]
    path = link.replace("http://testserver", "")
    admin.logout()

    assert "登录密码" in client.get(path).content.decode()
    wrong = client.post(path, {"password": "not-the-password"})
    assert "用户名、密码或动态口令不正确" in wrong.content.decode()
    scan = client.post(path, {"password": PASSWORD}).content.decode()
    assert "<svg" in scan
    secret = scan.split("<code>")[1].split("</code>")[0]
    assert not TOTPDevice.objects.get(user=target).confirmed
    done = client.post(path, {"otp_token": totp_now(secret)}).content.decode()
    assert "绑定成功" in done
    assert TOTPDevice.objects.get(user=target).confirmed
    assert client.get(path).status_code == 404  # spent
    assert AuditEvent.objects.filter(action=AuditAction.DEVICE_ENROLLED).exists()


def test_an_enrolment_link_expires(login_as, demo_users, client):
    admin = login_as("security")
    html = admin.post(f"/admin/staff-devices/{demo_users['editor'].pk}/link/").content.decode()
    path = html.split("<code>")[1].split("</code>")[0].replace("http://testserver", "")
    with time_machine.travel(timezone.now() + timedelta(hours=73)):
        assert client.get(path).status_code == 404


def test_the_security_administrator_can_unlock_a_user(login_as, demo_users, client):
    for _ in range(5):
        client.post(
            "/admin/login/",
            {"username": "street", "password": "wrong-1234567", "otp_token": "123456"},
        )
    admin = login_as("security")
    assert "已锁定" in admin.get("/admin/staff-devices/").content.decode()
    admin.post(f"/admin/staff-devices/{demo_users['street'].pk}/unlock/")
    admin.logout()
    response = admin.post(
        "/admin/login/", {"username": "street", "password": PASSWORD, "otp_token": totp_now()}
    )
    assert response.status_code == 302


def enrolment_path(demo_users, username="editor") -> str:
    raw = enrolment_link_create(actor=as_actor(demo_users["security"]), user=demo_users[username])
    return f"/enrol/{raw}/"


def fail_logins(client, username, times):
    for _ in range(times):
        client.post(
            "/admin/login/",
            {"username": username, "password": "wrong-1234567", "otp_token": "123456"},
        )


def device_list_row(html: str, username: str) -> str:
    (row,) = [row for row in html.split("<tr>") if f"<td>{username}</td>" in row]
    return row


def test_the_device_list_marks_the_locked_user_only(login_as, demo_users, client):
    # A2 with the throttle keyed by a hash (C3): the list still finds the locked account.
    fail_logins(client, "street", 5)
    admin = login_as("security")
    html = admin.get("/admin/staff-devices/").content.decode()
    assert "已锁定" in device_list_row(html, "street")
    assert "解除锁定" in device_list_row(html, "street")
    assert "已锁定" not in device_list_row(html, "city")
    assert "正常" in device_list_row(html, "city")
    assert "SECURITY" not in html  # requirement ids are for the code, not for users


def test_unlocking_is_audited_with_the_account_and_leaves_others_locked(
    login_as, demo_users, client
):
    fail_logins(client, "street", 5)
    fail_logins(client, "worker", 5)
    admin = login_as("security")
    admin.post(f"/admin/staff-devices/{demo_users['street'].pk}/unlock/")
    event = AuditEvent.objects.get(action=AuditAction.UNLOCKED)
    assert event.actor_username == "security"
    assert event.object_id == str(demo_users["street"].pk)
    assert event.detail == {"reason": "administrator"}
    html = admin.get("/admin/staff-devices/").content.decode()
    assert "已锁定" not in device_list_row(html, "street")
    assert "已锁定" in device_list_row(html, "worker")


def test_an_enrolment_link_refuses_the_right_password_while_the_account_is_locked(
    demo_users, client
):
    # A7: the link is a way in like the login; while locked it checks nothing.
    path = enrolment_path(demo_users)
    fail_logins(client, "editor", 5)
    html = client.post(path, {"password": PASSWORD}).content.decode()
    assert "已被锁定" in html
    assert "<svg" not in html
    assert not TOTPDevice.objects.filter(user=demo_users["editor"], confirmed=False).exists()
    refused = AuditEvent.objects.filter(action=AuditAction.LOCKED_ATTEMPT).get()
    assert refused.actor_username == "editor"


def test_wrong_passwords_on_an_enrolment_link_lock_the_login(demo_users, client):
    path = enrolment_path(demo_users)
    for _ in range(4):
        html = client.post(path, {"password": "not-the-password"}).content.decode()
        assert "用户名、密码或动态口令不正确" in html
    assert "已被锁定" in client.post(path, {"password": "not-the-password"}).content.decode()
    response = client.post(
        "/admin/login/", {"username": "editor", "password": PASSWORD, "otp_token": totp_now()}
    )
    assert "已被锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failures = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert failures.count() == 5
    assert set(failures.values_list("actor_username", flat=True)) == {"editor"}
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED, actor_username="editor").exists()


def test_a_right_password_on_an_enrolment_link_neither_logs_in_nor_resets_the_count(
    demo_users, client
):
    # Four failed logins, then the password alone on the link: the count goes on from four,
    # or the link would buy fresh guesses at the code.
    path = enrolment_path(demo_users)
    fail_logins(client, "editor", 4)
    assert "<svg" in client.post(path, {"password": PASSWORD}).content.decode()
    assert "_auth_user_id" not in client.session
    fail_logins(client, "editor", 1)
    response = client.post(
        "/admin/login/", {"username": "editor", "password": PASSWORD, "otp_token": totp_now()}
    )
    assert "已被锁定" in response.content.decode()


def test_the_enrolment_code_is_refused_while_the_account_is_locked(demo_users, client):
    path = enrolment_path(demo_users)
    scan = client.post(path, {"password": PASSWORD}).content.decode()
    secret = scan.split("<code>")[1].split("</code>")[0]
    fail_logins(client, "editor", 5)
    html = client.post(path, {"otp_token": totp_now(secret)}).content.decode()
    assert "已被锁定" in html
    assert "绑定成功" not in html
    assert TOTPDevice.objects.filter(user=demo_users["editor"], confirmed=False).count() == 1
    assert EnrolmentLink.objects.get(user=demo_users["editor"]).used_at is None
    assert not AuditEvent.objects.filter(action=AuditAction.DEVICE_ENROLLED).exists()
