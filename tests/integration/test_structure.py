"""Issue 12: rules held by the structure, not by each call site.

- B8: no write lands outside the actor's scope; a report or a new member whose person is filed
  in another jurisdiction is handed over to it, never merged, and the sender is not told where.
- L7: one head per household on every path (form, triage, re-entry) and in the database.
- L1-L5: the category rules hold in the service, whoever records a category.
- STYLE 11: services take an actor, every service that writes is atomic, product code holds no
  fake request.

Personas: street (东华门街道), dongcheng (东城区), worker (agency), and a 朝阳区 station (made
here) that holds 陈秀英's file. Bystanders: the other files of the `ledger` fixture.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.db.transaction import Atomic
from django.test import Client

from backoffice import services
from backoffice.actor import system_actor
from backoffice.enums import (
    AuditAction,
    Category,
    HandoverKind,
    HandoverStatus,
    Relation,
    Role,
    Subtype,
    TimelineKind,
)
from backoffice.models import (
    Area,
    AuditEvent,
    Handover,
    Household,
    HouseholdEvent,
    Need,
    Person,
    PersonCategory,
)
from backoffice.services.errors import OutOfScopeError, RuleError
from backoffice.services.ledger import person_create
from backoffice.services.ledger_edits import household_update, ledger_record_save, person_update
from backoffice.services.staff import staff_assign
from intake.enums import ReportStatus
from portal import identity
from tests.conftest import as_actor, totp_now, verified_login
from tests.integration.reports import file_report

SYSTEM = system_actor()
CHEN_ID = identity.make_id_number(
    area_code="110105", birth=dt.date(1944, 6, 1), sequence=52, female=True
)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def chen(ledger):
    """陈秀英, filed by 朝阳区 in the `far` household, with an ID number."""
    return person_create(
        actor=SYSTEM,
        household=ledger["far"],
        name="陈秀英",
        relation=Relation.SPOUSE,
        id_number=CHEN_ID,
    )


@pytest.fixture
def chaoyang_station(demo_users, django_user_model):
    """The station of the street that holds `far` (朝阳区), with a device like the others."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from backoffice.demo.accounts import DEMO_TOTP_SECRET

    user = django_user_model.objects.create_user("chaoyang", password="pw-long-enough-1")
    staff_assign(user=user, role=Role.STREET_STATION, area=Area.objects.get(code="110105001000"))
    key = __import__("base64").b32decode(DEMO_TOTP_SECRET).hex()
    TOTPDevice.objects.create(user=user, name="手机", key=key, confirmed=True)
    return user


def _visit_and_accept(client, report, **accept):
    client.post(
        f"/admin/reports/{report.pk}/visit/",
        {"visited_on": dt.date.today().isoformat(), "visitors": "站长", "findings": "情况属实"},
    )
    data = {"relation": "head", "need_type": "living", **accept}
    return client.post(f"/admin/reports/{report.pk}/accept/", data, follow=True)


# B8: a report whose person is filed elsewhere is handed over ------------------------------------


def test_b8_a_report_on_a_person_filed_elsewhere_is_handed_over_not_merged(login_as, ledger, chen):
    far = ledger["far"]
    before = {
        "categories": PersonCategory.objects.filter(person__household=far).count(),
        "needs": Need.objects.filter(household=far).count(),
        "events": HouseholdEvent.objects.filter(household=far).count(),
    }
    report = file_report(name="陈秀英", id_number=CHEN_ID)
    page = _visit_and_accept(login_as("street"), report).content.decode()

    assert "当事人已在其他辖区建档" in page and "已移交其所在辖区" in page
    assert far.file_number not in page  # the station is not told which file
    report.refresh_from_db()
    assert report.status == ReportStatus.HANDED_OVER
    handover = Handover.objects.get(report=report)
    assert handover.kind == HandoverKind.REPORT and handover.status == HandoverStatus.OPEN
    assert (handover.from_street_id, handover.to_street_id) == ("110101001000", "110105001000")
    assert handover.due_on > dt.date.today() - dt.timedelta(days=1)
    # Nothing was written into the other jurisdiction's file.
    assert PersonCategory.objects.filter(person__household=far).count() == before["categories"]
    assert Need.objects.filter(household=far).count() == before["needs"]
    assert HouseholdEvent.objects.filter(household=far).count() == before["events"]
    assert AuditEvent.objects.filter(action=AuditAction.HANDOVER, object_id=str(report.pk))


def test_b8_the_holder_takes_the_handover_into_its_own_file(
    login_as, ledger, chen, chaoyang_station
):
    report = file_report(name="陈秀英", id_number=CHEN_ID)
    _visit_and_accept(login_as("street"), report)
    handover = Handover.objects.get(report=report)

    receiver = verified_login(Client(), chaoyang_station)
    queue = receiver.get("/admin/reports/").content.decode()
    assert "其他辖区移交给本辖区的反映或成员：1 条待办理" in queue
    listing = receiver.get("/admin/handovers/").content.decode()
    assert f"移交 {handover.pk}" in listing and "移交给本辖区" in listing
    page = receiver.get(f"/admin/handovers/{handover.pk}/").content.decode()
    assert "陈秀英" in page and ledger["far"].file_number in page and "独居老人摔伤" in page
    response = receiver.post(f"/admin/handovers/{handover.pk}/accept/", {"need_type": "living"})
    assert response.status_code == 302

    far = ledger["far"]
    assert PersonCategory.objects.filter(person=chen, subtype=Subtype.LIVING_ALONE).exists()
    assert Need.objects.filter(household=far, person=chen).exists()
    assert HouseholdEvent.objects.filter(household=far, kind=TimelineKind.REPORT).exists()
    report.refresh_from_db()
    handover.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED
    assert handover.status == HandoverStatus.ACCEPTED

    # The sender sees the outcome, still without the file.
    sender = login_as("street").get(f"/admin/reports/{report.pk}/").content.decode()
    assert "已由当事人档案所在辖区纳入原档案" in sender
    assert far.file_number not in sender


def test_b8_the_sender_cannot_act_on_the_receivers_side(login_as, ledger, chen):
    report = file_report(name="陈秀英", id_number=CHEN_ID)
    client = login_as("street")
    _visit_and_accept(client, report)
    handover = Handover.objects.get(report=report)
    page = client.get(f"/admin/handovers/{handover.pk}/").content.decode()
    assert "陈秀英" not in page.split("反映 ")[0] or ledger["far"].file_number not in page
    assert "纳入原档案</button>" not in page
    client.post(f"/admin/handovers/{handover.pk}/accept/", {"need_type": "living"})
    handover.refresh_from_db()
    assert handover.status == HandoverStatus.OPEN
    assert not PersonCategory.objects.filter(person=chen).exists()


def test_b8_a_returned_handover_reopens_the_report_for_the_sender(
    login_as, ledger, chen, chaoyang_station
):
    report = file_report(name="陈秀英", id_number=CHEN_ID)
    _visit_and_accept(login_as("street"), report)
    handover = Handover.objects.get(report=report)
    receiver = verified_login(Client(), chaoyang_station)
    receiver.post(f"/admin/handovers/{handover.pk}/return/", {"note": "身份证号有误，非同一人"})
    report.refresh_from_db()
    assert report.status == ReportStatus.VISITED
    page = login_as("street").get(f"/admin/reports/{report.pk}/").content.decode()
    assert "移交被退回：身份证号有误，非同一人" in page


def test_b8_a_handover_is_seen_by_both_sides_and_nobody_else(login_as, ledger, chen):
    report = file_report(name="陈秀英", id_number=CHEN_ID)
    _visit_and_accept(login_as("street"), report)
    handover = Handover.objects.get(report=report)
    assert login_as("dongcheng").get(f"/admin/handovers/{handover.pk}/").status_code == 200
    other = login_as("worker").get(f"/admin/handovers/{handover.pk}/")
    assert other.status_code in (302, 403, 404)


# B8: adding a member filed elsewhere ------------------------------------------------------------


def test_b8_a_member_filed_elsewhere_is_not_added_and_the_holder_is_asked(login_as, ledger, chen):
    home = ledger["home"]
    client = login_as("street")
    response = client.post(
        f"/admin/persons/new/?household={home.pk}",
        {
            "household": home.pk,
            "name": "陈秀英",
            "relation": "spouse",
            "id_number": CHEN_ID,
            "phone": "",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "已在其他辖区建档" in page and "已移交其所在辖区核实" in page
    assert "可能在其他辖区" not in page
    assert ledger["far"].file_number not in page
    assert not home.members.filter(name="陈秀英").exists()
    handover = Handover.objects.get(kind=HandoverKind.MEMBER)
    assert handover.person == chen and handover.from_household == home


def test_b8_a_member_filed_in_scope_is_named_with_its_file(login_as, ledger, demo_users):
    other = person_create(
        actor=SYSTEM,
        household=ledger["assigned"],
        name="周桂英",
        relation=Relation.SPOUSE,
        id_number=identity.make_id_number(
            area_code="110101", birth=dt.date(1950, 1, 1), sequence=61, female=True
        ),
    )
    home = ledger["home"]
    page = (
        login_as("street")
        .post(
            f"/admin/persons/new/?household={home.pk}",
            {
                "household": home.pk,
                "name": "周桂英",
                "relation": "spouse",
                "id_number": identity.decrypt_value(other.id_number_encrypted),
            },
        )
        .content.decode()
    )
    assert f"档案 {ledger['assigned'].file_number}" in page
    assert not Handover.objects.exists()


def test_b8_the_add_form_no_longer_tells_whether_an_id_is_filed_anywhere(login_as, ledger, chen):
    """A station typing an ID into the form learns nothing before it commits to the action."""
    page = login_as("street").get(f"/admin/persons/new/?household={ledger['home'].pk}")
    assert "可能在其他辖区" not in page.content.decode()


# B8: every write checks the scope of the record it lands on -------------------------------------


def _out_of_scope_writes(ledger, demo_users):
    far, wang = ledger["far"], ledger["wang"]
    actor = as_actor(demo_users["street"])
    return {
        "household_update": lambda: household_update(
            household=far,
            changes={"address": "改地址1号"},
            expected_version=far.version,
            actor=actor,
        ),
        "person_update": lambda: person_update(
            person=wang, changes={"name": "王六"}, expected_version=wang.version, actor=actor
        ),
        "person_create": lambda: person_create(
            actor=actor,
            household=far,
            name="新成员",
            relation=Relation.OTHER,
            sex="male",
            birth_date=dt.date(1990, 1, 1),
        ),
        "category": lambda: ledger_record_save(
            actor=actor,
            record=PersonCategory(person=wang, subtype=Subtype.LIVING_ALONE),
            changed_fields=["subtype"],
        ),
        "need": lambda: ledger_record_save(
            actor=actor, record=Need(household=far, need_type="living"), changed_fields=[]
        ),
    }


@pytest.mark.parametrize(
    "write", ["household_update", "person_update", "person_create", "category", "need"]
)
def test_b8_a_service_refuses_a_write_outside_the_scope(ledger, demo_users, write):
    far = ledger["far"]
    audit, timeline = AuditEvent.objects.count(), HouseholdEvent.objects.count()
    with pytest.raises(OutOfScopeError):
        _out_of_scope_writes(ledger, demo_users)[write]()
    far.refresh_from_db()
    assert far.address == "朝阳门外1号" and far.version == 1
    assert Person.objects.get(pk=ledger["wang"].pk).name == "王五"
    assert not far.members.filter(name="新成员").exists()
    assert not Need.objects.filter(household=far).exists()
    assert AuditEvent.objects.count() == audit and HouseholdEvent.objects.count() == timeline


def test_b8_the_event_recorder_is_the_last_line(ledger, demo_users):
    """Even a write that forgot its own check is undone when its event is refused."""
    from backoffice.services.events import event_record

    far = ledger["far"]
    with pytest.raises(OutOfScopeError), transaction.atomic():
        Household.objects.filter(pk=far.pk).update(address="被改了")
        event_record(
            actor=as_actor(demo_users["street"]),
            action=AuditAction.UPDATE,
            obj=far,
            household=far,
            timeline=TimelineKind.FILE_UPDATED,
            summary="修改档案",
        )
    far.refresh_from_db()
    assert far.address == "朝阳门外1号"


# L7: one head per household -----------------------------------------------------------------


def test_l7_accepting_a_report_into_a_household_as_a_second_head_is_refused(login_as, ledger):
    home = ledger["home"]
    report = file_report(name="赵新", id_number="")
    page = _visit_and_accept(
        login_as("street"),
        report,
        household=home.pk,
        relation="head",
        sex="male",
        birth_date="1960-01-01",
    ).content.decode()
    assert "该家庭已有户主" in page
    assert home.members.filter(relation=Relation.HEAD).count() == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.VISITED  # nothing half-done


def test_l7_accepting_into_a_household_with_another_relation_works(login_as, ledger):
    home = ledger["home"]
    report = file_report(name="赵新", id_number="")
    _visit_and_accept(
        login_as("street"),
        report,
        household=home.pk,
        relation="spouse",
        sex="male",
        birth_date="1960-01-01",
    )
    assert home.members.filter(name="赵新", relation=Relation.SPOUSE).exists()


def test_l7_making_a_second_member_head_is_refused_by_the_service(ledger, demo_users):
    child = ledger["child"]
    with pytest.raises(RuleError, match="已有户主"):
        person_update(
            person=child,
            changes={"relation": Relation.HEAD},
            expected_version=child.version,
            actor=as_actor(demo_users["street"]),
        )


def test_l7_the_database_holds_one_head_per_household(ledger):
    home = ledger["home"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(
            household=home,
            relation=Relation.HEAD,
            name="第二户主",
            name_initials="dehz",
            sex="male",
            birth_date=dt.date(1970, 1, 1),
        )
    assert home.members.filter(relation=Relation.HEAD).count() == 1


def test_l7_a_head_who_left_does_not_block_a_new_head(ledger):
    home = ledger["home"]
    Person.objects.filter(pk=ledger["zhang"].pk).update(exited_on=dt.date.today())
    person_create(
        actor=SYSTEM,
        household=home,
        name="新户主",
        relation=Relation.HEAD,
        sex="female",
        birth_date=dt.date(1975, 5, 5),
    )
    assert home.members.filter(relation=Relation.HEAD, exited_on__isnull=True).count() == 1


# L1-L5 in the service -------------------------------------------------------------------------


def test_l4_the_service_refuses_a_non_severe_grade_whoever_saves(ledger):
    record = PersonCategory(
        person=ledger["zhang"],
        subtype=Subtype.SEVERE_DISABILITY,
        details={"disability_type": "physical", "disability_grade": "3"},
    )
    with pytest.raises(RuleError, match="一级或二级"):
        ledger_record_save(actor=SYSTEM, record=record, changed_fields=["subtype"])
    assert not PersonCategory.objects.filter(subtype=Subtype.SEVERE_DISABILITY).exists()


def test_l2_the_service_fills_the_difficulty_type_from_the_subtype(ledger):
    record = PersonCategory(person=ledger["child"], subtype=Subtype.LIVING_ALONE)
    ledger_record_save(actor=SYSTEM, record=record, changed_fields=["subtype"])
    record.refresh_from_db()
    assert record.category == Category.S2
    assert record.details["difficulty_type"] == "独居"


def test_l1_an_item_of_another_category_is_refused_by_the_service(ledger):
    record = PersonCategory(
        person=ledger["zhang"], subtype=Subtype.LIVING_ALONE, details={"schooling": "小学"}
    )
    with pytest.raises(RuleError, match="就学情况"):
        ledger_record_save(actor=SYSTEM, record=record, changed_fields=["subtype"])


# STYLE 11: the actor, atomic services, no fake request ------------------------------------------


def _service_functions():
    for module_info in pkgutil.iter_modules(services.__path__):
        module = importlib.import_module(f"backoffice.services.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            if "actor" in inspect.signature(function).parameters:
                yield f"{module.__name__}.{name}", function


def _is_atomic(function) -> bool:
    cells = getattr(function, "__closure__", None) or ()
    return any(isinstance(cell.cell_contents, Atomic) for cell in cells)


# Not services that change records: reads that audit themselves with one insert (a reveal, a
# print), the recorders that run inside their caller's transaction, a check. The login flows
# and the re-verification of a code (services/auth.py, services/reauth.py) commit a refused
# attempt's count on purpose, in transactions of their own, and raise after.
NOT_WRITES = {
    "backoffice.services.pdf.household_pdf",
    "backoffice.services.ledger.person_reveal",
    "backoffice.services.triage.report_reveal",
    "backoffice.services.ledger.person_id_check",
    "backoffice.services.triage.lead_check",
    "backoffice.services.plans.plan_names_hidden_child",
    "backoffice.services.events.event_record",
    "backoffice.services.events.denial_record",
}


def test_every_service_that_acts_takes_an_actor_and_runs_in_one_transaction():
    found = dict(_service_functions())
    assert len(found) >= 25, sorted(found)
    not_atomic = [
        name
        for name, f in found.items()
        if name not in NOT_WRITES
        and ".auth." not in name
        and ".reauth." not in name
        and not _is_atomic(f)
    ]
    assert not not_atomic, f"services that write must be @transaction.atomic: {not_atomic}"
    with_request = [
        name
        for name, f in inspect.getmembers(services)
        if callable(f) and "request" in getattr(inspect.signature(f), "parameters", {})
    ]
    assert not with_request


def test_no_product_code_fakes_a_request():
    offenders = []
    for folder in ("backoffice", "intake", "portal"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"RequestFactory|django\.test\b", text):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


def test_services_never_take_the_http_request():
    offenders = []
    for path in (ROOT / "backoffice" / "services").rglob("*.py"):
        if path.name == "auth.py":
            continue  # the login itself: Django's authenticate() wants the request
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\brequest\b\s*[:,)=]", line) and not line.lstrip().startswith("#"):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_the_demo_seed_acts_as_a_command(demo_users):
    from backoffice.demo.casework import demo_casework_create
    from backoffice.demo.ledger import demo_households_create

    demo_households_create(households=30, seed=5)
    demo_casework_create(households=5, seed=5, today=dt.date.today())
    channels = set(
        AuditEvent.objects.filter(actor_username="street").values_list("channel", flat=True)
    )
    assert channels == {"command"}


def test_totp_helper_is_six_digits():
    assert re.fullmatch(r"\d{6}", totp_now())


@pytest.mark.parametrize("proxies, expected", [([], "127.0.0.1"), (["127.0.0.1"], "198.51.100.4")])
def test_c1_the_audit_names_the_client_behind_the_trusted_proxy(
    login_as, ledger, settings, proxies, expected
):
    settings.TRUSTED_PROXIES = proxies
    login_as("street").get(
        f"/admin/households/inspect/{ledger['home'].pk}/",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.4",
    )
    event = AuditEvent.objects.filter(action=AuditAction.VIEW, actor_username="street").last()
    assert event.ip == expected and event.channel == "web"
