"""Issue 2 item 10: demo accounts, refused outside dev and test settings."""

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from backoffice.services.demo import DEMO_ACCOUNTS


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
    with pytest.raises(CommandError, match="生产环境"):
        call_command("seed_demo")
    assert not django_user_model.objects.exists()


def test_production_settings_never_allow_demo_data(monkeypatch):
    import importlib

    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", "y" * 50)
    monkeypatch.setenv("ALLOWED_HOSTS", "mzj.example.cn")
    production = importlib.import_module("portal.settings.production")
    importlib.reload(production)
    assert production.DEMO_DATA_ALLOWED is False
    assert production.DEBUG is False


def test_seed_demo_builds_deterministic_households_with_valid_ids(db):
    from backoffice import identity
    from backoffice.models import Household, Person

    call_command("seed_demo", households=30, seed=7)
    first = list(Person.objects.order_by("id").values_list("name", "birth_date"))
    assert Household.objects.count() == 30
    assert Household.objects.filter(street_id="110101001000").exists()  # the demo station
    for person in Person.objects.all():
        number = identity.decrypt_value(person.id_number_encrypted)
        assert identity.normalize_id_number(number) == number
        assert identity.birth_date_from_id(number) == person.birth_date
    Person.objects.all().delete()
    from backoffice.models import HouseholdAssignment, Need

    Need.objects.all().delete()
    HouseholdAssignment.objects.all().delete()
    Household.objects.all().delete()
    call_command("seed_demo", households=30, seed=7)
    again = list(Person.objects.order_by("id").values_list("name", "birth_date"))
    assert again == first
