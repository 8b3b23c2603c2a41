"""Fast inserts of many rows (the demo seed, roster imports): COPY on PostgreSQL.

bulk_create spends ~150 us per row compiling values; for the ~4M rows of the 600,000-household
demo ledger, or the audit and timeline lines of a 100,000-row roster, that is most of the time
budget (measured on this machine), and PostgreSQL executes one INSERT per row several times
slower than it COPYs them. Rows that need their new ids back go through bulk_create instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import connections, models, router
from django.db.models import Model
from django.utils import timezone


def bulk_insert(model: type[Model], columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert `rows` (values for `columns`, attnames): COPY on PostgreSQL, else executemany.

    Every other concrete column gets the field's default (auto_now fields: now), prepared once.
    Dates, decimals and JSON go through the field's own get_db_prep_save, as in bulk_create;
    plain strings and integers go as they are. Inside the caller's transaction, if any.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    fields = {f.attname: f for f in model._meta.concrete_fields}
    given = [fields[name] for name in columns]
    now = timezone.now()
    rest = [f for f in fields.values() if f.attname not in columns and not f.primary_key]
    constants = tuple(
        f.get_db_prep_save(
            now
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else f.get_default(),
            connection,
        )
        for f in rest
    )
    convert = _converters(given, connection)
    if any(convert):
        rows = [
            tuple(c(v) if c else v for c, v in zip(convert, row, strict=True)) + constants
            for row in rows
        ]
    elif constants:
        rows = [row + constants for row in rows]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(f.column) for f in [*given, *rest])
    # Table and column names come from the model's metadata, quoted; values are parameters.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * (len(given) + len(rest)))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(sql, rows)


def _converters(given, connection) -> list:
    """For each field, None (the value goes as it is) or its get_db_prep_save. A value seen
    before in the same column is converted once: the rows of a batch share their time stamp
    and their dates (the audit's `at` went through DateTimeField's checks 100,000 times)."""
    prepared = (models.DateField, models.DecimalField, models.JSONField)
    return [_memoized(f, connection) if isinstance(f, prepared) else None for f in given]


def _memoized(field, connection):
    prep = field.get_db_prep_save
    seen: dict = {}  # by value: dates, times and decimals (hashable, compared by value)
    last = [None, None]  # by identity: one JSON dict shared by the rows

    def convert(value):
        kind = type(value)
        if kind is dt.date or kind is dt.datetime or kind is Decimal:
            key = (kind, value)
            try:
                return seen[key]
            except KeyError:
                prepared = seen[key] = prep(value, connection)
                return prepared
        if value is last[0] and value is not None:
            return last[1]
        prepared = prep(value, connection)
        last[0], last[1] = value, prepared
        return prepared

    return convert


def _prepare(model: type[Model], columns: Sequence[str], connection):
    fields = {f.attname: f for f in model._meta.concrete_fields}
    given = [fields[name] for name in columns]
    return given, _converters(given, connection)


def bulk_update_rows(model: type[Model], columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """UPDATE rows given as (pk, values for `columns`...), one statement executed for many
    (psycopg pipelines them). Django's bulk_update builds one CASE per column over the whole
    batch, which PostgreSQL took ~3 ms a row to plan and run here (1,400 rows: 2.5 s)."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    given, convert = _prepare(model, columns, connection)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in given)
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608 - names quoted
    params = [
        (*(c(v) if c else v for c, v in zip(convert, values, strict=True)), key)
        for key, *values in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def reserve_ids(model: type[Model], count: int) -> list[int] | None:
    """`count` new primary keys drawn from the table's sequence on PostgreSQL (safe beside
    other writers: a sequence never gives a number twice), so that rows whose ids are needed
    afterwards can still be COPYed; None elsewhere (use bulk_create)."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql" or count <= 0:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def filter_in(queryset, name: str, values) -> models.QuerySet:
    """`queryset.filter(<name>__in=values)`; on PostgreSQL as `= ANY(%s)` with the values as
    one array parameter. A window of 2,000 values is otherwise 2,000 placeholders, which the
    ORM resolves one by one and psycopg splits out of the query text again (~25 ms a query,
    a tenth of an export's time). Same rows either way."""
    values = list(values)
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or not values:
        return queryset.filter(**{f"{name}__in": values})
    quote = connection.ops.quote_name
    meta = queryset.model._meta
    column = f"{quote(meta.db_table)}.{quote(meta.get_field(name).column)}"
    # The column name comes from the model, quoted; the values are one parameter.
    return queryset.extra(where=[f"{column} = ANY(%s)"], params=[values])  # noqa: S610
