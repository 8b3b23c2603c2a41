"""Issue 2 items 9 and 11: the public home page, /healthz, headers and generic errors."""

import re

from django.test import override_settings
from django.urls import path


def test_the_home_page_is_chinese_and_links_to_every_public_service(client, db):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in html
    assert "北京市民政局" in html
    for href, text in [
        ("/report/", "反映困难"),
        ("/report/status/", "查询"),
        ("/needs/", "需求"),
        ("/statistics/", "统计"),
    ]:
        assert f'href="{href}"' in html
        assert text in html


def test_the_home_page_needs_no_javascript_and_has_landmarks(client, db):
    html = client.get("/").content.decode()
    assert "<script" not in html
    for landmark in (
        '<header class="site-header" role="banner">',
        '<main id="main"',
        'role="contentinfo"',
        "<nav aria-label=",
    ):
        assert landmark in html
    assert 'name="viewport"' in html
    assert len(re.findall(r"<h1[ >]", html)) == 1


def test_public_pages_carry_a_strict_content_security_policy(client, db):
    response = client.get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert (
        "unsafe-inline"
        not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_healthz_reports_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    checks = {"database": "ok", "cache": "ok", "storage": "ok"}  # issue 19: portal/ops.py
    assert response.json() == {"status": "ok", "checks": checks}


def test_every_back_office_response_is_no_store(client, demo_users, login_as):
    assert "no-store" in client.get("/admin/login/")["Cache-Control"]
    client = login_as("city")
    response = client.get("/admin/areas/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_an_unknown_page_gets_the_generic_chinese_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_healthz_answers_503_when_the_database_fails(client, db, monkeypatch):
    from portal import ops

    class BrokenConnection:
        def cursor(self):
            raise RuntimeError("SELECT secret FROM table")

    monkeypatch.setattr(ops, "connection", BrokenConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "SELECT" not in response.content.decode()


def crashing_view(request):
    raise RuntimeError("SELECT id_number FROM backoffice_person")


urlpatterns = [path("crash/", crashing_view)]


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_crash_shows_a_generic_page_without_traceback_or_sql(client, db):
    client.raise_request_exception = False
    response = client.get("/crash/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "系统暂时无法处理您的请求" in html
    assert "SELECT" not in html and "Traceback" not in html


def test_the_back_office_speaks_chinese_whatever_the_browser_asks(login_as):
    client = login_as("city")
    html = client.get("/admin/areas/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in html
    assert "搜索" in html
    assert "Search…" not in html
