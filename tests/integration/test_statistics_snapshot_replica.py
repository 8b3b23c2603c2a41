"""Issue 16 item 4 (scale): a read replica serves statistics. With DATABASE_REPLICA_URL set,
settings add a "replica" database; `portal.db.replica_reads()` sends the reads inside it there
(the monthly snapshot counts the whole city there), and every write stays on "default".

Tested by pointing the replica at the test database itself, as a second connection: it sees
what was committed, so the snapshot test runs as a transactional test.
"""

import contextlib

import pytest
from django.core.management import call_command
from django.db import connections, router
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.models import Area, StatisticsSnapshot
from backoffice.services.snapshots import month_key, month_start
from portal.db import REPLICA, replica_reads


@pytest.fixture
def replica(db):
    """A "replica" database that is the test database, reached by a connection of its own."""
    connections.settings[REPLICA] = {**connections.settings["default"]}
    # Connected here: the test case refuses to open connections to aliases it was not told of.
    connections[REPLICA].connect()
    yield connections[REPLICA]
    with contextlib.suppress(Exception):
        connections[REPLICA].close()
    del connections.settings[REPLICA]
    with contextlib.suppress(AttributeError):
        delattr(connections._connections, REPLICA)


def test_reads_inside_replica_reads_go_to_the_replica_and_writes_never_do(replica):
    assert Area.objects.all().db == "default"
    with replica_reads():
        assert Area.objects.all().db == REPLICA
        assert router.db_for_write(Area) == "default"
    assert Area.objects.all().db == "default"


def test_without_a_replica_everything_stays_on_default(db):
    assert REPLICA not in connections.settings
    with replica_reads():
        assert Area.objects.all().db == "default"


@pytest.mark.django_db(transaction=True)
def test_u11_the_snapshot_counts_on_the_replica(replica, ledger):
    month = month_key(month_start(timezone.localdate()))
    with CaptureQueriesContext(replica) as on_replica:
        call_command("statistics_snapshot", month=month)
    snapshot = StatisticsSnapshot.objects.get()  # written on default
    assert len(on_replica.captured_queries) > 10
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in on_replica.captured_queries)
    assert snapshot.data["areas"]["110101000000"]["ledger"] == {"households": 3, "persons": 3}
