"""A generated site of the bureau's pages, and the labelled search queries (issue 14).

`generated_pages(n)` builds `n` deterministic pages across the other topics a civil-affairs
site publishes (elderly care, marriage registration, funeral management, social
organisations, place names, charity), with 文号, districts and streets, and a few that mention
the assistance words too, so that the demo pages compete with realistic neighbours. Used with
a few dozen pages by the suite and with 10,000 by the benchmark (tests/bench/portal.py).

LABELLED: (query, expected slugs) over the demo pages (portal/demo/pages) and generated ones
(slug "gen-<i>"): two-character words, synonyms, 文号 in every form, district names, mixed
Latin and Chinese. `quality(search)` measures recall@10 and MRR.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

DISTRICTS = ["东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "通州区", "昌平区"]
STREETS = [
    "安定门街道",
    "月坛街道",
    "望京街道",
    "中关村街道",
    "卢沟桥街道",
    "古城街道",
    "永顺镇",
    "回龙观地区",
]
TOPICS = [
    ("养老服务驿站建设", "养老服务驿站为周边老年人提供助餐、助洁、助浴和日间照料服务。"),
    ("婚姻登记预约", "婚姻登记实行网上预约，当事人持身份证件和户口簿到婚姻登记处办理。"),
    ("殡葬服务管理", "公益性公墓和骨灰堂实行政府指导价，严禁违规销售超规格墓位。"),
    ("社会组织年度检查", "社会组织应当在规定时间内报送年度工作报告，接受登记管理机关检查。"),
    ("地名标志设置", "地名标志按照国家标准设置，标注规范汉字和汉语拼音。"),
    ("慈善捐赠管理", "慈善组织接受捐赠应当开具捐赠票据，定期公开募捐和使用情况。"),
    ("志愿服务记录", "志愿服务组织应当如实记录志愿者的服务时间和服务内容。"),
    ("养老机构消防安全", "养老机构应当落实消防安全责任制，定期开展消防演练和隐患排查。"),
    ("社区服务设施", "社区综合服务设施用于开展便民服务、议事协商和文化活动。"),
    ("儿童福利机构管理", "儿童福利机构应当为孤儿提供养育、医疗、康复和教育服务。"),
]
ASSISTANCE_SENTENCES = [
    "对其中符合条件的困难群众，及时纳入最低生活保障范围。",
    "遇到突发困难的，可以申请临时救助。",
    "街道（乡镇）社会救助服务站负责受理群众的救助申请。",
]
ISSUERS = ["京民福发", "京民养老发", "京民婚发", "京民社组发", "京民区划发", "京民慈发"]
STAT_TOPICS = ["养老机构和床位情况", "婚姻登记情况", "社会组织登记情况", "殡葬服务情况"]
# Numbers the demo pages use, kept away from generated 文号 so labelled answers stay exact.
DEMO_NUMBERS = {(2018, 195), (2025, 88), (2024, 41), (2025, 12), (2026, 3), (2026, 7), (2023, 2)}


@dataclass
class PageSpec:
    kind: str
    slug: str
    title: str
    date: dt.date
    body: str
    doc_number: str = ""
    period: tuple[int, int] | None = None
    notice_index: int | None = None
    publication_ends: dt.date | None = None


def generated_pages(count: int, *, seed: int = 14) -> list[PageSpec]:
    rng = random.Random(seed)
    specs: list[PageSpec] = []
    numbers: dict[int, int] = {}
    notices: list[int] = []
    today = timezone.localdate()
    for i in range(count):
        district = DISTRICTS[i % len(DISTRICTS)]
        street = STREETS[(i * 7) % len(STREETS)]
        topic, sentence = TOPICS[(i * 3) % len(TOPICS)]
        year = 2010 + (i * 7) % 13
        date = dt.date(year, 1 + (i * 5) % 12, 1 + (i * 11) % 28)
        paragraphs = [
            f"为做好{district}{street}{topic}工作，现将有关事项通知如下。",
            sentence,
            f"{district}民政局要加强指导，{street}要明确专人负责，确保工作落到实处。",
        ]
        if rng.random() < 0.08:
            paragraphs.append(rng.choice(ASSISTANCE_SENTENCES))
        paragraphs += [sentence] * rng.randint(0, 3)
        body = "\n\n".join(paragraphs)
        roll = i % 20
        if roll < 12:
            number = numbers.get(year, 0) + 1
            while (year, number) in DEMO_NUMBERS:
                number += 1
            numbers[year] = number
            doc_number = f"{ISSUERS[i % len(ISSUERS)]}〔{year}〕{number}号"
            specs.append(
                PageSpec(
                    "notice",
                    f"gen-{i}",
                    f"关于做好{district}{topic}工作的通知",
                    date,
                    body,
                    doc_number=doc_number,
                )
            )
            notices.append(i)
        elif roll < 15 and notices:
            target = notices[(i * 31) % len(notices)]
            specs.append(
                PageSpec(
                    "interpretation",
                    f"gen-{i}",
                    f"{topic}政策问答（{district}）",
                    date,
                    body,
                    notice_index=target,
                )
            )
        elif roll < 18:
            month = 1 + i % 12
            stat = STAT_TOPICS[i % len(STAT_TOPICS)]
            specs.append(
                PageSpec(
                    "statistics",
                    f"gen-{i}",
                    f"{year}年{month}月{stat}（{district}）",
                    date,
                    f"{district}{stat}：{body}",
                    period=(year, month),
                )
            )
        else:
            number = numbers.get(year, 0) + 1
            while (year, number) in DEMO_NUMBERS:
                number += 1
            numbers[year] = number
            ends = today + dt.timedelta(days=365) if i % 3 else today - dt.timedelta(days=30)
            specs.append(
                PageSpec(
                    "disclosure",
                    f"gen-{i}",
                    f"{district}某社会组织行政处罚决定",
                    date,
                    body,
                    doc_number=f"京民罚〔{year}〕{number}号",
                    publication_ends=ends,
                )
            )
    return specs


def generated_create(specs: list[PageSpec], sections: dict) -> dict[str, int]:
    """Create the pages live and index them (as publishing would), fast enough for 10,000:
    no revisions; Wagtail's own index is updated by its save signal as for any page."""
    from portal.models import DisclosurePage, InterpretationPage, NoticePage, StatisticsReleasePage
    from portal.search.index import page_index
    from portal.validators import credit_code_check_char

    created: dict[str, int] = {}
    notice_pages: dict[str, NoticePage] = {}
    for spec in specs:
        body = [("text", f"<p>{p}</p>") for p in spec.body.split("\n\n")]
        if spec.kind == "notice":
            page = NoticePage(
                title=spec.title,
                slug=spec.slug,
                doc_number=spec.doc_number,
                issued_on=spec.date,
                body=body,
            )
        elif spec.kind == "interpretation":
            page = InterpretationPage(
                title=spec.title,
                slug=spec.slug,
                issued_on=spec.date,
                body=body,
                notice=notice_pages.get(f"gen-{spec.notice_index}")
                or NoticePage.objects.get(slug=f"gen-{spec.notice_index}"),
            )
        elif spec.kind == "statistics":
            page = StatisticsReleasePage(
                title=spec.title,
                slug=spec.slug,
                year=spec.period[0],
                month=spec.period[1],
                issued_on=spec.date,
                body=body,
            )
        else:
            code17 = f"5211010{int(spec.slug[4:]):010d}"
            page = DisclosurePage(
                title=spec.title,
                slug=spec.slug,
                decision_number=spec.doc_number,
                party_name=f"{spec.title[:3]}和谐社会工作服务中心",
                credit_code=code17 + credit_code_check_char(code17),
                facts=spec.body,
                legal_basis="《社会组织登记管理条例》",
                penalty="警告。",
                decided_on=spec.date,
                publication_ends_on=spec.publication_ends,
            )
        page.live = True
        page.first_published_at = timezone.now()
        sections[spec.kind].add_child(instance=page)
        page_index(page)
        if spec.kind == "notice":
            notice_pages[spec.slug] = page
        created[spec.slug] = page.pk
    return created


def _gen(specs: list[PageSpec], index: int) -> PageSpec:
    return next(s for s in specs if s.slug == f"gen-{index}")


# (query, expected slugs): the demo pages.
LABELLED_DEMO: list[tuple[str, list[str]]] = [
    # two-character words
    ("失独", ["jmhf-2018-195", "jiedu-jmhf-2018-195"]),
    ("台账", ["jmhf-2018-195", "jiedu-jmhf-2018-195"]),
    ("五保", ["jmsjf-2025-88"]),
    ("回访", ["jmhf-2018-195"]),
    ("警告", ["jmf-2026-3"]),
    ("罚款", ["jmf-2026-7", "disclosures"]),
    ("图解", ["jiedu-jmsjf-2025-88"]),
    ("特困", ["jmsjf-2025-88", "stats-2026-09-dibao"]),
    # synonyms a resident types
    ("最低生活保障标准", ["jmsjf-2025-88", "jiedu-jmsjf-2025-88"]),
    ("低保标准调整", ["jmsjf-2025-88", "jiedu-jmsjf-2025-88"]),
    ("低保金 发放", ["jmsjf-2025-88"]),
    ("急难救助", ["jmsjf-2025-12", "jmsjf-2024-41"]),
    ("临时救助", ["jmsjf-2025-12", "jmsjf-2024-41"]),
    ("特困人员救助供养标准", ["jmsjf-2025-88"]),
    ("空巢老人", ["jmhf-2018-195", "jiedu-jmhf-2018-195"]),
    ("残障人士 康复", ["jmhf-2018-195"]),
    ("社会工作服务机构 入户调查", ["jmhf-2018-195", "jiedu-jmhf-2018-195"]),
    ("精准救助帮扶台账政策解读", ["jiedu-jmhf-2018-195"]),
    ("骗取低保", ["jmf-2026-7"]),
    ("城乡低保人数", ["stats-2026-09-dibao", "stats-2026-08-dibao"]),
    ("2026年9月低保", ["stats-2026-09-dibao"]),
    ("第三季度台账统计", ["stats-2026-q3-ledger"]),
    ("困境儿童 新纳入", ["stats-2026-q3-ledger"]),
    # 文号 in every form
    ("京民核发〔2018〕195号", ["jmhf-2018-195"]),
    ("京民核发[2018]195号", ["jmhf-2018-195"]),
    ("京民核发【2018】195号", ["jmhf-2018-195"]),
    ("京民核发(2018)195号", ["jmhf-2018-195"]),
    ("2018年195号", ["jmhf-2018-195"]),
    ("195号", ["jmhf-2018-195"]),
    ("京民社救发〔2025〕88号", ["jmsjf-2025-88"]),
    ("2025年12号", ["jmsjf-2025-12"]),
    ("京民罚〔2026〕7号", ["jmf-2026-7"]),
    ("京民社救发[2024]41号", ["jmsjf-2024-41"]),
    # district names
    ("东城区 养老服务中心 处罚", ["jmf-2026-3"]),
    ("东城 低保 处罚", ["jmf-2026-7"]),
    ("各区民政局 台账 实施办法", ["jmhf-2018-195"]),
    # mixed Latin and Chinese
    ("APP申请临时救助", ["jmsjf-2025-12"]),
    ("京通APP", ["jmsjf-2025-12"]),
    ("12345热线 临时救助", ["jmsjf-2025-12"]),
    ("一户一策一档", ["jmhf-2018-195", "jiedu-jmhf-2018-195"]),
    ("张某", ["jmf-2026-7"]),
]


def labelled_generated(specs: list[PageSpec]) -> list[tuple[str, list[str]]]:
    """Queries whose answer is a generated page: its 文号 typed three ways, and its words."""
    notices = [s for s in specs if s.kind == "notice"]
    picks = [notices[len(notices) * k // 5] for k in range(5)]
    queries = []
    for spec in picks[:3]:
        issuer, rest = spec.doc_number.split("〔")
        year, number = rest.replace("号", "").split("〕")
        queries += [
            (spec.doc_number, [spec.slug]),
            (f"{issuer}[{year}]{number}号", [spec.slug]),
            (f"{year}年{number}号", [spec.slug]),
        ]
    return queries


def quality(labelled, search_slugs) -> dict:
    """recall@10 and MRR of `search_slugs(query) -> [slug, ...]` (ranked) over `labelled`."""
    recalls, reciprocal, misses = [], [], []
    for query, expected in labelled:
        ranked = search_slugs(query)[:10]
        found = [slug for slug in expected if slug in ranked]
        recalls.append(len(found) / len(expected))
        first = next((i for i, slug in enumerate(ranked, 1) if slug in expected), None)
        reciprocal.append(1 / first if first else 0.0)
        if len(found) < len(expected) or first != 1:
            misses.append((query, expected, ranked[:5]))
    return {
        "queries": len(labelled),
        "recall_at_10": round(sum(recalls) / len(recalls), 4),
        "mrr": round(sum(reciprocal) / len(reciprocal), 4),
        "misses": misses,
    }
