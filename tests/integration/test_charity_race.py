"""Issue 17 (U3): take-up under concurrency. 50 charities claim one one-to-one need at once:
exactly one wins. 50 pledges toward one many-to-one need at once: never more than the target.

Real threads, each with its own database connection and its own charity, through the real
endpoint (POST /charity/needs/<id>/claim/, /pledge/), on PostgreSQL (on SQLite the test
database is one in-memory file that threads cannot share the way they would a server).
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.demo.accounts import demo_accounts_create, demo_totp_key_hex
from backoffice.enums import HelpMode, ListingStatus, Role, TakeUpStatus, TargetUnit
from backoffice.models import Area, CharityMember, CharityOrganisation, NeedListing, TakeUp
from backoffice.services.staff import staff_assign
from backoffice.validators import credit_code_check_character
from tests.conftest import is_postgres, verified_login
from tests.integration.charity import peer, publish

pytestmark = pytest.mark.postgres

THREADS = 50


@pytest.fixture
def race(transactional_db, areas):
    if not is_postgres():
        pytest.skip("concurrent take-up is exercised on PostgreSQL (make test-postgres)")
    demo_accounts_create()
    users = get_user_model().objects
    zhang = peer("张三")
    for name in ("钱一", "孙二", "周四", "吴六"):
        peer(name)
    world = {"zhang": zhang, "need": None}
    district = Area.objects.get(code="110101000000")
    members = []
    for number in range(THREADS):
        body = f"5111010{number:02d}MJ0A1B2C"[:17]
        organisation = CharityOrganisation.objects.create(
            name=f"并发慈善会{number}",
            credit_code=body + credit_code_check_character(body),
            district=district,
            registered_on="2020-01-01",
        )
        user = users.create_user(f"racer{number}", password="racer-pass-2026!")
        staff_assign(user=user, role=Role.CHARITY)
        CharityMember.objects.create(user=user, organisation=organisation)
        TOTPDevice.objects.create(user=user, name="手机", key=demo_totp_key_hex(), confirmed=True)
        members.append(user)
    station = users.get(username="street")
    return world, station, members


def _need(zhang, need_type):
    from backoffice.models import Need

    return Need.objects.create(household=zhang.household, person=zhang, need_type=need_type)


def _all_at_once(members, url: str, data: dict | None = None) -> list[int]:
    clients = [verified_login(Client(), user) for user in members]  # sessions made beforehand
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    guard = threading.Lock()

    def post(client):
        try:
            barrier.wait()
            response = client.post(url, data or {})
            with guard:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def test_u3_fifty_concurrent_claims_of_one_need_make_exactly_one_claim(race):
    world, station, members = race
    world["need"] = _need(world["zhang"], "living")
    listing = publish(world, station)
    statuses = _all_at_once(members, f"/charity/needs/{listing.pk}/claim/")
    assert len(statuses) == THREADS and set(statuses) == {302}
    claims = TakeUp.objects.filter(listing=listing)
    assert claims.count() == 1 and claims.get().status == TakeUpStatus.ACTIVE
    listing.refresh_from_db()
    assert listing.status == ListingStatus.TAKEN and listing.committed_quantity == 1


def test_u3_fifty_concurrent_pledges_never_exceed_the_target(race):
    world, station, members = race
    world["need"] = _need(world["zhang"], "living")
    listing = publish(
        world,
        station,
        help_mode=HelpMode.MANY_TO_ONE,
        description="米面粮油",
        target_quantity=100,
        unit=TargetUnit.ITEM,
    )
    statuses = _all_at_once(members, f"/charity/needs/{listing.pk}/pledge/", {"quantity": 3})
    assert len(statuses) == THREADS
    listing.refresh_from_db()
    pledged = sum(TakeUp.objects.filter(listing=listing).values_list("quantity", flat=True))
    assert pledged == listing.committed_quantity == 99  # 33 pledges of 3; the 34th would exceed
    assert TakeUp.objects.filter(listing=listing).count() == 33
    assert NeedListing.objects.get(pk=listing.pk).committed_quantity <= listing.target_quantity
