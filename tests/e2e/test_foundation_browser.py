"""Issue 2: the home page on a phone, then `city` signs in to /admin/ with a fresh TOTP code."""

import pytest

from backoffice.demo.accounts import demo_accounts_create
from backoffice.models import Area
from backoffice.services.areas import areas_load
from portal.services import home_page_ensure
from tests.conftest import PASSWORD, totp_now
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    # A transactional test before this one may have flushed what the migrations loaded.
    areas_load(Area)
    home_page_ensure()
    demo_accounts_create()
    return live_server


def test_the_home_page_works_on_a_phone_without_javascript(browser, demo):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        java_script_enabled=False,
        locale="zh-CN",
    )
    page = context.new_page()
    response = page.goto(demo.url + "/")
    assert response.status == 200
    assert page.locator("h1").inner_text() == "困难群众精准救助帮扶"
    report = page.get_by_role("link", name="我要反映困难")
    assert report.is_visible()
    assert report.get_attribute("href") == "/report/"
    assert page.get_by_role("navigation", name="主导航").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "home-phone.png"), full_page=True)
    context.close()


def test_the_home_page_fits_a_phone_screen(phone, demo):
    phone.goto(demo.url + "/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    box = phone.get_by_role("link", name="我要反映困难").bounding_box()
    assert box["height"] >= 44  # a thumb-sized target
    assert phone.locator("html").get_attribute("lang") == "zh-CN"


def test_city_signs_in_with_password_and_a_fresh_totp_code(desktop, demo):
    page = desktop
    page.goto(demo.url + "/admin/")
    assert "/admin/login/" in page.url
    page.fill("input[name=username]", "city")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=otp_token]", totp_now())
    page.click("button[type=submit]")
    page.wait_for_url(demo.url + "/admin/")
    page.goto(demo.url + "/admin/areas/?q=东华门")
    assert "东华门街道" in page.content()
    page.screenshot(path=str(SCREENSHOTS / "admin-areas.png"))


def test_a_wrong_code_keeps_city_out(desktop, demo):
    page = desktop
    page.goto(demo.url + "/admin/login/")
    page.fill("input[name=username]", "city")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=otp_token]", "000000" if totp_now() != "000000" else "111111")
    with page.expect_navigation():
        page.click("button[type=submit]")
    message = page.locator(".messages").inner_text()
    assert "用户名、密码或动态口令不正确" in message
    assert "/admin/login/" in page.url
