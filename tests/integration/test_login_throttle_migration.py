"""SECURITY A2, C3: migration 0017 rewrites the throttle rows kept by raw username under the
keyed hash, keeping running locks across the deploy and dropping the typed text."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from backoffice.models import LoginThrottle
from backoffice.models.auth import throttle_key

BEFORE = [("backoffice", "0016_one_head_per_household")]
AFTER = [("backoffice", "0017_login_throttle_key")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_running_locks_survive_the_move_to_hashed_keys(transactional_db):
    until = timezone.now() + timedelta(minutes=10)
    try:
        old = migrate(BEFORE).get_model("backoffice", "LoginThrottle")
        old.objects.create(username="street", failures=5, locked_until=until)
        old.objects.create(username="Street", failures=2)
        old.objects.create(username="Mima-Typed-As-Name!", failures=1)
        migrate(AFTER)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    rows = {row.key: row for row in LoginThrottle.objects.all()}
    assert set(rows) == {throttle_key("street"), throttle_key("Mima-Typed-As-Name!")}
    street = rows[throttle_key("street")]
    assert street.failures == 5 and street.locked_until == until and street.is_locked()
    assert "mima" not in str(list(LoginThrottle.objects.values())).lower()
