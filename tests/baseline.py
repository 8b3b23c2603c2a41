"""The test database as the session set it up, put back after every transactional test.

pytest-django ends a transactional test (`django_db(transaction=True)`, `live_server`) with
Django's `flush`, which empties every table: the rows the migrations wrote (the divisions,
Wagtail's root page, root collection, locale and default workflow, the role groups) and the
session's demo accounts go with the test's own rows. A test that came after it on the same
worker then ran on a database no deployment ever has (the image library's upload form, for
one, needs the root collection), and every fixture paid again for what it found missing.

Here `flush` of the test database empties the same tables and loads back the rows captured once
the session's database was ready (`baseline_capture`, from the `django_db_setup` fixture), with
their ids: every transactional test ends where every test starts. Sequences are left as flush
leaves them (never reset), so new rows never reuse an id of the baseline.

Emptying on PostgreSQL: TRUNCATE of every table, Django's way, gives each table and index a new
file; measured 0.4 s on a quiet machine and 1-4 s on a busy one, for each transactional test.
DELETE with the foreign-key and audit triggers off for the transaction (session_replication_role
= replica; allowed to a superuser, as the suite's `postgres` is) takes about 20 ms, and the
baseline's rows are loaded back with COPY. Without that privilege, and on SQLite (whose flush is
DELETE already), Django's own statements empty the tables.

`flush` called with other options than a test's teardown (sequences reset, cascade) is Django's
own. tests/integration/test_baseline.py fails when Django's flush stops coming through here.

Because every test now starts from the same database, a transactional test may run anywhere in
a worker's queue: the slow ones first, and tests handed between workers (`--dist worksteal`).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.core.management.color import no_style
from django.core.management.commands import flush
from django.core.management.sql import emit_post_migrate_signal, sql_flush
from django.db import connections, transaction


@dataclass(frozen=True)
class TableRows:
    table: str
    columns: tuple[str, ...]
    rows: object  # COPY's binary stream on PostgreSQL; a list of tuples elsewhere
    count: int


_BASELINES: dict[str, list[TableRows]] = {}


def _quote(connection, names) -> str:
    return ", ".join(connection.ops.quote_name(name) for name in names)


def _tables(connection) -> list[str]:
    """The tables flush empties (Django's models, every installed app)."""
    return sorted(
        connection.introspection.django_table_names(only_existing=True, include_views=False)
    )


def _columns(connection, tables: list[str]) -> dict[str, tuple[str, ...]]:
    """Each table's stored columns (a generated column is computed, never written)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, a.attname FROM pg_attribute a"
                " JOIN pg_class c ON c.oid = a.attrelid"
                " WHERE c.relname = ANY(%s) AND c.relnamespace = 'public'::regnamespace"
                " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''"
                " ORDER BY c.relname, a.attnum",
                [tables],
            )
            found: dict[str, list[str]] = {}
            for table, column in cursor.fetchall():
                found.setdefault(table, []).append(column)
            return {table: tuple(found[table]) for table in tables}
        columns = {}
        for table in tables:
            cursor.execute(f"PRAGMA table_xinfo({connection.ops.quote_name(table)})")
            # hidden: 0 a column, 1 hidden in a virtual table, 2 and 3 generated
            columns[table] = tuple(row[1] for row in cursor.fetchall() if row[5] in (0, 1))
        return columns


def baseline_capture(alias: str = "default") -> None:
    """Remember every row of the test database as it is now (committed)."""
    connection = connections[alias]
    tables = _tables(connection)
    captured = []
    for table, columns in _columns(connection, tables).items():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            count = cursor.fetchone()[0]
            if not count:
                continue
            names = _quote(connection, columns)
            if connection.vendor == "postgresql":
                sql = f"COPY {connection.ops.quote_name(table)} ({names}) TO STDOUT (FORMAT BINARY)"
                with cursor.cursor.copy(sql) as copy:
                    rows = b"".join(bytes(block) for block in copy)
            else:
                # `+column` is the stored value untouched: an expression has no declared type
                # for the sqlite3 module to convert (dates, booleans) on the way out.
                plain = ", ".join(f"+{connection.ops.quote_name(name)}" for name in columns)
                cursor.execute(f"SELECT {plain} FROM {connection.ops.quote_name(table)}")
                rows = cursor.fetchall()
        captured.append(TableRows(table=table, columns=columns, rows=rows, count=count))
    _BASELINES[alias] = captured


def baseline_rows(alias: str = "default") -> dict[str, int]:
    """How many rows each table holds in the baseline (tables left out hold none)."""
    return {entry.table: entry.count for entry in _BASELINES.get(alias, [])}


def _may_switch_triggers_off(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        return cursor.fetchone()[0]


def _empty(connection) -> None:
    tables = _tables(connection)
    if connection.vendor == "postgresql" and _may_switch_triggers_off(connection):
        with connection.cursor() as cursor:
            # Every table is emptied in this transaction, so no key is left dangling; the
            # audit table's append-only trigger (SECURITY C2) guards deployments, not tests.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                "; ".join(f"DELETE FROM {connection.ops.quote_name(table)}" for table in tables)
            )
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        return
    for sql in sql_flush(no_style(), connection, reset_sequences=False):
        with connection.cursor() as cursor:
            cursor.execute(sql)


def _load(connection, captured: list[TableRows]) -> None:
    with connection.cursor() as cursor:
        for entry in captured:
            table = connection.ops.quote_name(entry.table)
            names = _quote(connection, entry.columns)
            if connection.vendor == "postgresql":
                sql = f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)"
                with cursor.cursor.copy(sql) as copy:
                    copy.write(entry.rows)
            else:
                marks = ", ".join(["%s"] * len(entry.columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", entry.rows)


def baseline_restore(alias: str = "default") -> None:
    """Empty every table and load the baseline back, in one transaction."""
    connection = connections[alias]
    with transaction.atomic(using=alias):
        _empty(connection)
        _load(connection, _BASELINES[alias])


def other_sessions_end(alias: str = "default") -> None:
    """Before the test database is dropped, end the other sessions still connected to it:
    PostgreSQL waits five seconds for them and then refuses to drop it, which leaves the
    database behind. One idle connection, opened early in a worker's session and no longer any
    thread's, was seen at the end of runs before and after tests/baseline.py (which test
    leaves it is not known)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _flush_to_baseline(original):
    def handle(self, **options):
        alias = options["database"]
        if (
            alias not in _BASELINES
            or options.get("reset_sequences", True)
            or options.get("allow_cascade", False)
        ):
            return original(self, **options)
        baseline_restore(alias)
        if not options.get("inhibit_post_migrate", False):
            # As Django's flush does; it finds the content types and permissions in place.
            emit_post_migrate_signal(options["verbosity"], options["interactive"], alias)

    return handle


@contextmanager
def flush_restores_baseline():
    """While it lasts, a test's flush puts the baseline back (see the module)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flush.Command, "handle", _flush_to_baseline(flush.Command.handle))
        yield
