"""Operations (issue 19, item 10): /healthz, a request id in every log line, /metrics.

- /healthz answers whether this node can serve: the database (SELECT 1), the cache (a key set
  and read back) and the private storage (exists() on a fixed name). JSON, 200 or 503, never
  cached, no version and nothing about the data; open to everyone (the load balancer asks it).
- RequestIdMiddleware gives each request an id (the proxy's X-Request-ID when it is sane, else a
  new one), returns it in the X-Request-ID header and puts it on every log record written while
  the request runs (RequestIdFilter); JsonFormatter writes those records as JSON lines. One
  access line per request names the view's route pattern, never the path's values or the query
  string (the status lookup's code, a search) and never a form body.
- /metrics speaks Prometheus' text format, to the addresses in METRICS_ALLOWED_IPS only (others
  get the plain 404 of an unknown page). The counters live in this process: with several
  gunicorn workers each scrape sees one worker's counts (Prometheus sums what it gets over
  time; a per-process figure such as RSS is what it is). That is enough to see error rates
  and latency move; exact cluster-wide totals would need a shared store, which these counters
  do not pretend to be.
"""

from __future__ import annotations

import contextvars
import ipaddress
import json
import logging
import os
import re
import threading
import time
import traceback
import uuid
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .client import client_address

access_log = logging.getLogger("portal.access")

# --- request id -------------------------------------------------------------------------

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


def request_id_from(request) -> str:
    """The proxy's id when it looks like one (so a log line can be followed from nginx to
    here), else a fresh one: nothing else a client sends ever reaches a log line this way."""
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    if SANE_REQUEST_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (empty outside a request). Django logs a
    4xx/5xx answer after the middleware has returned, with the request on the record: the id
    is read from there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", "") or current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Only the fields listed here are written: a record's `request`
    (which Django attaches to its error records, form body and all) never is. An exception is
    written as its class and its stack without its message: a database error's message can
    quote the row it refused (PostgreSQL names the duplicate key's value)."""

    EXTRA_FIELDS = ("method", "route", "view_group", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": _without_path(record),
            "request_id": getattr(record, "request_id", "") or current_request_id(),
        }
        for field in self.EXTRA_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _exc, tb = record.exc_info
            entry["exc_type"] = f"{exc_type.__module__}.{exc_type.__qualname__}"
            entry["stack"] = "".join(traceback.format_tb(tb))
        return json.dumps(entry, ensure_ascii=False)

    converter = time.gmtime


def _without_path(record: logging.LogRecord) -> str:
    """The message, with the request's path (Django's "Not Found: /report/receipt/BJ…/")
    replaced by its route pattern: a path can carry a receipt's reference or a record's id."""
    message = record.getMessage()
    path = getattr(getattr(record, "request", None), "path", "")
    if path and path in message:
        route = route_of(getattr(record.request, "resolver_match", None))
        message = message.replace(path, route or "(path not logged)")
    return message


def route_of(match) -> str:
    """The route pattern of a resolved request ("/report/receipt/<str:reference>/"), or the
    view's name where the pattern is a regular expression (Wagtail's pages)."""
    if match is None:
        return ""
    if match.route and not match.route.startswith("^"):
        return f"/{match.route}"
    return match.view_name


# --- metrics ------------------------------------------------------------------------------

# Seconds; Prometheus' usual web buckets.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Bounded labels: a group per part of the site, never a path.
VIEW_GROUPS = (
    ("/admin/", "admin"),
    ("/report/status/", "intake_status"),
    ("/report/", "intake"),
    ("/search/", "search"),
    ("/charity/", "charity"),
    ("/needs", "charity"),
    ("/documents/", "documents"),
    ("/static/", "static"),
    ("/healthz", "ops"),
    ("/metrics", "ops"),
)


def view_group(path: str) -> str:
    for prefix, group in VIEW_GROUPS:
        if path.startswith(prefix):
            return group
    return "pages"


class Metrics:
    """Counters and a histogram for this process (see the module's note on several workers)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests: dict[tuple[str, str], int] = {}
            self.buckets: dict[str, list[int]] = {}
            self.sums: dict[str, float] = {}
            self.counts: dict[str, int] = {}

    def observe(self, group: str, status: int, seconds: float) -> None:
        status_class = f"{status // 100}xx"
        with self._lock:
            key = (group, status_class)
            self.requests[key] = self.requests.get(key, 0) + 1
            buckets = self.buckets.setdefault(group, [0] * len(LATENCY_BUCKETS))
            for index, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    buckets[index] += 1
            self.sums[group] = self.sums.get(group, 0.0) + seconds
            self.counts[group] = self.counts.get(group, 0) + 1

    def exposition(self) -> str:
        with self._lock:
            requests = dict(self.requests)
            buckets = {group: list(counts) for group, counts in self.buckets.items()}
            sums, counts = dict(self.sums), dict(self.counts)
        lines = [
            "# HELP portal_http_requests_total Requests answered by this process.",
            "# TYPE portal_http_requests_total counter",
        ]
        for (group, status_class), count in sorted(requests.items()):
            lines.append(
                f'portal_http_requests_total{{view_group="{group}",status="{status_class}"}} '
                f"{count}"
            )
        lines += [
            "# HELP portal_http_request_duration_seconds Time to answer a request.",
            "# TYPE portal_http_request_duration_seconds histogram",
        ]
        for group in sorted(buckets):
            for bound, count in zip(LATENCY_BUCKETS, buckets[group], strict=True):
                lines.append(
                    f'portal_http_request_duration_seconds_bucket{{view_group="{group}",'
                    f'le="{bound}"}} {count}'
                )
            lines.append(
                f'portal_http_request_duration_seconds_bucket{{view_group="{group}",le="+Inf"}} '
                f"{counts[group]}"
            )
            lines.append(
                f'portal_http_request_duration_seconds_sum{{view_group="{group}"}} '
                f"{sums[group]:.6f}"
            )
            lines.append(
                f'portal_http_request_duration_seconds_count{{view_group="{group}"}} '
                f"{counts[group]}"
            )
        return "\n".join(lines) + "\n"


metrics = Metrics()


class RequestIdMiddleware:
    """First in MIDDLEWARE: every response, refusals included, carries the id and is counted."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request)
        request.request_id = request_id
        token = _request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            group = view_group(request.path_info)
            metrics.observe(group, response.status_code, seconds)
            response[REQUEST_ID_HEADER] = request_id
            match = getattr(request, "resolver_match", None)
            access_log.info(
                "request",
                extra={
                    "method": request.method if request.method in KNOWN_METHODS else "OTHER",
                    "route": route_of(match),
                    "view_group": group,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
            return response
        finally:
            _request_id.reset(token)


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def process_rss_bytes() -> int:
    """The resident memory of this process now (Linux /proc), else its peak (getrusage)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def task_queue_depth() -> dict[str, int] | None:
    """Tasks waiting (READY) and running, from the database queue; None when tasks are not
    queued in the database (the test settings run them at once)."""
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    if not backend.startswith("django_tasks_db"):
        return None
    from django.db.models import Count
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    wanted = (TaskResultStatus.READY, TaskResultStatus.RUNNING)
    rows = (
        DBTaskResult.objects.filter(status__in=wanted)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {str(status): 0 for status in wanted}
    counts.update({row["status"]: row["n"] for row in rows})
    return {status.lower(): n for status, n in counts.items()}


def file_deletions_waiting() -> int:
    """Issue 19: files in the deletion outbox (intake/deletions.py); a number that keeps
    growing means the file store refuses deletions."""
    from intake.models import FileDeletion

    return FileDeletion.objects.count()


@lru_cache(maxsize=4)
def _allowed_networks(entries: tuple[str, ...]):
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue  # a typo in the setting opens nothing
    return tuple(networks)


def metrics_allowed(request) -> bool:
    """The client address as the trusted proxies report it (portal/client.py), so a proxy on
    127.0.0.1 does not open /metrics to everyone it forwards."""
    address = client_address(request)
    if address is None:
        return False
    networks = _allowed_networks(tuple(settings.METRICS_ALLOWED_IPS))
    return any(ipaddress.ip_address(address) in network for network in networks)


@never_cache
@require_GET
def metrics_view(request):
    if not metrics_allowed(request):
        raise Http404
    lines = [metrics.exposition().rstrip("\n")]
    lines += [
        "# HELP portal_process_resident_memory_bytes Resident memory of this process.",
        "# TYPE portal_process_resident_memory_bytes gauge",
        f"portal_process_resident_memory_bytes {process_rss_bytes()}",
    ]
    try:
        depth = task_queue_depth()
    except Exception:  # noqa: BLE001 - the queue's count must not take /metrics down
        depth = None
    if depth is not None:
        lines += [
            "# HELP portal_task_queue_depth Background tasks waiting or running.",
            "# TYPE portal_task_queue_depth gauge",
        ]
        lines += [f'portal_task_queue_depth{{state="{state}"}} {n}' for state, n in depth.items()]
    try:
        waiting = file_deletions_waiting()
    except Exception:  # noqa: BLE001 - as above
        waiting = None
    if waiting is not None:
        lines += [
            "# HELP portal_file_deletions_waiting Stored files to delete (the store refused them"
            " while down, or they are on their way); tasks_recover deletes them.",
            "# TYPE portal_file_deletions_waiting gauge",
            f"portal_file_deletions_waiting {waiting}",
        ]
    body = "\n".join(lines) + "\n"
    return HttpResponse(body, content_type="text/plain; version=0.0.4; charset=utf-8")


# --- health -------------------------------------------------------------------------------

HEALTH_CACHE_KEY = "healthz:probe"
# A name that is never written: exists() only proves the storage answers.
HEALTH_STORAGE_NAME = "healthz-probe"


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


class Degraded(Exception):
    """Working, on a fallback: the node keeps serving (200) and the check says so."""


def _check_cache() -> None:
    value = uuid.uuid4().hex
    cache.set(HEALTH_CACHE_KEY, value, timeout=30)
    if cache.get(HEALTH_CACHE_KEY) != value:
        raise RuntimeError("cache did not keep the value")
    # portal/cache_backend.py: Redis unreachable, this process's memory stands in. Every node
    # would say so at once; taking them all out of the balancer would turn a slower, stricter
    # service into none, so this is reported, not failed.
    if getattr(cache, "degraded", False):
        raise Degraded


def _check_storage() -> None:
    from intake.uploads import private_storage

    private_storage.exists(HEALTH_STORAGE_NAME)


HEALTH_CHECKS = {"database": _check_database, "cache": _check_cache, "storage": _check_storage}


@never_cache
@require_GET
def healthz(request):
    """200 when every check passes, else 503; each check says only "ok", "degraded" (the
    cache on its in-process fallback: still 200) or "fail" (no error text, no version:
    nothing that helps an attacker). Failures are logged by class only."""
    checks = {}
    for name, check in HEALTH_CHECKS.items():
        try:
            check()
        except Degraded:
            logging.getLogger("portal.health").warning("health check degraded: %s", name)
            checks[name] = "degraded"
        except Exception as error:  # noqa: BLE001 - any failure means "not healthy"
            logging.getLogger("portal.health").warning(
                "health check failed: %s (%s)", name, type(error).__name__
            )
            checks[name] = "fail"
        else:
            checks[name] = "ok"
    healthy = all(result in ("ok", "degraded") for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503
    )
