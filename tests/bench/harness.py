"""A tiny benchmark harness: each benchmark returns one result row; `run.py` collects them.

Numbers are server-side wall time measured in this process (Django test client), medians and
95th percentiles over repeated runs in one go, so that ratios within one run are comparable.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.db import connection
from django.test.utils import CaptureQueriesContext


@dataclass
class Result:
    name: str
    n: int
    p50_ms: float
    p95_ms: float
    queries: int | None = None
    target: str = ""
    ok: bool | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure(
    name: str,
    fn: Callable[[], object],
    *,
    n: int = 50,
    warmup: int = 3,
    target: str = "",
    p95_limit_ms: float | None = None,
    query_limit: int | None = None,
) -> Result:
    for _ in range(warmup):
        fn()
    with CaptureQueriesContext(connection) as ctx:
        fn()
    queries = len(ctx.captured_queries)
    sql_ms = sum(float(query["time"]) for query in ctx.captured_queries) * 1000
    samples = []
    cpu = []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    p95 = percentile(samples, 95)
    ok = None
    if p95_limit_ms is not None:
        ok = p95 <= p95_limit_ms and (query_limit is None or queries <= query_limit)
    return Result(
        name=name,
        n=n,
        p50_ms=round(statistics.median(samples), 2),
        p95_ms=round(p95, 2),
        queries=queries,
        target=target,
        ok=ok,
        # cpu: this process's CPU time, less sensitive than wall time to a busy machine; sql:
        # the database's share of one request (of the captured one), to tell it from rendering.
        extra={"cpu_p50_ms": round(statistics.median(cpu), 2), "sql_ms": round(sql_ms, 2)},
    )
