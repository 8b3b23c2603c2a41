"""Issue 12, the small holes: Wagtail's own admin utilities obey the jurisdiction (SECURITY B1,
B4) and its error-test page is out of reach.

Wagtail serves a few endpoints of its own that take a model and a primary key: the
concurrent-editing notice (editing sessions: ping and release), bulk actions, tag
autocomplete, settings, page creation and usage by type, workflow tasks. Only the editing
sessions reach ledger models; the others answer 404 for them, and the tests keep it so.
Personas: street (东华门街道), dongcheng (东城区), worker (assigned households, no child
permission), city. Bystander: the 朝阳区 household `far`, outside every local scope.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.admin.models import EditingSession

from backoffice.demo.accounts import DEMO_AGENCY
from backoffice.models import Agency, Household, HouseholdAssignment, Person


def ping_url(obj, session_id: int = 0, *, object_id=None) -> str:
    meta = obj._meta
    pk = obj.pk if object_id is None else object_id
    return f"/admin/editing-sessions/ping/{meta.app_label}/{meta.model_name}/{pk}/{session_id}/"


def someone_editing(obj, user) -> EditingSession:
    """`user` has `obj` open in the editor right now."""
    return EditingSession.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        last_seen_at=timezone.now(),
        is_editing=True,
    )


def test_b1_the_editing_notice_of_a_household_in_scope_names_who_else_is_editing(
    login_as, ledger, demo_users
):
    someone_editing(ledger["home"], demo_users["dongcheng"])
    response = login_as("street").post(ping_url(ledger["home"]))
    assert response.status_code == 200
    names = [other["user"] for other in response.json()["other_sessions"]]
    assert names == [demo_users["dongcheng"].get_full_name() or "dongcheng"]


@pytest.mark.parametrize("username", ["street", "dongcheng", "worker"])
def test_b1_the_editing_notice_of_a_household_outside_the_scope_answers_404(
    login_as, ledger, demo_users, username
):
    far = ledger["far"]
    city = demo_users["city"]
    city.first_name = "市局编辑人"
    city.save(update_fields=["first_name"])
    someone_editing(far, city)
    before = EditingSession.objects.count()

    response = login_as(username).post(ping_url(far), {"is_editing": "1"})

    assert response.status_code == 404
    assert "市局编辑人" not in response.content.decode()
    assert EditingSession.objects.count() == before  # no session opened on the bystander


@pytest.mark.parametrize("record", ["wang", "far_category"])
def test_b1_the_editing_notice_of_a_member_or_record_outside_the_scope_answers_404(
    login_as, ledger, record
):
    from backoffice.enums import Category, Subtype
    from backoffice.models import PersonCategory

    objects = {
        "wang": ledger["wang"],
        "far_category": PersonCategory.objects.create(
            person=ledger["wang"], category=Category.S2, subtype=Subtype.LIVING_ALONE
        ),
    }
    response = login_as("street").post(ping_url(objects[record]))
    assert response.status_code == 404


def test_b4_the_editing_notice_of_a_child_needs_the_child_permission(login_as, ledger, demo_users):
    HouseholdAssignment.objects.create(
        household=ledger["home"],
        worker=demo_users["worker"],
        agency=Agency.objects.get(name=DEMO_AGENCY),
    )
    worker = login_as("worker")
    assert worker.post(ping_url(ledger["zhang"])).status_code == 200  # the same file, an adult
    assert worker.post(ping_url(ledger["child"])).status_code == 404


@pytest.mark.parametrize("object_id", ["abc", "1.5", "99999999999999999999999", "%20"])
def test_a_malformed_object_id_in_the_editing_notice_answers_404(login_as, ledger, object_id):
    household = ledger["home"]
    response = login_as("street").post(ping_url(household, object_id=object_id))
    assert response.status_code == 404


def test_releasing_someone_elses_editing_session_changes_nothing(login_as, ledger, demo_users):
    theirs = someone_editing(ledger["far"], demo_users["city"])
    response = login_as("street").post(f"/admin/editing-sessions/release/{theirs.pk}/")
    assert response.status_code in (200, 404)
    assert EditingSession.objects.filter(pk=theirs.pk).exists()


def _model_endpoints(household: Household, person: Person) -> list[str]:
    """Wagtail's other endpoints that name a model (and a record) in their URL."""
    return [
        f"/admin/bulk/backoffice/household/delete/?id={household.pk}",
        f"/admin/bulk/backoffice/person/delete/?id={person.pk}",
        "/admin/tag-autocomplete/backoffice/person/?term=王",
        f"/admin/settings/backoffice/household/{household.pk}/",
        "/admin/settings/backoffice/household/",
        "/admin/pages/usage/backoffice/household/",
        "/admin/pages/add/backoffice/household/1/",
        "/admin/pages/create/backoffice/household",
        "/admin/workflows/tasks/add/backoffice/household/",
        "/admin/snippets/backoffice/household/",
        f"/admin/households/history/{household.pk}/",
        f"/admin/households/usage/{household.pk}/",
        f"/admin/households/delete/{household.pk}/",
        f"/admin/persons/history/{person.pk}/",
        f"/admin/persons/usage/{person.pk}/",
        f"/admin/persons/copy/{person.pk}/",
    ]


@pytest.mark.parametrize("username", ["street", "city"])
def test_b1_wagtails_other_model_endpoints_do_not_serve_ledger_records(login_as, ledger, username):
    client = login_as(username)
    far, wang = ledger["far"], ledger["wang"]
    households, persons = Household.objects.count(), Person.objects.count()
    for url in _model_endpoints(far, wang):
        get = client.get(url)
        assert get.status_code in (302, 404), url  # 302: Wagtail's "no permission", to home
        assert far.file_number not in get.content.decode(), url
        post = client.post(url, {"id": [far.pk]})
        assert post.status_code in (302, 404, 405), url
    assert (Household.objects.count(), Person.objects.count()) == (households, persons)


@pytest.mark.parametrize("username", ["street", "city", "auditor", "editor", "security"])
def test_wagtails_error_test_page_is_not_found_for_anyone(login_as, username, demo_users):
    response = login_as(username).get("/admin/failwhale/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_wagtails_error_test_page_is_not_found_when_signed_out(client, db):
    assert client.get("/admin/failwhale/").status_code == 404


def test_b1_every_model_with_a_jurisdiction_answers_wagtail_with_the_scope(db):
    """A new ledger model (one that declares `scope_fields`) gets the scoped policy without
    anyone remembering to register it; only areas keep their read-only policy."""
    from django.apps import apps
    from wagtail.permissions import policy_registry

    from backoffice.viewsets.base import ReadOnlyPermissionPolicy
    from backoffice.wagtail_endpoints import ScopedPermissionPolicy

    scoped = [model for model in apps.get_models() if getattr(model, "scope_fields", None)]
    assert len(scoped) >= 10
    for model in scoped:
        policy = policy_registry.get_by_type(model, fallback=False)
        expected = ReadOnlyPermissionPolicy if model._meta.label == "backoffice.Area" else None
        assert isinstance(policy, expected or ScopedPermissionPolicy), model._meta.label
