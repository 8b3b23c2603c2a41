"""Issue 13, item 7 in a real browser (Debian chromium, phone-sized): the report form's
script lists streets and communities in place, keeps a chosen file, and checks the file
limits before sending; without script the buttons show and say what a reload costs; the
"too large" page leads back to the form as it was typed (F1, SECURITY G5).

Persona: a neighbour reporting an old woman living alone, from a phone, with a photo of a
hospital certificate.
"""

import pytest

from backoffice.models import Area
from backoffice.services.areas import areas_load
from intake.models import Attachment, Report
from portal.services import home_page_ensure
from tests.e2e.conftest import SCREENSHOTS
from tests.intake.conftest import DONGHUAMEN, png_with_exif

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STREET_OPTIONS = "#id_street option"
COMMUNITY_OPTIONS = "#id_community option"


@pytest.fixture
def site(live_server):
    if not Area.objects.exists():  # a transactional test before may have flushed them
        areas_load(Area)
    home_page_ensure()
    return live_server


def photo(name="诊断书.jpg") -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": png_with_exif()}


def pdf(size: int, name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n" + b"0" * size}


def listed(page, select: str, code: str) -> None:
    """Wait until the list holds `code` (the CSP forbids wait_for_function's eval)."""
    page.wait_for_selector(f"{select} option[value='{code}']", state="attached")


def mark_page(page) -> None:
    """A value that lives only as long as this document: a reload or navigation drops it."""
    page.evaluate("window.__samePage = true")


def same_page(page) -> bool:
    return page.evaluate("window.__samePage === true")


def fill_the_rest(page) -> None:
    page.select_option("#id_reporter_type", "neighbour")
    page.fill("#id_reporter_name", "王建军")
    page.fill("#id_reporter_phone", "13800001111")
    page.fill("#id_subject_name", "赵桂兰")
    page.fill("#id_address", "多福巷12号院3-201")
    page.select_option("#id_subtype", "living_alone")
    page.fill("#id_what_happened", "老人独居，摔伤后行动不便。")
    page.fill("#id_help_needed", "上门照料和助餐")
    page.check("#id_consent")


def test_choosing_a_district_lists_its_streets_in_place_and_the_chosen_file_survives(phone, site):
    page = phone
    page.goto(site.url + "/report/")
    # Script runs: the no-JS buttons and their note are gone.
    assert page.locator("button[name=_list_streets]").is_hidden()
    assert page.locator("button[name=_list_communities]").is_hidden()
    assert page.locator("#refine-note").is_hidden()
    page.set_input_files("#id_supporting_files", files=[photo()])
    fill_the_rest(page)
    page.locator("#id_district").scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0
    mark_page(page)

    page.select_option("#id_district", DONGHUAMEN["district"])
    listed(page, "#id_street", DONGHUAMEN["street"])
    assert "东华门街道" in page.locator("#id_street").inner_text()
    assert "已列出" in page.locator("#area-status").inner_text()
    page.select_option("#id_street", DONGHUAMEN["street"])
    listed(page, "#id_community", DONGHUAMEN["community"])
    page.select_option("#id_community", DONGHUAMEN["community"])

    assert same_page(page)  # nothing reloaded
    assert page.evaluate("window.scrollY") == scrolled  # and nothing jumped to the top
    assert page.evaluate("document.getElementById('id_supporting_files').files.length") == 1
    assert page.input_value("#id_subject_name") == "赵桂兰"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "report-form-lists-in-place.png"), full_page=True)

    with page.expect_navigation():
        page.click("button:has-text('提交')")
    assert page.locator("#reference").inner_text().startswith("BJ")
    report = Report.objects.get()
    assert report.community_id == DONGHUAMEN["community"]
    attachment = Attachment.objects.get(report=report)
    assert attachment.original_name == "诊断书.jpg"  # the chosen file arrived
    attachment.file.delete(save=False)


def test_choosing_another_district_empties_the_community_list(phone, site):
    page = phone
    page.goto(site.url + "/report/")
    page.select_option("#id_district", DONGHUAMEN["district"])
    listed(page, "#id_street", DONGHUAMEN["street"])
    page.select_option("#id_street", DONGHUAMEN["street"])
    listed(page, "#id_community", DONGHUAMEN["community"])
    page.select_option("#id_district", "110105000000")  # 朝阳区
    listed(page, "#id_street", "110105001000")  # 建外街道
    assert "东华门街道" not in page.locator("#id_street").inner_text()
    assert page.locator(COMMUNITY_OPTIONS).count() == 1  # only 请选择 until a street is chosen


def test_files_over_the_limits_are_caught_before_anything_is_sent(phone, site, settings):
    settings.INTAKE_MAX_FILE_BYTES = 40_000
    settings.INTAKE_MAX_UPLOAD_BYTES = 60_000
    page = phone
    page.goto(site.url + "/report/")
    fill_the_rest(page)
    page.select_option("#id_district", DONGHUAMEN["district"])
    listed(page, "#id_street", DONGHUAMEN["street"])
    page.select_option("#id_street", DONGHUAMEN["street"])
    listed(page, "#id_community", DONGHUAMEN["community"])
    page.select_option("#id_community", DONGHUAMEN["community"])
    mark_page(page)

    page.set_input_files("#id_supporting_files", files=[pdf(45_000, "太大.pdf")])
    problem = page.locator("#id_supporting_files_problems")
    assert "“太大.pdf”" in problem.inner_text() and "单个文件不能超过" in problem.inner_text()
    page.click("button:has-text('提交')")
    assert same_page(page) and not Report.objects.exists()
    assert page.evaluate("document.activeElement.id") == "id_supporting_files"

    files = [pdf(25_000, "一.pdf"), pdf(25_000, "二.pdf"), pdf(25_000, "三.pdf")]
    page.set_input_files("#id_supporting_files", files=files)
    message = problem.inner_text()
    assert "附件合计不能超过" in message and "这次选择了 3 个文件" in message
    page.click("button:has-text('提交')")
    assert same_page(page) and not Report.objects.exists()

    page.set_input_files("#id_supporting_files", files=[photo()])
    assert problem.is_hidden()
    with page.expect_navigation():
        page.click("button:has-text('提交')")
    assert page.locator("#reference").is_visible()
    for attachment in Attachment.objects.all():
        attachment.file.delete(save=False)


def test_without_script_the_buttons_show_say_what_a_reload_costs_and_land_at_the_lists(
    browser, site
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, java_script_enabled=False, locale="zh-CN"
    )
    page = context.new_page()
    page.goto(site.url + "/report/")
    assert page.locator("#refine-note").is_visible()
    assert "已选择的附件需要重新选择" in page.locator("#refine-note").inner_text()
    page.set_input_files("#id_supporting_files", files=[photo()])
    page.fill("#id_subject_name", "赵桂兰")
    page.select_option("#id_district", DONGHUAMEN["district"])
    with page.expect_navigation():
        page.click("button:has-text('列出街道（乡镇）')")
    assert page.locator(STREET_OPTIONS).count() > 5
    assert page.evaluate("window.scrollY") > 0  # landed at the lists, not the top
    notice = page.locator("#area-streets .note").inner_text()
    assert "没有随页面保留：诊断书.jpg" in notice
    assert page.input_value("#id_subject_name") == "赵桂兰"
    context.close()


def test_the_too_large_page_leads_back_to_the_form_as_it_was_typed(phone, site, settings):
    settings.INTAKE_MAX_REQUEST_BYTES = 20_000
    settings.INTAKE_OVERSIZED_READ_BYTES = 30_000  # a 40 KB body is refused unread
    page = phone
    page.goto(site.url + "/report/")
    fill_the_rest(page)
    page.set_input_files("#id_supporting_files", files=[pdf(40_000, "扫描件.pdf")])
    with page.expect_navigation():
        page.click("button:has-text('提交')")
    assert "附件太大，这次没有提交" in page.content()
    page.click("a:has-text('返回刚才的表单')")  # the browser's history: back to the page as it was
    page.wait_for_selector("#report-form")
    assert page.input_value("#id_subject_name") == "赵桂兰"
    assert page.input_value("#id_what_happened") == "老人独居，摔伤后行动不便。"
    assert not Report.objects.exists()
