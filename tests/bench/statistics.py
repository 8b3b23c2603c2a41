"""Issue 16 benchmarks (DESIGN: the back-office statistics page at 1M persons on PostgreSQL,
p95 <= 300 ms for the city and <= 150 ms for a street; a published statistics page p95 <= 20 ms).

`BENCH_PERSONS` sets the ledger's size (default 20,000 persons: SQLite-sized; the target is
1,000,000 on PostgreSQL). The demo ledger's bulk seed (COPY on PostgreSQL) builds it: about 1.67
persons a household, with categories, needs and benefits as in the demo. Then the monthly
snapshot is taken (its time a row of its own), a release drawn from it and approved, and the
pages measured: /admin/statistics/ as `city` and as `street` (东华门街道, the demo street, which
holds every tenth household: the busiest street there is), the snapshot page and the trends,
and the published release and /statistics/ as a resident sees them (cached).
"""

from __future__ import annotations

import os
import sys
import time

from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from backoffice.actor import system_actor
from backoffice.demo.accounts import demo_accounts_create
from backoffice.demo.ledger import demo_households_create
from backoffice.models import Household, Person, StatisticsSnapshot
from backoffice.services.releases import release_find, release_generate
from backoffice.services.snapshots import month_previous, snapshot_take
from portal.services import home_page_ensure, site_sections_ensure
from tests.bench.foundation import _verified_client
from tests.bench.harness import Result, measure

PERSONS = int(os.environ.get("BENCH_PERSONS", "20000"))
FULL_SCALE = 1_000_000
PERSONS_PER_HOUSEHOLD = 1.67


def _progress(households: int, persons: int, seconds: float) -> None:
    print(
        f"  statistics seed: {households:>9,} households {persons:>10,} persons {seconds:7.1f} s",
        file=sys.stderr,
        flush=True,
    )


def _seed() -> Result:
    kept = Person.objects.count()
    if kept >= PERSONS * 0.95:  # BENCH_KEEP_DB=1: seeded by an earlier run
        return Result(name=f"statistics: {kept:,} persons kept", n=0, p50_ms=0, p95_ms=0)
    started = time.perf_counter()
    households = int((PERSONS - kept) / PERSONS_PER_HOUSEHOLD)
    persons = demo_households_create(households=households, seed=2016, progress=_progress)
    seconds = time.perf_counter() - started
    return Result(
        name=f"statistics: seed {Household.objects.count():,} households ({persons:,} persons)",
        n=1,
        p50_ms=round(seconds * 1000, 2),
        p95_ms=round(seconds * 1000, 2),
        extra={"seconds": round(seconds, 1)},
    )


def _release() -> tuple[Result, str]:
    """The month's snapshot and its release, approved; (the snapshot's time, the page URL)."""
    home = home_page_ensure()
    site_sections_ensure(home)
    month = month_previous(timezone.localdate())
    StatisticsSnapshot.objects.filter(month=month).delete()
    started = time.perf_counter()
    snapshot = snapshot_take(actor=system_actor(), month=month)
    seconds = time.perf_counter() - started
    page = release_find(month)
    if page is None:
        page = release_generate(actor=system_actor(), snapshot=snapshot)
        reviewer = get_user_model().objects.get(username="reviewer")
        page.current_workflow_task_state.approve(user=reviewer)
        page.refresh_from_db()
    return (
        Result(
            name="statistics: take the monthly snapshot (whole city)",
            n=1,
            p50_ms=round(seconds * 1000, 2),
            p95_ms=round(seconds * 1000, 2),
            extra={"seconds": round(seconds, 1), "areas": len(snapshot.data["areas"])},
        ),
        page.url,
    )


def _ok(response):
    """Measure only answers that are the page (a 404 or a redirect would be fast and wrong)."""
    if response.status_code != 200:
        raise AssertionError(f"status {response.status_code}")
    return response


def _check(client, url: str, expect: str) -> None:
    response = client.get(url)
    if response.status_code != 200 or expect not in response.content.decode():
        raise AssertionError(f"{url}: {response.status_code}, {expect!r} missing")


# The page is served from its rollup (refreshed every STATISTICS_ROLLUP_SECONDS in production;
# the test settings recount at once so tests see what they just wrote).
@override_settings(ALLOWED_HOSTS=["*"], STATISTICS_ROLLUP_SECONDS=600)
def run() -> list[Result]:
    demo_accounts_create()
    results = [_seed()]
    snapshot_row, release_url = _release()
    results.append(snapshot_row)
    persons = Person.objects.count()
    full = persons >= FULL_SCALE * 0.95
    city, street = _verified_client("city"), _verified_client("street")
    public = Client()
    _check(city, "/admin/statistics/", "东城区")
    _check(street, "/admin/statistics/", "统计分析")
    _check(public, release_url, "&lt;10")
    _check(public, "/statistics/", "最新一期")
    size = f"{persons:,} persons"
    results += [
        measure(
            f"statistics: /admin/statistics/ as city ({size})",
            lambda: _ok(city.get("/admin/statistics/")),
            n=20,
            target="p95 <= 300 ms at 1M persons (PostgreSQL)",
            p95_limit_ms=300 if full else None,
        ),
        measure(
            f"statistics: /admin/statistics/ as street ({size})",
            lambda: _ok(street.get("/admin/statistics/")),
            n=20,
            target="p95 <= 150 ms at 1M persons (PostgreSQL)",
            p95_limit_ms=150 if full else None,
        ),
        measure(
            "statistics: a snapshot page as city (frozen JSON)",
            lambda: _ok(
                city.get(
                    "/admin/statistics/snapshots/",
                    {"month": f"{month_previous(timezone.localdate()):%Y-%m}"},
                )
            ),
            n=20,
        ),
        measure(
            "statistics: trends as city (from snapshots)",
            lambda: _ok(city.get("/admin/statistics/trends/")),
            n=20,
        ),
        measure(
            "statistics: the published release page (cached)",
            lambda: _ok(public.get(release_url)),
            n=200,
            target="p95 <= 20 ms",
            p95_limit_ms=20,
        ),
        measure(
            "statistics: /statistics/ with the latest release (cached)",
            lambda: _ok(public.get("/statistics/")),
            n=200,
            target="p95 <= 20 ms",
            p95_limit_ms=20,
        ),
        measure(
            "statistics: a release table as CSV",
            lambda: _ok(public.get(release_url, {"csv": "1"})),
            n=50,
        ),
    ]
    return results
