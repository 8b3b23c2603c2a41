"""Issue 19, item 10: /healthz, the request id in responses and JSON logs, /metrics."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from intake.models import FileDeletion, Report
from intake.services import lookup_code_for
from portal import ops
from tests.intake.conftest import report_data

# --- /healthz ------------------------------------------------------------------------------


def test_healthz_checks_database_cache_and_storage_and_is_never_cached(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "storage": "ok"},
    }
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response  # no session for a probe
    assert set(response.json()) == {"status", "checks"}  # no version, nothing else


def test_healthz_answers_503_naming_the_failed_cache(client, db, monkeypatch):
    class LosingCache:
        def set(self, *args, **kwargs):
            pass

        def get(self, *args, **kwargs):
            return None

    monkeypatch.setattr(ops, "cache", LosingCache())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "fail",
        "checks": {"database": "ok", "cache": "fail", "storage": "ok"},
    }


def test_healthz_says_the_cache_is_degraded_and_keeps_the_node_in_service(client, db, monkeypatch):
    from django.core.cache.backends.locmem import LocMemCache

    class OnFallback(LocMemCache):  # portal/cache_backend.py while Redis does not answer
        degraded = True

    monkeypatch.setattr(ops, "cache", OnFallback("healthz-test", {}))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "degraded", "storage": "ok"},
    }


def test_healthz_answers_503_when_the_storage_is_unreachable(client, db, monkeypatch):
    import intake.uploads

    class Unreachable:
        def exists(self, name):
            raise ConnectionError("https://s3.internal/bucket?X-Amz-Signature=secret")

    monkeypatch.setattr(intake.uploads, "private_storage", Unreachable())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "fail"
    assert "s3.internal" not in response.content.decode()


def test_healthz_needs_no_login_and_only_answers_get(client, db):
    assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


# --- request id ------------------------------------------------------------------------------


def test_every_response_gets_a_fresh_request_id(client, db):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/no-such-page/")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


def test_a_sane_request_id_from_the_proxy_is_kept(client, db):
    response = client.get("/healthz", headers={"X-Request-ID": "nginx-4f1c2a9b77d0"})
    assert response["X-Request-ID"] == "nginx-4f1c2a9b77d0"


@pytest.mark.parametrize(
    "sent",
    [
        "short",
        "a" * 65,
        "abc def 123",
        "abcd1234\nX-Injected: 1",
        "abcd;1234<script>",
        "中文编号一二三四",
    ],
)
def test_an_odd_request_id_is_replaced(client, db, sent):
    response = client.get("/healthz", headers={"X-Request-ID": sent})
    assert response["X-Request-ID"] != sent
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.fixture
def json_log():
    """The lines the production handler would write (filter and formatter of portal/ops.py),
    from the access log, the health log and Django's request log."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ops.RequestIdFilter())
    handler.setFormatter(ops.JsonFormatter())
    loggers = [logging.getLogger(name) for name in ("portal.access", "portal.health", "django")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_log_lines_are_json_and_carry_the_request_id(client, db, json_log, monkeypatch):
    monkeypatch.setitem(ops.HEALTH_CHECKS, "cache", lambda: 1 / 0)
    response = client.get("/healthz", headers={"X-Request-ID": "lb-0123456789abcdef"})
    lines = json_log()
    assert {line["request_id"] for line in lines} == {"lb-0123456789abcdef"}
    assert response["X-Request-ID"] == "lb-0123456789abcdef"
    health = next(line for line in lines if line["logger"] == "portal.health")
    assert health["level"] == "WARNING"
    assert health["message"] == "health check failed: cache (ZeroDivisionError)"
    access = next(line for line in lines if line["logger"] == "portal.access")
    assert access["route"] == "/healthz" and access["status"] == 503
    assert access["view_group"] == "ops" and access["method"] == "GET"


def test_the_log_never_holds_the_status_lookup_or_the_report_form(client, db, json_log):
    client.post("/report/", report_data())
    report = Report.objects.get()
    code = lookup_code_for(report.reference)
    client.post("/report/status/", {"reference": report.reference, "code": code})
    client.get("/search/", {"q": "赵桂兰 低保"})
    client.get(f"/report/receipt/{report.reference}/?code={code}")
    text = json.dumps(json_log(), ensure_ascii=False)
    assert '"route": "/report/status/"' in text and '"route": "/search/"' in text
    for secret in (code, report.reference, "赵桂兰", "13911112222", "多福巷", "低保"):
        assert secret not in text


def test_django_request_log_names_the_route_not_the_path(client, db, json_log):
    client.get("/report/receipt/BJ261130-K7Q2-M9XD/")  # not this browser's receipt: 404
    client.get("/no-such-page/secret-name/")
    lines = [line for line in json_log() if line["logger"] == "django.request"]
    assert [line["message"] for line in lines] == [
        "Not Found: /report/receipt/<str:reference>/",
        "Not Found: wagtail_serve",
    ]
    assert all(line["request_id"] for line in lines)


def test_an_exception_is_logged_by_class_and_stack_without_its_message():
    id_number = "110101" + "194104020771"  # built here, so the stack's source lines lack it
    try:
        raise ValueError(f"Key (id_number)=({id_number}) already exists.")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    record.request = object()  # Django attaches the request: never written
    line = json.loads(ops.JsonFormatter().format(record))
    assert line["exc_type"] == "builtins.ValueError"
    assert "test_ops.py" in line["stack"]
    assert id_number not in json.dumps(line)
    assert "request" not in line


def test_production_settings_write_json_lines_to_stdout():
    source = (settings.BASE_DIR / "portal" / "settings" / "production.py").read_text()
    required = set(re.findall(r'_required\("([A-Z0-9_]+)"\)', source))
    env = {
        **os.environ,
        **{name: f"{name.lower()}-throwaway-0123456789abcdef" for name in required},
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "ALLOWED_HOSTS": "portal.example",
    }
    script = (
        "import django, logging; django.setup();"
        "from portal import ops;"
        "token = ops._request_id.set('req-12345678');"
        "logging.getLogger('backoffice').warning('mail queue slow');"
        "logging.getLogger('portal.access').info('request', extra={'status': 200})"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["logger"], line["request_id"]) for line in lines] == [
        ("backoffice", "req-12345678"),
        ("portal.access", "req-12345678"),
    ]
    assert lines[0]["message"] == "mail queue slow" and lines[1]["status"] == 200
    assert result.stderr == ""


# --- /metrics ---------------------------------------------------------------------------------


@pytest.fixture
def fresh_metrics():
    ops.metrics.reset()
    yield
    ops.metrics.reset()


def samples(text: str) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_metrics_count_requests_by_group_and_status_class(client, db, fresh_metrics):
    client.get("/healthz")
    client.get("/no-such-page/")
    client.get("/no-such-page/")
    client.get("/report/")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "no-store" in response["Cache-Control"]
    values = samples(response.content.decode())
    assert values['portal_http_requests_total{view_group="ops",status="2xx"}'] == 1
    assert values['portal_http_requests_total{view_group="pages",status="4xx"}'] == 2
    assert values['portal_http_requests_total{view_group="intake",status="2xx"}'] == 1
    assert values['portal_http_request_duration_seconds_count{view_group="pages"}'] == 2
    assert values['portal_http_request_duration_seconds_bucket{view_group="pages",le="+Inf"}'] == 2
    assert values["portal_process_resident_memory_bytes"] > 10 * 1024 * 1024


def test_metrics_histogram_buckets_are_cumulative(client, db, fresh_metrics):
    for _ in range(3):
        client.get("/healthz")
    values = samples(client.get("/metrics").content.decode())
    bounds = [*map(str, ops.LATENCY_BUCKETS), "+Inf"]
    counts = [
        values[f'portal_http_request_duration_seconds_bucket{{view_group="ops",le="{bound}"}}']
        for bound in bounds
    ]
    assert counts == sorted(counts) and counts[-1] == 3


def test_metrics_are_a_plain_404_for_other_addresses(client, db):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 404
    assert "portal_" not in response.content.decode()
    assert "页面不存在" in response.content.decode()


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_a_proxy_on_the_same_machine_does_not_open_metrics_to_the_world(client, db):
    outside = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert outside.status_code == 404
    # A client cannot claim to be the machine itself through the header either.
    spoofed = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert spoofed.status_code == 404
    inside = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert inside.status_code == 200


@override_settings(METRICS_ALLOWED_IPS=["10.20.0.0/16", "not-an-address", "2001:db8::5"])
def test_metrics_allowed_networks_come_from_settings(client, db):
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="2001:db8::5").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.3.4").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_metrics_default_to_this_machine_only():
    assert settings.METRICS_ALLOWED_IPS == ["127.0.0.1"]


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_metrics_show_the_task_queue_depth(client, db):
    now = timezone.now()
    for status in ("READY", "READY", "RUNNING", "SUCCESSFUL"):
        DBTaskResult.objects.create(
            status=status,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="backoffice.tasks.x",
            backend_name="default",
            run_after=now,
        )
    values = samples(client.get("/metrics").content.decode())
    assert values['portal_task_queue_depth{state="ready"}'] == 2
    assert values['portal_task_queue_depth{state="running"}'] == 1


def test_metrics_count_the_files_waiting_to_be_deleted(client, db):
    for name in ("a.pdf", "b.pdf"):
        FileDeletion.objects.create(storage="private", name=name, attempts=3)
    values = samples(client.get("/metrics").content.decode())
    assert values["portal_file_deletions_waiting"] == 2
