"""Issue 3 (first part): scoped ledger listings, masked identifiers, search, audited views.

Personas: dongcheng (东城区), street (东华门街道), worker (assigned households only),
city (everything), auditor/editor (no ledger). Bystander: a 朝阳区 household.
"""

import datetime as dt

import pytest

from backoffice.demo.accounts import DEMO_AGENCY
from backoffice.enums import AuditAction
from backoffice.models import Agency, AuditEvent, HouseholdAssignment
from portal import identity
from tests.integration.conftest import FULL_ID, ZHANG_ID

# (persona, households they must see, households that must answer 404)
SCOPES = [
    ("city", ["home", "assigned", "other_street", "far"], []),
    ("dongcheng", ["home", "assigned", "other_street"], ["far"]),
    ("street", ["home", "assigned"], ["other_street", "far"]),
    ("worker", ["assigned"], ["home", "other_street", "far"]),
]


@pytest.mark.parametrize("username, visible, hidden", SCOPES)
def test_each_role_sees_its_jurisdiction_and_404_outside(
    login_as, ledger, username, visible, hidden
):
    client = login_as(username)
    listing = client.get("/admin/households/").content.decode()
    for key in visible:
        assert ledger[key].file_number in listing
        assert client.get(f"/admin/households/inspect/{ledger[key].pk}/").status_code == 200
    for key in hidden:
        assert ledger[key].file_number not in listing
        assert client.get(f"/admin/households/inspect/{ledger[key].pk}/").status_code == 404


@pytest.mark.parametrize("username", ["dongcheng", "street", "worker"])
def test_a_person_outside_scope_answers_404(login_as, ledger, username):
    client = login_as(username)
    assert client.get(f"/admin/persons/inspect/{ledger['wang'].pk}/").status_code == 404
    assert "王五" not in client.get("/admin/persons/").content.decode()


@pytest.mark.parametrize("username", ["auditor", "editor"])
def test_roles_without_ledger_work_cannot_open_the_ledger(login_as, ledger, username):
    client = login_as(username)
    for url in (
        "/admin/households/",
        f"/admin/households/inspect/{ledger['home'].pk}/",
        "/admin/persons/",
        f"/admin/persons/inspect/{ledger['zhang'].pk}/",
    ):
        assert client.get(url).status_code in (302, 403, 404)


def test_no_full_id_number_appears_in_list_or_detail_html(login_as, ledger):
    client = login_as("city")
    pages = [
        client.get(u).content.decode()
        for u in (
            "/admin/persons/",
            f"/admin/persons/inspect/{ledger['zhang'].pk}/",
            f"/admin/households/inspect/{ledger['home'].pk}/",
            "/admin/households/",
        )
    ]
    for html in pages:
        assert ZHANG_ID not in html and "13812345678" not in html
        assert not FULL_ID.search(html)
    assert identity.mask_id_number(ZHANG_ID) in pages[0]
    assert "138****5678" in pages[0]


def test_identifiers_are_encrypted_at_rest(ledger):
    zhang = ledger["zhang"]
    zhang.refresh_from_db()
    assert ZHANG_ID not in zhang.id_number_encrypted
    assert identity.decrypt_value(zhang.id_number_encrypted) == ZHANG_ID
    assert zhang.birth_date == dt.date(1950, 3, 8) and zhang.sex == "male"


@pytest.mark.parametrize("query", ["zs", "张三", ZHANG_ID, "138 1234 5678"])
def test_search_finds_a_person_by_initials_name_full_id_or_phone(login_as, ledger, query):
    client = login_as("city")
    html = client.get("/admin/persons/", {"q": query}).content.decode()
    assert "张三" in html
    assert "王五" not in html


def test_search_never_reaches_outside_the_scope(login_as, ledger):
    client = login_as("street")
    html = client.get("/admin/persons/", {"q": "ww"}).content.decode()
    assert "王五" not in html


def test_opening_a_person_is_audited_without_the_id_number(login_as, ledger):
    client = login_as("street")
    client.get(f"/admin/persons/inspect/{ledger['zhang'].pk}/")
    event = AuditEvent.objects.get(action=AuditAction.VIEW, object_type="backoffice.person")
    assert event.actor_username == "street" and event.object_id == str(ledger["zhang"].pk)
    assert ZHANG_ID not in event.object_label


def test_a_child_under_14_needs_the_separate_permission(login_as, ledger, demo_users):
    worker = login_as("worker")
    HouseholdAssignment.objects.create(
        household=ledger["home"],
        worker=demo_users["worker"],
        agency=Agency.objects.get(name=DEMO_AGENCY),
    )
    assert worker.get(f"/admin/persons/inspect/{ledger['zhang'].pk}/").status_code == 200
    denied = worker.get(f"/admin/persons/inspect/{ledger['child'].pk}/")
    assert denied.status_code in (302, 403)
    assert "张小" not in denied.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.DENIED, object_id=str(ledger["child"].pk)
    ).exists()


def test_a_station_with_the_permission_opens_the_childs_record(login_as, ledger):
    client = login_as("street")
    assert client.get(f"/admin/persons/inspect/{ledger['child'].pk}/").status_code == 200


def test_the_household_file_shows_missing_ledger_items(login_as, ledger):
    client = login_as("street")
    html = client.get(f"/admin/households/inspect/{ledger['home'].pk}/").content.decode()
    assert "一户一档" in html
    assert "张三：照料人" in html and "张三：监护人" in html
    assert "台账完整度" in html


def test_revealing_an_id_without_a_reason_is_refused(login_as, ledger):
    client = login_as("street")
    response = client.post(
        f"/admin/persons/{ledger['zhang'].pk}/reveal/", {"field": "id_number", "reason": ""}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "请填写查看完整信息的工作原因" in html
    assert ZHANG_ID not in html
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()


def test_revealing_with_a_reason_shows_the_number_and_audits_it(login_as, ledger):
    client = login_as("street")
    response = client.post(
        f"/admin/persons/{ledger['zhang'].pk}/reveal/",
        {"field": "id_number", "reason": "办理医疗救助核对身份"},
    )
    assert ZHANG_ID in response.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.REVEAL)
    assert event.actor_username == "street"
    assert event.detail == {"field": "id_number", "reason": "办理医疗救助核对身份"}
    assert ZHANG_ID not in str(event.detail) + event.object_label


def test_revealing_needs_the_permission(login_as, ledger):
    client = login_as("dongcheng")  # a district officer reads masked data only
    response = client.post(
        f"/admin/persons/{ledger['zhang'].pk}/reveal/",
        {"field": "id_number", "reason": "核对身份信息"},
    )
    assert response.status_code in (302, 403)
    assert ZHANG_ID not in response.content.decode()


def test_revealing_outside_the_scope_answers_404(login_as, ledger):
    client = login_as("street")
    response = client.post(
        f"/admin/persons/{ledger['wang'].pk}/reveal/",
        {"field": "id_number", "reason": "核对身份信息"},
    )
    assert response.status_code == 404


def test_the_household_file_links_to_reveal_only_for_those_allowed(login_as, ledger, client):
    url = f"/admin/households/inspect/{ledger['home'].pk}/"
    reveal = f"/admin/persons/{ledger['zhang'].pk}/reveal/"
    assert reveal in login_as("street").get(url).content.decode()
    client.logout()
    assert reveal not in login_as("dongcheng").get(url).content.decode()


def _listed(client, url, params=None) -> str:
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response.content.decode()


def test_households_filter_by_the_categories_their_members_hold(login_as, ledger):
    """Issue 3 item 5: the category filter follows every add and delete of a category."""
    home, zhang = ledger["home"], ledger["zhang"]
    client = login_as("street")
    assert home.file_number in _listed(client, "/admin/households/", {"category": "S2"})
    assert ledger["assigned"].file_number not in _listed(
        client, "/admin/households/", {"category": "S2"}
    )
    assert home.file_number not in _listed(client, "/admin/households/", {"category": "S4"})
    response = client.post(
        "/admin/person-categories/new/",
        {
            "person": zhang.pk,
            "subtype": "severe_disability",
            "since": "",
            "disability_type": "physical",
            "disability_grade": "1",
        },
    )
    assert response.status_code == 302
    assert home.file_number in _listed(client, "/admin/households/", {"category": "S4"})
    s4 = zhang.categories.get(category="S4")
    assert client.post(f"/admin/person-categories/delete/{s4.pk}/").status_code == 302
    assert home.file_number not in _listed(client, "/admin/households/", {"category": "S4"})
    assert home.file_number in _listed(client, "/admin/households/", {"category": "S2"})


def test_the_street_filter_offers_only_the_streets_in_scope(login_as, ledger):
    """B1: a district officer is not offered (or told the names of) other districts' streets."""
    streets = 'name="street"'
    city = _listed(login_as("city"), "/admin/households/")
    dongcheng = _listed(login_as("dongcheng"), "/admin/households/")
    station = _listed(login_as("street"), "/admin/households/")
    assert streets in city and ">建外街道</option>" in city and ">东华门街道</option>" in city
    assert ">东华门街道</option>" in dongcheng and ">景山街道</option>" in dongcheng
    assert ">建外街道</option>" not in dongcheng
    assert ">东华门街道</option>" in station and ">景山街道</option>" not in station
    chosen = _listed(login_as("city"), "/admin/households/", {"street": "110101002000"})
    assert ledger["other_street"].file_number in chosen
    assert ledger["home"].file_number not in chosen
    assert '<option value="110101002000" selected>景山街道</option>' in chosen


def test_each_listed_file_links_to_its_one_file_page(login_as, ledger):
    """L7: a row opens the household's file (its page holds every action), for every role."""
    for username in ("street", "city"):
        html = _listed(login_as(username), "/admin/households/")
        assert f'href="/admin/households/inspect/{ledger["home"].pk}/">' in html
        assert "<td>在册</td>" in html and "<td>active</td>" not in html  # labels, not codes
    persons = _listed(login_as("street"), "/admin/persons/")
    assert f'href="/admin/persons/inspect/{ledger["zhang"].pk}/">张三</a>' in persons


def test_persons_are_listed_by_their_households_due_dates(login_as, ledger):
    """The person listing follows the household listing's order (next follow-up due first)."""
    from backoffice.models import Household

    Household.objects.filter(pk=ledger["home"].pk).update(next_visit_due=dt.date(2030, 1, 1))
    html = _listed(login_as("street"), "/admin/persons/")
    assert html.index("李四") < html.index("张三")
