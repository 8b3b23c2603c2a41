"""SECURITY A7, one way in: every route that could authenticate someone is either the OTP login
(password and code in one step, under the lockout and the audit) or answers without logging
anyone in. A5: a password reset is not offered, so it cannot skip the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.http import urlencode
from wagtail.models import PageViewRestriction, Site

from backoffice.enums import AuditAction
from backoffice.forms.auth import OTPLoginForm
from backoffice.forms.charity import CharityLoginForm
from backoffice.models import AuditEvent, LoginThrottle
from backoffice.models.auth import throttle_key
from tests.conftest import PASSWORD, totp_now

OTP_LOGIN = "/admin/login/"
# Issue 17: the charities' door is the same OTP login form (password and code in one step,
# under the same lock and audit); it differs only in whom it lets in.
CHARITY_LOGIN = "/charity/login/"
OTP_LOGINS = {OTP_LOGIN: OTPLoginForm, CHARITY_LOGIN: CharityLoginForm}
LOGIN_WORDS = ("login", "auth", "password", "enrol", "account", "otp")

# Every login-like route and why it is safe. A route that appears (a Wagtail or Django upgrade,
# a new app) fails the sweep until someone has looked at it and written it down here.
LOGIN_LIKE_ROUTES = {
    "admin/login/": "the OTP login: password and code in one step",
    "charity/login/": "the charities' OTP login: the same form and check, charities only",
    "_util/login/": "Wagtail's front-end login, shadowed by a redirect to the OTP login",
    "enrol/<str:token>/": "enrolment link: the password under the same lock, never a session",
    "admin/staff-devices/<int:user_id>/link/": "a security administrator issues a link",
    "admin/account/": "needs a verified session (A1); changes settings, never logs in",
    "admin/logout/": "ends a session",
    "admin/password_reset/": "404: WAGTAIL_PASSWORD_RESET_ENABLED = False",
    "admin/password_reset/done/": "404, as above",
    "admin/password_reset/confirm/<uidb64>/<token>/": "404, as above",
    "admin/password_reset/complete/": "404, as above",
    "documents/authenticate_with_password/<int:restriction_id>/": "a document's shared password",
    "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/": (
        "a page's shared password: grants that page, logs nobody in"
    ),
}


def url_patterns(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def view_of(callback):
    return getattr(callback, "view_class", callback)


def is_login_view(view) -> bool:
    return isinstance(view, type) and issubclass(view, auth_views.LoginView)


def login_like(route: str, pattern: URLPattern) -> bool:
    view = view_of(pattern.callback)
    name = getattr(view, "__qualname__", type(view).__qualname__)  # a Feed is an instance
    words = [view.__module__, name, pattern.name or "", route]
    return is_login_view(view) or any(w in " ".join(words).lower() for w in LOGIN_WORDS)


def concrete(route: str) -> str:
    """A path that reaches `route`, with made-up values for its parameters."""
    assert not route.startswith("^"), f"a regular expression route to look at: {route}"
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: "1" if m.group(1) == "int" else "x", route)


def test_every_login_like_route_is_known():
    found = {route for route, pattern in url_patterns() if login_like(route, pattern)}
    assert found == set(LOGIN_LIKE_ROUTES)


def test_the_only_login_view_that_answers_is_the_otp_login():
    for route, pattern in url_patterns():
        if not login_like(route, pattern):
            continue
        path = concrete(route)
        # A route listed earlier may shadow this one: what answers is what `resolve` finds.
        view = view_of(resolve(path).func)
        if is_login_view(view):
            assert path in OTP_LOGINS, f"{path} answers with {view.__qualname__}"
            form_class = view().get_form_class()
            assert form_class is OTP_LOGINS[path]
            # The charities' form only narrows who may enter; the check itself is inherited.
            assert issubclass(form_class, OTPLoginForm) and form_class.clean is OTPLoginForm.clean


@pytest.mark.parametrize("route", sorted(LOGIN_LIKE_ROUTES))
def test_a_password_without_a_code_logs_in_nowhere(client, demo_users, route):
    client.post(
        concrete(route),
        {"username": "city", "password": PASSWORD, "next": "/admin/"},
    )
    assert "_auth_user_id" not in client.session
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 302 and dashboard["Location"].startswith(OTP_LOGIN)


def test_a_password_without_a_code_at_the_otp_login_counts_toward_the_lock(client, demo_users):
    client.post(OTP_LOGIN, {"username": "city", "password": PASSWORD})
    assert LoginThrottle.objects.get(key=throttle_key("city")).failures == 1
    assert AuditEvent.objects.filter(action=AuditAction.OTP_FAILED, actor_username="city").exists()


def test_the_front_end_login_sends_people_to_the_otp_login(client, demo_users):
    response = client.get("/_util/login/?next=/some-page/")
    assert response.status_code == 302
    assert response["Location"] == f"{OTP_LOGIN}?next=/some-page/"
    posted = client.post("/_util/login/", {"username": "city", "password": PASSWORD})
    assert posted.status_code == 302 and posted["Location"].startswith(OTP_LOGIN)
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()


def test_a_login_restricted_page_is_reached_through_the_otp_login(client, demo_users):
    home = Site.objects.get(is_default_site=True).root_page
    PageViewRestriction.objects.create(page=home, restriction_type=PageViewRestriction.LOGIN)
    response = client.get(home.url, follow=True)
    assert response.redirect_chain[-1][0] == f"{OTP_LOGIN}?{urlencode({'next': home.url})}"
    assert "动态口令" in response.content.decode()
    login = client.post(
        f"{OTP_LOGIN}?next={home.url}",
        {"username": "city", "password": PASSWORD, "otp_token": totp_now()},
    )
    assert login.status_code == 302 and login["Location"] == home.url
    assert client.get(home.url).status_code == 200


def test_no_password_reset_is_offered(client, demo_users):
    # A5: a reset by mail would skip the code.
    assert "password_reset" not in client.get(OTP_LOGIN).content.decode()
    assert client.get("/admin/password_reset/").status_code == 404
    assert client.post("/admin/password_reset/", {"email": "city@example.com"}).status_code == 404


ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", "var", "tests", "node_modules", "static", "templates"}
# The names that check a password or open a session; django.contrib.auth's `login` is
# called by Wagtail's admin LoginView only, with OTPLoginForm.
AUTHENTICATING_CALLS = {"authenticate", "login", "check_password"}
ALLOWED_CALLERS = {("backoffice/services/auth.py", "authenticate")}


def project_sources():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in SKIPPED_DIRS or relative.parts[0].startswith("."):
            continue
        yield relative.as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def authenticating_calls(tree: ast.AST):
    aliases = {name: name for name in AUTHENTICATING_CALLS}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django.contrib"):
            for alias in node.names:
                if alias.name in AUTHENTICATING_CALLS and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = getattr(func, "id", None) or getattr(func, "attr", None)
            if name in aliases:
                yield aliases[name], node.lineno


def test_only_the_auth_service_checks_a_password():
    sources = dict(project_sources())
    assert "backoffice/services/auth.py" in sources and "portal/urls.py" in sources
    found = {
        (path, name, line)
        for path, tree in sources.items()
        for name, line in authenticating_calls(tree)
    }
    assert {(path, name) for path, name, _line in found} == ALLOWED_CALLERS, found
