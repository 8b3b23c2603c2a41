"""SECURITY C1-C4: the audit log is append-only and the auditor can filter it."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from backoffice.enums import AuditAction, AuditOutcome
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


def listing_rows(html: str) -> list[str]:
    """The rows of the audit listing, header and filters left out."""
    body = html.split("<tbody>", 1)[-1].split("</tbody>", 1)[0]
    return body.split("<tr")[1:]


def test_the_auditor_filters_the_log_to_denied_access_with_chinese_labels(login_as, ledger):
    # C1, C4: issue 12, denied access is audited and the auditor finds it by its outcome.
    login_as("street").get(f"/admin/households/inspect/{ledger['far'].pk}/")
    make_event(actor_username="street", object_id="7")  # a successful view, filtered out
    auditor = login_as("auditor")
    response = auditor.get("/admin/audit/", {"outcome": "denied"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="denied" id="id_outcome_3" checked' in html
    rows = listing_rows(html)
    assert len(rows) == 1
    assert "拒绝访问" in rows[0] and "拒绝" in rows[0]
    assert "记录不存在或不在辖区内" in rows[0]
    assert f"/admin/households/inspect/{ledger['far'].pk}/" in rows[0]


def test_the_auditor_finds_a_users_denied_access_in_a_date_range(login_as, ledger):
    # C4: who was refused what, by user and date range.
    far = ledger["far"].pk
    login_as("street").get(f"/admin/households/{far}/plan/")
    login_as("dongcheng").get(f"/admin/households/{far}/plan/")
    make_event(
        actor_username="street",
        action=AuditAction.DENIED,
        outcome=AuditOutcome.DENIED,
        detail={"reason": "not_found", "path": "/admin/households/inspect/1/"},
        at=timezone.now() - timedelta(days=40),
    )
    make_event(actor_username="street")  # a successful view in the range
    auditor = login_as("auditor")
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    until = timezone.localdate().isoformat()
    response = auditor.get(
        "/admin/audit/",
        {"actor_username": "street", "outcome": "denied", "at_from": since, "at_to": until},
    )
    rows = listing_rows(response.content.decode())
    assert len(rows) == 1
    assert "street" in rows[0] and f"/admin/households/{far}/plan/" in rows[0]


def test_a_flood_shows_its_count_in_the_audit_log(login_as, ledger):
    client = login_as("street")
    far = ledger["far"].pk
    for n in range(10):
        client.get(f"/admin/households/inspect/{far + n}/")
    response = login_as("auditor").get("/admin/audit/", {"outcome": "denied"})
    rows = listing_rows(response.content.decode())
    assert len(rows) == 2
    assert "本时段第 10 次" in rows[0]  # newest first
