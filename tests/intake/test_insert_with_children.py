"""G1 at the database: a report and the rows that belong to it are written all or nothing,
in one round trip on PostgreSQL (portal/db.py), with the ORM inside atomic() elsewhere; and
STYLE 14: the Django internals that path uses are checked, and both paths treat signals alike."""

import contextlib
import datetime as dt
import inspect
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.db.models import Field, Model, signals
from django.db.models.functions import Now
from django.db.models.sql import InsertQuery, Query
from django.db.models.sql.compiler import SQLInsertCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models.i18n import set_locale_on_new_instance

from intake.models import Attachment, ConsentRecord, Notification, Report
from portal.db import _insert_fields, _insert_sql, insert_with_children
from tests.conftest import is_postgres

pytestmark = pytest.mark.django_db


def _report(**overrides) -> Report:
    now = timezone.now()
    values = {
        "reference": f"BJ261129-{uuid.uuid4().hex[:4].upper()}-TEST",
        "form_token": uuid.uuid4(),
        "submitted_at": now,
        "learned_on": dt.date(2026, 11, 29),
        "reporter_type": "neighbour",
        "reporter_name": "周建华",
        "subject_name": "孙玉珍",
        "district_id": "110101000000",
        "street_id": "110101001000",
        "community_id": "110101001001",
        "address": "多福巷3号院2-101",
        "category": "S2",
        "subtype": "living_alone",
        "what_happened": "独居老人摔伤。",
        "help_needed": "上门照料",
    }
    return Report(**{**values, **overrides})


def _consent(kind="privacy_notice") -> ConsentRecord:
    return ConsentRecord(kind=kind, notice_version="2026-11", given_by="周建华")


def test_g1_the_report_and_its_rows_are_written_and_linked(areas):
    report = _report()
    consent, notice = _consent(), Notification(recipient="duty@localhost", subject="s", body="b")
    with CaptureQueriesContext(connection) as queries:
        insert_with_children(report, [consent, notice])
    assert report.pk and not report._state.adding
    assert consent.report == report and notice.report_id == report.pk
    saved = Report.objects.get(pk=report.pk)
    assert saved.form_token == report.form_token
    assert list(saved.consents.values_list("given_by", flat=True)) == ["周建华"]
    assert list(saved.notifications.values_list("recipient", flat=True)) == ["duty@localhost"]
    if connection.vendor == "postgresql":
        # One statement list (in a savepoint here, because the test runs in a transaction).
        inserts = [q for q in queries.captured_queries if "INSERT" in q["sql"]]
        assert len(inserts) == 1 and inserts[0]["sql"].count("INSERT INTO") == 3


def test_g1_a_failing_child_row_leaves_no_report(areas):
    report = _report()
    with pytest.raises(IntegrityError):  # the same consent twice breaks (report, kind)
        insert_with_children(report, [_consent(), _consent()])
    assert not Report.objects.filter(form_token=report.form_token).exists()
    assert not ConsentRecord.objects.exists()
    insert_with_children(_report(), [_consent()])  # the connection is still usable
    assert Report.objects.count() == 1


def test_g2_a_second_report_with_the_same_form_token_is_refused_whole(areas):
    first = _report()
    insert_with_children(first, [_consent()])
    with pytest.raises(IntegrityError):
        insert_with_children(_report(form_token=first.form_token), [_consent()])
    assert Report.objects.count() == 1 and ConsentRecord.objects.count() == 1


def test_g1_rows_holding_an_expression_are_compiled_by_django(areas):
    """A value computed by the database (here Now()) takes Django's own INSERT compilation,
    for the parent and for a child, and the rows are linked all the same."""
    report = _report(status_changed_at=Now())
    consent = ConsentRecord(kind="privacy_notice", notice_version="2026-11", given_by="周建华")
    consent.given_at = Now()
    insert_with_children(report, [consent, _consent("entrustment")])
    saved = Report.objects.get(pk=report.pk)
    assert saved.status_changed_at is not None
    assert sorted(saved.consents.values_list("kind", flat=True)) == [
        "entrustment",
        "privacy_notice",
    ]


# STYLE 14: the Django internals that portal/db.py relies on -----------------------------------
# Each test below fails when Django changes one of them; the module docstring says why each
# is used. Update portal/db.py (or drop its one-query path) before updating these tests.

FAST_PATH_MODELS = (Report, ConsentRecord, Attachment, Notification)


@pytest.mark.parametrize(
    "function, parameters",
    [
        (Field.pre_save, ["self", "model_instance", "add"]),
        (Field.get_db_prep_save, ["self", "value", "connection"]),
        (BaseDatabaseOperations.return_insert_columns, ["self", "fields"]),
        (PostgresOperations.return_insert_columns, ["self", "fields"]),
        (BaseDatabaseOperations.quote_name, ["self", "name"]),
        (
            InsertQuery.__init__,
            ["self", "args", "on_conflict", "update_fields", "unique_fields", "kwargs"],
        ),
        (InsertQuery.insert_values, ["self", "fields", "objs", "raw"]),
        (Query.get_compiler, ["self", "using", "connection", "elide_empty"]),
        (SQLInsertCompiler.as_sql, ["self"]),
    ],
    ids=lambda value: getattr(value, "__qualname__", ""),
)
def test_style14_the_django_internals_of_the_fast_path_keep_their_signatures(function, parameters):
    assert list(inspect.signature(function).parameters) == parameters, (
        f"Django changed {function.__qualname__}, which portal/db.py calls: check the "
        "one-query insert against Django's new code before changing this test."
    )


def test_style14_the_django_attributes_of_the_fast_path_are_still_there(areas):
    report = _report()
    assert report._state.adding is True and report._state.db is None
    assert "returning_fields" in vars(SQLInsertCompiler)
    assert Report._meta.pk.db_returning is True
    assert not any(field.db_returning for field in _insert_fields(Report))
    assert isinstance(connection.in_atomic_block, bool)


def _rolled_back_inserts(run) -> list[str]:
    """The INSERT statements `run` sends, as PostgreSQL receives them; nothing is kept."""

    class RolledBack(Exception):
        pass

    with CaptureQueriesContext(connection) as captured:
        with contextlib.suppress(RolledBack), transaction.atomic():
            run()
            raise RolledBack
    return [
        query["sql"] for query in captured.captured_queries if query["sql"].startswith("INSERT")
    ]


def _one_row_of_each_model(report_id: int) -> dict:
    """Builders of one row per model, every value fixed (defaults like timezone.now would
    differ between two builds)."""
    at = dt.datetime(2026, 11, 29, 8, 30, tzinfo=dt.UTC)
    token = uuid.UUID("6f1c1a52-4a51-4d5e-9a57-0e3b8c2f7d10")
    return {
        Report: lambda: _report(
            reference="BJ261129-SQL0-TEST",
            form_token=token,
            submitted_at=at,
            status_changed_at=at,
            urgency_reasons=["alone_unreachable"],
            content_digest="0" * 64,
        ),
        ConsentRecord: lambda: ConsentRecord(
            report_id=report_id,
            kind="privacy_notice",
            notice_version="2026-11",
            given_by="周建华",
            given_at=at,
        ),
        Attachment: lambda: Attachment(
            report_id=report_id,
            kind="supporting",
            file="intake/2026/11/0f3c.pdf",
            original_name="低保证明.pdf",
            content_type="application/pdf",
            size=1234,
            sha256="a" * 64,
            uploaded_at=at,
        ),
        Notification: lambda: Notification(
            report_id=report_id,
            recipient="duty@localhost",
            subject="新的反映",
            body="请登录",
            next_attempt_at=at,
        ),
    }


def test_style14_each_insert_is_the_one_django_sends_for_the_same_row(areas):
    """On PostgreSQL: the statement this module writes for a row of each model, values and
    RETURNING included, is byte for byte the one `bulk_create` sends for that row. (In the
    one query, only the report's INSERT asks for its id back: nothing reads the others'.)"""
    if not is_postgres():
        pytest.skip("the one-query path runs on PostgreSQL only (make test-postgres)")
    parent = _report()
    parent.save()
    for model, build in _one_row_of_each_model(parent.pk).items():

        def ours(model=model, build=build):
            sql, params = _insert_sql(model, [build()], connection, returning_pk=True)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

        def djangos(model=model, build=build):
            model.objects.bulk_create([build()])

        assert _rolled_back_inserts(ours) == _rolled_back_inserts(djangos), model.__name__


def test_style14_neither_path_sends_save_signals(areas):
    """The same on SQLite (bulk_create) and PostgreSQL (one query): no pre_save, no post_save."""
    heard = []

    def receiver(sender, **kwargs):
        heard.append(sender.__name__)

    for model in FAST_PATH_MODELS:
        signals.pre_save.connect(receiver, sender=model)
        signals.post_save.connect(receiver, sender=model)
    try:
        report = _report()
        insert_with_children(report, [_consent()])
    finally:
        for model in FAST_PATH_MODELS:
            signals.pre_save.disconnect(receiver, sender=model)
            signals.post_save.disconnect(receiver, sender=model)
    assert Report.objects.filter(pk=report.pk).exists() and ConsentRecord.objects.count() == 1
    assert heard == []


# Receivers connected for every sender, and why each is harmless for these rows (portal/db.py).
GENERIC_SAVE_RECEIVERS = {
    "pre_save": [set_locale_on_new_instance],  # acts on TranslatableMixin models only
    "post_save": [],
}


@pytest.mark.parametrize("signal_name", sorted(GENERIC_SAVE_RECEIVERS))
def test_style14_no_receiver_waits_for_the_save_signals_of_intake_rows(signal_name):
    """portal/db.py writes these rows without save signals or save(), on every database:
    a receiver for them, or a save() override, would silently never run."""
    signal = getattr(signals, signal_name)
    known = GENERIC_SAVE_RECEIVERS[signal_name]
    gone = [receiver for receiver in known if not signal.disconnect(receiver)]
    try:
        listened = [model.__name__ for model in FAST_PATH_MODELS if signal.has_listeners(model)]
    finally:
        for receiver in known:
            if receiver not in gone:
                signal.connect(receiver)
    assert not gone, f"{gone} no longer connected: update GENERIC_SAVE_RECEIVERS and portal/db.py"
    assert not listened, (
        f"a {signal_name} receiver listens to {listened}, but portal/db.py inserts these rows "
        "without save signals (bulk_create, or one query on PostgreSQL): it would never run for "
        "a new report. Do the work in intake/services.py, or, for a generic receiver that is "
        "harmless here, list it in GENERIC_SAVE_RECEIVERS and say why in portal/db.py."
    )
    overridden = [model.__name__ for model in FAST_PATH_MODELS if model.save is not Model.save]
    assert not overridden, f"{overridden} override save(), which portal/db.py never calls"
