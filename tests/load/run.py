"""`make bench-load` (issue 19, item 4; not in CI): locust against gunicorn on PostgreSQL.

Creates a fresh PostgreSQL database and a scratch VAR_DIR, migrates and seeds the demo data,
collects the static files, starts gunicorn (production settings, see tests/load/settings.py)
and one task worker, waits for /healthz, then runs locust headless (tests/load/locustfile.py).
Prints the requests, failures and latency percentiles per endpoint, the answers by status,
and the RSS of every gunicorn worker sampled through the run; exits non-zero on any server
error (5xx or no answer). The database is dropped afterwards unless LOAD_KEEP=1.

    LOAD_USERS=200 LOAD_TIME=5m LOAD_SPAWN_RATE=20 LOAD_WORKERS=4 LOAD_PORT=8765
    DATABASE_URL_PG=postgres://postgres@127.0.0.1:5432/test  REDIS_URL=redis://127.0.0.1:6379/13
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
REDIS = os.environ.get("LOAD_REDIS_URL") or "redis://127.0.0.1:6379/13"
KEEP = os.environ.get("LOAD_KEEP") == "1"
SAMPLE_SECONDS = 15


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


def report(prefix: Path, status_file: Path, samples: list[dict[int, int]], worker_rss) -> int:
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
    for pid in sorted(worker_rss):
        series = [sample[pid] / 1024 for sample in samples if pid in sample]
        if series:
            shown = " ".join(f"{value:.0f}" for value in series)
            print(f"  pid {pid}: start {series[0]:.0f}  end {series[-1]:.0f}  [{shown}]")
    print()
    if server_errors:
        print(f"FAIL: {server_errors} server errors (5xx or no answer)")
        return 1
    print("OK: 0 server errors")
    return 0


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
        samples: list[dict[int, int]] = []
        while load.poll() is None:
            samples.append({pid: kib for pid in worker_pids if (kib := rss_kib(pid))})
            try:
                load.wait(timeout=SAMPLE_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        samples.append({pid: kib for pid in worker_pids if (kib := rss_kib(pid))})
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
