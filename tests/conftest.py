"""Personas and helpers shared by the suite.

Personas (DESIGN.md demo accounts): city (all of Beijing), dongcheng (东城区), street (东华门街道),
worker (agency), auditor, editor, security, charity. All share the demo password and TOTP secret.
"""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.actor import Actor
from backoffice.demo.accounts import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    demo_accounts_create,
)
from backoffice.enums import Channel
from backoffice.models import Area
from backoffice.services.areas import areas_load
from tests.baseline import baseline_capture, flush_restores_baseline, other_sessions_end

PASSWORD = DEMO_PASSWORD
DEMO_USERNAMES = [account.username for account in DEMO_ACCOUNTS]


def as_actor(user, *, ip: str = "10.0.0.9") -> Actor:
    """A user acting through the web, as services get them from a view (STYLE 11)."""
    return Actor(user=user, channel=Channel.WEB, ip=ip)


def totp_now(secret_b32: str = DEMO_TOTP_SECRET) -> str:
    """The code an authenticator app would show right now."""
    padded = secret_b32 + "=" * (-len(secret_b32) % 8)
    return str(TOTP(base64.b32decode(padded)).token()).zfill(6)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The few tests marked slow go first (after pytest-django's own order): started last, one
    of them would keep a worker busy long after the other has run out of tests."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def fresh_calendar():
    """Calendar rows rolled back by a test must not survive in the per-process copy (F4)."""
    from backoffice import workdays

    workdays.calendar_reset()
    yield
    workdays.calendar_reset()


@pytest.fixture(autouse=True)
def fresh_cache():
    """The local-memory cache outlives a test: rate-limit counts and the intake's
    delivery window of one test must not decide the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def areas(db):
    """The real divisions; reloaded when a transactional test has flushed them."""
    if not Area.objects.exists():
        areas_load(Area)
    return Area.objects


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The demo accounts once per test database: every test's transaction rolls back to them,
    which saves creating eight users, groups and devices for each test. A transactional test
    ends with the database as it is here (tests/baseline.py)."""
    with django_db_blocker.unblock():
        demo_accounts_create()
        baseline_capture()
    with flush_restores_baseline():
        yield
    with django_db_blocker.unblock():
        other_sessions_end()


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, started after the test database and so stopped before the
    database is dropped: on PostgreSQL the connection its thread keeps open (CONN_MAX_AGE)
    would otherwise make DROP DATABASE wait and fail, leaving the database behind."""
    return live_server


@pytest.fixture
def demo_users(areas, django_user_model):
    # A transactional test before this one may have flushed them.
    if django_user_model.objects.filter(username__in=DEMO_USERNAMES).count() < len(DEMO_USERNAMES):
        demo_accounts_create()
    return {u.username: u for u in django_user_model.objects.all()}


def verified_login(client, user):
    """A session as after a full password + TOTP login (for tests that are not about login)."""
    client.force_login(user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def login_as(client, demo_users):
    def _login(username: str):
        return verified_login(client, demo_users[username])

    return _login
