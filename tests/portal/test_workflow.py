"""P1, issue 14 item 2: editors draft, the reviewer (审核员) approves, and only then is a page
public; the editor role sees only the CMS. Personas: editor, reviewer, a resident (client)."""

import datetime as dt

import pytest
from django.test import Client

from portal.models import NoticePage
from portal.search.engine import search
from tests.conftest import verified_login


@pytest.fixture
def draft(demo_site, sections, demo_users):
    """A notice the editor drafted and submitted for review."""
    notice = NoticePage(
        title="关于做好2026年低保对象冬季走访慰问工作的通知",
        slug="dongji-zoufang-2026",
        doc_number="京民社救发[2026]131号",
        issued_on=dt.date(2026, 11, 20),
        body=[("text", "<p>各区要在元旦前走访慰问每一户低保家庭和特困人员。</p>")],
        live=False,
    )
    sections["notice"].add_child(instance=notice)
    notice.save_revision(user=demo_users["editor"])
    notice.get_workflow().start(notice, demo_users["editor"])
    return notice


def _client(user) -> Client:
    return verified_login(Client(), user)


def test_p1_an_editor_cannot_publish_only_submit(draft, demo_users):
    permissions = draft.permissions_for_user(demo_users["editor"])
    assert permissions.can_edit() and not permissions.can_publish()
    editor = _client(demo_users["editor"])
    html = editor.get(f"/admin/pages/{draft.pk}/edit/").content.decode()
    assert 'name="action-publish"' not in html
    add = editor.get(f"/admin/pages/add/portal/noticepage/{draft.get_parent().pk}/")
    assert add.status_code == 200
    assert 'name="action-submit"' in add.content.decode()


def test_p1_a_submitted_notice_is_not_public_until_the_reviewer_approves(client, draft, demo_users):
    assert draft.doc_number == "京民社救发〔2026〕131号"  # stored in one form
    assert client.get("/notices/dongji-zoufang-2026/").status_code == 404
    assert not search(q="2026年131号").hits

    reviewer = _client(demo_users["reviewer"])
    dashboard = reviewer.get("/admin/").content.decode()
    assert "关于做好2026年低保对象冬季走访慰问工作的通知" in dashboard  # awaiting review
    task_state = draft.current_workflow_task_state
    response = reviewer.post(
        f"/admin/pages/workflow/action/{draft.pk}/approve/{task_state.pk}/", {"comment": "同意"}
    )
    assert response.status_code in (200, 302)

    draft.refresh_from_db()
    assert draft.live
    page = client.get("/notices/dongji-zoufang-2026/")
    assert page.status_code == 200 and "京民社救发〔2026〕131号" in page.content.decode()
    assert "/notices/dongji-zoufang-2026/" in client.get("/notices/").content.decode()
    assert "京民社救发〔2026〕131号" in client.get("/feeds/notices.xml").content.decode()
    assert "/notices/dongji-zoufang-2026/" in client.get("/sitemap.xml").content.decode()
    results = client.get("/search/?q=低保").content.decode()
    assert "/notices/dongji-zoufang-2026/" in results


def test_p1_the_editor_cannot_approve_their_own_page(draft, demo_users):
    task_state = draft.current_workflow_task_state
    _client(demo_users["editor"]).post(
        f"/admin/pages/workflow/action/{draft.pk}/approve/{task_state.pk}/", {"comment": ""}
    )
    draft.refresh_from_db()
    assert not draft.live


def test_p1_the_editor_and_the_reviewer_see_only_the_cms(demo_users):
    for username in ("editor", "reviewer"):
        client = _client(demo_users[username])
        home = client.get("/admin/").content.decode()
        for ledger_path in ('"/admin/my-work/"', '"/admin/households/"', '"/admin/reports/"'):
            assert ledger_path not in home, (username, ledger_path)
        for path in ("/admin/households/", "/admin/reports/", "/admin/audit/"):
            assert client.get(path).status_code in (302, 403, 404), (username, path)
        assert client.get("/admin/pages/").status_code == 200


def test_p1_only_the_reviewer_edits_the_site_menus(demo_users):
    url = "/admin/settings/portal/sitenavigation/"
    assert _client(demo_users["reviewer"]).get(url, follow=True).status_code == 200
    assert _client(demo_users["editor"]).get(url).status_code in (302, 403)


def test_p1_the_admin_page_search_segments_chinese_like_the_site(demo_site, demo_users):
    editor = _client(demo_users["editor"])
    for query in ("低保", "最低生活保障", "京民核发[2018]195号", "临时救助"):
        html = editor.get("/admin/pages/search/", {"q": query}).content.decode()
        expected = {
            "低保": "关于调整本市城乡居民最低生活保障标准的通知",
            "最低生活保障": "2026年9月城乡低保和城乡特困人员救助情况",
            "京民核发[2018]195号": "精准救助帮扶台账的实施办法",
            "临时救助": "北京市临时救助实施办法（修订）",
        }[query]
        assert expected in html, query


def test_p1_an_approved_notice_scheduled_for_later_goes_live_at_its_time(
    client, demo_site, sections, demo_users
):
    import time_machine
    from django.core.management import call_command
    from django.utils import timezone

    go_live = timezone.now() + dt.timedelta(days=2)
    notice = NoticePage(
        title="关于调整2027年城乡低保标准的通知",
        slug="dibao-biaozhun-2027",
        doc_number="京民社救发〔2026〕140号",
        issued_on=dt.date(2026, 12, 1),
        body=[("text", "<p>自2027年1月1日起，城乡低保标准统一调整。</p>")],
        live=False,
    )
    sections["notice"].add_child(instance=notice)
    notice.go_live_at = go_live
    notice.save_revision(user=demo_users["editor"])
    notice.get_workflow().start(notice, demo_users["editor"])
    reviewer = _client(demo_users["reviewer"])
    task_state = notice.current_workflow_task_state
    reviewer.post(
        f"/admin/pages/workflow/action/{notice.pk}/approve/{task_state.pk}/", {"comment": "同意"}
    )
    notice.refresh_from_db()
    assert not notice.live and notice.revisions.count() == 1  # approved, waiting for its time
    assert client.get("/notices/dibao-biaozhun-2027/").status_code == 404
    assert "dibao-biaozhun-2027" not in client.get("/notices/").content.decode()

    with time_machine.travel(go_live + dt.timedelta(minutes=1), tick=False):
        call_command("publish_scheduled")  # cron, every minute (README)
        page = client.get("/notices/dibao-biaozhun-2027/")
        assert page.status_code == 200 and "京民社救发〔2026〕140号" in page.content.decode()
        assert "dibao-biaozhun-2027" in client.get("/notices/").content.decode()
        found = client.get("/search/", {"q": "京民社救发〔2026〕140号"}).content.decode()
        assert "/notices/dibao-biaozhun-2027/" in found
