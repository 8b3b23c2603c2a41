"""Issue 19: a CMS editor uploads files while the file store is down, in a real browser.

Wagtail's upload scripts (the multiple upload, a chooser's upload tab) post from the page and
show what the server answered. With the store down the editor must read our Chinese message
(nothing was saved, try later), not "server error, report this to your administrator" with a
status code.
"""

import io

import pytest
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from backoffice.demo.accounts import demo_accounts_create
from backoffice.models import Area
from backoffice.services.areas import areas_load
from portal.services import home_page_ensure
from portal.storage_down import NOT_SAVED, TITLE
from tests.e2e.conftest import SCREENSHOTS, sign_in
from tests.intake import pdfs
from tests.support import store_down

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server):
    areas_load(Area)
    live_server.home = home_page_ensure()
    demo_accounts_create()
    return live_server


def a_png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (40, 30), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def test_the_multiple_upload_says_in_chinese_that_the_store_is_down(desktop, site, settings):
    page = desktop
    sign_in(page, site.url, "editor")
    page.goto(site.url + "/admin/images/multiple/add/")
    store_down(settings)  # the live server runs in this process: it sees the change

    page.set_input_files(
        "#fileupload",
        files=[{"name": "活动照片.png", "mimeType": "image/png", "buffer": a_png()}],
    )
    item = page.locator("#upload-list > li").first
    item.locator(".error_messages").filter(has_text=TITLE).wait_for(timeout=20_000)
    shown = item.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "images-upload-store-down.png"), full_page=True)

    assert TITLE in shown and NOT_SAVED in shown
    assert "upload-failure" in (item.get_attribute("class") or "")
    assert "upload-server-error" not in (item.get_attribute("class") or "")
    assert "503" not in shown and "Service Unavailable" not in shown
    assert not get_image_model().objects.exists()


def test_a_document_chooser_upload_in_the_page_editor_says_in_chinese_that_the_store_is_down(
    desktop, site, settings
):
    """The editor links a document from the home page's text and uploads it in the chooser."""
    page = desktop
    sign_in(page, site.url, "editor")
    page.goto(f"{site.url}/admin/pages/{site.home.pk}/edit/")
    page.locator(".public-DraftEditor-content").first.click()
    page.keyboard.type("申请表下载")
    page.keyboard.press("Shift+Home")
    page.click("button[name=DOCUMENT]")
    modal = page.locator(".modal-content")
    modal.locator("#tab-label-upload").click()
    store_down(settings)

    modal.locator("#id_document-chooser-upload-title").fill("救助申请表")
    scan = {"name": "救助申请表.pdf", "mimeType": "application/pdf", "buffer": pdfs.clean_pdf()}
    modal.locator("#id_document-chooser-upload-file").set_input_files(files=[scan])
    modal.locator("#tab-upload form button[type=submit]").click()
    tab = modal.locator("#tab-upload")
    tab.filter(has_text=TITLE).wait_for(timeout=20_000)
    shown = tab.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "document-chooser-store-down.png"))

    assert TITLE in shown and "没有保存" in shown and "稍后重新上传" in shown
    assert "503" not in modal.inner_text() and "Service Unavailable" not in modal.inner_text()
    assert not get_document_model().objects.exists()
