"""The suite's own footing (tests/baseline.py): a transactional test ends with the database as
the session set it up, the migrations' rows and the demo accounts in place, its own rows gone."""

from __future__ import annotations

import unittest

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import TransactionTestCase
from wagtail.models import Collection, Page

from backoffice.models import Area, AuditEvent
from tests.baseline import baseline_rows
from tests.conftest import DEMO_USERNAMES

pytestmark = pytest.mark.django_db(transaction=True)


def _counts() -> dict[str, int]:
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return {table: count for table, count in counts.items() if count}


class _WritesAndLeaves(TransactionTestCase):
    """A transactional test as Django runs one: its teardown is Django's flush."""

    __test__ = False  # run by the test below, not collected on its own

    def test_it_writes(self):
        get_user_model().objects.create_user("passer-by", password="passer-by-2026!")
        Area.objects.filter(code="110101001001").update(name="改过的名字")
        AuditEvent.objects.create(action="login", outcome="success", actor_username="passer-by")


def test_a_transactional_test_ends_with_the_sessions_database():
    result = unittest.TestResult()
    unittest.TestSuite([_WritesAndLeaves("test_it_writes")]).run(result)
    assert result.wasSuccessful(), result.errors + result.failures

    assert _counts() == baseline_rows()
    users = get_user_model().objects
    assert not users.filter(username="passer-by").exists()
    assert users.filter(username__in=DEMO_USERNAMES).count() == len(DEMO_USERNAMES)
    assert Area.objects.get(code="110101001001").name != "改过的名字"  # a migration's row
    assert not AuditEvent.objects.filter(actor_username="passer-by").exists()
    assert Collection.get_first_root_node() is not None  # Wagtail's, by its migrations
    assert Page.get_first_root_node() is not None
