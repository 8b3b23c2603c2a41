"""The intake benchmark's client, in a process of its own (no Django): `CONNECTIONS` keep-alive
connections post forms for a number of seconds, each like one browser tab.

    python -m tests.bench.http_load PORT PATH bare|intake SECONDS   -> JSON on stdout
"""

from __future__ import annotations

import http.client
import json
import re
import sys
import threading
import time
import uuid
from urllib.parse import urlencode

CONNECTIONS = 8
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def intake_fields(n: int) -> dict:
    return {
        "form_token": str(uuid.uuid4()),
        "website": "",
        "reporter_type": "neighbour",
        "reporter_name": "周建华",
        "reporter_phone": "13700001111",
        "subject_name": "孙玉珍",
        "subject_id_number": "",
        "subject_phone": f"139{n % 100_000_000:08d}",
        "district": "110101000000",
        "street": "110101001000",
        "community": "110101001001",
        "address": "多福巷3号院2-101",
        "subtype": "living_alone",
        "what_happened": "独居老人摔伤，无人照料，需要上门看看。",
        "help_needed": "上门照料和助餐",
        "consent": "on",
    }


def bare_fields(n: int) -> dict:
    return {
        "name": "孙玉珍",
        "phone": f"139{n % 100_000_000:08d}",
        "address": "多福巷3号院2-101",
        "text": "独居老人摔伤，无人照料，需要上门看看。",
    }


class _Client:
    """One keep-alive connection with its CSRF cookie, like one browser tab posting."""

    def __init__(self, port: int, path: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.path = path
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        body = response.read().decode()
        cookie = response.getheader("Set-Cookie", "")
        self.csrf_cookie = re.search(r"csrftoken=([^;]+)", cookie).group(1)
        self.csrf_form = CSRF_RE.search(body).group(1)

    def post(self, fields: dict) -> int:
        body = urlencode({**fields, "csrfmiddlewaretoken": self.csrf_form})
        self.conn.request(
            "POST",
            self.path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={self.csrf_cookie}",
            },
        )
        response = self.conn.getresponse()
        response.read()
        return response.status


def _load(port: int, path: str, make_fields, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(10**9))
    ready = threading.Barrier(CONNECTIONS + 1)  # the clock starts once every client connected

    def worker():
        nonlocal errors
        client = _Client(port, path)
        ready.wait()
        stop_at = time.perf_counter() + seconds
        mine, bad = [], 0
        while time.perf_counter() < stop_at:
            fields = make_fields(next(counter))
            start = time.perf_counter()
            status = client.post(fields)
            mine.append((time.perf_counter() - start) * 1000)
            bad += status != 302
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "rps": len(latencies) / elapsed,
        "latencies": latencies,
        "seconds": elapsed,
        "errors": errors,
    }


if __name__ == "__main__":
    port, path, kind, seconds = sys.argv[1:5]
    fields = {"bare": bare_fields, "intake": intake_fields}[kind]
    json.dump(_load(int(port), path, fields, float(seconds)), sys.stdout)
