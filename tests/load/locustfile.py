"""Issue 19, item 4: a mixed load on the portal (`make bench-load`; tests/load/run.py starts the
servers and this file through locust). Not in CI.

Residents (most users): the public pages (home, Wagtail pages found in the sitemap, the notice
feed, the need board), the search, the report form (read, then a report filed, sometimes with
a photo) and status lookups with the codes their receipts showed. Staff: the back-office
listings (triage queue, households, persons, my work, visits due), signed in with password
and the demo TOTP code. Each user comes from an address of its own (X-Forwarded-For, believed
from the proxy on 127.0.0.1 as in production), so the per-IP limits see residents, not one
bot. Every answer is counted by status (`LOAD_STATUS_FILE`): the run fails on any 5xx.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import io
import json
import os
import random
import re
import struct
import time
import uuid
from urllib.parse import urlsplit

import gevent.lock
from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("LOAD_DEMO_PASSWORD", "demo-pass-2026")
TOTP_SECRET = os.environ.get("LOAD_TOTP_SECRET", "JBSWY3DPEHPK3PXP")
STAFF = ["city", "dongcheng", "street", "worker", "worker2"]
STAFF_LISTINGS = [
    "/admin/reports/",
    "/admin/households/",
    "/admin/persons/",
    "/admin/my-work/",
    "/admin/visits-due/",
]
SEARCHES = ["低保", "临时救助", "医疗救助", "养老服务", "通知", "残疾人", "申请条件", "东城区"]
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM_TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')
RECEIPT_RE = re.compile(
    r'id="reference">\s*([A-Z0-9-]+)\s*<.*?id="lookup-code">\s*(\d{8})\s*<', re.S
)
LOC_RE = re.compile(r"<loc>([^<]+)</loc>")

STATUS = collections.Counter()
RECEIPTS: list[tuple[str, str]] = []  # (reference, code) filed in this run, shared
PAGES: list[str] = []
SESSIONS: dict[str, str] = {}  # staff username -> session cookie, one login per account
LOGIN_LOCK = gevent.lock.Semaphore()


def totp_now(secret_b32: str = TOTP_SECRET) -> str:
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def tiny_png() -> bytes:
    # 1x1 PNG, written by hand so this file needs nothing beyond locust.
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xc8\x10\x10")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = tiny_png()


@events.request.add_listener
def _count(request_type, name, response_time, response_length, response=None, exception=None, **_):
    if exception is not None and getattr(response, "status_code", 0) in (0, None):
        STATUS["connection-error"] += 1
    elif response is not None:
        STATUS[str(response.status_code)] += 1


@events.quitting.add_listener
def _write_status(environment, **_):
    path = os.environ.get("LOAD_STATUS_FILE")
    if path:
        with open(path, "w") as out:
            json.dump({"status": STATUS, "receipts": len(RECEIPTS)}, out)


class Visitor(HttpUser):
    abstract = True
    wait_time = between(2, 8)

    def on_start(self):
        # 198.18.0.0/15 is the range set aside for benchmarks: no real resident's address.
        self.ip = f"198.18.{random.randint(0, 255)}.{random.randint(1, 254)}"
        self.client.headers["X-Forwarded-For"] = self.ip
        self.client.headers["Accept-Language"] = "zh-CN,zh;q=0.9"

    def get(self, path: str, name: str | None = None, **kwargs):
        """A GET that counts 4xx as expected answers and only 5xx (and no answer) as failures."""
        with self.client.get(path, name=name or path, catch_response=True, **kwargs) as response:
            if response.status_code >= 500 or response.status_code == 0:
                response.failure(f"server error {response.status_code}")
            else:
                response.success()
            return response


class Resident(Visitor):
    weight = 9

    @task(6)
    def public_page(self):
        if not PAGES:
            self._load_sitemap()
        path = random.choice(PAGES or ["/"])
        self.get(path, name="page (sitemap)" if path != "/" else "/")

    @task(2)
    def home(self):
        self.get("/", name="/")

    @task(1)
    def feed_and_needs(self):
        self.get(random.choice(["/feeds/notices.xml", "/needs/"]))

    @task(4)
    def search(self):
        self.get(f"/search/?q={random.choice(SEARCHES)}", name="/search/?q=")

    @task(1)
    def report(self):
        form = self.get("/report/")
        csrf, token = CSRF_RE.search(form.text or ""), FORM_TOKEN_RE.search(form.text or "")
        if not (csrf and token):
            return
        n = random.randint(0, 99_999_999)
        data = {
            "csrfmiddlewaretoken": csrf.group(1),
            "form_token": token.group(1),
            "website": "",
            "reporter_type": "neighbour",
            "reporter_name": "周建华",
            "reporter_phone": "13700001111",
            "subject_name": "孙玉珍",
            "subject_id_number": "",
            "subject_phone": f"139{n:08d}",
            "district": "110101000000",
            "street": "110101001000",
            "community": "110101001001",
            "address": f"多福巷{n % 90 + 1}号院2-101",
            "subtype": "living_alone",
            "what_happened": "独居老人摔伤，无人照料，需要上门看看。",
            "help_needed": "上门照料和助餐",
            "consent": "on",
        }
        files = None
        if random.random() < 0.3:
            files = {"supporting_files": ("照片.png", io.BytesIO(PNG), "image/png")}
        with self.client.post(
            "/report/",
            data=data,
            files=files,
            name="/report/ [file]" if files else "/report/ [POST]",
            headers={"Referer": f"{self.host}/report/"},
            catch_response=True,
        ) as response:
            if response.status_code >= 500:
                response.failure(f"server error {response.status_code}")
                return
            response.success()
            match = RECEIPT_RE.search(response.text or "")
            if match:
                RECEIPTS.append((match.group(1), match.group(2)))

    @task(3)
    def status_lookup(self):
        page = self.get("/report/status/")
        csrf = CSRF_RE.search(page.text or "")
        if RECEIPTS and random.random() < 0.8:
            reference, code = random.choice(RECEIPTS)
        else:
            reference, code = f"BJ261130-{uuid.uuid4().hex[:4].upper()}-ABCD", "12345678"
        data = {"reference": reference, "code": code}
        if csrf:
            data["csrfmiddlewaretoken"] = csrf.group(1)
        with self.client.post(
            "/report/status/", data=data, name="/report/status/ [POST]", catch_response=True
        ) as response:
            if response.status_code >= 500:
                response.failure(f"server error {response.status_code}")
            else:
                response.success()

    def _load_sitemap(self):
        response = self.get("/sitemap.xml")
        paths = {urlsplit(url).path for url in LOC_RE.findall(response.text or "")}
        PAGES.extend(sorted(paths)[:200] or ["/"])


class Staff(Visitor):
    weight = 1
    wait_time = between(3, 10)

    def on_start(self):
        super().on_start()
        self.username = random.choice(STAFF)
        with LOGIN_LOCK:  # one login per account: a TOTP code is accepted once
            if self.username not in SESSIONS:
                self._login()
        if self.username in SESSIONS:
            self.client.cookies.set("sessionid", SESSIONS[self.username])

    def _login(self):
        page = self.get("/admin/login/")
        csrf = CSRF_RE.search(page.text or "")
        if not csrf:
            return
        with self.client.post(
            "/admin/login/",
            data={
                "csrfmiddlewaretoken": csrf.group(1),
                "username": self.username,
                "password": PASSWORD,
                "otp_token": totp_now(),
                "next": "/admin/",
            },
            headers={"Referer": f"{self.host}/admin/login/"},
            name="/admin/login/ [POST]",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302 and "sessionid" in self.client.cookies:
                response.success()
                SESSIONS[self.username] = self.client.cookies["sessionid"]
            else:
                response.failure(f"login refused ({response.status_code})")

    @task
    def listing(self):
        if self.username not in SESSIONS:
            return
        path = random.choice(STAFF_LISTINGS)
        response = self.get(path, allow_redirects=False)
        if "/admin/login/" in response.headers.get("Location", ""):  # a session lost
            STATUS["staff-signed-out"] += 1
