"""Issue 4 benchmarks.

1. Intake POST, the full pipeline, on PostgreSQL behind gunicorn (2 workers) with 8 client
   connections, side by side with a bare Django form-insert view in the same server and run
   (DESIGN.md: >= 200 req/s, p95 <= 50 ms, >= 0.5x the bare view).
2. The triage queue with 10,000 open reports (p95 <= 150 ms), in the bench database.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
from django.conf import settings
from django.test import Client
from django.utils import timezone

from backoffice.demo.accounts import demo_accounts_create
from intake.models import Report
from tests.bench.harness import Result, measure, percentile

ROOT = Path(settings.BASE_DIR)
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/test")
SECONDS = float(os.environ.get("BENCH_INTAKE_SECONDS", "16"))  # per side, over ROUNDS
ROUNDS = 4
# Threads per gunicorn worker (gthread when > 1), as the deployment in the README runs them.
THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "1"))


# 1. Intake throughput ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _load(port: int, path: str, kind: str, seconds: float) -> dict:
    """One round of load from a fresh client process (tests/bench/http_load.py): the client
    shares neither a GIL nor a heap with this process, which may hold a 1M-person seed."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.bench.http_load", str(port), path, kind, str(seconds)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout)


def _combined(loads: list[dict]) -> dict:
    latencies = [ms for load in loads for ms in load["latencies"]]
    return {
        "rps": len(latencies) / sum(load["seconds"] for load in loads),
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 95),
        "n": len(latencies),
        "errors": sum(load["errors"] for load in loads),
        "round_rps": [round(load["rps"]) for load in loads],
    }


def _server(port: int, env: dict) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "portal.wsgi:application",
        "--workers", "2", "--threads", str(THREADS),
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def intake_throughput() -> list[Result]:
    name = f"bench_intake_{os.getpid()}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    env = {
        **os.environ,
        "DATABASE_URL": f"{base}/{name}",
        "DJANGO_SETTINGS_MODULE": "tests.bench.settings_intake",
    }
    env.pop("TEST_DATABASE_NAME", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--run-syncdb", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    port = _free_port()
    server = _server(port, env)
    try:
        _load(port, "/bench/bare/", "bare", 2)  # warm both workers
        _load(port, "/report/", "intake", 2)
        # Alternating rounds, so a machine that speeds up or slows down during the run (other
        # tenants, CPU clocks) weighs on both sides alike instead of on whichever ran second.
        rounds = [
            (
                _load(port, "/bench/bare/", "bare", SECONDS / ROUNDS),
                _load(port, "/report/", "intake", SECONDS / ROUNDS),
            )
            for _ in range(ROUNDS)
        ]
        bare = _combined([b for b, _i in rounds])
        intake = _combined([i for _b, i in rounds])
    finally:
        server.terminate()
        server.wait(timeout=30)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    ratio = intake["rps"] / bare["rps"]
    round_ratios = [
        round(i / b, 2) for i, b in zip(intake["round_rps"], bare["round_rps"], strict=True)
    ]
    ok = intake["rps"] >= 200 and intake["p95"] <= 50 and ratio >= 0.5 and intake["errors"] == 0
    return [
        Result(
            name="bare Django form-insert view (baseline)",
            n=bare["n"],
            p50_ms=round(bare["p50"], 2),
            p95_ms=round(bare["p95"], 2),
            target=f"{bare['rps']:.0f} req/s, {bare['errors']} errors",
            extra={
                "rps": round(bare["rps"], 1),
                "errors": bare["errors"],
                "round_rps": bare["round_rps"],
            },
        ),
        Result(
            name="intake POST, full pipeline, gunicorn -w 2, 8 conns",
            n=intake["n"],
            p50_ms=round(intake["p50"], 2),
            p95_ms=round(intake["p95"], 2),
            target=(
                f"{intake['rps']:.0f} req/s ({ratio:.2f}x bare; rounds "
                f"{' '.join(f'{r:.2f}' for r in round_ratios)}), {intake['errors']} errors; "
                ">= 200 req/s, p95 <= 50 ms, >= 0.5x"
            ),
            ok=ok,
            extra={
                "rps": round(intake["rps"], 1),
                "ratio": round(ratio, 3),
                "round_rps": intake["round_rps"],
                "round_ratios": round_ratios,
            },
        ),
    ]


# 2. Triage queue --------------------------------------------------------------------------------


def seed_open_reports(count: int, *, seed: int = 4) -> None:
    """`count` open reports spread over Dongcheng's streets, a third urgent, bulk-inserted."""
    from backoffice.models import Area

    rng = random.Random(seed)
    communities = list(
        Area.objects.filter(level="community", district_id="110101000000").values_list(
            "code", "street_id"
        )
    )
    now = timezone.now()
    today = timezone.localdate()
    rows = []
    for n in range(count):
        community, street = rng.choice(communities)
        rows.append(
            Report(
                reference=f"BJ{n:06d}-BNCH-{n % 10000:04d}",
                form_token=uuid.UUID(int=rng.getrandbits(128)),
                urgent=rng.random() < 0.3,
                learned_on=today - dt.timedelta(days=rng.randint(0, 10)),
                submitted_at=now,
                status_changed_at=now,
                reporter_type="neighbour",
                reporter_name="周建华",
                subject_name="孙玉珍",
                district_id="110101000000",
                street_id=street,
                community_id=community,
                address="多福巷3号",
                category="S2",
                subtype="living_alone",
                what_happened="独居老人摔伤",
                help_needed="上门照料",
            )
        )
    Report.objects.bulk_create(rows, batch_size=2000)


def _verified(username: str) -> Client:
    from tests.bench.foundation import _verified_client

    return _verified_client(username)


def triage_queue() -> list[Result]:
    demo_accounts_create()
    if not Report.objects.filter(reference__contains="-BNCH-").exists():  # BENCH_KEEP_DB
        seed_open_reports(10_000)
    results = []
    for username, url, label in (
        ("dongcheng", "/admin/reports/", "triage queue, 10k open reports (dongcheng)"),
        ("street", "/admin/reports/", "triage queue, 1 street of 10k (street)"),
        ("dongcheng", "/admin/reports/?urgent=true", "triage queue, urgent only (dongcheng)"),
    ):
        client = _verified(username)
        results.append(
            measure(
                label,
                lambda client=client, url=url: client.get(url),
                n=40,
                target="p95 <= 150 ms",
                p95_limit_ms=150,
            )
        )
    report = Report.objects.filter(street_id="110101001000").first()
    client = _verified("street")
    results.append(
        measure(
            "triage workspace of one report (street)",
            lambda: client.get(f"/admin/reports/{report.pk}/"),
            n=40,
            target="p95 <= 150 ms",
            p95_limit_ms=150,
        )
    )
    return results


def run() -> list[Result]:
    results = triage_queue()
    if os.environ.get("BENCH_SKIP_INTAKE") != "1":
        results.extend(intake_throughput())
    return results
