"""Issue 3 item 7: person search that an index can serve, with the semantics staff expect.

A name prefix (张 / 张三), pinyin initials (zs), a full ID number in any case and spacing, a
full phone number. Results come in the order of the matched column unless a header was clicked.
"""

import datetime as dt

import pytest

from backoffice.actor import system_actor
from backoffice.enums import EntryRoute, Relation
from backoffice.models import Area, Person
from backoffice.services.ledger import household_create, person_create, person_search
from portal import identity

SYSTEM = system_actor()  # fixtures build the ledger as a command would


def _id_ending_in_x() -> str:
    for sequence in range(0, 999, 2):
        number = identity.make_id_number(
            area_code="110101", birth=dt.date(1948, 6, 1), sequence=sequence, female=True
        )
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives a check character X")


X_ID = _id_ending_in_x()


@pytest.fixture
def people(areas):
    home = household_create(
        actor=SYSTEM,
        community=Area.objects.get(code="110101001001"),
        address="东华门大街3号",
        entry_route=EntryRoute.SURVEY,
    )
    made = {}
    for name, extra in [
        ("张三丰", {"id_number": X_ID, "phone": "13912345678"}),
        ("张三", {}),
        ("张伟", {}),
        ("李张三", {}),
        ("赵山", {}),
    ]:
        if "id_number" not in extra:
            extra = {**extra, "birth_date": dt.date(1960, 1, 1), "sex": "male"}
        made[name] = person_create(
            actor=SYSTEM, household=home, name=name, relation=Relation.OTHER, **extra
        )
    return made


def _names(query: str, **kwargs) -> list[str]:
    return list(person_search(Person.objects.all(), query, **kwargs).values_list("name", flat=True))


def test_a_name_prefix_finds_names_that_begin_with_it_in_name_order(people):
    assert _names("张") == ["张三", "张三丰", "张伟"]
    assert _names("张三") == ["张三", "张三丰"]
    assert "李张三" not in _names("张三")  # the beginning of the name, not any part


def test_pinyin_initials_match_from_the_start_in_any_case(people):
    assert set(_names("zs")) == {"张三", "张三丰", "赵山"}
    assert _names("ZSF") == ["张三丰"]
    assert _names("lzs") == ["李张三"]


@pytest.mark.parametrize(
    "query",
    [X_ID, X_ID.lower(), f"{X_ID[:6]} {X_ID[6:14]} {X_ID[14:].lower()}"],
)
def test_a_full_id_number_matches_in_either_case_and_any_spacing(people, query):
    assert _names(query) == ["张三丰"]


@pytest.mark.parametrize("query", ["13912345678", "139 1234 5678", "139-1234-5678"])
def test_a_full_phone_number_matches(people, query):
    assert _names(query) == ["张三丰"]


def test_partial_numbers_match_nothing(people):
    assert _names("1391234") == []
    assert _names(X_ID[:10]) == []


def test_without_order_by_match_the_callers_order_stays(people):
    ordered = person_search(Person.objects.order_by("-id"), "张", order_by_match=False)
    assert list(ordered.values_list("name", flat=True)) == ["张伟", "张三", "张三丰"]


def test_the_admin_search_lists_the_matches(login_as, people):
    html = login_as("city").get("/admin/persons/", {"q": "张三"}).content.decode()
    assert "张三丰" in html and "张伟" not in html


def test_the_household_list_finds_a_file_by_any_members_name_initials_or_id(login_as, ledger):
    """Issue 13 item 6: `/admin/households/?q=王秀兰` found nothing; the file list now finds
    households by their members, within the scope."""
    from tests.integration.conftest import ZHANG_ID

    client = login_as("street")
    home = ledger["home"].file_number
    for query in ("张三", "张", "zs", ZHANG_ID, "13812345678", "东华门大街1号", home):
        page = client.get("/admin/households/", {"q": query}).content.decode()
        assert home in page, query
    assert (
        ledger["assigned"].file_number
        not in client.get("/admin/households/", {"q": "张三"}).content.decode()
    )
    # Outside the scope nothing is found, even by an exact name.
    assert (
        ledger["far"].file_number
        not in client.get("/admin/households/", {"q": "王五"}).content.decode()
    )
    assert (
        ledger["far"].file_number
        in login_as("city").get("/admin/households/", {"q": "王五"}).content.decode()
    )
