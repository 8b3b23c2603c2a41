"""Issue 12: rules in the structure, proven by sweeping every back-office form (SECURITY B1, B8).

Every add and edit form of every back-office viewset and view, opened as each ledger persona,
with and without query strings that point outside the scope, offers only records the persona
may see: persons (never a child to whom lacks the child permission), households, cases,
referrals, visits, areas, agencies and staff. The URLs come from the URL resolver, so a new
form is swept as soon as it exists; a URL the sweep does not know how to fill fails the test.
"""

from __future__ import annotations

import re

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver

from backoffice.children import is_child
from backoffice.models import Agency, Area, Household, Person
from backoffice.permissions import user_can_open_child_record
from backoffice.scope import scope_queryset, user_scope

PERSONAS = ["street", "dongcheng", "worker", "city"]


def _admin_routes() -> list[tuple[str, str]]:
    """(path pattern, name) of every back-office route under /admin/ served by our code."""
    found = []

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                callback = entry.callback
                module = getattr(callback, "__module__", "") or ""
                view_class = getattr(callback, "view_class", None)
                if view_class is not None:
                    module = view_class.__module__
                if module.startswith("backoffice."):
                    found.append((prefix + str(entry.pattern), entry.name or ""))

    walk(get_resolver().url_patterns, "")
    return [(path, name) for path, name in found if path.startswith("admin/")]


def _objects(world):
    """The in-scope record of each URL prefix, for filling `<int:pk>` (street's own file)."""
    home = world["home"]
    return {
        "households": home.pk,
        "persons": world["zhang"].pk,
        "person-categories": world["zhang"].categories.first().pk,
        "benefits": world["child_x"].benefits.first().pk,
        "needs": home.needs.first().pk,
        "cases": world["cases"]["home"].pk,
        "referrals": world["referrals"]["home"].pk,
        "reports": world["report"].pk,
        "handovers": world["handover"].pk,
        "agencies": world["home"].assignments.first().agency_id,
        "areas": "110101001001",
        "audit": None,
        "print-jobs": None,
        "staff-devices": None,
        # The working-day calendar (F4) is one for all of Beijing: no records to choose.
        "workdays": None,
        "workday-years": None,
        # Issue 15: an import is its owner's only, and its page confirms or cancels (no
        # record to choose); the upload form on /admin/exchange/ is swept as a page.
        "exchange": None,
        # Issue 18 item 4: a spot check's pages offer no records to choose (yes/no and text);
        # their scope is tested in test_spot_checks.py.
        "spot-checks": None,
        # Issue 18 item 2: 东城区's project serving 东华门街道.
        "projects": world["project"].pk,
        # Issue 17: the listing of 张三's need; the demo charity (district 东城区).
        "charity-listings": world["listing"].pk,
        "charities": world["listing"].take_ups.first().organisation_id,
    }


NO_FORM_ROUTES = re.compile(
    r"(results/$|/pdf/|download|reveal|/status/$|/sessions/$|/complete/$|/close/|/assign/$|"
    r"/visit/$|/accept/$|/merge/$|/request-info/$|/reject/$|/acknowledge/$|/return/$|"
    r"/retry/$|/unlock/$|/issue/$|/link/$|/delete/|attachments|cases/<int:pk>/edit/$|/end/$|/agreements/new/$|"
    r"/withdraw/$|/messages/$|/confirm/$|/members/new/$|/deactivate/$|/publish/$|/checks/new/$)"
)


def _fill(path: str, objects: dict) -> str | None:
    """A concrete URL for a route pattern, or None when it is not a page with forms."""
    if NO_FORM_ROUTES.search(path):
        return None  # POST-only actions and files: their forms are on the pages swept here
    segment = path[len("admin/") :].split("/", 1)[0]
    if "<" not in path:
        return "/" + path
    if segment not in objects:
        raise AssertionError(f"the sweep does not know how to open {path}: add it to _objects")
    pk = objects[segment]
    if pk is None:
        return None  # an owner-only or read-only listing without forms that offer records
    url = re.sub(r"<(?:int|str|path):pk>", str(pk), path)
    url = url.replace("<int:visit_id>", str(objects["visit"])).replace("<int:number>", "1")
    if "<" in url:
        raise AssertionError(f"the sweep cannot fill {path}")
    return "/" + url


def _forms(response) -> list[forms.BaseForm]:
    found, seen = [], set()
    for context in response.context or []:
        for value in context.flatten().values():
            candidates = []
            if isinstance(value, forms.BaseForm):
                candidates = [value]
            elif isinstance(value, forms.BaseFormSet):
                candidates = list(value.forms)
            for form in candidates:
                if id(form) not in seen:
                    seen.add(id(form))
                    found.append(form)
    return found


def _district_of(user) -> str | None:
    area = user.staff_profile.area
    return area.district_id if area is not None else None


def _may_choose(user, obj) -> bool:
    """The rule, written out apart from the code under test."""
    scope = user_scope(user)
    if isinstance(obj, Person):
        if is_child(obj) and not user_can_open_child_record(user):
            return False
        return scope_queryset(user, Household.objects.filter(pk=obj.household_id)).exists()
    if isinstance(obj, Area):
        if scope.is_everything:
            return True
        if scope.level == "assigned":
            return Household.objects.filter(community=obj, assignments__worker=user).exists()
        return scope.area_code in (obj.district_id, obj.street_id, obj.code)
    if isinstance(obj, Agency):
        if scope.is_everything:
            return True
        if scope.level == "assigned":
            return obj.pk == user.staff_profile.agency_id
        return obj.district_id == _district_of(user)
    if isinstance(obj, get_user_model()):
        if obj.pk == user.pk or scope.is_everything:
            return True
        households = scope_queryset(user, Household.objects.all())
        if households.filter(assignments__worker=obj).exists():
            return True
        profile = getattr(obj, "staff_profile", None)
        if scope.level == "assigned" or profile is None:
            return False
        if profile.agency_id and profile.agency.district_id == _district_of(user):
            return True
        return profile.area_id is not None and scope.area_code in (
            profile.area.district_id,
            profile.area.street_id,
            profile.area.code,
        )
    household = getattr(obj, "household", None)
    if household is not None:
        return scope_queryset(user, Household.objects.filter(pk=household.pk)).exists()
    report = getattr(obj, "report", None)
    if report is not None:
        return scope_queryset(user, type(report).objects.filter(pk=report.pk)).exists()
    raise AssertionError(f"the sweep has no rule for {type(obj).__name__}: add one")


def _person_values(field: forms.Field) -> list[int]:
    """Plain choice fields that list members by id ("person:12", "12")."""
    values = []
    for value, _label in getattr(field, "choices", []):
        if isinstance(value, str) and re.fullmatch(r"(person:)?\d+", value):
            values.append(int(value.split(":")[-1]))
    return values


def _offers(form: forms.BaseForm):
    for name, field in form.fields.items():
        queryset = getattr(field, "queryset", None)
        if queryset is not None:
            for obj in queryset:
                yield name, obj
        elif name == "target" or name.endswith("person"):
            for pk in _person_values(field):
                yield name, Person.objects.get(pk=pk)


def _query_strings(world) -> list[str]:
    far, child = world["far"], world["child_x"]
    return [
        "",
        f"?household={far.pk}&person={world['wang'].pk}&group=S2",
        f"?household={world['home'].pk}&person={child.pk}&group=S3",
        f"?household={world['other_street'].pk}&person={world['jing'].pk}",
    ]


@pytest.mark.parametrize("username", PERSONAS)
def test_b8_every_form_offers_only_records_in_scope(login_as, world, demo_users, username):
    user = demo_users[username]
    client = login_as(username)
    objects = {**_objects(world), "visit": world["home"].visits.first().pk}
    opened, offending = [], []
    for path, _name in _admin_routes():
        url = _fill(path, objects)
        if url is None:
            continue
        for query in _query_strings(world) if url.endswith("/new/") else [""]:
            response = client.get(url + query)
            if response.status_code != 200:
                continue
            for form in _forms(response):
                opened.append(url + query)
                for field_name, obj in _offers(form):
                    if not _may_choose(user, obj):
                        offending.append(f"{url}{query} {type(form).__name__}.{field_name}: {obj}")
    assert not offending, "\n".join(offending)
    if username != "city":  # the city bureau reads but keeps no file: few forms open for it
        assert any("/admin/cases/new/" in url for url in opened), "the case form was not swept"
        assert any("/admin/households/edit/" in url for url in opened)


def test_b8_the_sweep_reaches_every_form_route(world):
    """Every route is either swept or knowingly skipped; a new route must be placed."""
    objects = {**_objects(world), "visit": world["home"].visits.first().pk}
    for path, _name in _admin_routes():
        _fill(path, objects)  # raises for a route the sweep cannot open
