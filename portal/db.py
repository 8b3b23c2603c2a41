"""Writing a new row together with the rows that point at it, in one round trip where possible.

The public intake writes a report, its consent records, attachments and outbox rows at once
(SECURITY G1: all or nothing). Through the ORM that is BEGIN, one INSERT per table and COMMIT:
six round trips, each with its own SQL compilation, on the busiest public path.

On PostgreSQL (with Django's default client-side parameter binding) `insert_with_children`
sends the same INSERTs, with values prepared as Django prepares them for `bulk_create`, as ONE
query string. PostgreSQL runs the statements of one simple query as one transaction (inside a
surrounding transaction, they run in a savepoint here), so either every row is written or none
is. The children find their parent through `currval()` of the parent's id sequence, which is
private to the database session. Elsewhere (SQLite, or server-side binding) the same rows are
written with the ORM's `bulk_create` inside `transaction.atomic()`.

Framework internals (STYLE 14). The one-query path is what brings the intake POST to its target
(DESIGN.md: >= 200 req/s, p95 <= 50 ms, >= 0.5x a bare form-insert view). Measured with
`BENCH_ONLY=intake` on one 2-CPU machine, same run conditions: 0.55x bare, p95 65 ms with it;
0.45x, p95 97 ms with the ORM path. Django has no public way to build an INSERT without running
it, so this module, and no other, uses:

- `Field.pre_save(obj, add)` and `Field.get_db_prep_save(value, connection)`: each value as
  the insert compiler prepares it (defaults, auto_now, a FileField's name, JSON adaptation);
- `connection.ops.return_insert_columns(fields)` and `connection.ops.quote_name(name)`: the
  RETURNING clause and quoting of the backend;
- `Field.db_returning` (marked private by Django): which columns the database fills in;
- `django.db.models.sql.InsertQuery`, `insert_values()`, `get_compiler()`,
  `SQLInsertCompiler.returning_fields` and `as_sql()`: Django's own compilation, for rows
  holding an expression (a database default, F(), Now());
- `Model._state.adding` and `._state.db`: marking the parent saved, as `save()` does;
- `connection.in_atomic_block`: whether the query needs a savepoint of its own.

tests/intake/test_insert_with_children.py fails when Django changes any of them: it checks
their signatures, and on PostgreSQL it checks that the INSERT of each model is, byte for byte,
the one `bulk_create` sends for the same row. (For several rows of one model the text differs
on purpose: Django 5.2 sends them as `UNNEST(...)` arrays, this module as a VALUES list.)

Model signals: neither path sends `pre_save` or `post_save` (`bulk_create` sends none), nor
calls a model's `save()`; both paths send `pre_init`/`post_init` alike, since the rows are built
as instances first. So a receiver of the save signals of these rows would silently never run,
and the same test refuses one, and a custom `save()`. The only receiver connected today is
Wagtail's generic `pre_save` receiver `wagtail.models.i18n.set_locale_on_new_instance` (sender
None, so `has_listeners` answers True for every model): it returns at once for models that are
not `TranslatableMixin`, which none of these is, so skipping it changes nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Sequence

from django.db import NotSupportedError, connections, router, transaction
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


def _insert_fields(model: type[Model]) -> list:
    return [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and getattr(field, "db_returning", False))
    ]


_statements: dict[tuple, str] = {}


def _insert_sql(
    model: type[Model],
    objs: list[Model],
    connection,
    *,
    returning_pk: bool = False,
    link=None,
    link_sql: tuple[str, tuple] | None = None,
):
    """The INSERT of `objs` and its parameters. `link` (a foreign key) takes `link_sql` in
    every row instead of a value.

    Values are prepared as Django's insert compiler prepares them (`pre_save`, then
    `get_db_prep_save`), and the statement text is kept per shape (model, rows, link): the
    public intake inserts the same shapes all day. Rows holding an expression (a database
    default, F()) are compiled by Django itself."""
    fields = _insert_fields(model)
    params: list = []
    for obj in objs:
        for field in fields:
            if field is link:
                params.extend(link_sql[1])
                continue
            value = field.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                return _compiled_sql(model, objs, connection, returning_pk, link, link_sql)
            params.append(field.get_db_prep_save(value, connection))
    key = (model, len(objs), returning_pk, link and link.attname, connection.alias)
    sql = _statements.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        row = ", ".join(link_sql[0] if field is link else "%s" for field in fields)
        # Only quoted names from the model's metadata and placeholders: values are parameters.
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES {', '.join(f'({row})' for _obj in objs)}"
        )
        if returning_pk:
            returning, _none = connection.ops.return_insert_columns([model._meta.pk])
            sql = f"{sql} {returning}"
        sql = _statements.setdefault(key, sql)
    return sql, params


def _compiled_sql(model, objs, connection, returning_pk, link, link_sql):
    """Django's own compilation of the same INSERT (bulk_create's, without running it)."""
    if link is not None:
        for obj in objs:
            setattr(obj, link.attname, RawSQL(*link_sql))  # noqa: S611 (this module's constant)
    query = InsertQuery(model)
    query.insert_values(_insert_fields(model), objs)
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
    one_query = connection.vendor == "postgresql" and not connection.settings_dict.get(
        "OPTIONS", {}
    ).get("server_side_binding")  # several statements in one execute need client-side binding
    if not one_query:
        # bulk_create, like the one-query path, sends no save signals (see the docstring).
        with transaction.atomic(using=using):
            model._default_manager.using(using).bulk_create([parent])
            if parent.pk is None:  # a database that cannot return ids (SQLite < 3.35)
                raise NotSupportedError("insert_with_children needs the inserted row's id back")
            for child_model, objs in groups.items():
                for obj in objs:
                    setattr(obj, links[child_model].name, parent)
                child_model._default_manager.using(using).bulk_create(objs)
        return

    # The parent's id, as each child row finds it: the session's last value of its sequence.
    parent_id = (
        "currval(pg_get_serial_sequence(%s, %s))",
        (model._meta.db_table, model._meta.pk.column),
    )
    statements = [_insert_sql(model, [parent], connection, returning_pk=True)]
    for child_model, objs in groups.items():
        statements.append(
            _insert_sql(child_model, objs, connection, link=links[child_model], link_sql=parent_id)
        )
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


# --- Issue 16: a read replica for statistics --------------------------------------------------

REPLICA = "replica"
_replica_reads: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "replica_reads", default=False
)


@contextlib.contextmanager
def replica_reads():
    """Reads inside this block go to the "replica" database when DATABASE_REPLICA_URL set one
    (statistics: aggregate queries that may lag the primary by a moment); writes never do."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class ReplicaRouter:
    """DATABASE_ROUTERS: "replica" for reads inside `replica_reads()` when it is configured;
    else Django's default. A block that must read its own transaction's writes does not ask
    for the replica (it would not see them)."""

    def db_for_read(self, model, **hints):
        if _replica_reads.get() and REPLICA in connections.settings:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
