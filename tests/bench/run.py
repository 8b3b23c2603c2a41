"""`make bench`: run every benchmark, print a table, write var/bench/results.json.

Later issues add their benchmarks to BENCHMARKS (ledger list and search at 1M persons, intake
throughput, PDF rendering...). Each creates its own data in a throwaway test database.

Each benchmark runs in a process and test database of its own (this module, called again with
BENCH_ONLY=<name>), so what one leaves behind cannot weigh on the next: measured here, the
intake's ratio to the bare view came out 0.43-0.46 after the 1M-person ledger had run in the
same process, and 0.51-0.63 on its own, with the same code, server and database.

For tuning: `BENCH_ONLY=ledger,pdf` runs some of them in this process; `BENCH_KEEP_DB=1` keeps
the database (var/bench/bench.sqlite3, or the PostgreSQL TEST_DATABASE_NAME) and reuses it on
the next run, so the 1M-person ledger is seeded once.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import Template  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from tests.bench import (  # noqa: E402
    charity,
    exchange,
    foundation,
    intake,
    ledger,
    pdf,
    portal,
    statistics,
)
from tests.bench.harness import Result  # noqa: E402

BENCHMARKS = {
    "foundation": foundation.run,
    "ledger": ledger.run,
    "intake": intake.run,
    "pdf": pdf.run,
    "charity": charity.run,  # issue 17: the need board
    "exchange": exchange.run,
    "portal": portal.run,
    "statistics": statistics.run,  # issue 16: the statistics pages, back office and public
}
ONLY = [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]
KEEP_DB = os.environ.get("BENCH_KEEP_DB") == "1"
OUT = Path(settings.BASE_DIR) / "var" / "bench" / "results.json"
# Where a child process (one benchmark) leaves its rows for the parent.
CHILD_OUT = os.environ.get("BENCH_CHILD_OUT")


def each_in_its_own_process() -> int:
    results, failed = [], []
    for name in BENCHMARKS:
        rows = OUT.parent / f"results-{name}.json"
        rows.unlink(missing_ok=True)
        env = {**os.environ, "BENCH_ONLY": name, "BENCH_CHILD_OUT": str(rows)}
        print(f"== {name} ==", flush=True)
        child = subprocess.run([sys.executable, "-m", "tests.bench.run"], env=env, check=False)
        if child.returncode != 0 or not rows.exists():
            print(f"benchmark {name} failed (exit {child.returncode})")
            failed.append(name)
            continue  # the others still run and are reported
        results.extend(Result(**row) for row in json.loads(rows.read_text()))
        rows.unlink()
    report(results)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


def main() -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if not ONLY:
        return each_in_its_own_process()
    render = Template._render
    setup_test_environment()
    # Server time: the test client's template instrumentation (a signal and a copy of the
    # context for each of the ~1,000 templates of an admin page, then GC pauses) is not part
    # of serving a page; it added ~20% to medians and tripled p95 of admin listings.
    Template._render = render
    if connection.vendor == "sqlite" and not connection.settings_dict["TEST"].get("NAME"):
        # DESIGN.md: the embedded database is a WAL file under var/, so measure a file, not
        # Django's default in-memory test database.
        OUT.parent.mkdir(parents=True, exist_ok=True)
        connection.settings_dict["TEST"]["NAME"] = str(OUT.parent / "bench.sqlite3")
    unknown = set(ONLY) - set(BENCHMARKS)
    if unknown:
        print(f"BENCH_ONLY: unknown {sorted(unknown)}; choose from {list(BENCHMARKS)}")
        return 2
    old_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False, keepdb=KEEP_DB
    )
    results = []
    try:
        for name, bench in BENCHMARKS.items():
            if not ONLY or name in ONLY:
                results.extend(bench())
    finally:
        if not KEEP_DB:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    if CHILD_OUT:
        Path(CHILD_OUT).write_text(json.dumps([r.as_dict() for r in results], ensure_ascii=False))
        return 0
    report(results)
    return 0


def report(results: list[Result]) -> None:
    print(
        f"{'benchmark':<48} {'n':>5} {'p50 ms':>9} {'p95 ms':>9} {'queries':>8} {'sql ms':>7}"
        "  target"
    )
    for r in results:
        mark = "" if r.ok is None else (" OK" if r.ok else " MISSED")
        sql = r.extra.get("sql_ms")  # the database's share of one request, where measured
        print(
            f"{r.name:<48} {r.n:>5} {r.p50_ms:>9.2f} {r.p95_ms:>9.2f} "
            f"{r.queries if r.queries is not None else '-':>8} "
            f"{'-' if sql is None else f'{sql:.1f}':>7}  {r.target}{mark}"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "generated_at": datetime.now(UTC).isoformat(),
                "database": connection.vendor,
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "results": [r.as_dict() for r in results],
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"\nwritten to {OUT.relative_to(settings.BASE_DIR)}")
    # A report, not a gate: MISSED rows are read, not failed on.


if __name__ == "__main__":
    sys.exit(main())
