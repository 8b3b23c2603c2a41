"""SECURITY A4, A6: devices are issued by a security administrator; secrets are shown once."""

from datetime import timedelta

import time_machine
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.enums import AuditAction
from backoffice.models import AuditEvent
from tests.conftest import PASSWORD, totp_now


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
