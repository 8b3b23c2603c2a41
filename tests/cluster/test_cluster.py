"""Issue 19, items 2 and 3: the portal as a cluster, and what it does when parts of it fail.

Two gunicorn nodes (production settings) and two task workers on one PostgreSQL database,
Redis and an S3 server (tests/cluster/cluster.py says how they are started). Requests go round
robin over the nodes, as a load balancer sends them. Personas: residents filing reports with a
scan, each from an address of their own, and one person guessing lookup codes; the street's
staff member (street) who logs in, triages, downloads and prints the street's plans.

Faults driven here: PostgreSQL dropping the nodes' connections, Redis killed and started
again, a task worker killed in the middle of a print.

Run by `make test-cluster` only (CLUSTER=1, tests/cluster/conftest.py).
"""

from __future__ import annotations

import re
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import pytest

from portal.cache_backend import RETRY_SECONDS
from tests.cluster.cluster import LOOKUPS_PER_HOUR, NODE_WORKERS, Browser, Cluster, totp
from tests.intake import pdfs
from tests.intake.conftest import DONGHUAMEN, report_data

DONGHUAMEN_STREET = DONGHUAMEN["street"]
ERROR_PAGE = "系统暂时无法处理您的请求"
RECEIPT = re.compile(r"^/report/receipt/([A-Z0-9-]+)/$")
SCAN = pdfs.clean_pdf(pages=1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        cluster.start(households=400)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def staff(cluster):
    """The street's staff member, logged in once through node A (password + TOTP)."""
    browser = Browser("192.0.2.10")
    node = cluster.nodes[0]
    response = browser.post(
        node,
        "/admin/login/",
        {"username": "street", "password": "demo-pass-2026", "otp_token": totp()},
    )
    assert response.status_code == 302, response.text[:2000]
    return browser


def file_report(cluster, node, number: int, address: str) -> tuple[int, str]:
    """One resident's report with a scan; returns the status code and the reference."""
    browser = Browser(address)
    fields = report_data(
        form_token=str(uuid.uuid4()),
        what_happened=f"老人独居，近期摔伤后行动不便，无人照料（第 {number} 份）。",
    )
    fields["consent"] = "on"
    response = browser.post(
        node,
        "/report/",
        fields,
        files=[("supporting_files", (f"诊断证明{number}.pdf", SCAN, "application/pdf"))],
    )
    match = RECEIPT.match(response.headers.get("Location", ""))
    return response.status_code, (match.group(1) if match else response.text)


def report_row(cluster, reference: str) -> tuple[int, int]:
    return cluster.rows(
        "SELECT r.id, a.id FROM intake_report r JOIN intake_attachment a ON a.report_id = r.id"
        " WHERE r.reference = %s",
        [reference],
    )[0]


def assert_every_report_whole(cluster) -> None:
    """G1: a report never lacks its scan, its consent or its notice, and every scan is in the
    bucket (no report whose files are missing)."""
    incomplete = cluster.rows(
        "SELECT r.reference FROM intake_report r WHERE r.route = 'report' AND ("
        " NOT EXISTS (SELECT 1 FROM intake_attachment a WHERE a.report_id = r.id)"
        " OR NOT EXISTS (SELECT 1 FROM intake_consentrecord c WHERE c.report_id = r.id)"
        " OR NOT EXISTS (SELECT 1 FROM intake_notification n WHERE n.report_id = r.id))"
    )
    assert incomplete == []
    stored = set(cluster.bucket.keys("private/intake/"))
    files = {f"private/{name}" for (name,) in cluster.rows("SELECT file FROM intake_attachment")}
    assert files <= stored


def file_reports_while(cluster, fault, numbers: range, address) -> list[tuple[int, str]]:
    """Reports filed four at a time round robin over the nodes; `fault()` strikes once the
    first six have arrived. Returns each request's (status, reference or page)."""
    before = cluster.value("SELECT count(*) FROM intake_report WHERE route = 'report'")
    jobs = [(node, number) for number, node in zip(numbers, cycle(cluster.nodes))]
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [
            pool.submit(file_report, cluster, node, number, address(number))
            for node, number in jobs
        ]
        cluster.wait_for(
            "SELECT count(*) >= %s FROM intake_report WHERE route = 'report'",
            [before + 6],
            what="the first reports of the load",
        )
        fault()
        return [future.result() for future in futures]


def assert_every_notice_sent_once(cluster) -> None:
    cluster.wait_for(
        "SELECT NOT EXISTS (SELECT 1 FROM intake_notification WHERE status <> 'sent')",
        what="every notice to be sent",
    )
    assert cluster.value("SELECT max(attempts) FROM intake_notification") == 1


def assert_every_task_ran_once(cluster, *, lost: int = 0) -> None:
    cluster.tasks_settled()
    rows = cluster.rows(
        "SELECT status, jsonb_array_length(worker_ids), exception_class_path"
        " FROM django_tasks_database_dbtaskresult"
    )
    assert rows, "no task ran"
    assert all(claims == 1 for _status, claims, _error in rows), rows  # claimed once each
    failed = [row for row in rows if row[0] != "SUCCESSFUL"]
    assert len(failed) == lost and all("WorkerLost" in row[2] for row in failed), failed


def test_reports_triage_and_a_batch_print_across_two_nodes_and_two_workers(cluster, staff):
    node_a, node_b = cluster.nodes
    nodes = cycle(cluster.nodes)

    # Residents file round robin over the nodes; each receipt opens on the other node too.
    filed = []
    for number in range(8):
        node = next(nodes)
        status, reference = file_report(cluster, node, number, f"203.0.113.{number + 1}")
        assert status == 302, reference[:2000]
        filed.append((node, reference))
    assert cluster.value("SELECT count(*) FROM intake_report WHERE route = 'report'") == 8

    # The session made on node A works on node B: the staff queue lists every report.
    queue = staff.get(node_b, "/admin/reports/")
    assert queue.status_code == 200
    assert all(reference in queue.text for _node, reference in filed)

    # A scan uploaded through one node downloads through the other, byte for byte.
    for uploaded_on, reference in filed[:4]:
        other = node_b if uploaded_on is node_a else node_a
        report_id, attachment_id = report_row(cluster, reference)
        download = staff.get(other, f"/admin/reports/{report_id}/attachments/{attachment_id}/")
        assert download.status_code == 200
        assert download.content == SCAN

    # Triage round robin: each report assigned to the demo agency's worker, on either node.
    agency = cluster.value("SELECT id FROM backoffice_agency ORDER BY id LIMIT 1")
    worker = cluster.value("SELECT id FROM auth_user WHERE username = 'worker'")
    for node, (_filed_on, reference) in zip(nodes, filed[:4], strict=False):
        report_id, _attachment = report_row(cluster, reference)
        response = staff.post(
            node,
            f"/admin/reports/{report_id}/assign/",
            {"agency": agency, "worker": worker},
            form_page=f"/admin/reports/{report_id}/",
        )
        assert response.status_code == 302
    assert (
        cluster.value(
            "SELECT count(*) FROM intake_report WHERE status = 'assigned' AND reference = ANY(%s)",
            [[reference for _node, reference in filed[:4]]],
        )
        == 4
    )

    # A batch print of the street's plans, asked on node B, rendered by a worker, downloaded
    # through node A.
    job_id = start_print(cluster, staff, node_b)
    status = cluster.wait_for(
        "SELECT status FROM backoffice_printjob WHERE id = %s AND status IN ('done', 'failed')",
        [job_id],
        what="the batch print",
    )
    assert status == "done"
    total, done, name = cluster.rows(
        "SELECT total, done, file FROM backoffice_printjob WHERE id = %s", [job_id]
    )[0]
    assert total == done > 0
    download = staff.get(node_a, f"/admin/print-jobs/{job_id}/download/")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert download.content == cluster.bucket.body(f"private/{name}")
    printed = cluster.value(
        "SELECT count(*) FROM backoffice_auditevent WHERE action = 'print'"
        " AND object_type = 'backoffice.household' AND detail->>'batch' = %s",
        [str(job_id)],
    )
    assert printed == total  # every household printed once, by one worker
    worker_logs = "".join(cluster.log(name, tail=None) for name in cluster.worker_names)
    assert "PdfResourceRefused" not in worker_logs  # the plans kept their stylesheet

    # The notices of every report went out once each, whichever worker ran the delivery.
    assert_every_notice_sent_once(cluster)
    assert_every_report_whole(cluster)
    assert_every_task_ran_once(cluster)


def fresh_code(cluster) -> str:
    """A code the street's device has not accepted yet: each code is accepted once (A3), and
    the device allows one 30-second step of drift, so the next step's code is good at once
    after the login's; if that one was used too, wait for the clock to catch up."""
    last = cluster.value(
        "SELECT d.last_t FROM otp_totp_totpdevice d JOIN auth_user u ON u.id = d.user_id"
        " WHERE u.username = 'street' AND d.confirmed"
    )
    step = max(int(time.time()) // 30 - 1, last + 1)
    while step > int(time.time()) // 30 + 1:
        time.sleep(1)
    return totp(at_step=step)


def start_print(cluster, staff, node) -> int:
    """Ask for the street's batch print (it asks for the code again: SECURITY E3)."""
    response = staff.post(
        node,
        "/admin/print-jobs/",
        {"street": DONGHUAMEN_STREET, "otp_code": fresh_code(cluster)},
    )
    assert response.status_code == 302, response.text[:3000]
    return int(re.search(r"/admin/print-jobs/(\d+)/", response.headers["Location"]).group(1))


def guess_codes(cluster, addresses: tuple[str, ...]) -> list[int]:
    """One address guessing lookup codes round robin over the nodes, the limit and three more
    times; the answers' status codes. The counts start again each clock hour: if the hour
    turned during the guesses, the next address guesses again."""
    for address in addresses:
        hour = int(time.time()) // 3600
        guesser = Browser(address)
        answers = []
        for attempt, node in zip(range(LOOKUPS_PER_HOUR + 3), cycle(cluster.nodes), strict=False):
            response = guesser.post(
                node,
                "/report/status/",
                {"reference": "BJ261130-AAAA-AAAA", "code": f"{attempt:08d}"},
            )
            answers.append(response.status_code)
        if int(time.time()) // 3600 == hour:
            break
    return answers


def test_the_status_lookup_limit_is_shared_by_every_node(cluster):
    """E5: one address guessing lookup codes is stopped after the limit, whichever node (and
    gunicorn worker) answers: the count is in Redis, not in a process."""
    answers = guess_codes(cluster, ("198.51.100.7", "198.51.100.9"))
    assert answers == [200] * LOOKUPS_PER_HOUR + [429] * 3
    # Another address is not affected.
    other = Browser("198.51.100.8").post(
        cluster.nodes[1], "/report/status/", {"reference": "BJ261130-AAAA-AAAA", "code": "1"}
    )
    assert other.status_code == 200


def test_the_database_dropping_the_nodes_connections_under_load_loses_no_report(cluster):
    """Fault: PostgreSQL terminates every connection of the web nodes while reports arrive.
    Each request either succeeds (its report whole) or gets the Chinese error page, never a
    trace; a report acknowledged is never missing; the nodes recover at once."""
    terminated = []

    def terminate():
        terminated.append(
            cluster.value(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = 'cluster-web'"
            )
        )

    results = file_reports_while(cluster, terminate, range(100, 124), lambda n: f"203.0.113.{n}")
    assert terminated[0] > 0
    acknowledged = [reference for status, reference in results if status == 302]
    for status, body in results:
        assert status in (302, 500), (status, body[:500])
        if status == 500:
            assert ERROR_PAGE in body and "Traceback" not in body
    assert len(acknowledged) >= 6
    stored = {row[0] for row in cluster.rows("SELECT reference FROM intake_report")}
    assert set(acknowledged) <= stored  # no acknowledged report lost
    assert_every_report_whole(cluster)

    # The nodes reconnect by themselves.
    for number, node in enumerate(cluster.nodes, start=200):
        status, reference = file_report(cluster, node, number, f"203.0.113.{number - 150}")
        assert status == 302, reference[:2000]
    assert_every_notice_sent_once(cluster)


def test_redis_going_away_under_load_loses_nothing_and_the_nodes_come_back_to_it(cluster, staff):
    """Fault: Redis is killed while reports arrive. Public intake keeps working (every report
    accepted and whole), each node logs that it now counts limits itself at a stricter level,
    a guesser is still stopped (sooner), the staff session (a database row) still works; once
    Redis is back the nodes use it again by themselves and the limit is shared again."""
    try:
        results = file_reports_while(
            cluster, cluster.stop_redis, range(300, 324), lambda n: f"203.0.113.{n - 100}"
        )
        assert [status for status, _reference in results] == [302] * 24, results
        filed = [reference for _status, reference in results]
        stored = {row[0] for row in cluster.rows("SELECT reference FROM intake_report")}
        assert set(filed) <= stored

        # Every node noticed, and said what it does instead (once per process, not per call).
        for node in cluster.nodes:
            assert "Redis unreachable" in cluster.log(node.name, tail=None)
            assert "stricter local level" in cluster.log(node.name, tail=None)

        # Staff keep working: the session is in the database.
        for node, reference in zip(cluster.nodes, filed[-2:], strict=True):
            report_id, _attachment = report_row(cluster, reference)
            page = staff.get(node, f"/admin/reports/{report_id}/")
            assert page.status_code == 200 and reference in page.text

        # A guesser is stopped sooner: each process allows a quarter of the limit (one lookup
        # of six), so a 429 comes before the shared limit would give one. Which process takes
        # each request is the kernel's choice: one that has not yet seen the guesser may
        # answer late in the run, but no process answers twice.
        answers = guess_codes(cluster, ("198.51.100.20", "198.51.100.21"))
        processes = len(cluster.nodes) * NODE_WORKERS
        assert 0 < answers.count(200) <= min(processes, LOOKUPS_PER_HOUR - 1), answers
        assert 429 in answers[:LOOKUPS_PER_HOUR], answers
    finally:
        if "redis" not in cluster.processes:
            cluster.start_redis()

    # Redis is back (empty): after the nodes' retry interval every process uses it again, and
    # the limit is the shared one once more.
    time.sleep(RETRY_SECONDS + 1)
    status, reference = file_report(cluster, cluster.nodes[0], 400, "203.0.113.240")
    assert status == 302, reference[:2000]
    assert any(b"ratelimit" in key for key in cluster.redis.keys())
    assert guess_codes(cluster, ("198.51.100.22", "198.51.100.23")) == (
        [200] * LOOKUPS_PER_HOUR + [429] * 3
    )
    assert_every_notice_sent_once(cluster)
    assert_every_report_whole(cluster)
    assert_every_task_ran_once(cluster)


def test_a_worker_killed_in_the_middle_of_a_batch_print_leaves_it_failed_then_it_prints_again(
    cluster, staff
):
    """Fault: the worker rendering a batch print is killed (SIGKILL, its children too). The job
    does not stay "生成中": `tasks_recover` marks it failed with a message on its page, the
    staff member presses 重试 and the other worker prints it whole."""
    node_a, node_b = cluster.nodes
    job_id = start_print(cluster, staff, node_a)
    worker_id = cluster.wait_for(
        "SELECT t.worker_ids->>0 FROM django_tasks_database_dbtaskresult t, backoffice_printjob j"
        " WHERE j.id = %s AND j.status = 'running' AND j.done >= 1 AND j.done < j.total"
        " AND t.task_path = 'backoffice.tasks.print_job_render' AND t.status = 'RUNNING'"
        " AND t.args_kwargs->'args'->>0 = %s",
        [job_id, str(job_id)],
        what="the print to be under way",
    )
    cluster.kill(worker_id, signal.SIGKILL)
    cluster.processes[worker_id].wait(timeout=30)
    assert cluster.value("SELECT status FROM backoffice_printjob WHERE id = %s", [job_id]) == (
        "running"
    )

    recover = cluster.spawn("recover", ["manage.py", "tasks_recover", "--older-than-minutes", "0"])
    cluster.wait_done(recover, 120)
    page = staff.get(node_b, f"/admin/print-jobs/{job_id}/")
    assert "打印中断" in page.text and "重试" in page.text

    retry = staff.post(
        node_b, f"/admin/print-jobs/{job_id}/retry/", {}, form_page=f"/admin/print-jobs/{job_id}/"
    )
    assert retry.status_code == 302
    status = cluster.wait_for(
        "SELECT status FROM backoffice_printjob WHERE id = %s AND status IN ('done', 'failed')",
        [job_id],
        what="the retried print",
    )
    assert status == "done"
    assert staff.get(node_a, f"/admin/print-jobs/{job_id}/download/").status_code == 200
    cluster.start_worker(worker_id)  # the supervisor (systemd) would restart it
    assert_every_task_ran_once(cluster, lost=1)
