"""Issue 14 item 7 and P2 in the real browser: axe-core (axe-playwright-python, which ships
axe-core's script; nothing is downloaded) finds no serious or critical violation on the
public pages, and a resident searches from a phone without JavaScript."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from backoffice.demo.accounts import demo_accounts_create
from backoffice.models import Area
from backoffice.services.areas import areas_load
from portal.services import demo_site_load
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/",
    "/report/",
    "/report/status/",
    "/search/?q=低保",
    "/notices/",
    "/notices/jmhf-2018-195/",
    "/interpretations/jiedu-jmhf-2018-195/",
    "/statistics/",
    "/statistics/stats-2026-09-dibao/",
    "/disclosures/jmf-2026-7/",
    "/needs/",
]


@pytest.fixture
def site(live_server):
    # A transactional test before this one may have flushed what the migrations loaded.
    areas_load(Area)
    demo_accounts_create()
    report = demo_site_load()
    assert report.errors == []
    return live_server


def test_p1_axe_finds_no_serious_or_critical_violation_on_the_public_pages(browser, site):
    axe = Axe()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    problems = {}
    for path in PAGES:
        response = page.goto(site.url + path)
        assert response.status == 200, path
        results = axe.run(page)
        serious = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])})"
            for v in results.response["violations"]
            if v.get("impact") in ("serious", "critical")
        ]
        if serious:
            problems[path] = serious
    context.close()
    assert not problems, problems


def test_p2_a_resident_searches_by_doc_number_on_a_phone_without_javascript(browser, site):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        java_script_enabled=False,
        locale="zh-CN",
    )
    page = context.new_page()
    page.goto(site.url + "/")
    page.fill("#site-search-q", "京民核发[2018]195号")
    with page.expect_navigation():
        page.get_by_role("button", name="搜索").click()
    first = page.locator("ol.entries li").first
    assert "建立困难群众精准救助帮扶台账" in first.inner_text()
    assert "京民核发〔2018〕195号" in first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    first.get_by_role("link").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("关于印发")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "portal-notice-phone.png"), full_page=False)
    context.close()
