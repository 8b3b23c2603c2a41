"""Issue 3 benchmarks (items 6 and 7): seed the ledger at Beijing scale, then list and search it.

`BENCH_HOUSEHOLDS` (default 600,000 households, about 1M persons) sets the size; the seed time
is a result row of its own. Listings and searches are measured as the city bureau (everything)
and as the 东城区 officer (scoped rows), through the real admin views behind the OTP gate.
"""

from __future__ import annotations

import os
import sys
import time

from django.db import connection
from django.db.models import Count, Exists, OuterRef
from django.test.utils import override_settings

from backoffice.demo.accounts import demo_accounts_create
from backoffice.demo.ledger import DEMO_STREET, demo_households_create
from backoffice.enums import Category
from backoffice.models import Household, Person, PersonCategory
from portal import identity
from tests.bench.foundation import _verified_client
from tests.bench.harness import Result, measure

HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "600000"))
FULL_SCALE = 600_000
SEED_LIMIT_S = 600
LIST_TARGET = "p95 <= 100 ms, <= 15 queries"
SEARCH_TARGET = "p95 <= 100 ms"


def _progress(households: int, persons: int, seconds: float) -> None:
    print(
        f"  seed: {households:>9,} households {persons:>10,} persons {seconds:7.1f} s",
        file=sys.stderr,
    )


def _seed() -> Result:
    kept = Household.objects.count()
    if kept >= HOUSEHOLDS:  # BENCH_KEEP_DB=1: seeded by an earlier run
        return Result(
            name=f"seed_demo skipped: {kept:,} households kept from an earlier run",
            n=0,
            p50_ms=0,
            p95_ms=0,
            target="",
            ok=None,
        )
    started = time.perf_counter()
    persons = demo_households_create(households=HOUSEHOLDS, seed=2026, progress=_progress)
    seconds = time.perf_counter() - started
    full = HOUSEHOLDS >= FULL_SCALE
    return Result(
        name=f"seed_demo {HOUSEHOLDS:,} households ({persons:,} persons)",
        n=1,
        p50_ms=round(seconds * 1000, 2),
        p95_ms=round(seconds * 1000, 2),
        target=f"<= {SEED_LIMIT_S} s at {FULL_SCALE:,} households",
        ok=seconds <= SEED_LIMIT_S if full else None,
        extra={"seconds": round(seconds, 1), "persons": persons},
    )


def _busiest_street(**scope) -> str:
    """The street (not the demo street, which holds every 10th household) with most files."""
    row = (
        Household.objects.filter(**scope)
        .exclude(street_id=DEMO_STREET)
        .values("street_id")
        .annotate(n=Count("id"))
        .order_by("-n", "street_id")
        .first()
    )
    return row["street_id"]


def _sample_person(**scope) -> Person:
    """A head of a dibao household with a phone: a person staff would look up."""
    s1 = PersonCategory.objects.filter(person=OuterRef("pk"), category=Category.S1)
    return (
        Person.objects.filter(Exists(s1), **scope)
        .exclude(phone_encrypted="")
        .order_by("id")
        .first()
    )


def _list(name: str, client, url: str, *, target: bool = True) -> Result:
    """A listing page; `target=False` for pages measured for information (no DESIGN target)."""
    result = measure(
        name,
        lambda: client.get(url),
        n=50,
        target=LIST_TARGET if target else "",
        p95_limit_ms=100 if target else None,
        query_limit=15 if target else None,
    )
    result.extra["url"] = url
    return result


def _search(name: str, client, query: str) -> Result:
    result = measure(
        name,
        lambda: client.get("/admin/persons/", {"q": query}),
        n=50,
        target=SEARCH_TARGET,
        p95_limit_ms=100,
    )
    result.extra["q"] = query
    return result


def _check(client, url: str, params: dict | None = None, *, expect: str) -> None:
    """Measure only pages that answer and show what they should."""
    response = client.get(url, params or {})
    html = response.content.decode()
    if response.status_code != 200 or expect not in html:
        raise AssertionError(f"{url} {params}: {response.status_code}, {expect!r} missing")


@override_settings(ALLOWED_HOSTS=["*"])
def run() -> list[Result]:
    demo_accounts_create()
    results = [_seed()]
    city = _verified_client("city")
    dongcheng = _verified_client("dongcheng")

    street = _busiest_street()
    dc_street = _busiest_street(district_id="110101000000")
    person = _sample_person()
    dc_person = _sample_person(household__district_id="110101000000")
    id_number = identity.decrypt_value(person.id_number_encrypted)
    phone = identity.decrypt_value(person.phone_encrypted)
    household = person.household
    for client, who in ((city, person), (dongcheng, dc_person)):
        _check(client, "/admin/persons/", {"q": who.name}, expect=who.id_number_masked)
    _check(city, "/admin/persons/", {"q": id_number}, expect=person.id_number_masked)
    _check(city, "/admin/persons/", {"q": phone}, expect=person.phone_masked)

    street_url = f"/admin/households/?street={street}&category=S1"
    dc_street_url = f"/admin/households/?street={dc_street}&category=S1"
    demo_url = f"/admin/households/?street={DEMO_STREET}&category=S1"
    inspect_url = f"/admin/households/inspect/{household.pk}/"
    _check(city, street_url, expect="/admin/households/inspect/")
    _check(dongcheng, dc_street_url, expect="/admin/households/inspect/")
    _check(city, inspect_url, expect=household.file_number)

    in_street = Household.objects.filter(street_id=street).count()
    in_demo = Household.objects.filter(street_id=DEMO_STREET).count()
    results += [
        _list(f"households street+S1 ({in_street:,} files; city)", city, street_url),
        _list("households street+S1 (dongcheng)", dongcheng, dc_street_url),
        # Every 10th demo household is in 东华门 (for the demo accounts): a stress case.
        _list(f"households demo street+S1 ({in_demo:,}; city)", city, demo_url, target=False),
        _list("households default page (city)", city, "/admin/households/", target=False),
        _list("households default page (dongcheng)", dongcheng, "/admin/households/", target=False),
        _search("persons ?q=<full name> (city)", city, person.name),
        _search("persons ?q=<surname> (city)", city, person.name[0]),
        _search("persons ?q=zs, pinyin initials (city)", city, "zs"),
        _search("persons ?q=<full ID number> (city)", city, id_number),
        _search("persons ?q=<ID, spaced, lower-case> (city)", city, _spaced(id_number)),
        _search("persons ?q=<full phone> (city)", city, phone),
        _search("persons ?q=<full name> (dongcheng)", dongcheng, dc_person.name),
        _search("persons ?q=zs, pinyin initials (dongcheng)", dongcheng, "zs"),
        _list("persons default page (city)", city, "/admin/persons/", target=False),
        _list("persons default page (dongcheng)", dongcheng, "/admin/persons/", target=False),
        _list("household inspect page (city)", city, inspect_url, target=False),
    ]
    for r in results:
        r.extra.setdefault("database", connection.vendor)
    return results


def _spaced(id_number: str) -> str:
    return f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}".lower()
