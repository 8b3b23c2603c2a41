"""Issue 2 item 10: demo accounts, refused outside dev and test settings; issue 3 item 6:
the demo ledger (deterministic, bulk, scored by the ledger rule)."""

import datetime as dt
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from backoffice.actor import system_actor
from backoffice.demo.accounts import DEMO_ACCOUNTS

SYSTEM = system_actor()  # fixtures build the ledger as a command would


def test_seed_demo_creates_every_demo_account_with_a_device(db, django_user_model, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "demo-pass-2026" in out and "JBSWY3DPEHPK3PXP" in out
    for account in DEMO_ACCOUNTS:
        user = django_user_model.objects.get(username=account.username)
        assert user.check_password("demo-pass-2026")
        assert user.staff_profile.role == account.role


@override_settings(DEMO_DATA_ALLOWED=False)
def test_seed_demo_refuses_production_settings(db, django_user_model):
    django_user_model.objects.all().delete()  # the suite's shared demo accounts
    with pytest.raises(CommandError, match="生产环境"):
        call_command("seed_demo")
    assert not django_user_model.objects.exists()


def test_production_settings_never_allow_demo_data(monkeypatch):
    import importlib

    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", "y" * 50)
    monkeypatch.setenv("RECEIPT_KEY", "r" * 50)
    monkeypatch.setenv("RECOVERY_CODE_KEY", "c" * 50)
    monkeypatch.setenv("ALLOWED_HOSTS", "mzj.example.cn")
    production = importlib.import_module("portal.settings.production")
    importlib.reload(production)
    assert production.DEMO_DATA_ALLOWED is False
    assert production.DEBUG is False


def _ledger_snapshot():
    from backoffice.models import Household, Person, PersonCategory

    return (
        list(
            Household.objects.order_by("id").values_list(
                "file_number", "community_id", "entered_on", "next_visit_due", "completeness"
            )
        ),
        list(Person.objects.order_by("id").values_list("name", "birth_date", "id_number_index")),
        list(PersonCategory.objects.order_by("id").values_list("subtype", "details")),
    )


def _ledger_clear():
    from backoffice.models import (
        Household,
        HouseholdAssignment,
        ListingMessage,
        Need,
        NeedListing,
        Person,
        ShareConsent,
        TakeUp,
    )

    # The demo charity listings hold their need, person and consent (PROTECT).
    ListingMessage.objects.all().delete()
    TakeUp.objects.all().delete()
    NeedListing.objects.all().delete()
    ShareConsent.objects.all().delete()
    Need.objects.all().delete()
    HouseholdAssignment.objects.all().delete()
    Person.objects.all().delete()  # categories and benefits cascade
    Household.objects.all().delete()  # and so do timeline events


def test_seed_demo_builds_deterministic_households_with_valid_ids(db):
    """Issue 3 item 6: same seed, same ledger; valid, unique, protected identifiers."""
    from backoffice.models import Household, Person
    from portal import identity

    call_command("seed_demo", households=30, seed=7)
    first = _ledger_snapshot()
    assert Household.objects.count() == 30
    assert Household.objects.filter(street_id="110101001000").count() == 3  # every 10th
    numbers = []
    for person in Person.objects.all():
        number = identity.decrypt_value(person.id_number_encrypted)
        assert identity.normalize_id_number(number) == number
        assert identity.birth_date_from_id(number) == person.birth_date
        assert identity.sex_from_id(number) == person.sex
        assert person.id_number_index == identity.blind_index(number, kind="id")
        assert person.id_number_masked == identity.mask_id_number(number)
        assert person.name_initials == identity.pinyin_initials(person.name)
        if person.phone_encrypted:
            phone = identity.decrypt_value(person.phone_encrypted)
            assert person.phone_index == identity.blind_index(phone, kind="phone")
        numbers.append(number)
    assert len(set(numbers)) == len(numbers)
    _ledger_clear()
    call_command("seed_demo", households=30, seed=7)
    assert _ledger_snapshot() == first
    _ledger_clear()
    call_command("seed_demo", households=30, seed=8)
    assert _ledger_snapshot() != first


def test_seeded_completeness_is_the_ledger_rule(db):
    """The bulk path scores a file as the back office does (household_missing_items)."""
    from backoffice.models import Household
    from backoffice.services.ledger import household_missing_items

    call_command("seed_demo", households=60, seed=3)
    scores = []
    for household in Household.objects.all():
        _missing, score = household_missing_items(household)
        assert household.completeness == score, household.file_number
        scores.append(score)
    assert min(scores) < 100 and max(scores) == 100  # some files are missing items


def test_seeded_files_have_a_timeline_line_and_the_worker_a_caseload(db):
    from backoffice.enums import TimelineKind
    from backoffice.models import HouseholdAssignment, HouseholdEvent

    call_command("seed_demo", households=40, seed=5)
    events = HouseholdEvent.objects.filter(kind=TimelineKind.FILE_CREATED)
    assert events.count() == 40
    for event in events.select_related("household")[:10]:
        assert event.summary == "建档（演示数据）"
        assert event.at.date() == event.household.entered_on
    assigned = HouseholdAssignment.objects.filter(worker__username="worker")
    assert assigned.count() == 2  # households 0 and 20
    assert all(a.household.street_id == "110101001000" for a in assigned)
    # worker2 (the lapsed agency, issue 18) gets files of its own, never worker's.
    lapsed = HouseholdAssignment.objects.filter(worker__username="worker2")
    assert lapsed.exists()
    assert not set(lapsed.values_list("household", flat=True)) & set(
        assigned.values_list("household", flat=True)
    )
    assert not HouseholdAssignment.objects.exclude(
        worker__username__in=["worker", "worker2"]
    ).exists()


def test_seeding_leaves_ids_and_file_numbers_for_the_next_file(db):
    """Explicit primary keys must not break the next ordinary insert (PostgreSQL sequences),
    and demo file numbers are numbered as next_file_number continues them."""
    from backoffice.enums import EntryRoute, Relation
    from backoffice.models import Household, Person
    from backoffice.services.ledger import household_create, person_create

    call_command("seed_demo", households=40, seed=1)
    demo = Household.objects.filter(street_id="110101001000").order_by("-file_number").first()
    prefix, _sep, last = demo.file_number.rpartition("-")
    assert prefix == f"110101001-{demo.entered_on.year}" and len(last) == 5
    household = household_create(
        actor=SYSTEM,
        community=demo.community,
        address="东华门大街9号",
        entry_route=EntryRoute.REPORT,
        entered_on=demo.entered_on,
    )
    assert household.file_number == f"{prefix}-{int(last) + 1:05d}"
    person = person_create(
        actor=SYSTEM,
        household=household,
        name="赵六",
        relation=Relation.HEAD,
        birth_date=dt.date(1950, 1, 1),
        sex="male",
    )
    assert household.pk == Household.objects.order_by("-pk").values_list("pk", flat=True)[0]
    assert person.pk == Person.objects.order_by("-pk").values_list("pk", flat=True)[0]
    call_command("seed_demo", households=40, seed=2)  # on top: numbers go on, none repeats
    assert Household.objects.count() == 81


def test_category_mix_and_household_size_follow_the_published_shape(db):
    """Dibao households average ~1.7 persons; the whole ledger ~1.67 (600k -> ~1M)."""
    from django.db.models import Count

    from backoffice.demo.ledger import demo_households_create
    from backoffice.enums import Category, Subtype
    from backoffice.models import Household, Person, PersonCategory

    count = demo_households_create(households=2000, seed=11)
    assert count == Person.objects.count()
    assert 1.55 <= count / 2000 <= 1.8
    dibao = Household.objects.filter(
        members__categories__subtype__in=[Subtype.DIBAO_URBAN, Subtype.DIBAO_RURAL]
    ).distinct()
    dibao_households = dibao.count()
    assert 150 <= dibao_households <= 290  # 10.8% of 2000 = 216
    dibao_persons = Person.objects.filter(household__in=dibao).count()
    assert 1.5 <= dibao_persons / dibao_households <= 1.9
    heads = PersonCategory.objects.filter(person__relation="head").values("category")
    by_category = {r["category"]: r["n"] for r in heads.annotate(n=Count("id"))}
    assert by_category[Category.S2] > by_category[Category.S1]
    assert by_category[Category.S4] > by_category[Category.S1]


def test_community_weights_share_the_district_population():
    from backoffice.demo.ledger import DISTRICT_POPULATION, community_weights

    communities = [
        ("110101001001", "110101000000"),  # 东城: two urban communities
        ("110101001002", "110101000000"),
        ("110111001001", "110111000000"),  # 房山: one urban community, two villages
        ("110111101201", "110111000000"),
        ("110111101202", "110111000000"),
    ]
    weights = community_weights(communities)
    assert weights[0] == weights[1] == pytest.approx(DISTRICT_POPULATION["110101000000"] / 2)
    assert sum(weights[2:]) == pytest.approx(DISTRICT_POPULATION["110111000000"])
    assert weights[3] == weights[4] == pytest.approx(weights[2] / 2)  # a village counts half


def test_seed_demo_makes_a_living_ledger_for_the_demo_station(db, areas, client):
    """Issue 5, item 7: plans, visits, cases, sessions, referrals and exits, some overdue."""
    import io

    from backoffice.models import Case, Plan, Referral, Visit
    from intake.models import Report
    from tests.conftest import verified_login

    call_command("seed_demo", households=60, reports=10, casework=6, seed=7, stdout=io.StringIO())
    assert Report.objects.count() == 10
    assert Plan.objects.exists() and Visit.objects.filter(kind="follow_up").exists()
    assert Case.objects.exists() and Referral.objects.exists()
    street = django_user_model_get("street")
    html = verified_login(client, street).get("/admin/my-work/").content.decode()
    assert "我的工作" in html and "BJ" in html


def django_user_model_get(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def _make_run_seed_args() -> list[str]:
    """The seed_demo arguments of `make run`, read from the Makefile itself."""
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    demo_data = re.search(r"^DEMO_DATA := (.+)$", makefile, re.M).group(1).split()
    recipe = re.search(r"^demo-data:.*\n\t(.+)$", makefile, re.M).group(1)
    args = recipe.split("manage.py seed_demo", 1)[1].replace("$(DEMO_DATA)", "").split()
    return args + demo_data


def test_make_run_seeds_an_empty_database_once_and_then_serves_the_same_one(
    db, capsys, django_user_model
):
    """Issue 13 item 1: the second and tenth `make run` on one clone serve the same data."""
    from backoffice.models import Household, Person
    from intake.models import Report

    args = _make_run_seed_args()
    assert "--if-empty" in args
    args = [a if a not in ("300", "40") else "12" for a in args]  # the same check, smaller
    call_command("seed_demo", *args)
    first = (Household.objects.count(), Person.objects.count(), Report.objects.count())
    assert first[0] >= 12 and first[2] >= 12
    capsys.readouterr()
    for _ in range(2):
        call_command("seed_demo", *args)
    assert (Household.objects.count(), Person.objects.count(), Report.objects.count()) == first
    assert "已有" in capsys.readouterr().out
    assert django_user_model.objects.filter(username="street").exists()


def test_seed_demo_adds_to_a_populated_database_without_crashing(ledger, capsys):
    """The README's seed_demo on a database `make run` filled: more households, reports and
    casework for households nobody has worked yet (a second plan "first version" crashed)."""
    from backoffice.models import Household, Plan

    call_command("seed_demo", households=20, reports=3, casework=20, seed=3)
    plans = Plan.objects.count()
    assert plans > 0
    call_command("seed_demo", households=20, reports=3, casework=20, seed=4)
    assert "已有" in capsys.readouterr().out
    assert Household.objects.count() == 4 + 40
    assert Plan.objects.count() > plans
    assert not Plan.objects.filter(number__gt=1).exists()  # no household planned twice
