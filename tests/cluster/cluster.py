"""The cluster that tests/cluster/test_cluster.py drives (issue 19, item 2).

One fresh PostgreSQL database, a Redis server of its own (so that a test can stop it and start
it again without touching the machine's), moto's S3 server (tests/s3.py), two gunicorn nodes
with portal.settings.production and two `db_worker` processes, all on 127.0.0.1.
The test plays the TLS-terminating proxy in front of the nodes: every request carries
X-Forwarded-Proto: https (and X-Forwarded-For, believed from TRUSTED_PROXIES=127.0.0.1), so the
production settings run unchanged (secure cookies, HSTS, SSL redirect) without a test-only switch.
The addresses in X-Forwarded-For are from the documentation ranges and exist only in that header.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
import requests

from tests.s3 import S3Server

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ADMIN_DATABASE_URL = os.environ.get("DATABASE_URL_PG", "postgres://postgres@127.0.0.1:5432/test")
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
DEMO_PASSWORD = "demo-pass-2026"
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"
LOOKUPS_PER_HOUR = 6
NODE_WORKERS = 2  # gunicorn worker processes per node
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def totp(at_step: int | None = None) -> str:
    """The demo authenticator's code now, or at the 30-second step `at_step`."""
    from django_otp.oath import TOTP

    generator = TOTP(base64.b32decode(DEMO_TOTP_SECRET))
    if at_step is not None:
        generator.time = at_step * 30 + 1
    return str(generator.token()).zfill(6)


@dataclass
class Node:
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Browser:
    """One person's browser behind the proxy: its own cookies and client address."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.session = requests.Session()

    def request(self, node: Node, method: str, path: str, **kwargs) -> requests.Response:
        headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "Referer": f"https://127.0.0.1:{node.port}{path}",
            **kwargs.pop("headers", {}),
        }
        response = self.session.request(
            method, node.url + path, headers=headers, allow_redirects=False, timeout=120, **kwargs
        )
        # The proxy speaks https to the browser and http to the nodes: the browser's Secure
        # cookies travel on that last stretch too.
        for cookie in self.session.cookies:
            cookie.secure = False
        return response

    def get(self, node: Node, path: str, **kwargs) -> requests.Response:
        return self.request(node, "GET", path, **kwargs)

    def post(self, node: Node, path: str, data: dict, **kwargs) -> requests.Response:
        """POST as the form does: the CSRF token of the page it is on."""
        page = self.get(node, kwargs.pop("form_page", path))
        if page.status_code != 200:
            return page
        token = CSRF.search(page.text).group(1)
        return self.request(
            node, "POST", path, data={**data, "csrfmiddlewaretoken": token}, **kwargs
        )


class Cluster:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.db_name = f"cluster_{int(time.time())}_{os.getpid()}"
        parts = urlsplit(ADMIN_DATABASE_URL)
        self.database_url = urlunsplit(parts._replace(path=f"/{self.db_name}", query=""))
        self.processes: dict[str, subprocess.Popen] = {}
        self.nodes = [Node("node-a", free_port()), Node("node-b", free_port())]
        self.worker_names = ["worker-a", "worker-b"]
        self.s3 = S3Server()
        self.bucket = self.s3.new_bucket()
        self.redis_port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.redis = redis.Redis.from_url(self.redis_url, socket_connect_timeout=2)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CLUSTER"))},
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(48),
            "RECEIPT_KEY": secrets.token_urlsafe(48),
            "RECOVERY_CODE_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1",
            "TRUSTED_PROXIES": "127.0.0.1",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "VAR_DIR": str(workdir / "var"),
            "WAGTAILADMIN_BASE_URL": "https://127.0.0.1",
            "INTAKE_LOOKUPS_PER_IP_PER_HOUR": str(LOOKUPS_PER_HOUR),
            "PYTHONUNBUFFERED": "1",
            **self.bucket.environ(),
        }
        self.db: psycopg.Connection | None = None

    # Setting up and tearing down ------------------------------------------------------------

    def start(self, *, households: int) -> None:
        self.start_redis()
        with psycopg.connect(ADMIN_DATABASE_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.db_name}"')
        self.db = psycopg.connect(f"{self.database_url}?application_name=cluster-test")
        self.db.autocommit = True
        # Migrations and the static files' manifest at once (two cores).
        migrate = self.spawn("migrate", ["manage.py", "migrate", "--noinput", "-v0"])
        static = self.spawn("collectstatic", ["manage.py", "collectstatic", "--noinput", "-v0"])
        self.wait_done(migrate, 300)
        self.wait_done(static, 300)
        seed = self.spawn(
            "seed",
            ["manage.py", "seed_demo", "--households", str(households)],
            env={"DJANGO_SETTINGS_MODULE": "tests.cluster.seed_settings"},
        )
        self.wait_done(seed, 300)
        for node in self.nodes:
            self.start_node(node)
        for name in self.worker_names:
            self.start_worker(name)
        for node in self.nodes:
            self.wait_ready(node)

    def start_node(self, node: Node) -> None:
        self.spawn(
            node.name,
            [
                str(BIN / "gunicorn"),
                "portal.wsgi",
                "--workers",
                str(NODE_WORKERS),
                "--bind",
                f"127.0.0.1:{node.port}",
                "--timeout",
                "120",
                "--graceful-timeout",
                "5",
            ],
            env={"DATABASE_URL": f"{self.database_url}?application_name=cluster-web"},
        )

    def start_worker(self, name: str) -> None:
        self.spawn(
            name,
            [
                "manage.py",
                "db_worker",
                "--interval",
                "0.2",
                "--no-startup-delay",
                "--worker-id",
                name,
            ],
            env={"DATABASE_URL": f"{self.database_url}?application_name=cluster-worker"},
        )

    def stop(self) -> None:
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill(name, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()
        if self.db is not None:
            self.db.close()
        with psycopg.connect(ADMIN_DATABASE_URL, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [self.db_name],
            )
            admin.execute(f'DROP DATABASE IF EXISTS "{self.db_name}"')
        self.s3.stop()

    def start_redis(self) -> None:
        """Redis on the cluster's own port, keeping nothing on disk (as the machine's does);
        started again on the same port after `stop_redis`, empty."""
        self.spawn(
            "redis",
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.redis.ping()
                return
            except redis.ConnectionError:
                assert self.processes["redis"].poll() is None, self.log("redis")
                assert time.monotonic() < deadline, "Redis did not start"
                time.sleep(0.05)

    def stop_redis(self) -> None:
        """Redis goes away: the server is killed, as a crash or a lost host would do."""
        self.kill("redis", signal.SIGKILL)
        self.processes.pop("redis").wait(timeout=30)

    def spawn(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - the process keeps it
        if args[0] == "manage.py":
            args = [sys.executable, *args]
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: killed with its children
        )
        self.processes[name] = process
        return process

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes[name]
        if process.poll() is None:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass

    def log(self, name: str, tail: int | None = 4000) -> str:
        path = self.workdir / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return text[-tail:] if tail else text

    def wait_done(self, process: subprocess.Popen, seconds: float) -> None:
        name = next(key for key, value in self.processes.items() if value is process)
        code = process.wait(timeout=seconds)
        assert code == 0, f"{name} exited {code}:\n{self.log(name)}"
        del self.processes[name]

    def wait_ready(self, node: Node, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.processes[node.name].poll() is None, self.log(node.name)
            try:
                answer = requests.get(
                    f"{node.url}/report/", headers={"X-Forwarded-Proto": "https"}, timeout=30
                )
                if answer.status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or still loading
                pass
            time.sleep(0.25)
        raise AssertionError(f"{node.name} did not answer:\n{self.log(node.name)}")

    # Looking at what the nodes wrote ----------------------------------------------------------

    def rows(self, query: str, params=()) -> list[tuple]:
        return self.db.execute(query, params).fetchall()

    def value(self, query: str, params=()):
        return self.rows(query, params)[0][0]

    def wait_for(self, query: str, params=(), *, seconds: float = 120, what: str = ""):
        """Poll until `query` returns a true first value; returns it."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = self.rows(query, params)
            if found and found[0][0]:
                return found[0][0]
            time.sleep(0.05)
        logs = "\n".join(f"--- {name}\n{self.log(name)}" for name in self.worker_names)
        raise AssertionError(f"timed out waiting for {what or query}\n{logs}")

    def tasks_settled(self, seconds: float = 120) -> None:
        """Wait until no task is queued or running."""
        self.wait_for(
            "SELECT NOT EXISTS (SELECT 1 FROM django_tasks_database_dbtaskresult"
            " WHERE status IN ('READY', 'RUNNING'))",
            seconds=seconds,
            what="every task to finish",
        )
