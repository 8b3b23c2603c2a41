"""Issue 2 item 7: roles as groups bound to a jurisdiction; one scope function (SECURITY B1, B5)."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from backoffice.enums import Role
from backoffice.models import Area
from backoffice.scope import scope_queryset, user_scope
from backoffice.services.staff import staff_assign


def test_every_role_is_a_group(demo_users):
    names = set(Group.objects.values_list("name", flat=True))
    for role in Role:
        assert str(role.label) in names


def test_each_demo_user_holds_exactly_one_role_group(demo_users):
    for username in ("city", "dongcheng", "street", "worker", "auditor", "editor"):
        assert demo_users[username].groups.count() == 1


@pytest.mark.parametrize(
    "username, level, code",
    [
        ("city", "all", None),
        ("dongcheng", "district", "110101000000"),
        ("street", "street", "110101001000"),
        ("auditor", "none", None),
        ("editor", "none", None),
        ("charity", "none", None),
    ],
)
def test_the_scope_follows_role_and_jurisdiction(demo_users, username, level, code):
    scope = user_scope(demo_users[username])
    assert scope.level == level
    assert scope.area_code == code


def test_a_district_officer_sees_only_that_districts_areas(demo_users):
    visible = scope_queryset(demo_users["dongcheng"], Area.objects.all())
    assert visible.filter(code="110101001001").exists()  # 东城区 community
    assert not visible.filter(code="110105001024").exists()  # 朝阳区 community
    assert set(visible.values_list("district_id", flat=True)) == {"110101000000"}


def test_a_street_station_sees_only_its_street(demo_users):
    visible = scope_queryset(demo_users["street"], Area.objects.all())
    assert set(visible.values_list("street_id", flat=True)) == {"110101001000"}


def test_roles_without_ledger_work_see_no_ledger_rows(demo_users):
    for username in ("auditor", "editor", "charity", "security"):
        assert not scope_queryset(demo_users[username], Area.objects.all()).exists()


def test_an_agency_worker_sees_only_assigned_rows(demo_users):
    # Areas have no assignments: a worker sees none of them through the scope.
    assert user_scope(demo_users["worker"]).level == "assigned"
    assert not scope_queryset(demo_users["worker"], Area.objects.all()).exists()


def test_a_district_role_cannot_be_bound_to_a_street(demo_users):
    with pytest.raises(ValidationError):
        staff_assign(
            user=demo_users["dongcheng"],
            role=Role.DISTRICT_BUREAU,
            area=Area.objects.get(code="110101001000"),
        )


def test_the_auditor_reads_the_audit_log_and_nothing_else(login_as):
    client = login_as("auditor")
    assert client.get("/admin/audit/").status_code == 200
    assert client.get("/admin/areas/").status_code in (302, 403)
    assert client.get("/admin/pages/").status_code in (302, 403)
    assert client.get("/admin/users/").status_code in (302, 403)


def test_the_editor_edits_pages_but_cannot_read_audit_or_areas(login_as):
    client = login_as("editor")
    assert client.get("/admin/pages/").status_code == 200
    assert client.get("/admin/audit/").status_code in (302, 403)
    assert client.get("/admin/areas/").status_code in (302, 403)


def test_ledger_staff_browse_areas_but_not_the_audit_log(login_as):
    client = login_as("dongcheng")
    response = client.get("/admin/areas/?q=东华门")
    assert response.status_code == 200
    assert "东华门街道" in response.content.decode()
    assert client.get("/admin/audit/").status_code in (302, 403)


def test_areas_are_read_only_even_for_a_superuser(client, django_user_model, areas):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import verified_login

    root = django_user_model.objects.create_superuser("root", "r@example.invalid", "pw-long-1234")
    TOTPDevice.objects.create(user=root, name="t", confirmed=True)
    verified_login(client, root)
    assert client.get("/admin/areas/").status_code == 200
    assert client.get("/admin/areas/inspect/110101000000/").status_code == 200
    assert client.get("/admin/areas/new/").status_code == 404
    assert client.get("/admin/areas/edit/110101000000/").status_code == 404
    assert client.get("/admin/audit/new/").status_code == 404
