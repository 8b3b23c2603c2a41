"""SECURITY A5: idle timeout 30 minutes, absolute 12 hours."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from backoffice.enums import AuditAction
from backoffice.models import AuditEvent
from tests.conftest import PASSWORD, totp_now


def login(client):
    response = client.post(
        "/admin/login/", {"username": "city", "password": PASSWORD, "otp_token": totp_now()}
    )
    assert response.status_code == 302


def test_thirty_idle_minutes_end_the_session(client, demo_users):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        login(client)
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=60), tick=False):
        response = client.get("/admin/")
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
        assert client.get("/admin/").status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED).exists()


def test_an_active_session_still_ends_after_twelve_hours(client, demo_users):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        login(client)
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=5), tick=False):
        assert client.get("/admin/").status_code == 302
