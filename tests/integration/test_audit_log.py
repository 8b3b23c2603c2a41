"""SECURITY C1-C4: the audit log is append-only and the auditor can filter it."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from backoffice.enums import AuditAction
from backoffice.models import AuditEvent
from backoffice.models.audit import AppendOnlyError
from tests.conftest import PASSWORD, is_postgres, totp_now


def make_event(**kwargs):
    defaults = {
        "action": AuditAction.VIEW,
        "actor_username": "street",
        "object_type": "backoffice.person",
        "object_id": "42",
        "object_label": "张**",
    }
    defaults.update(kwargs)
    return AuditEvent.objects.create(**defaults)


def test_an_audit_event_cannot_be_changed_through_the_orm(db):
    event = make_event()
    event.actor_username = "someone-else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(actor_username="x")
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).actor_username == "street"


def test_postgres_refuses_raw_sql_updates_and_deletes(db):
    if not is_postgres():
        pytest.skip("the trigger is PostgreSQL's; SQLite relies on the ORM guard")
    event = make_event()
    for sql in (
        "UPDATE backoffice_auditevent SET actor_username = 'x' WHERE id = %s",
        "DELETE FROM backoffice_auditevent WHERE id = %s",
    ):
        with pytest.raises(Exception, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).actor_username == "street"


def test_logins_and_failures_carry_time_user_role_ip_and_outcome(client, demo_users):
    client.post(
        "/admin/login/",
        {"username": "street", "password": "bad-password-99", "otp_token": "123456"},
        REMOTE_ADDR="10.1.2.3",
    )
    client.post(
        "/admin/login/",
        {"username": "street", "password": PASSWORD, "otp_token": totp_now()},
        REMOTE_ADDR="10.1.2.3",
    )
    failure = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    success = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert failure.ip == "10.1.2.3" and failure.outcome == "failure"
    assert success.actor_role == "street_station" and success.actor_id == demo_users["street"].pk
    assert success.at <= timezone.now()


def test_no_password_or_code_is_written_to_the_audit_log(client, demo_users):
    code = totp_now()
    client.post(
        "/admin/login/", {"username": "street", "password": "bad-password-99", "otp_token": code}
    )
    dumped = " ".join(str(e.detail) + e.object_label for e in AuditEvent.objects.all())
    assert "bad-password-99" not in dumped
    assert code not in dumped


def test_the_auditor_lists_who_accessed_a_person_in_a_date_range(login_as):
    client = login_as("auditor")
    make_event(actor_username="street", object_id="42")
    make_event(actor_username="dongcheng", object_id="42", at=timezone.now() - timedelta(days=40))
    make_event(actor_username="worker", object_id="99")
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    response = client.get(
        "/admin/audit/", {"object_type": "backoffice.person", "object_id": "42", "at_from": since}
    )
    html = response.content.decode()
    assert response.status_code == 200
    rows = html.split("listing")[-1]
    assert "street" in rows
    assert "dongcheng" not in rows
    assert "worker" not in rows


def test_the_audit_log_offers_no_edit_or_delete(login_as):
    client = login_as("auditor")
    event = make_event()
    assert client.get(f"/admin/audit/inspect/{event.pk}/").status_code == 200
    assert client.get(f"/admin/audit/edit/{event.pk}/").status_code == 404
    assert client.get(f"/admin/audit/delete/{event.pk}/").status_code == 404
