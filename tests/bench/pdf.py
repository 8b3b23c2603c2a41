"""Issue 6 benchmarks (DESIGN.md targets): the case plan PDF and a batch of plans.

- the median time of a 3-page Chinese case plan through the whole path: the admin view behind
  the OTP gate (scope, queries, template, WeasyPrint with the static-only fetcher, audit),
  target <= 0.4 s;
- its ratio to bare WeasyPrint rendering the same HTML string, target <= 1.3 (both load the
  stylesheet through the same fetcher; "bare" means no Django at all);
- 500 plans as one PDF through the batch print job (a worker's caseload), target <= 3 min
  (`BENCH_PDF_BATCH=50` runs fewer; the target is judged only at 500 or more).

Wall times depend on what else the machine runs; each row also records CPU time (`extra`),
which other processes disturb much less.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import resource
import statistics
import time

from django.contrib.auth import get_user_model
from django.test.utils import override_settings
from django.utils import timezone
from pypdf import PdfReader
from weasyprint import HTML

from backoffice.actor import user_actor
from backoffice.demo.accounts import DEMO_AGENCY, demo_accounts_create
from backoffice.enums import (
    BenefitType,
    Category,
    ChangeDegree,
    Channel,
    Education,
    Employment,
    EntryRoute,
    Health,
    MeasureStatus,
    NeedStatus,
    NeedType,
    PrintDocument,
    Relation,
    Role,
    ServiceType,
    Sex,
    Subtype,
    TimelineKind,
    VisitKind,
)
from backoffice.models import (
    Agency,
    Area,
    Benefit,
    Case,
    CaseSession,
    Household,
    HouseholdAssignment,
    HouseholdEvent,
    Need,
    Person,
    PersonCategory,
    Plan,
    PlanMeasure,
    PrintJob,
    Visit,
)
from backoffice.pdf import PDF_BASE_URL, StaticOnlyFetcher, html_render
from backoffice.services.pdf import TEMPLATES, Viewer, household_document
from backoffice.services.print_jobs import batch_processes, print_job_create, print_job_run
from backoffice.services.staff import staff_assign
from portal import identity
from tests.bench.foundation import _verified_client
from tests.bench.harness import Result

BATCH = int(os.environ.get("BENCH_PDF_BATCH", "500"))
BATCH_FULL = 500
BATCH_LIMIT_S = 180
MEDIAN_LIMIT_S = 0.4
RATIO_LIMIT = 1.3
RUNS = int(os.environ.get("BENCH_PDF_RUNS", "20"))
STREET = "110101001000"  # 东华门街道
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "秀英桂兰建国淑珍志强海燕玉梅德明春华永刚丽娟文杰晓东"
FINDINGS = (
    "老人独居于老旧平房，行动不便，日常起居依靠邻居照应。屋内取暖设施老化，冬季存在安全隐患。"
    "子女在外地务工，每月电话联系一次。老人患有高血压、糖尿病，需长期服药，药费负担较重。"
)
NEEDS = (
    (NeedType.MEDICAL, "慢性病长期服药，门诊自付部分负担较重，希望了解医疗救助和门特政策。"),
    (NeedType.CARE, "独居，行动不便，需要助餐、助洁和定期探访服务。"),
    (NeedType.HOUSING, "平房取暖设施老化，需协调煤改电设备检修及适老化改造。"),
    (NeedType.PSYCHOLOGICAL, "近期情绪低落，需要心理疏导与社会支持网络。"),
)
MEASURES = (
    ("协助申请医疗救助和门诊特殊病报销", "东华门街道社会保障所"),
    ("链接养老驿站，每周三次上门助餐、每月两次助洁", "东华门街道养老驿站"),
    ("协调煤改电设备检修，评估适老化改造", "东华门街道城市管理办公室"),
    ("每两周一次上门陪伴聊天，建立邻里互助小组", "东城区阳光社会工作服务中心"),
)
SESSIONS = (
    "建立专业关系，了解老人生活作息、健康状况和社会支持网络。",
    "讲解高龄津贴、医疗救助政策，协助准备申请材料。",
    "陪同老人到社区卫生服务中心复诊，整理用药清单。",
    "组织邻里互助小组首次活动，老人参与意愿较强。",
    "回顾服务目标完成情况，老人情绪明显好转，约定后续跟进。",
)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))


def plan_households_create(*, count: int, worker, seed: int = 6) -> list[Household]:
    """`count` households of 东华门街道 whose case plans run to three A4 pages each:
    four members, two categories, benefits, four needs, a plan with four measures, a case with
    five sessions (U10), two visits."""
    rng = random.Random(seed)
    communities = list(Area.objects.filter(street_id=STREET, level="community").order_by("code"))
    today = timezone.localdate()
    start = Household.objects.filter(file_number__startswith="BENCH-").count()
    households = Household.objects.bulk_create(
        Household(
            file_number=f"BENCH-{start + i:06d}",
            district_id="110101000000",
            street_id=STREET,
            community=communities[i % len(communities)],
            address=f"东华门街道南池子大街{i % 90 + 1}号院{i % 7 + 1}号楼",
            entry_route=EntryRoute.SURVEY,
            learned_on=today - dt.timedelta(days=200),
            entered_on=today - dt.timedelta(days=190),
            next_visit_due=today + dt.timedelta(days=20 + i % 30),
            completeness=90,
        )
        for i in range(count)
    )
    people = []
    relations = (Relation.HEAD, Relation.SPOUSE, Relation.CHILD, Relation.GRANDCHILD)
    for h_index, household in enumerate(households):
        for m_index, relation in enumerate(relations):
            born = dt.date(1948 + m_index * 20, 1 + h_index % 12, 9)
            id_number = identity.make_id_number(
                area_code="110101",
                birth=born,
                sequence=(h_index * 4 + m_index) % 999 + 1,
                female=m_index % 2 == 1,
            )
            people.append(
                Person(
                    household=household,
                    relation=relation,
                    name=_name(rng),
                    name_initials="x",
                    sex=Sex.FEMALE if m_index % 2 else Sex.MALE,
                    birth_date=born,
                    id_number_masked=identity.mask_id_number(id_number),
                    phone_masked="138****5678",
                    education=Education.JUNIOR,
                    employment=Employment.UNEMPLOYED if m_index < 2 else Employment.STUDENT,
                    health=Health.CHRONIC if m_index == 0 else Health.HEALTHY,
                )
            )
    Person.objects.bulk_create(people)
    heads = [p for p in people if p.relation == Relation.HEAD]
    PersonCategory.objects.bulk_create(
        record
        for head in heads
        for record in (
            PersonCategory(
                person=head,
                category=Category.S1,
                subtype=Subtype.DIBAO_URBAN,
                since=today - dt.timedelta(days=400),
            ),
            PersonCategory(
                person=head,
                category=Category.S2,
                subtype=Subtype.LIVING_ALONE,
                since=today - dt.timedelta(days=300),
                details={"caregiver": "邻居王某某（每日照看）", "guardian": "长子（外地）"},
            ),
        )
    )
    Benefit.objects.bulk_create(
        Benefit(person=head, benefit_type=kind, monthly_amount=amount)
        for head in heads
        for kind, amount in ((BenefitType.DIBAO, 1420), (BenefitType.ELDER_ALLOWANCE, 100))
    )
    Need.objects.bulk_create(
        Need(
            household=head.household,
            person=head,
            need_type=need_type,
            description=text,
            status=NeedStatus.OPEN if n % 2 else NeedStatus.IN_PROGRESS,
        )
        for head in heads
        for n, (need_type, text) in enumerate(NEEDS)
    )
    plans = Plan.objects.bulk_create(
        Plan(
            household=household,
            number=1,
            goals="老人每日有人照料，就医和用药有保障，冬季取暖安全，情绪稳定并融入邻里。",
            created_by_name="东华门演示",
        )
        for household in households
    )
    PlanMeasure.objects.bulk_create(
        PlanMeasure(
            plan=plan,
            position=n,
            content=content,
            responsible=responsible,
            due_on=today + dt.timedelta(days=30 * (n + 1)),
            status=MeasureStatus.IN_PROGRESS if n < 2 else MeasureStatus.PLANNED,
        )
        for plan in plans
        for n, (content, responsible) in enumerate(MEASURES)
    )
    cases = Case.objects.bulk_create(
        Case(
            household=head.household,
            person=head,
            group=Category.S2,
            service_types=[ServiceType.EMOTIONAL_COMFORT, ServiceType.POLICY_INFORMATION],
            goals="缓解孤独感，了解并申领应享的保障待遇。",
            worker=worker,
            opened_on=today - dt.timedelta(days=90),
        )
        for head in heads
    )
    CaseSession.objects.bulk_create(
        CaseSession(
            case=case,
            held_on=today - dt.timedelta(days=80 - 15 * n),
            worker=worker,
            service_type=ServiceType.EMOTIONAL_COMFORT,
            content=text,
            change_degree=ChangeDegree.SOME,
        )
        for case in cases
        for n, text in enumerate(SESSIONS)
    )
    Visit.objects.bulk_create(
        Visit(
            kind=VisitKind.FOLLOW_UP if v else VisitKind.INTAKE_INTERVIEW,
            household=household,
            visited_on=today - dt.timedelta(days=60 * (2 - v)),
            visitors="社工演示、社区网格员",
            findings=FINDINGS,
            needs="医疗、照料、取暖设施检修",
        )
        for household in households
        for v in range(1)
    )
    HouseholdEvent.objects.bulk_create(
        HouseholdEvent(
            household=household, kind=TimelineKind.VISIT, summary="跟踪回访", actor_name="社工演示"
        )
        for household in households
    )
    return households


def _plan_html(household: Household, user) -> str:
    template = TEMPLATES[PrintDocument.PLAN]
    context = household_document(
        household=household,
        viewer=Viewer.of(user_actor(user, channel=Channel.WEB)),
        kind=PrintDocument.PLAN,
    )
    return html_render(template, context)


def _timed(fn, runs: int, cpu: list[float]) -> list[float]:
    """Wall times of `runs` calls; their CPU times go to `cpu` (this process only)."""
    samples = []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return samples


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the batch's worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _single(client, user, household: Household) -> list[Result]:
    """The admin view against bare WeasyPrint on the HTML string the same path produced."""
    url = f"/admin/households/{household.pk}/pdf/plan/"
    html = _plan_html(household, user)

    def ours():
        response = client.get(url)
        if response.status_code != 200:
            raise AssertionError(f"{url}: {response.status_code}")
        return response.content

    def bare():
        HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=StaticOnlyFetcher()).write_pdf()

    pages = len(PdfReader(io.BytesIO(ours())).pages)
    bare()  # warm-up: fonts loaded, templates compiled
    ours_s, bare_s, ours_cpu, bare_cpu = [], [], [], []
    for _ in range(RUNS // 2 or 1):  # interleaved, so both see the same machine
        ours_s += _timed(ours, 2, ours_cpu)
        bare_s += _timed(bare, 2, bare_cpu)
    ours_median = statistics.median(ours_s)
    bare_median = statistics.median(bare_s)
    ratio = ours_median / bare_median
    return [
        Result(
            name=f"case plan PDF, {pages} pages (admin view, full path)",
            n=len(ours_s),
            p50_ms=round(ours_median * 1000, 1),
            p95_ms=round(sorted(ours_s)[int(0.95 * (len(ours_s) - 1))] * 1000, 1),
            target=f"median <= {MEDIAN_LIMIT_S * 1000:.0f} ms",
            ok=ours_median <= MEDIAN_LIMIT_S,
            extra={"pages": pages, "cpu_ms_median": round(statistics.median(ours_cpu) * 1000)},
        ),
        Result(
            name="case plan PDF, bare WeasyPrint, same HTML",
            n=len(bare_s),
            p50_ms=round(bare_median * 1000, 1),
            p95_ms=round(sorted(bare_s)[int(0.95 * (len(bare_s) - 1))] * 1000, 1),
            target=f"full/bare <= {RATIO_LIMIT} (got {ratio:.2f})",
            ok=ratio <= RATIO_LIMIT,
            extra={
                "ratio": round(ratio, 3),
                "cpu_ms_median": round(statistics.median(bare_cpu) * 1000),
            },
        ),
    ]


def _bench_worker(households: list[Household]):
    """A social worker whose caseload is exactly the benchmark's households: the ledger
    benchmark may have seeded tens of thousands of files into 东华门街道 before this one runs,
    so "all plans of the street" would not be 500 plans."""
    user, _created = get_user_model().objects.get_or_create(
        username="pdf-bench", defaults={"first_name": "批量打印基准"}
    )
    agency = Agency.objects.get(name=DEMO_AGENCY)
    staff_assign(user=user, role=Role.AGENCY_WORKER, agency=agency)
    HouseholdAssignment.objects.bulk_create(
        HouseholdAssignment(household=household, worker=user, agency=agency)
        for household in households
    )
    return user


def _batch(user) -> Result:
    """From the request that records the job to the finished file. Outside a transaction
    the job is queued at once and the test settings' immediate backend runs it right there;
    `print_job_run` afterwards only finds it done (or runs it, with a queueing backend)."""
    started, started_cpu = time.perf_counter(), _cpu_seconds()
    job = print_job_create(actor=user_actor(user, channel=Channel.WEB))  # the caseload
    job = print_job_run(job_id=job.pk)
    seconds = time.perf_counter() - started
    cpu_seconds = _cpu_seconds() - started_cpu
    if job.status != "done":
        raise AssertionError(f"batch print failed: {job.error}")
    full = job.total >= BATCH_FULL
    return Result(
        name=f"batch print, {job.total} plans as one PDF ({job.pages} pages)",
        n=1,
        p50_ms=round(seconds * 1000, 1),
        p95_ms=round(seconds * 1000, 1),
        target=f"{BATCH_FULL} plans <= {BATCH_LIMIT_S} s",
        ok=seconds <= BATCH_LIMIT_S if full else None,
        extra={
            "seconds": round(seconds, 1),
            "plans": job.total,
            "pages": job.pages,
            "processes": batch_processes(),
            "ms_per_plan": round(seconds * 1000 / job.total, 1),
            "cpu_ms_per_plan": round(cpu_seconds * 1000 / job.total, 1),
            "megabytes": round(job.file.size / 1e6, 1),
        },
    )


@override_settings(ALLOWED_HOSTS=["*"])
def run() -> list[Result]:
    demo_accounts_create()
    users = get_user_model().objects
    street, worker = users.get(username="street"), users.get(username="worker")
    (household,) = plan_households_create(count=1, worker=worker)
    results = _single(_verified_client("street"), street, household)
    others = plan_households_create(count=max(BATCH - 1, 0), worker=worker, seed=7)
    results.append(_batch(_bench_worker([household, *others])))
    for job in PrintJob.objects.all():
        job.file.delete(save=False)
    return results
