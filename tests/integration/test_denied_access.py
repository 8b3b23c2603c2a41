"""Issue 12, SECURITY C1: every denied access under /admin/ is audited, and a flood is counted.

Personas: street (东华门街道), dongcheng (东城区), worker (assigned households only), charity
(no back office at all). The 朝阳区 household `far` is outside every local persona's scope.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
import wagtail.admin.auth

from backoffice.demo.accounts import DEMO_AGENCY
from backoffice.enums import AuditAction, AuditOutcome
from backoffice.models import Agency, AuditEvent, HouseholdAssignment
from backoffice.services.events import DENIAL_WINDOW_SECONDS

# A window opens on a multiple of DENIAL_WINDOW_SECONDS since the epoch; noon is one.
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=ZoneInfo("UTC"))


def denials(username: str):
    return AuditEvent.objects.filter(actor_username=username, action=AuditAction.DENIED)


def test_an_out_of_scope_household_still_answers_404_and_the_denial_is_audited(
    login_as, ledger, demo_users
):
    far = ledger["far"].pk
    response = login_as("street").get(f"/admin/households/inspect/{far}/", REMOTE_ADDR="10.7.7.7")
    assert response.status_code == 404
    event = denials("street").get()
    assert event.outcome == AuditOutcome.DENIED
    assert event.actor_id == demo_users["street"].pk and event.actor_role == "street_station"
    assert event.ip == "10.7.7.7"
    assert event.detail == {
        "reason": "not_found",
        "status": 404,
        "path": f"/admin/households/inspect/{far}/",
        "route": "/admin/households/inspect/<int:pk>/",
        "window_seconds": DENIAL_WINDOW_SECONDS,
        "count": 1,
    }


def test_a_url_that_does_not_exist_is_audited_as_not_found(login_as):
    response = login_as("street").get("/admin/no-such-screen/")
    assert response.status_code == 404
    assert denials("street").get().detail["path"] == "/admin/no-such-screen/"


def test_wagtails_permission_refusal_still_redirects_home_with_its_message_and_is_audited(
    login_as,
):
    client = login_as("street")
    response = client.get("/admin/pages/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert "对不起， 你没有权限访问。" in client.get("/admin/").content.decode()
    event = denials("street").get()
    assert event.detail["reason"] == "wagtail_permission"
    assert event.detail["status"] == 302 and event.detail["path"] == "/admin/pages/"


def test_the_wagtail_refusal_is_marked_by_wrapping_the_function_wagtail_calls(login_as):
    # STYLE 14: the one framework internal this audit relies on. require_admin_access,
    # user_passes_test and PermissionPolicyChecker call wagtail.admin.auth.permission_denied by
    # its module name; if Wagtail stops doing so, the refusal above is no longer audited.
    assert getattr(wagtail.admin.auth.permission_denied, "marks_denial", False)
    assert wagtail.admin.auth.permission_denied.__wrapped__.__module__ == "wagtail.admin.auth"
    response = login_as("worker").get("/admin/workdays/")  # PermissionPolicyChecker's refusal
    assert response.status_code == 302
    assert denials("worker").get().detail["reason"] == "wagtail_permission"


def test_a_403_is_audited_as_forbidden(login_as):
    # Wagtail answers a script's (XHR) request that lacks a permission with a plain 403.
    response = login_as("worker").get("/admin/audit/", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 403
    event = denials("worker").get()
    assert event.detail["reason"] == "forbidden" and event.detail["status"] == 403


def test_a_signed_in_user_without_back_office_access_is_audited_when_sent_to_login(login_as):
    response = login_as("charity").get("/admin/my-work/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    event = denials("charity").get()
    assert event.detail["reason"] == "wagtail_permission"
    assert event.detail["path"] == "/admin/my-work/"


def test_a_childs_record_refused_by_its_own_audited_check_writes_one_event(
    login_as, ledger, demo_users
):
    # B4: children.py audits the refusal with the child as its object; the middleware adds none.
    HouseholdAssignment.objects.create(
        household=ledger["home"],
        worker=demo_users["worker"],
        agency=Agency.objects.get(name=DEMO_AGENCY),
    )
    response = login_as("worker").get(f"/admin/persons/inspect/{ledger['child'].pk}/")
    assert response.status_code == 302
    event = denials("worker").get()
    assert event.object_id == str(ledger["child"].pk)
    assert event.detail == {"reason": "child_under_14"}


def test_anonymous_requests_are_sent_to_login_and_write_no_denied_event(client, ledger):
    # The login audit covers them (A1, C1); unnamed rows would let anyone fill the table.
    response = client.get(f"/admin/households/inspect/{ledger['far'].pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert not AuditEvent.objects.filter(action=AuditAction.DENIED).exists()


def test_query_values_and_identifiers_in_the_path_never_reach_the_audit_log(login_as, ledger):
    # C3: only parameter names are kept; an ID or phone number typed into a path is starred.
    client = login_as("street")
    far = ledger["far"].pk
    client.get(f"/admin/households/inspect/{far}/", {"q": "王五", "phone": "13812345678"})
    client.get("/admin/persons/110105195003081234/王五/")
    written = [event.detail for event in denials("street").order_by("id")]
    assert written[0]["query_keys"] == ["phone", "q"]
    assert written[1]["path"] == "/admin/persons/*/*/"
    dumped = str(written)
    for secret in ("王五", "13812345678", "110105195003081234"):
        assert secret not in dumped


def test_a_logout_is_not_taken_for_a_denial(login_as):
    login_as("street").get("/admin/logout/")
    assert not denials("street").exists()


@time_machine.travel(NOON, tick=False)
def test_500_out_of_scope_requests_write_a_handful_of_rows_that_count_them(login_as, ledger):
    client = login_as("street")
    first = ledger["far"].pk  # the last household created: every id after it is unknown too
    statuses = {
        client.get(f"/admin/households/inspect/{first + n}/").status_code for n in range(500)
    }
    assert statuses == {404}
    rows = list(denials("street").order_by("id"))
    assert [row.detail["count"] for row in rows] == [1, 10, 100]
    assert rows[0].detail["path"] == f"/admin/households/inspect/{first}/"
    assert rows[2].detail["path"] == f"/admin/households/inspect/{first + 99}/"

    # The next window's first denial carries the whole count of the one before.
    with time_machine.travel(NOON + timedelta(seconds=DENIAL_WINDOW_SECONDS), tick=False):
        client.get(f"/admin/households/inspect/{first}/")
    rows = list(denials("street").order_by("id"))
    assert len(rows) == 4
    assert rows[3].detail["count"] == 1
    assert rows[3].detail["previous_window"] == {"started": NOON.isoformat(), "count": 500}


@time_machine.travel(NOON, tick=False)
def test_one_users_flood_does_not_hide_another_denial(login_as, ledger, client, demo_users):
    street = login_as("street")
    far = ledger["far"].pk
    for _ in range(20):
        street.get(f"/admin/households/inspect/{far}/")
    street.get(f"/admin/persons/inspect/{ledger['wang'].pk}/")  # another screen: its own count
    client.logout()
    login_as("dongcheng").get(f"/admin/households/inspect/{far}/")  # another user: theirs
    assert [e.detail["count"] for e in denials("street").order_by("id")] == [1, 10, 1]
    assert denials("dongcheng").get().detail["count"] == 1


def test_a_denial_is_written_when_the_cache_is_down(login_as, ledger, monkeypatch):
    # The audit must not depend on Redis: without a count every denial is written.
    from backoffice.services import events

    def unavailable(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(events, "_denial_count", unavailable)
    client = login_as("street")
    for _ in range(3):
        assert client.get(f"/admin/households/inspect/{ledger['far'].pk}/").status_code == 404
    assert [e.detail["count"] for e in denials("street")] == [None, None, None]


def sweep_urls(ledger):
    """Each a different screen (URL pattern), so that each writes its own first event."""
    far, wang = ledger["far"].pk, ledger["wang"].pk
    out_of_scope = [
        f"/admin/households/inspect/{far}/",
        f"/admin/households/edit/{far}/",
        f"/admin/persons/inspect/{wang}/",
        f"/admin/persons/edit/{wang}/",
        f"/admin/persons/{wang}/reveal/",
        f"/admin/households/{far}/plan/",
        f"/admin/households/{far}/plan/revise/",
        f"/admin/households/{far}/pdf/plan/",
        f"/admin/households/{far}/pdf/file/",
        f"/admin/households/{far}/visits/new/",
        f"/admin/households/{far}/exit/",
    ]
    forbidden = ["/admin/audit/", "/admin/pages/", "/admin/users/", "/admin/staff-devices/"]
    return [(url, 404, "not_found") for url in out_of_scope] + [
        (url, 302, "wagtail_permission") for url in forbidden
    ]


@pytest.mark.parametrize("username", ["street", "dongcheng", "worker"])
def test_every_out_of_scope_or_forbidden_admin_url_is_refused_as_before_and_audited(
    login_as, ledger, username
):
    client = login_as(username)
    for url, status, reason in sweep_urls(ledger):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 302:
            assert response["Location"] == "/admin/", url
        event = denials(username).filter(detail__path=url).get()
        assert (event.outcome, event.detail["reason"], event.detail["status"]) == (
            AuditOutcome.DENIED,
            reason,
            status,
        ), url
    assert denials(username).count() == len(sweep_urls(ledger))
