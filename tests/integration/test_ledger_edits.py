"""Issue 3, item 5: editing the one file — versioned (G3), validated, audited (C1), scoped (B1),
and written on the household timeline (L7); categories, benefits and needs as records (L1-L5).
"""

import datetime as dt

import pytest

from backoffice.demo.accounts import DEMO_AGENCY
from backoffice.enums import AuditAction, TimelineKind
from backoffice.models import (
    AuditEvent,
    Benefit,
    Household,
    HouseholdEvent,
    Need,
    Person,
    PersonCategory,
)
from backoffice.services.ledger_edits import household_update
from portal import identity
from tests.conftest import as_actor
from tests.integration.conftest import FULL_ID, ZHANG_ID

NEW_ID = identity.make_id_number(
    area_code="110101", birth=dt.date(1948, 7, 9), sequence=33, female=True
)


def household_form(household, **overrides):
    data = {
        "community": household.community_id,
        "address": household.address,
        "entry_route": household.entry_route,
        "learned_on": "",
        "entered_on": household.entered_on.isoformat(),
        "version": household.version,
    }
    data.update(overrides)
    return data


def person_form(person=None, **overrides):
    data = {
        "name": person.name if person else "",
        "relation": person.relation if person else "",
        "sex": person.sex if person else "",
        "birth_date": person.birth_date.isoformat() if person else "",
        "education": person.education if person else "",
        "employment": person.employment if person else "",
        "health": person.health if person else "",
        "id_number": "",
        "phone": "",
    }
    if person is not None:
        data["version"] = person.version
    data.update(overrides)
    return data


# G3 -----------------------------------------------------------------------------------------


def test_g3_a_stale_household_save_is_refused_and_the_other_save_survives(
    login_as, ledger, rf, demo_users
):
    home = ledger["home"]
    client = login_as("street")
    opened_at = home.version
    # Someone else saves first, from another screen.
    household_update(
        household=Household.objects.get(pk=home.pk),
        changes={"address": "东华门大街1号院2-101"},
        expected_version=opened_at,
        actor=as_actor(demo_users["dongcheng"]),
    )
    response = client.post(
        f"/admin/households/edit/{home.pk}/",
        household_form(home, address="东华门大街99号", version=opened_at),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "其他工作人员已修改了这条记录" in html
    assert "东华门大街99号" in html  # what the user typed is still on screen
    home.refresh_from_db()
    assert home.address == "东华门大街1号院2-101"
    assert home.version == opened_at + 1


def test_g3_a_stale_person_save_is_refused(login_as, ledger):
    zhang = ledger["zhang"]
    client = login_as("street")
    opened = person_form(zhang, health="chronic")
    first = client.post(f"/admin/persons/edit/{zhang.pk}/", person_form(zhang, health="serious"))
    assert first.status_code == 302
    second = client.post(f"/admin/persons/edit/{zhang.pk}/", opened)
    assert "其他工作人员已修改了这条记录" in second.content.decode()
    zhang.refresh_from_db()
    assert zhang.health == "serious" and zhang.version == 2


def test_g3_a_fresh_save_bumps_the_version_and_is_audited_by_field_name(login_as, ledger):
    home = ledger["home"]
    client = login_as("street")
    response = client.post(
        f"/admin/households/edit/{home.pk}/", household_form(home, address="东华门大街8号")
    )
    assert response.status_code == 302
    assert response["Location"] == f"/admin/households/inspect/{home.pk}/"
    home.refresh_from_db()
    assert home.address == "东华门大街8号" and home.version == 2
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="backoffice.household")
    assert event.detail == {"fields": ["address"]}
    assert "东华门大街8号" not in str(event.detail) + event.object_label  # C3: names, not values
    page = client.get(f"/admin/households/inspect/{home.pk}/").content.decode()
    assert "修改档案：住址" in page


# Households ---------------------------------------------------------------------------------


def test_a_station_opens_a_file_in_its_street_and_sees_it_first_on_the_timeline(login_as, areas):
    client = login_as("street")
    response = client.post(
        "/admin/households/new/",
        {
            "community": "110101001001",
            "address": "南池子大街12号",
            "entry_route": "survey",
            "learned_on": "2026-11-02",
            "entered_on": "2026-11-03",
        },
    )
    assert response.status_code == 302
    household = Household.objects.get(address="南池子大街12号")
    assert household.street_id == "110101001000" and household.district_id == "110101000000"
    assert household.file_number.startswith("110101001-2026-")
    assert household.events.get().kind == TimelineKind.FILE_CREATED
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_id=str(household.pk)
    ).exists()


def test_a_file_cannot_be_opened_outside_the_jurisdiction(login_as, areas):
    client = login_as("dongcheng")
    response = client.post(
        "/admin/households/new/",
        {
            "community": "110105001024",  # 朝阳区
            "address": "朝阳门外大街1号",
            "entry_route": "report",
            "entered_on": "2026-11-03",
        },
    )
    assert "所选社区（村）不在您的辖区内" in response.content.decode()
    assert not Household.objects.exists()


def test_household_dates_are_checked_with_clear_messages(login_as, ledger):
    home = ledger["home"]
    client = login_as("street")
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    html = client.post(
        f"/admin/households/edit/{home.pk}/",
        household_form(home, entered_on=future, address="短"),
    ).content.decode()
    assert "纳入台账日期不能晚于今天" in html
    assert "住址太短" in html
    html = client.post(
        f"/admin/households/edit/{home.pk}/",
        household_form(home, learned_on="2026-11-20", entered_on="2026-11-01"),
    ).content.decode()
    assert "知悉困难日期不能晚于纳入台账日期" in html


def test_an_agency_worker_keeps_files_up_to_date_but_opens_no_new_household(login_as, ledger):
    client = login_as("worker")
    assert client.get("/admin/households/new/").status_code in (302, 403)
    assigned = ledger["assigned"]
    response = client.post(
        f"/admin/households/edit/{assigned.pk}/",
        household_form(assigned, address="东华门大街2号院"),
    )
    assert response.status_code == 302


@pytest.mark.parametrize("username", ["dongcheng", "street", "worker"])
def test_editing_outside_the_scope_answers_404(login_as, ledger, username):
    client = login_as(username)
    far, wang = ledger["far"], ledger["wang"]
    assert client.get(f"/admin/households/edit/{far.pk}/").status_code == 404
    assert client.get(f"/admin/persons/edit/{wang.pk}/").status_code == 404
    response = client.post(
        f"/admin/households/edit/{far.pk}/", household_form(far, address="改不了的地址")
    )
    assert response.status_code == 404
    far.refresh_from_db()
    assert far.address == "朝阳门外1号"


def test_the_city_bureau_reads_but_does_not_edit(login_as, ledger):
    client = login_as("city")
    home = ledger["home"]
    assert client.get(f"/admin/households/edit/{home.pk}/").status_code in (302, 403)
    assert (
        "修改档案</a>" not in client.get(f"/admin/households/inspect/{home.pk}/").content.decode()
    )


# Persons ------------------------------------------------------------------------------------


def test_a_member_is_added_with_id_derived_birth_and_sex_and_shown_masked(login_as, ledger):
    home = ledger["home"]
    client = login_as("street")
    response = client.post(
        "/admin/persons/new/",
        person_form(
            name="王秀英", relation="spouse", id_number=NEW_ID.lower(), phone="139 1234 0000"
        )
        | {"household": home.pk},
    )
    assert response.status_code == 302
    wang = Person.objects.get(name="王秀英")
    assert wang.household == home
    assert wang.birth_date == dt.date(1948, 7, 9) and wang.sex == "female"
    assert wang.name_initials == "wxy"
    assert identity.decrypt_value(wang.id_number_encrypted) == NEW_ID
    page = client.get(f"/admin/households/inspect/{home.pk}/").content.decode()
    assert identity.mask_id_number(NEW_ID) in page and NEW_ID not in page
    assert "139****0000" in page
    assert "新增成员 王秀英（配偶）" in page


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"id_number": "110101194807093399"}, "身份证号码校验位不正确"),
        ({"id_number": "12345"}, "身份证号码应为 18 位"),
        ({"phone": "12345"}, "请填写有效的手机号码或固定电话"),
        ({"name": "王"}, "请填写真实姓名"),
        ({"name": ""}, "请填写姓名"),
        ({"relation": ""}, "请选择与户主关系"),
        ({"sex": "", "birth_date": ""}, "没有身份证号时，请选择性别"),
        ({"birth_date": "2999-01-01", "sex": "male"}, "出生日期不能晚于今天"),
        ({"birth_date": "1990-02-30", "sex": "male"}, "日期格式应为"),
        ({"relation": "head", "sex": "male", "birth_date": "1950-01-01"}, "该家庭已有户主"),
        ({"id_number": ZHANG_ID}, "该身份证号已在台账中登记"),
    ],
)
def test_bad_member_input_gets_a_chinese_message_and_nothing_is_saved(
    login_as, ledger, overrides, message
):
    client = login_as("street")
    before = Person.objects.count()
    data = person_form(name="赵六", relation="child", sex="male", birth_date="1990-01-01")
    response = client.post(
        "/admin/persons/new/", data | overrides | {"household": ledger["home"].pk}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Person.objects.count() == before


def test_a_member_cannot_be_added_to_a_household_outside_the_scope(login_as, ledger):
    client = login_as("street")
    data = person_form(name="赵六", relation="child", sex="male", birth_date="1990-01-01")
    response = client.post("/admin/persons/new/", data | {"household": ledger["far"].pk})
    assert "找不到该家庭档案，或它不在您的辖区内" in response.content.decode()
    assert not Person.objects.filter(name="赵六").exists()


def test_a_new_id_number_replaces_the_old_and_resets_birth_and_sex(login_as, ledger):
    li = ledger["assigned"].members.get()
    client = login_as("street")
    response = client.post(f"/admin/persons/edit/{li.pk}/", person_form(li, id_number=NEW_ID))
    assert response.status_code == 302
    li.refresh_from_db()
    assert li.birth_date == dt.date(1948, 7, 9) and li.sex == "female"
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="backoffice.person")
    assert event.detail == {"fields": ["id_number"]}
    assert NEW_ID not in str(event.detail) + event.object_label


def test_editing_a_child_under_14_needs_the_separate_permission(login_as, ledger, demo_users):
    from backoffice.models import Agency, HouseholdAssignment

    HouseholdAssignment.objects.create(
        household=ledger["home"],
        worker=demo_users["worker"],
        agency=Agency.objects.get(name=DEMO_AGENCY),
    )
    client = login_as("worker")
    assert client.get(f"/admin/persons/edit/{ledger['child'].pk}/").status_code in (302, 403)
    assert client.get(f"/admin/persons/edit/{ledger['zhang'].pk}/").status_code == 200


# Categories, benefits, needs (L1-L5) --------------------------------------------------------


def category_form(**fields):
    data = {
        "subtype": "",
        "since": "",
        "difficulty_type": "",
        "caregiver": "",
        "guardian": "",
        "schooling": "",
        "parents_situation": "",
        "disability_type": "",
        "disability_grade": "",
        "basic_situation": "",
        "emergency_situation": "",
    }
    data.update(fields)
    return data


def test_l2_filling_the_standard_items_raises_the_completeness_score(login_as, ledger):
    home, zhang = ledger["home"], ledger["zhang"]
    client = login_as("street")
    category = zhang.categories.get()
    before = client.get(f"/admin/households/inspect/{home.pk}/").content.decode()
    assert "张三：照料人" in before
    response = client.post(
        f"/admin/person-categories/edit/{category.pk}/",
        category_form(subtype="living_alone", caregiver="李桂兰（邻居）", guardian="张伟（儿子）"),
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.details["caregiver"] == "李桂兰（邻居）"
    assert category.details["difficulty_type"] == "独居"  # L2: the subtype is the difficulty
    page = client.get(f"/admin/households/inspect/{home.pk}/").content.decode()
    assert "张三：照料人" not in page and "张三：监护人" not in page
    home.refresh_from_db()
    assert home.completeness > 0


def test_l4_severe_disability_must_be_grade_one_or_two(login_as, ledger):
    zhang = ledger["zhang"]
    client = login_as("street")
    response = client.post(
        "/admin/person-categories/new/",
        category_form(
            person=zhang.pk,
            subtype="severe_disability",
            disability_type="physical",
            disability_grade="3",
        ),
    )
    assert "应为一级或二级残疾" in response.content.decode()
    assert not zhang.categories.filter(category="S4").exists()
    response = client.post(
        "/admin/person-categories/new/",
        category_form(
            person=zhang.pk,
            subtype="severe_disability",
            disability_type="physical",
            disability_grade="1",
        ),
    )
    assert response.status_code == 302
    s4 = zhang.categories.get(category="S4")
    assert s4.details == {"disability_type": "physical", "disability_grade": "1"}


def test_an_item_of_another_category_is_refused_not_silently_dropped(login_as, ledger):
    client = login_as("street")
    response = client.post(
        "/admin/person-categories/new/",
        category_form(person=ledger["zhang"].pk, subtype="dibao_urban", schooling="在读小学"),
    )
    assert "“就学情况”不属于所选类别的台账事项" in response.content.decode()


def test_the_same_subtype_twice_is_refused(login_as, ledger):
    client = login_as("street")
    response = client.post(
        "/admin/person-categories/new/",
        category_form(person=ledger["zhang"].pk, subtype="living_alone"),
    )
    assert "该成员已登记这一类别" in response.content.decode()
    assert PersonCategory.objects.filter(person=ledger["zhang"]).count() == 1


def test_a_benefit_is_a_record_of_its_own_with_amount_checks(login_as, ledger):
    zhang, home = ledger["zhang"], ledger["home"]
    client = login_as("street")
    bad = client.post(
        "/admin/benefits/new/",
        {"person": zhang.pk, "benefit_type": "elder_care", "monthly_amount": "-5", "since": ""},
    )
    assert "金额不能为负数" in bad.content.decode()
    good = client.post(
        "/admin/benefits/new/",
        {
            "person": zhang.pk,
            "benefit_type": "elder_care",
            "monthly_amount": "600",
            "since": "2025-01-01",
        },
    )
    assert good.status_code == 302
    page = client.get(f"/admin/households/inspect/{home.pk}/").content.decode()
    assert "失能老年人护理补贴" in page and "600.00 元/月" in page
    assert "新增享受保障：失能老年人护理补贴（张三）" in page


def test_a_benefit_cannot_be_given_to_a_person_outside_the_scope(login_as, ledger):
    client = login_as("street")
    response = client.post(
        "/admin/benefits/new/",
        {"person": ledger["wang"].pk, "benefit_type": "dibao", "monthly_amount": "1420"},
    )
    assert "不在您的辖区内" in response.content.decode()
    assert not Benefit.objects.exists()


def test_a_need_names_only_a_member_of_its_own_household(login_as, ledger):
    client = login_as("dongcheng")
    response = client.post(
        "/admin/needs/new/",
        {
            "household": ledger["home"].pk,
            "need_type": "care",
            "person": ledger["wang"].pk,
            "description": "需要助餐服务",
            "status": "open",
        },
    )
    assert "选择一个有效的选项" in response.content.decode() or "所选成员不属于该家庭" in (
        response.content.decode()
    )
    response = client.post(
        "/admin/needs/new/",
        {
            "household": ledger["home"].pk,
            "need_type": "care",
            "person": ledger["zhang"].pk,
            "description": "需要助餐服务",
            "status": "open",
        },
    )
    assert response.status_code == 302
    need = Need.objects.get()
    assert need.household == ledger["home"] and need.person == ledger["zhang"]


def test_deleting_a_benefit_leaves_a_trace_on_the_timeline_and_in_the_audit(login_as, ledger):
    zhang = ledger["zhang"]
    benefit = Benefit.objects.create(person=zhang, benefit_type="elder_allowance")
    client = login_as("street")
    assert client.get(f"/admin/benefits/delete/{benefit.pk}/").status_code == 200
    response = client.post(f"/admin/benefits/delete/{benefit.pk}/")
    assert response.status_code == 302
    assert not Benefit.objects.exists()
    assert HouseholdEvent.objects.filter(
        household=ledger["home"], summary__startswith="删除享受保障"
    ).exists()
    assert AuditEvent.objects.filter(action=AuditAction.DELETE, object_id=str(benefit.pk)).exists()


def test_records_outside_the_scope_answer_404(login_as, ledger):
    far_need = Need.objects.create(household=ledger["far"], need_type="living")
    client = login_as("street")
    assert client.get(f"/admin/needs/edit/{far_need.pk}/").status_code == 404
    assert client.post(f"/admin/needs/delete/{far_need.pk}/").status_code == 404
    assert Need.objects.filter(pk=far_need.pk).exists()
    listing = client.get("/admin/needs/").content.decode()
    assert "朝阳" not in listing


# Completeness in listings (issue 3, item 3) --------------------------------------------------


def test_households_sort_and_filter_by_completeness(login_as, ledger):
    Household.objects.filter(pk=ledger["home"].pk).update(completeness=40)
    Household.objects.filter(pk=ledger["assigned"].pk).update(completeness=90)
    client = login_as("street")
    html = client.get("/admin/households/", {"ordering": "completeness"}).content.decode()
    assert html.index(ledger["home"].file_number) < html.index(ledger["assigned"].file_number)
    html = client.get("/admin/households/", {"ordering": "-completeness"}).content.decode()
    assert html.index(ledger["assigned"].file_number) < html.index(ledger["home"].file_number)
    html = client.get("/admin/households/", {"completeness_below": 50}).content.decode()
    assert ledger["home"].file_number in html
    assert ledger["assigned"].file_number not in html


def test_every_form_opens_in_chinese_and_never_shows_a_full_id(login_as, ledger):
    home, zhang = ledger["home"], ledger["zhang"]
    category = zhang.categories.get()
    benefit = Benefit.objects.create(person=zhang, benefit_type="elder_allowance")
    need = Need.objects.create(household=home, need_type="care")
    client = login_as("street")
    pages = {
        "/admin/households/new/": "社区（村）",
        f"/admin/households/edit/{home.pk}/": "建档来源",
        f"/admin/persons/new/?household={home.pk}": "与户主关系",
        f"/admin/persons/edit/{zhang.pk}/": "已登记：",
        f"/admin/person-categories/new/?person={zhang.pk}": "类别与细类",
        f"/admin/person-categories/edit/{category.pk}/": "照料人",
        f"/admin/benefits/new/?person={zhang.pk}": "保障类型",
        f"/admin/benefits/edit/{benefit.pk}/": "月金额",
        f"/admin/needs/new/?household={home.pk}": "需求类型",
        f"/admin/needs/edit/{need.pk}/": "需求描述",
        "/admin/needs/": "帮扶需求",
        "/admin/benefits/": "享受保障",
        "/admin/person-categories/": "救助类别",
    }
    for url, text in pages.items():
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert text in html, url
        assert ZHANG_ID not in html and not FULL_ID.search(html), url
