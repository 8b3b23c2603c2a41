"""The `ledger` fixture: a small ledger spread over three jurisdictions.

Personas: dongcheng (东城区), street (东华门街道), worker (assigned households only),
city (everything). Bystander: a 朝阳区 household outside every local persona's scope.
"""

import datetime as dt
import re

import pytest

from backoffice.actor import system_actor
from backoffice.demo.accounts import DEMO_AGENCY
from backoffice.enums import Category, EntryRoute, Relation, Subtype
from backoffice.models import Agency, Area, HouseholdAssignment, PersonCategory
from backoffice.services.ledger import (
    household_create,
    household_refresh_completeness,
    person_create,
)
from portal import identity
from tests.integration.world import world  # noqa: F401  (a fixture for the sweeping tests)

SYSTEM = system_actor()  # fixtures build the ledger as a command would

ZHANG_ID = identity.make_id_number(
    area_code="110101", birth=dt.date(1950, 3, 8), sequence=12, female=False
)
CHILD_ID = identity.make_id_number(
    area_code="110101", birth=dt.date(2020, 5, 1), sequence=21, female=True
)
FULL_ID = re.compile(r"\d{17}[\dX]")


@pytest.fixture
def ledger(demo_users):
    donghuamen = Area.objects.get(code="110101001001")
    chaoyang = Area.objects.get(code="110105001024")
    dongcheng_other_street = Area.objects.get(code="110101002001")
    home = household_create(
        actor=SYSTEM, community=donghuamen, address="东华门大街1号", entry_route=EntryRoute.REPORT
    )
    zhang = person_create(
        actor=SYSTEM,
        household=home,
        name="张三",
        relation=Relation.HEAD,
        id_number=ZHANG_ID,
        phone="13812345678",
    )
    PersonCategory.objects.create(person=zhang, category=Category.S2, subtype=Subtype.LIVING_ALONE)
    household_refresh_completeness(home)  # what every service does after changing categories
    child = person_create(
        actor=SYSTEM, household=home, name="张小", relation=Relation.GRANDCHILD, id_number=CHILD_ID
    )
    assigned = household_create(
        actor=SYSTEM, community=donghuamen, address="东华门大街2号", entry_route=EntryRoute.SURVEY
    )
    person_create(
        actor=SYSTEM,
        household=assigned,
        name="李四",
        relation=Relation.HEAD,
        birth_date=dt.date(1960, 1, 1),
        sex="female",
    )
    HouseholdAssignment.objects.create(
        household=assigned, worker=demo_users["worker"], agency=Agency.objects.get(name=DEMO_AGENCY)
    )
    other_street = household_create(
        actor=SYSTEM,
        community=dongcheng_other_street,
        address="景山1号",
        entry_route=EntryRoute.APPROVAL,
    )
    far = household_create(
        actor=SYSTEM, community=chaoyang, address="朝阳门外1号", entry_route=EntryRoute.APPROVAL
    )
    wang = person_create(
        actor=SYSTEM,
        household=far,
        name="王五",
        relation=Relation.HEAD,
        birth_date=dt.date(1970, 1, 1),
        sex="male",
    )
    return {
        "home": home,
        "zhang": zhang,
        "child": child,
        "assigned": assigned,
        "other_street": other_street,
        "far": far,
        "wang": wang,
    }
