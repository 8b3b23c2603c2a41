"""SECURITY A1: every /admin/ URL needs password AND a verified TOTP device."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

SAMPLE = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "path": "x",
}


def _route_to_path(fragment: str) -> str:
    fragment = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "1"), fragment)
    if fragment.startswith("^"):  # a regex pattern: fill every group with a sample value
        fragment = re.sub(r"\(\?P<\w+>[^)]*\)|\([^)]*\)", "1", fragment.strip("^$"))
        fragment = fragment.replace("\\", "").replace("?", "")
    return fragment


def _walk(patterns, prefix=""):
    for entry in patterns:
        fragment = _route_to_path(str(entry.pattern))
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + fragment)
        elif isinstance(entry, URLPattern):
            yield prefix + fragment


def admin_paths() -> list[str]:
    paths = {"/" + p for p in _walk(get_resolver().url_patterns) if p.startswith("admin/")}
    return sorted(paths)


def test_the_walk_covers_the_whole_admin():
    paths = admin_paths()
    assert len(paths) > 150
    assert "/admin/" in paths
    assert "/admin/areas/" in paths
    assert "/admin/audit/" in paths


@pytest.mark.parametrize("as_superuser", [True, False])
def test_no_admin_url_answers_200_to_a_password_only_session(
    client, demo_users, as_superuser, django_user_model
):
    if as_superuser:
        user = django_user_model.objects.create_superuser(
            "root", "root@example.invalid", "long-enough-password-1"
        )
    else:
        user = demo_users["city"]
    answered_200 = []
    for path in admin_paths():
        client.force_login(user)  # password only: no OTP device verified in this session
        response = client.get(path)
        if response.status_code == 200:
            answered_200.append(path)
    assert answered_200 in ([], ["/admin/login/"])


def test_a_password_only_session_is_logged_out_and_sent_to_login(client, demo_users):
    client.force_login(demo_users["city"])
    response = client.get("/admin/areas/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "_auth_user_id" not in client.session


def test_django_contrib_admin_is_not_installed():
    from django.conf import settings

    assert "django.contrib.admin" not in settings.INSTALLED_APPS
