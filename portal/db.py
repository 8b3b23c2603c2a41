"""Writing a new row together with the rows that point at it, in one round trip where possible.

The public intake writes a report, its consent records, attachments and outbox rows at once
(SECURITY G1: all or nothing). Through the ORM that is BEGIN, one INSERT per table and COMMIT:
six round trips, each with its own SQL compilation, on the busiest public path.

On PostgreSQL `insert_with_children` sends the same INSERTs, compiled by Django exactly as
`bulk_create` compiles them, as ONE query string. PostgreSQL runs the statements of one simple
query as one transaction (inside a surrounding transaction, they run in a savepoint here), so
either every row is written or none is. The children find their parent through
`currval()` of the parent's id sequence, which is private to the database session. Elsewhere
(SQLite) the same rows are written with the ORM inside `transaction.atomic()`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from django.db import connections, router, transaction
from django.db.models import Model
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery


def _parent_link(child_model: type[Model], parent_model: type[Model]):
    links = [
        field
        for field in child_model._meta.concrete_fields
        if field.is_relation and field.related_model is parent_model
    ]
    if len(links) != 1:
        raise ValueError(f"{child_model.__name__} needs one foreign key to {parent_model.__name__}")
    return links[0]


def _grouped(children: Sequence[Model]) -> dict[type[Model], list[Model]]:
    groups: dict[type[Model], list[Model]] = {}
    for child in children:
        groups.setdefault(type(child), []).append(child)
    return groups


def _insert_sql(model: type[Model], objs: list[Model], connection, *, returning_pk: bool):
    fields = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and getattr(field, "db_returning", False))
    ]
    query = InsertQuery(model)
    query.insert_values(fields, objs)
    compiler = query.get_compiler(connection=connection)
    if returning_pk:
        compiler.returning_fields = [model._meta.pk]
    ((sql, params),) = compiler.as_sql()
    return sql, list(params)


def insert_with_children(parent: Model, children: Sequence[Model] = ()) -> None:
    """Insert the unsaved `parent` and `children` (each with one foreign key to the parent's
    model, left unset) all or nothing. Sets the parent's pk and every child's link to it; on
    PostgreSQL the children's own ids are not read back.

    IntegrityError (a unique constraint of any row) leaves nothing written, as with atomic().
    """
    model = type(parent)
    using = router.db_for_write(model, instance=parent)
    connection = connections[using]
    groups = _grouped(children)
    links = {child_model: _parent_link(child_model, model) for child_model in groups}
    if connection.vendor != "postgresql":
        with transaction.atomic(using=using):
            parent.save(force_insert=True, using=using)
            for child_model, objs in groups.items():
                for obj in objs:
                    setattr(obj, links[child_model].name, parent)
                child_model._default_manager.using(using).bulk_create(objs)
        return

    table = model._meta.db_table
    column = model._meta.pk.column
    parent_id = RawSQL("currval(pg_get_serial_sequence(%s, %s))", (table, column))
    statements = [_insert_sql(model, [parent], connection, returning_pk=True)]
    for child_model, objs in groups.items():
        for obj in objs:
            setattr(obj, links[child_model].attname, parent_id)
        statements.append(_insert_sql(child_model, objs, connection, returning_pk=False))
    sql = ";\n".join(statement for statement, _params in statements)
    params = [param for _statement, statement_params in statements for param in statement_params]
    # In autocommit mode the query string is its own transaction; inside one, a savepoint
    # keeps a failed insert from spoiling the caller's transaction.
    scope = transaction.atomic(using=using) if connection.in_atomic_block else None
    with scope or contextlib.nullcontext():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            (parent.pk,) = cursor.fetchone()
    parent._state.adding = False
    parent._state.db = using
    for child_model, objs in groups.items():
        for obj in objs:  # their own ids are not read back: nothing here needs them
            setattr(obj, links[child_model].name, parent)
