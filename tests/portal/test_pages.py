"""P1: the public pages, their listings, the feed, the sitemap and the menus, as a resident
sees them (no JavaScript; every page has one <h1>)."""

import datetime as dt
import re

import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.enums import NoticeStatus, PartyKind
from portal.models import DisclosurePage, HeaderLink, NoticePage, SiteNavigation
from portal.search.engine import search


def _html(response) -> str:
    return response.content.decode()


def test_p1_every_home_page_link_answers(client, demo_site):
    html = _html(client.get("/"))
    links = {link for link in re.findall(r'href="(/[^"#]*)"', html) if "/static/" not in link}
    assert {"/report/", "/report/status/", "/needs/", "/statistics/", "/notices/"} <= links
    for href in sorted(links):
        response = client.get(href)
        assert response.status_code == 200, href


def test_p1_the_seed_notice_shows_its_document_fields_and_its_interpretation(client, demo_site):
    response = client.get("/notices/jmhf-2018-195/")
    html = _html(response)
    assert response.status_code == 200
    assert "京民核发〔2018〕195号" in html
    assert "2018年5月25日" in html
    assert "有效" in html
    assert "一、台账范围" in html
    assert "政策解读" in html and "/interpretations/jiedu-jmhf-2018-195/" in html
    assert len(re.findall(r"<h1[ >]", html)) == 1
    assert "<script" not in html
    # the breadcrumbs lead back through the section
    assert 'aria-label="当前位置"' in html and 'href="/notices/"' in html


def test_p1_an_interpretation_links_back_to_the_notice_it_explains(client, demo_site):
    html = _html(client.get("/interpretations/jiedu-jmhf-2018-195/"))
    assert "/notices/jmhf-2018-195/" in html
    assert "京民核发〔2018〕195号" in html


def test_p1_a_revised_notice_names_what_replaced_it(client, demo_site):
    html = _html(client.get("/notices/jmsjf-2024-41/"))
    assert "已修订" in html
    assert "本文件已被以下文件替代" in html and "/notices/jmsjf-2025-12/" in html
    assert "/notices/jmsjf-2024-41/" in _html(client.get("/notices/jmsjf-2025-12/"))


def test_p1_a_valid_notice_past_its_expiry_date_reads_as_expired(demo_site):
    notice = NoticePage.objects.get(slug="jmsjf-2025-12")
    notice.expires_on = timezone.localdate() - dt.timedelta(days=1)
    assert notice.current_status == NoticeStatus.EXPIRED
    assert notice.current_status_label == "失效"


def test_p1_a_statistics_release_shows_its_period_and_table(client, demo_site):
    html = _html(client.get("/statistics/stats-2026-09-dibao/"))
    assert "2026年9月" in html
    assert "<table" in html and "城市低保" in html and "78410" in html
    assert "演示内容" in html  # demo pages say so


def test_p1_the_listing_groups_by_year_and_filters_by_year(client, demo_site, generated):
    html = _html(client.get("/notices/"))
    assert "2025年" in html and "2018年" in html
    assert html.index("2025年") < html.index("2018年")  # newest first
    only_2018 = _html(client.get("/notices/?year=2018"))
    assert "京民核发〔2018〕195号" in only_2018
    assert "京民社救发〔2025〕88号" not in only_2018


def test_p1_the_listing_pages_twenty_at_a_time(client, demo_site, generated):
    first = _html(client.get("/notices/"))
    assert "第 1 页，共 2 页" in first and 'rel="next"' in first
    second = client.get("/notices/?page=2")
    assert second.status_code == 200 and "第 2 页，共 2 页" in _html(second)
    assert client.get("/notices/?page=abc").status_code == 200  # a bad page number: page 1


def test_p1_a_disclosure_names_a_natural_person_by_surname_only(client, demo_site):
    page = DisclosurePage.objects.get(slug="jmf-2026-7")
    assert page.party_kind == PartyKind.PERSON and page.party_surname == "张"
    html = _html(client.get("/disclosures/jmf-2026-7/"))
    assert "张某" in html and "京民罚〔2026〕7号" in html
    assert "统一社会信用代码" not in html


def test_p1_a_disclosure_refuses_a_full_name_of_a_natural_person(demo_site):
    page = DisclosurePage.objects.get(slug="jmf-2026-7")
    page.facts = "当事人张三隐瞒家庭收入"
    try:
        page.full_clean()
    except ValidationError as error:
        assert "只能写作“张某”" in error.message_dict["facts"][0]
    else:
        raise AssertionError("a full name was accepted")


def test_p1_a_disclosure_leaves_site_listing_search_and_sitemap_when_its_period_ends(
    client, demo_site
):
    page = DisclosurePage.objects.get(slug="jmf-2026-7")
    assert client.get("/disclosures/jmf-2026-7/").status_code == 200
    assert "jmf-2026-7" in _html(client.get("/disclosures/"))
    assert "jmf-2026-7" in _html(client.get("/sitemap.xml"))
    assert [h.title for h in search(q="张某 骗取低保").hits][0] == page.title
    after = timezone.make_aware(
        dt.datetime.combine(page.publication_ends_on + dt.timedelta(days=1), dt.time(0, 1))
    )
    with time_machine.travel(after, tick=False):
        gone = client.get("/disclosures/jmf-2026-7/")
        assert gone.status_code == 410 and "公示期已满" in _html(gone)
        assert "jmf-2026-7" not in _html(client.get("/disclosures/"))
        assert "jmf-2026-7" not in _html(client.get("/sitemap.xml"))
        assert page.title not in [h.title for h in search(q="张某 骗取低保").hits]
        assert "张某骗取" not in _html(client.get("/search/?q=张某"))


def test_p1_the_demo_disclosure_past_its_period_is_already_gone(client, demo_site):
    assert client.get("/disclosures/jmf-2023-2/").status_code == 410
    html = _html(client.get("/search/?q=京民罚〔2023〕2号"))
    assert "共找到 0 条结果" in html
    assert "和睦社会工作服务中心" not in html


def test_p1_the_notices_feed_is_atom_with_the_newest_first(client, demo_site):
    response = client.get("/feeds/notices.xml")
    xml = _html(response)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert "<title>北京市民政局 通知公告</title>" in xml
    assert "京民核发〔2018〕195号" in xml
    assert xml.index("京民社救发〔2025〕88号") < xml.index("京民核发〔2018〕195号")


def test_p1_the_sitemap_lists_published_pages(client, demo_site):
    xml = _html(client.get("/sitemap.xml"))
    for path in ("/notices/jmhf-2018-195/", "/statistics/", "/interpretations/"):
        assert f"{path}</loc>" in xml


def test_p1_menus_come_from_the_cms_and_a_change_shows_at_once(client, demo_site):
    first = _html(client.get("/notices/jmhf-2018-195/"))
    assert 'href="/disclosures/">行政处罚公示</a>' in first
    navigation = SiteNavigation.objects.get()
    HeaderLink.objects.create(setting=navigation, label="办事指南", url="/about/", sort_order=99)
    again = _html(client.get("/notices/jmhf-2018-195/"))  # cached, but the cache is stale now
    assert 'href="/about/">办事指南</a>' in again


def test_p1_a_published_change_is_served_at_once_despite_the_cache(client, demo_site):
    client.get("/notices/jmhf-2018-195/")
    notice = NoticePage.objects.get(slug="jmhf-2018-195")
    notice.title = "关于印发精准救助帮扶台账实施办法的通知（更正）"
    notice.save_revision().publish()
    assert "（更正）" in _html(client.get("/notices/jmhf-2018-195/"))


def test_p2_public_pages_work_on_a_phone_without_javascript(client, demo_site):
    for path in ("/", "/notices/", "/notices/jmhf-2018-195/", "/search/?q=低保"):
        html = _html(client.get(path))
        assert "<script" not in html, path
        assert 'name="viewport"' in html
        assert '<form class="site-search" role="search" action="/search/" method="get">' in html


def test_p1_a_repeat_visit_to_a_published_page_is_answered_without_a_query(
    client, demo_site, django_assert_num_queries
):
    first = client.get("/notices/jmhf-2018-195/")
    assert first.status_code == 200
    with django_assert_num_queries(0):
        again = client.get("/notices/jmhf-2018-195/")
    assert again.status_code == 200 and again.content == first.content
    assert "京民核发〔2018〕195号" in _html(again)
    # a query the page does not use is served in full every time, never kept
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/notices/jmhf-2018-195/", {"from": "weixin"})
    with CaptureQueriesContext(connection) as served:
        assert client.get("/notices/jmhf-2018-195/", {"from": "weixin"}).status_code == 200
    assert len(served.captured_queries) > 0


def test_p1_a_page_put_behind_a_password_is_never_answered_from_the_cache(client, demo_site):
    from wagtail.models import PageViewRestriction

    assert "一、台账范围" in _html(client.get("/notices/jmhf-2018-195/"))  # now cached
    notice = NoticePage.objects.get(slug="jmhf-2018-195")
    PageViewRestriction.objects.create(
        page=notice, restriction_type=PageViewRestriction.PASSWORD, password="s3cret-pass"
    )
    locked = client.get("/notices/jmhf-2018-195/")
    assert "一、台账范围" not in _html(locked)
    assert "一、台账范围" not in _html(client.get("/notices/jmhf-2018-195/"))
