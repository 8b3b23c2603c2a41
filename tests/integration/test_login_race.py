"""SECURITY A2, A7: the lockout is counted atomically, so parallel guesses cannot race past it.

Real threads, each with its own database connection, on PostgreSQL (on SQLite the test
database is one in-memory file that threads cannot share the way they would a server).
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from backoffice.enums import AuditAction
from backoffice.models import AuditEvent, LoginThrottle
from backoffice.models.auth import throttle_key
from backoffice.services import auth as auth_services
from tests.conftest import PASSWORD, is_postgres, totp_now

pytestmark = pytest.mark.postgres

WRONG = "wrong-password-123"


@pytest.fixture
def accounts(transactional_db, demo_users):
    if not is_postgres():
        pytest.skip("parallel logins are exercised on PostgreSQL (make test-postgres)")
    return demo_users


@pytest.fixture
def password_checks(monkeypatch):
    """Each password check, in the order they ran: True for the right password. The service
    checks the password while holding the username's row, so this order is the real one."""
    checks: list[bool] = []
    guard = threading.Lock()
    real = auth_services.authenticate

    def counting(request, **credentials):
        with guard:
            checks.append(credentials["password"] == PASSWORD)
        return real(request, **credentials)

    monkeypatch.setattr(auth_services, "authenticate", counting)
    return checks


def post_login(password: str, outcomes: list, token: str = "123456") -> None:
    try:
        response = Client().post(
            "/admin/login/", {"username": "city", "password": password, "otp_token": token}
        )
        outcomes.append((password, response.status_code, response.content.decode()))
    finally:
        connection.close()


def assert_city_locked() -> None:
    assert LoginThrottle.objects.get(key=throttle_key("city")).is_locked()
    html = Client().post(
        "/admin/login/", {"username": "city", "password": PASSWORD, "otp_token": totp_now()}
    )
    assert "已被锁定" in html.content.decode()


def test_parallel_wrong_passwords_cannot_race_past_the_lock(accounts, password_checks):
    # 24 wrong passwords at once, then the right password and code 40 ms later.
    barrier = threading.Barrier(25)
    outcomes: list = []

    def wrong():
        barrier.wait()
        post_login(WRONG, outcomes)

    def right():
        barrier.wait()
        time.sleep(0.04)
        post_login(PASSWORD, outcomes, token=totp_now())

    threads = [threading.Thread(target=wrong) for _ in range(24)]
    threads.append(threading.Thread(target=right))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 25

    (right_outcome,) = [o for o in outcomes if o[0] == PASSWORD]
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count()
    if True in password_checks:
        # The right attempt got the row before the fifth failure: it was not locked yet.
        before = password_checks.index(True)
        assert before < 5
        assert right_outcome[1] == 302
        assert len(password_checks) - before - 1 == 5  # a fresh count, locked again at five
    else:
        # The lock was set first: the right password was not even checked.
        assert right_outcome[1] == 200 and "已被锁定" in right_outcome[2]
        assert len(password_checks) == 5
    assert failed == password_checks.count(False)
    assert sum("已被锁定" in o[2] for o in outcomes if o[0] == WRONG) == 24 - (failed - 1)
    assert_city_locked()


def test_a_success_in_flight_never_clears_a_lock_set_meanwhile(accounts, monkeypatch):
    # The right login is held inside its password check while five wrong ones arrive.
    inside, release = threading.Event(), threading.Event()
    real = auth_services.authenticate

    def slow_when_right(request, **credentials):
        if credentials["password"] == PASSWORD:
            inside.set()
            release.wait(timeout=10)
        return real(request, **credentials)

    monkeypatch.setattr(auth_services, "authenticate", slow_when_right)
    outcomes: list = []
    right = threading.Thread(target=post_login, args=(PASSWORD, outcomes, totp_now()))
    right.start()
    assert inside.wait(timeout=10)
    wrong = [threading.Thread(target=post_login, args=(WRONG, outcomes)) for _ in range(5)]
    for thread in wrong:
        thread.start()
    for thread in wrong:
        thread.join(timeout=1)  # they wait for the row the right attempt holds
    release.set()
    for thread in [right, *wrong]:
        thread.join(timeout=30)

    assert len(outcomes) == 6
    (right_outcome,) = [o for o in outcomes if o[0] == PASSWORD]
    assert right_outcome[1] == 302  # it came first, before any failure
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 5
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED).count() == 1
    assert_city_locked()
