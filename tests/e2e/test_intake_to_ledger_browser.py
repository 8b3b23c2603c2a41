"""Issue 4 in a real browser: a residents' committee files a proxy report on a phone and gets a
reference; the `street` station signs in with a TOTP code, finds it, records the home-visit
interview and accepts it; the public status page then says it is in the ledger (F1, U2)."""

import datetime as dt

import pytest

from backoffice.demo.accounts import demo_accounts_create
from backoffice.models import Area
from backoffice.services.areas import areas_load
from portal.services import home_page_ensure
from tests.e2e.conftest import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    areas_load(Area)
    home_page_ensure()
    demo_accounts_create()
    return live_server


def _file_proxy_report(page, base: str) -> tuple[str, str]:
    page.goto(base + "/report/")
    page.select_option("#id_reporter_type", "residents_committee")
    page.fill("#id_reporter_name", "刘红梅")
    page.fill("#id_reporter_phone", "010-65121234")
    page.click("summary:has-text('代理申请')")
    page.fill("#id_proxy_organisation", "多福巷社区居委会")
    page.fill("#id_entrustment_statement", "当事人11月20日口头委托，女儿在场。")
    page.fill("#id_subject_name", "赵桂兰")
    page.fill("#id_subject_phone", "13911112222")
    # Choosing the district lists its streets in place (issue 13: no reload).
    page.select_option("#id_district", "110101000000")
    page.wait_for_selector("#id_street option[value='110101001000']", state="attached")
    page.select_option("#id_street", "110101001000")
    page.wait_for_selector("#id_community option[value='110101001001']", state="attached")
    page.select_option("#id_community", index=1)
    assert page.input_value("#id_subject_name") == "赵桂兰"  # nothing typed was lost
    page.fill("#id_address", "多福巷12号院3-201")
    page.select_option("#id_subtype", "living_alone")
    page.fill("#id_what_happened", "老人独居，摔伤后行动不便。")
    page.fill("#id_help_needed", "上门照料和助餐")
    page.check("#id_consent")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.click("button:has-text('提交')")
    reference = page.locator("#reference").inner_text().strip()
    code = page.locator("#lookup-code").inner_text().strip()
    page.screenshot(path=str(SCREENSHOTS / "intake-receipt-phone.png"), full_page=True)
    return reference, code


def test_a_proxy_report_goes_from_a_phone_into_the_ledger(phone, desktop, demo):
    reference, code = _file_proxy_report(phone, demo.url)
    assert reference.startswith("BJ")

    page = desktop
    sign_in(page, demo.url, "street")
    page.goto(demo.url + "/admin/reports/")
    with page.expect_navigation():
        page.click(f"text={reference}")
    assert "入户访谈" in page.content() and "多福巷社区居委会" in page.content()
    page.fill("#id_visited_on", dt.date.today().isoformat())
    page.fill("#id_visitors", "东华门站 王站长")
    page.fill("#id_findings", "老人右腿受伤，独居，需要照料")
    with page.expect_navigation():
        page.click("button:has-text('保存访谈记录')")
    assert "已记录入户访谈" in page.content()
    page.select_option("#id_sex", "female")  # the report had no ID number
    page.fill("#id_birth_date", "1941-04-02")
    page.select_option("#id_need_type", "care")
    with page.expect_navigation():
        page.click("button:has-text('纳入台账')")
    assert "已纳入台账" in page.content() and "一户一档" in page.content()
    page.screenshot(path=str(SCREENSHOTS / "triage-accepted.png"), full_page=True)

    phone.goto(demo.url + "/report/status/")
    phone.fill("#id_reference", reference)
    phone.fill("#id_code", code)
    with phone.expect_navigation():
        phone.click("button:has-text('查询')")
    assert phone.locator("#public-status").inner_text() == "已纳入救助帮扶台账"
    assert "赵桂兰" not in phone.content()


def test_the_report_form_works_without_javascript(browser, demo):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, java_script_enabled=False, locale="zh-CN"
    )
    page = context.new_page()
    page.goto(demo.url + "/report/")
    page.select_option("#id_district", "110101000000")
    with page.expect_navigation():
        page.click("button:has-text('列出街道（乡镇）')")
    assert page.locator("#id_street option").count() > 5
    page.fill("#id_subject_name", "赵桂兰")
    page.select_option("#id_street", "110101001000")
    with page.expect_navigation():
        page.click("button:has-text('列出社区（村）')")
    assert page.locator("#id_community option").count() > 2
    assert page.input_value("#id_subject_name") == "赵桂兰"
    with page.expect_navigation():
        page.click("button:has-text('提交')")
    assert "提交未成功" in page.content() and "请选择您的身份" in page.content()
    context.close()
