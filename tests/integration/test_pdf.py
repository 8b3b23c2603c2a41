"""Issue 6: the case plan and household file as PDFs, and batch printing (L7, M3, M5, U10).

The PDFs are real: WeasyPrint renders them and pypdf extracts their text, so every assertion
is about what a reader of the printout sees. Personas: street (东华门街道, may open children's
records), worker (agency; no child permission), dongcheng, city, auditor. Bystanders: a
household in another street and one in 朝阳区.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import socket

import pytest
from django.utils import timezone
from pypdf import PdfReader

from backoffice.demo.accounts import DEMO_AGENCY
from backoffice.enums import (
    AuditAction,
    AuditOutcome,
    Category,
    ChangeDegree,
    ExitReason,
    MeasureStatus,
    NeedType,
    PrintJobStatus,
    ReferralKind,
    ReferralTargetType,
    ServiceType,
    VisitKind,
)
from backoffice.models import (
    Agency,
    AuditEvent,
    Case,
    CaseSession,
    Household,
    HouseholdAssignment,
    LedgerExit,
    Need,
    Plan,
    PlanMeasure,
    PrintJob,
    Referral,
    Visit,
)
from backoffice.services import print_jobs
from portal import identity
from tests.conftest import as_actor, totp_now
from tests.integration.conftest import CHILD_ID, FULL_ID, ZHANG_ID

HOSTILE = '<img src="http://169.254.169.254/latest/meta-data/">'
DONGHUAMEN = "110101001000"


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def compact(text: str) -> str:
    """Letter-spaced titles come out as "个 案 帮 扶"; compare without spaces."""
    return re.sub(r"\s+", "", text)


def plan_url(household) -> str:
    return f"/admin/households/{household.pk}/pdf/plan/"


def file_url(household) -> str:
    return f"/admin/households/{household.pk}/pdf/file/"


def assign(household, user) -> None:
    HouseholdAssignment.objects.get_or_create(
        household=household, worker=user, defaults={"agency": Agency.objects.get(name=DEMO_AGENCY)}
    )


@pytest.fixture(autouse=True)
def remove_printed_files(db):
    """Batch files land under PRIVATE_MEDIA_ROOT; the database rolls back, the disk not."""
    yield
    for job in PrintJob.objects.exclude(file=""):
        job.file.delete(save=False)


@pytest.fixture
def no_network(monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network call attempted: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.fixture
def on_record(ledger, demo_users):
    """The 东华门 household with a plan, a case with sessions, a visit, a referral, an exit."""
    home, zhang, child = ledger["home"], ledger["zhang"], ledger["child"]
    street = demo_users["street"]
    today = timezone.localdate()
    Need.objects.create(
        household=home, person=zhang, need_type=NeedType.CARE, description="需要每日助餐"
    )
    Need.objects.create(
        household=home, person=child, need_type=NeedType.EDUCATION, description="张小需要课业辅导"
    )
    plan = Plan.objects.create(
        household=home,
        number=1,
        goals="老人每日有人照料，孙女按时上学",
        created_by_name="东华门演示",
    )
    PlanMeasure.objects.create(
        plan=plan,
        position=1,
        content="每周两次上门助餐",
        responsible="东华门街道养老驿站",
        due_on=today + dt.timedelta(days=60),
        status=MeasureStatus.IN_PROGRESS,
    )
    review = Visit.objects.create(
        kind=VisitKind.FOLLOW_UP,
        household=home,
        visited_on=today - dt.timedelta(days=3),
        visitors="社工王丽",
        findings="老人精神尚好，张小由奶奶接送",
        measures_progress="助餐已落实",
    )
    case = Case.objects.create(
        household=home,
        person=zhang,
        group=Category.S2,
        service_types=[ServiceType.EMOTIONAL_COMFORT],
        goals="缓解孤独感",
        worker=street,
        opened_on=today - dt.timedelta(days=20),
    )
    CaseSession.objects.create(
        case=case,
        held_on=today - dt.timedelta(days=10),
        worker=street,
        content="第一次上门陪伴聊天",
        change_degree=ChangeDegree.SOME,
    )
    Referral.objects.create(
        household=home,
        person=zhang,
        kind=ReferralKind.ELIGIBLE_NOT_ENROLLED,
        target_type=ReferralTargetType.STREET_DEPARTMENT,
        target="东华门街道社会保障所",
        description="符合高龄津贴条件未申领",
        due_on=today + dt.timedelta(days=10),
    )
    LedgerExit.objects.create(
        household=home,
        person=child,
        reason=ExitReason.MOVED_AWAY,
        reason_text="随父母迁往外省",
        review_visit=review,
        exited_on=today - dt.timedelta(days=1),
        decided_by_name="东华门演示",
    )
    return ledger


# The plan -------------------------------------------------------------------------------------


def test_l7_the_case_plan_pdf_reads_as_the_households_plan(login_as, on_record):
    home = on_record["home"]
    response = login_as("street").get(plan_url(home))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    flat = compact(text)
    for expected in (
        "个案帮扶方案",
        "（一户一策）",
        home.file_number,
        "东华门街道社会救助服务站",
        "东华门大街1号",
        "张三",
        "困境老年人·独居",  # the category with its ledger-standard items (L2)
        "照料人：（未登记）",
        "需要每日助餐",
        "老人每日有人照料",  # plan goals
        "每周两次上门助餐",  # a measure, with who is responsible and by when
        "东华门街道养老驿站",
        "第一次上门陪伴聊天",  # sessions so far (U10)
        "下次回访",
        "老人精神尚好",  # the follow-up visit
        "社工（签字）",
        "服务站（盖章）",
        "救助对象（签字）",
    ):
        assert compact(expected) in flat, expected


def test_b3_identifiers_are_printed_masked_only(login_as, on_record):
    text = pdf_text(login_as("street").get(plan_url(on_record["home"])).content)
    assert identity.mask_id_number(ZHANG_ID) in text
    assert "138****5678" in text
    assert ZHANG_ID not in text
    assert "13812345678" not in text
    assert not FULL_ID.search(compact(text))


def test_m3_every_page_carries_the_watermark_with_the_viewers_name_and_the_page_count(
    login_as, on_record
):
    reader = PdfReader(io.BytesIO(login_as("worker").get(plan_url(on_record["assigned"])).content))
    now = timezone.localtime()
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "内部资料 注意保密" in text
        assert "社工演示" in text  # the viewer's name, also in the footer with the username
        assert "（worker）" in text
        assert f"{now:%Y-%m-%d}" in text
        assert f"第 {number} 页 / 共 {len(reader.pages)} 页" in text


def test_b4_a_viewer_without_the_child_permission_does_not_find_the_child_in_the_pdfs(
    login_as, on_record, demo_users
):
    home = on_record["home"]
    assign(home, demo_users["worker"])
    client = login_as("worker")
    for url in (plan_url(home), file_url(home)):
        text = pdf_text(client.get(url).content)
        assert "张三" in text
        assert "未满14周岁儿童" in text
        assert "张小" not in text  # not in the table, the needs, the timeline or the exits
        assert identity.mask_id_number(CHILD_ID) not in text
        assert "2020-05-01" not in text


def test_b4_the_station_with_the_child_permission_sees_the_child(login_as, on_record):
    text = pdf_text(login_as("street").get(plan_url(on_record["home"])).content)
    assert "张小" in text
    assert identity.mask_id_number(CHILD_ID) in text


# The file -------------------------------------------------------------------------------------


def test_l7_the_household_file_pdf_holds_everything_on_record(login_as, on_record):
    home = on_record["home"]
    response = login_as("city").get(file_url(home))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    flat = compact(pdf_text(response.content))
    for expected in (
        "家庭档案",
        "（一户一档）",
        "张小需要课业辅导",  # needs
        "老人每日有人照料",  # the plan
        "第一次上门陪伴聊天",  # case sessions
        "助餐已落实",  # the visit's progress on the measures
        "东华门街道社会保障所",  # the referral
        "符合高龄津贴条件未申领",
        "随父母迁往外省",  # the member's exit
        "档案时间线",
        "新增成员张三",  # the timeline
        "市局演示",  # the viewer in the watermark
        "第1页/共",
    ):
        assert compact(expected) in flat, expected


def test_c1_each_print_is_audited_with_the_document_printed(login_as, on_record):
    home = on_record["home"]
    client = login_as("street")
    client.get(plan_url(home))
    client.get(file_url(home))
    prints = AuditEvent.objects.filter(
        action=AuditAction.PRINT, object_type="backoffice.household", object_id=str(home.pk)
    )
    assert sorted(e.detail["document"] for e in prints) == ["file", "plan"]
    assert all(e.actor_username == "street" and e.outcome == AuditOutcome.SUCCESS for e in prints)


# SECURITY E4 ----------------------------------------------------------------------------------


def test_e4_markup_in_notes_is_printed_as_text_and_fetches_nothing(login_as, ledger, no_network):
    home = ledger["home"]
    Need.objects.create(household=home, need_type=NeedType.OTHER, description=f"备注{HOSTILE}")
    Visit.objects.create(
        kind=VisitKind.FOLLOW_UP,
        household=home,
        visited_on=timezone.localdate(),
        visitors="社工",
        findings=f"走访情况{HOSTILE}<script>alert(1)</script>",
    )
    client = login_as("street")
    for url in (plan_url(home), file_url(home)):
        response = client.get(url)
        assert response.status_code == 200
        flat = compact(pdf_text(response.content))
        assert compact(f"备注{HOSTILE}") in flat  # escaped, so printed literally
        assert compact("<script>alert(1)</script>") in flat
    assert no_network == []


# SECURITY B1 ----------------------------------------------------------------------------------

OUTSIDE = [
    ("street", "other_street"),
    ("street", "far"),
    ("dongcheng", "far"),
    ("worker", "home"),
    ("worker", "far"),
    ("auditor", "home"),
]


@pytest.mark.parametrize("username, key", OUTSIDE)
@pytest.mark.parametrize("url", [plan_url, file_url])
def test_b1_pdfs_of_households_outside_the_scope_answer_404(login_as, ledger, username, key, url):
    assert login_as(username).get(url(ledger[key])).status_code == 404
    assert not AuditEvent.objects.filter(
        action=AuditAction.PRINT, object_id=str(ledger[key].pk)
    ).exists()


def test_the_household_page_offers_both_prints(login_as, ledger):
    home = ledger["home"]
    page = login_as("street").get(f"/admin/households/inspect/{home.pk}/").content.decode()
    assert plan_url(home) in page and "打印帮扶方案" in page
    assert file_url(home) in page and "打印一户一档" in page


# Failure --------------------------------------------------------------------------------------


def test_a_render_failure_shows_a_message_leaves_the_data_untouched_and_a_retry_works(
    login_as, on_record, monkeypatch
):
    from backoffice import pdf

    home = on_record["home"]
    before = Household.objects.values().get(pk=home.pk)
    counts = (Plan.objects.count(), Need.objects.count(), Visit.objects.count())

    def broken(*args, **kwargs):
        raise RuntimeError("cairo exploded")

    client = login_as("street")
    with monkeypatch.context() as patch:
        patch.setattr(pdf.HTML, "render", broken)
        response = client.get(plan_url(home), follow=True)
    assert response.redirect_chain[-1][0] == f"/admin/households/inspect/{home.pk}/"
    page = response.content.decode()
    assert "生成 PDF 失败，档案数据未受影响" in page
    assert "cairo" not in page  # C3: no internals on the page
    assert Household.objects.values().get(pk=home.pk) == before
    assert (Plan.objects.count(), Need.objects.count(), Visit.objects.count()) == counts
    assert AuditEvent.objects.filter(
        action=AuditAction.PRINT, object_id=str(home.pk), outcome=AuditOutcome.FAILURE
    ).exists()

    retry = client.get(plan_url(home))
    assert retry.status_code == 200
    assert "个案帮扶方案" in compact(pdf_text(retry.content))


# Batch printing -------------------------------------------------------------------------------


def start_street_job(client, django_capture_on_commit_callbacks, *, execute=True):
    with django_capture_on_commit_callbacks(execute=execute):
        response = client.post("/admin/print-jobs/", {"street": DONGHUAMEN, "otp_code": totp_now()})
    assert response.status_code == 302
    return PrintJob.objects.latest("id"), response


def test_a_street_batch_prints_all_its_plans_as_one_pdf_in_the_background(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("street")
    job, response = start_street_job(client, django_capture_on_commit_callbacks)
    assert response["Location"] == f"/admin/print-jobs/{job.pk}/"
    assert job.status == PrintJobStatus.DONE
    assert job.total == job.done == 2  # home and assigned; not the other street's household
    page = client.get(f"/admin/print-jobs/{job.pk}/").content.decode()
    assert "已完成" in page and 'http-equiv="refresh"' not in page
    assert f"/admin/print-jobs/{job.pk}/download/" in page

    download = client.get(f"/admin/print-jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert "no-store" in download["Cache-Control"]
    pdf = b"".join(download.streaming_content)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == job.pages
    assert ledger["home"].file_number in text and ledger["assigned"].file_number in text
    assert ledger["other_street"].file_number not in text
    assert text.count("第 1 页 / 共") == 2  # each household's plan is numbered on its own
    assert "东华门演示" in text
    printed = AuditEvent.objects.filter(
        action=AuditAction.PRINT, detail__batch=job.pk, object_type="backoffice.household"
    )
    assert sorted(printed.values_list("object_id", flat=True)) == sorted(
        [str(ledger["home"].pk), str(ledger["assigned"].pk)]
    )
    assert AuditEvent.objects.filter(action=AuditAction.DOWNLOAD, object_id=str(job.pk)).exists()


def test_the_batch_job_reports_progress_household_by_household(
    login_as, ledger, demo_users, monkeypatch
):
    seen = []
    render = print_jobs.household_document

    def watching(**kwargs):
        seen.append(PrintJob.objects.values_list("done", "status").get())
        return render(**kwargs)

    monkeypatch.setattr(print_jobs, "household_document", watching)
    job = print_jobs.print_job_create(
        actor=as_actor(demo_users["street"]), street=ledger["home"].street
    )
    job = print_jobs.print_job_run(job_id=job.pk)
    assert seen == [(0, PrintJobStatus.RUNNING), (1, PrintJobStatus.RUNNING)]
    assert (job.done, job.total, job.status) == (2, 2, PrintJobStatus.DONE)


def test_the_progress_page_refreshes_itself_until_the_file_is_ready(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("street")
    job, _response = start_street_job(client, django_capture_on_commit_callbacks, execute=False)
    assert job.status == PrintJobStatus.QUEUED
    PrintJob.objects.filter(pk=job.pk).update(status=PrintJobStatus.RUNNING, done=1)
    page = client.get(f"/admin/print-jobs/{job.pk}/").content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page
    assert '<progress id="job-progress" max="2" value="1">' in page
    assert "生成中" in page and "50%" in page
    assert "/download/" not in page
    assert client.get(f"/admin/print-jobs/{job.pk}/download/").status_code == 404


def test_b1_a_batch_job_and_its_file_belong_to_its_owner(
    login_as, ledger, demo_users, django_capture_on_commit_callbacks, client
):
    job, _response = start_street_job(login_as("street"), django_capture_on_commit_callbacks)
    for username in ("dongcheng", "city", "worker"):
        other = login_as(username)
        assert other.get(f"/admin/print-jobs/{job.pk}/").status_code == 404
        assert other.get(f"/admin/print-jobs/{job.pk}/download/").status_code == 404
        assert other.post(f"/admin/print-jobs/{job.pk}/retry/").status_code == 404
        assert (
            f"/admin/print-jobs/{job.pk}/" not in other.get("/admin/print-jobs/").content.decode()
        )


def test_b1_a_station_cannot_print_a_street_outside_its_scope(login_as, ledger):
    client = login_as("street")
    response = client.post("/admin/print-jobs/", {"street": "110101002000", "otp_code": totp_now()})
    assert response.status_code == 200
    assert not PrintJob.objects.exists()


def test_a_worker_prints_the_plans_of_its_caseload_only(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("worker")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/print-jobs/", {"otp_code": totp_now()})
    job = PrintJob.objects.get()
    assert response["Location"] == f"/admin/print-jobs/{job.pk}/"
    assert (job.kind, job.total, job.status) == ("caseload_plans", 1, PrintJobStatus.DONE)
    text = pdf_text(b"".join(client.get(f"/admin/print-jobs/{job.pk}/download/").streaming_content))
    assert ledger["assigned"].file_number in text
    assert ledger["home"].file_number not in text


def test_b5_the_auditor_cannot_batch_print(login_as, ledger):
    client = login_as("auditor")
    assert client.get("/admin/print-jobs/").status_code in (302, 403)  # Wagtail: back home
    form = {"street": DONGHUAMEN, "otp_code": totp_now()}
    assert client.post("/admin/print-jobs/", form).status_code in (302, 403)
    assert not PrintJob.objects.exists()


def test_a_failed_batch_job_says_so_and_a_retry_succeeds(
    login_as, ledger, monkeypatch, django_capture_on_commit_callbacks
):
    from backoffice import pdf

    client = login_as("street")
    with monkeypatch.context() as patch:
        patch.setattr(pdf.HTML, "render", lambda *a, **k: (_ for _ in ()).throw(OSError("x")))
        job, _response = start_street_job(client, django_capture_on_commit_callbacks)
    assert job.status == PrintJobStatus.FAILED and not job.file
    page = client.get(f"/admin/print-jobs/{job.pk}/").content.decode()
    assert "生成 PDF 失败" in page and "重试" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/print-jobs/{job.pk}/retry/")
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (PrintJobStatus.DONE, 2, 2)
    assert job.file


def test_a_batch_larger_than_a_chunk_is_joined_into_one_pdf_in_order(
    ledger, demo_users, monkeypatch
):
    monkeypatch.setattr(print_jobs, "CHUNK_SIZE", 1)  # each household its own chunk file
    job = print_jobs.print_job_create(
        actor=as_actor(demo_users["street"]), street=ledger["home"].street
    )
    job = print_jobs.print_job_run(job_id=job.pk)
    assert (job.status, job.done) == (PrintJobStatus.DONE, 2)
    with job.file.open("rb") as pdf:
        reader = PdfReader(pdf)
        texts = [page.extract_text() for page in reader.pages]
        outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert len(texts) == job.pages
    first = next(i for i, text in enumerate(texts) if ledger["assigned"].file_number in text)
    assert all(ledger["home"].file_number in text for text in texts[:first])
    assert outline == [
        f"个案帮扶方案 {ledger['home'].file_number}",
        f"个案帮扶方案 {ledger['assigned'].file_number}",
    ]
