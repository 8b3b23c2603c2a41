"""`make bench-load` (issue 19, item 4; not in CI): locust against gunicorn on PostgreSQL.

Creates a fresh PostgreSQL database and a scratch VAR_DIR, migrates and seeds the demo data,
collects the static files, starts gunicorn (production settings, see tests/load/settings.py)
and one task worker, waits for /healthz, then runs locust headless (tests/load/locustfile.py).
Prints the requests, failures and latency percentiles per endpoint, the answers by status,
and the RSS of every gunicorn worker sampled through the run; exits non-zero on any server
error (5xx or no answer). The database is dropped afterwards unless LOAD_KEEP=1.

Worker memory: the first minute is warm-up (the first search loads jieba's dictionary, about
65 MiB; the first back-office listings and page renders set each worker's peak). The run says
"worker memory flat" when no worker grew by LOAD_FLAT_MIB from the sample at
LOAD_WARMUP_SECONDS to the end. A worker's RSS also climbs slowly for some minutes more (the
allocator's peak, set by the heaviest requests it has served; the page cache expires after 5
minutes and the pages are rendered again): growth that stopped in the run's last third
(under LOAD_SETTLED_MIB) is "levelled off", growth that had not is "still growing", with
the workers named. The samples are kept in worker_rss.json; the verdict is not failed on.

    LOAD_USERS=200 LOAD_TIME=5m LOAD_SPAWN_RATE=20 LOAD_WORKERS=4 LOAD_PORT=8765
    LOAD_WARMUP_SECONDS=60 LOAD_FLAT_MIB=8 LOAD_SETTLED_MIB=2
    DATABASE_URL_PG=postgres://postgres@127.0.0.1:5432/test LOAD_REDIS_URL=redis://127.0.0.1:6379/12
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = Path(PY).parent


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


USERS = env_int("LOAD_USERS", 200)
TIME = os.environ.get("LOAD_TIME") or "5m"
SPAWN_RATE = env_int("LOAD_SPAWN_RATE", 20)
WORKERS = env_int("LOAD_WORKERS", 4)
PORT = env_int("LOAD_PORT", 8765)
PG = os.environ.get("DATABASE_URL_PG") or "postgres://postgres@127.0.0.1:5432/test"
REDIS = os.environ.get("LOAD_REDIS_URL") or "redis://127.0.0.1:6379/12"
KEEP = os.environ.get("LOAD_KEEP") == "1"
SAMPLE_SECONDS = 15
WARMUP_SECONDS = env_int("LOAD_WARMUP_SECONDS", 60)
FLAT_MIB = env_int("LOAD_FLAT_MIB", 8)
SETTLED_MIB = env_int("LOAD_SETTLED_MIB", 2)

# (seconds since locust started, {worker pid: RSS in KiB})
Sample = tuple[float, dict[int, int]]


def log(message: str) -> None:
    print(f"[bench-load {time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_url(name: str) -> str:
    parts = urlsplit(PG)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_connection():
    return psycopg.connect(database_url("postgres"), autocommit=True)


def redis_ok() -> bool:
    try:
        import redis

        client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
        client.flushdb()  # the load run's own database number only
        return True
    except Exception:  # noqa: BLE001 - without Redis each worker counts its own limits
        return False


def required_keys() -> dict[str, str]:
    """A throwaway value for each variable production insists on (portal/settings)."""
    source = (ROOT / "portal" / "settings" / "production.py").read_text()
    names = set(re.findall(r'_required\("([A-Z0-9_]+)"\)', source))
    return {name: secrets.token_urlsafe(48) for name in names}


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def wait_healthy(url: str, seconds: int = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise SystemExit(f"{url} did not answer 200 within {seconds}s")


def manage(env: dict, *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def report(prefix: Path, status_file: Path, samples: list[Sample], worker_pids) -> int:
    rows = list(csv.DictReader((prefix.parent / f"{prefix.name}_stats.csv").open()))
    print()
    print(f"{'endpoint':34} {'requests':>9} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'max ms':>7}")  # fmt: skip
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        print(
            f"{(row['Type'] + ' ' + name)[:34]:34} {row['Request Count']:>9} "
            f"{row['Failure Count']:>5} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7} "
            f"{float(row['Max Response Time']):>7.0f}"
        )
    server_side(prefix.parent / "logs" / "gunicorn.out")
    outcome = json.loads(status_file.read_text()) if status_file.exists() else {"status": {}}
    status = outcome["status"]
    server_errors = sum(n for code, n in status.items() if code.startswith("5"))
    server_errors += status.get("connection-error", 0)
    print()
    print("answers by status:", dict(sorted(status.items())))
    print("reports filed (receipts seen):", outcome.get("receipts", 0))
    print()
    print("gunicorn worker RSS (MiB), sampled every", SAMPLE_SECONDS, "s:")
    for pid in sorted(worker_pids):
        series = [sample[pid] / 1024 for _at, sample in samples if pid in sample]
        if series:
            shown = " ".join(f"{value:.0f}" for value in series)
            print(f"  pid {pid}: start {series[0]:.0f}  end {series[-1]:.0f}  [{shown}]")
    memory_report(memory_trends(samples, worker_pids))
    print()
    if server_errors:
        print(f"FAIL: {server_errors} server errors (5xx or no answer)")
        return 1
    print("OK: 0 server errors")
    return 0


@dataclass(frozen=True)
class MemoryTrend:
    """One worker's RSS (MiB) from the end of the warm-up to the end of the run, and over the
    run's last third (after the warm-up): growth that stops there was a warm-up."""

    pid: int
    warm_at: float  # seconds since locust started
    warm: float
    tail_at: float
    tail: float
    end_at: float
    end: float

    @property
    def growth(self) -> float:
        return self.end - self.warm

    @property
    def per_minute(self) -> float:
        return self.growth * 60 / (self.end_at - self.warm_at)

    @property
    def tail_growth(self) -> float:
        return self.end - self.tail

    @property
    def tail_seconds(self) -> float:
        return self.end_at - self.tail_at


def memory_trends(
    samples: list[Sample], worker_pids, warmup: float = WARMUP_SECONDS
) -> list[MemoryTrend]:
    """Each worker's trend after `warmup` seconds; none for a worker sampled less than twice
    after it (a short run, or a worker that died)."""
    trends = []
    for pid in sorted(worker_pids):
        after = [(at, sample[pid] / 1024) for at, sample in samples if pid in sample]
        after = [(at, mib) for at, mib in after if at >= warmup]
        if len(after) < 2 or after[-1][0] <= after[0][0]:
            continue
        (warm_at, warm), (end_at, end) = after[0], after[-1]
        tail_from = end_at - (end_at - warm_at) / 3
        tail_at, tail = next((at, mib) for at, mib in after if at >= tail_from)
        trends.append(MemoryTrend(pid, warm_at, warm, tail_at, tail, end_at, end))
    return trends


def memory_report(
    trends: list[MemoryTrend], flat_mib: float = FLAT_MIB, settled_mib: float = SETTLED_MIB
) -> str:
    """Prints each worker's RSS after the warm-up and at the end, and one verdict, returned:
    "flat" (every worker grew less than `flat_mib` after the warm-up), "levelled off" (some
    grew more, but each less than `settled_mib` in the run's last third: a longer warm-up),
    "growing" (named workers still grew at the end) or "not judged" (nothing sampled after
    the warm-up)."""
    print()
    if not trends:
        print(f"worker memory not judged: no samples after the {WARMUP_SECONDS} s warm-up")
        return "not judged"
    print(f"worker RSS (MiB) after the {WARMUP_SECONDS} s warm-up, and over the last third:")
    print(
        f"  {'pid':>8} {'warm-up':>8} {'end':>8} {'growth':>8} {'per min':>8} "
        f"{'last third':>10} {'of s':>5}"
    )
    for trend in trends:
        print(
            f"  {trend.pid:>8} {trend.warm:>8.1f} {trend.end:>8.1f} {trend.growth:>+8.1f} "
            f"{trend.per_minute:>+8.2f} {trend.tail_growth:>+10.1f} {trend.tail_seconds:>5.0f}"
        )
    grew = [trend for trend in trends if trend.growth >= flat_mib]
    if not grew:
        largest = max(trends, key=lambda trend: trend.growth)
        print(
            f"worker memory flat: each worker grew less than {flat_mib} MiB after the warm-up "
            f"(largest {largest.growth:+.1f} MiB, pid {largest.pid})"
        )
        return "flat"
    growing = [trend for trend in grew if trend.tail_growth >= settled_mib]
    named = "; ".join(
        f"pid {trend.pid} {trend.growth:+.1f} MiB ({trend.per_minute:+.2f} MiB/min), "
        f"{trend.tail_growth:+.1f} in the last {trend.tail_seconds:.0f} s"
        for trend in growing or grew
    )
    if not growing:
        print(
            f"worker memory levelled off: grew {flat_mib} MiB or more after the warm-up but less "
            f"than {settled_mib} MiB in the run's last third: {named}"
        )
        return "levelled off"
    print(
        f"worker memory still growing: {flat_mib} MiB or more after the warm-up and "
        f"{settled_mib} MiB or more in the run's last third: {named} "
        "(a longer LOAD_TIME tells a slow warm-up from a leak)"
    )
    return "growing"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def server_side(access_log: Path) -> None:
    """The time each request spent in Django (the JSON access lines of portal/ops.py), by
    route: what the client saw minus the wait for a free worker and the network."""
    durations: dict[str, list[float]] = {}
    for line in access_log.read_text().splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry.get("logger") == "portal.access":
            key = f"{entry['method']} {entry['route'] or entry['view_group']}"
            durations.setdefault(key, []).append(entry["duration_ms"])
    if not durations:
        return
    print()
    print(
        f"{'in Django (access log)':34} {'requests':>9} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
    )
    for key in sorted(durations):
        values = durations[key]
        print(
            f"{key[:34]:34} {len(values):>9} {percentile(values, 0.5):>7.0f} "
            f"{percentile(values, 0.95):>7.0f} {max(values):>7.0f}"
        )


def main() -> int:
    run = f"bench_load_{int(time.time())}_{os.getpid()}"
    var_dir = ROOT / "var" / "load" / run
    var_dir.mkdir(parents=True)
    env = {
        **os.environ,
        **required_keys(),
        "DJANGO_SETTINGS_MODULE": "tests.load.settings",
        "DATABASE_URL": database_url(run),
        "VAR_DIR": str(var_dir),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TRUSTED_PROXIES": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "WAGTAILADMIN_BASE_URL": f"http://127.0.0.1:{PORT}",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    if redis_ok():
        env["REDIS_URL"] = REDIS
        log(f"cache and rate limits in Redis ({REDIS})")
    else:
        log("Redis not reachable: each worker keeps its own cache")
    with admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{run}"')
    log(f"database {run}, files under {var_dir}")
    web = worker = None
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        log("seeding the demo data")
        manage(env, "seed_demo", "--households", "300", "--reports", "40", "--casework", "40")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        if (ROOT / "var" / "fonts").exists():  # the cut PDF fonts (`make fonts`), if any
            shutil.copytree(ROOT / "var" / "fonts", var_dir / "fonts", dirs_exist_ok=True)
        logs = var_dir / "logs"
        logs.mkdir()
        web = subprocess.Popen(
            [str(BIN / "gunicorn"), "portal.wsgi", "--workers", str(WORKERS),
             "--bind", f"127.0.0.1:{PORT}", "--timeout", "60", "--graceful-timeout", "10"],
            cwd=ROOT, env=env, stdout=(logs / "gunicorn.out").open("w"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        worker = subprocess.Popen(
            [PY, "manage.py", "db_worker"],
            cwd=ROOT,
            env=env,
            stdout=(logs / "worker.out").open("w"),
            stderr=subprocess.STDOUT,
        )
        wait_healthy(f"http://127.0.0.1:{PORT}/healthz")
        # Every worker's first request imports and warms what it needs: sample after that.
        for _ in range(WORKERS * 4):
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=30).read()
        worker_pids = children(web.pid)
        log(f"gunicorn {web.pid} workers {worker_pids}; locust: {USERS} users for {TIME}")
        prefix = var_dir / "locust"
        status_file = var_dir / "status.json"
        load = subprocess.Popen(
            [str(BIN / "locust"), "-f", str(ROOT / "tests" / "load" / "locustfile.py"),
             "--headless", "-u", str(USERS), "-r", str(SPAWN_RATE), "-t", TIME,
             "--host", f"http://127.0.0.1:{PORT}", "--csv", str(prefix), "--only-summary",
             "--stop-timeout", "10", "--loglevel", "WARNING"],
            cwd=ROOT, env={**os.environ, "LOAD_STATUS_FILE": str(status_file)},
            stdout=(logs / "locust.out").open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        samples: list[Sample] = []
        started = time.monotonic()
        while load.poll() is None:
            rss = {pid: kib for pid in worker_pids if (kib := rss_kib(pid))}
            samples.append((time.monotonic() - started, rss))
            try:
                load.wait(timeout=SAMPLE_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        rss = {pid: kib for pid in worker_pids if (kib := rss_kib(pid))}
        samples.append((time.monotonic() - started, rss))
        (var_dir / "worker_rss.json").write_text(
            json.dumps({"seconds_kib": samples, "workers": worker_pids})
        )
        restarted = set(children(web.pid)) - set(worker_pids)
        if restarted:
            log(f"workers replaced during the run (crash or timeout): {sorted(restarted)}")
        code = report(prefix, status_file, samples, worker_pids)
        if restarted:
            code = 1
        log(f"logs and CSV under {var_dir}")
        return code
    finally:
        stop(worker)
        stop(web)
        if not KEEP:
            with admin_connection() as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
