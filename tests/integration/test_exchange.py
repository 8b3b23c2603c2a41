"""Issue 15: survey rosters, approval lists and department lists into the ledger, matched
against it, previewed, confirmed all or nothing (D1, U12, U1, F2, F3; SECURITY B1, B8, C1, E2).

Personas: street (东华门街道, imports rosters), dongcheng (东城区, matches department lists),
worker and city (neither imports). The `ledger` fixture: 张三 (head of `home`, S2 独居, phone
138****5678) and his grandchild; 王五 in 朝阳区 (`far`), a bystander no persona here may touch.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from backoffice.actor import system_actor
from backoffice.enums import (
    AuditAction,
    BenefitType,
    HandoverKind,
    ReferralKind,
    Relation,
    RosterImportStatus,
    Subtype,
    TimelineKind,
)
from backoffice.models import (
    AuditEvent,
    Benefit,
    Handover,
    Household,
    HouseholdEvent,
    Person,
    PersonCategory,
    Referral,
    RosterImport,
)
from backoffice.services import exchange
from backoffice.services.ledger import person_create
from backoffice.workdays import add_workdays
from intake.models import Report
from portal import identity
from tests.conftest import totp_now
from tests.integration.conftest import ZHANG_ID
from tests.integration.exchange import (
    DISABILITY,
    SURVEY,
    confirm,
    streamed,
    survey_row,
    upload,
    uploaded,
    workbook_rows,
    xlsx,
    yesterday,
)

NEW_ID = identity.make_id_number(
    area_code="110101", birth=dt.date(1938, 4, 9), sequence=71, female=True
)
CHEN_ID = identity.make_id_number(
    area_code="110105", birth=dt.date(1944, 6, 1), sequence=52, female=True
)


@pytest.fixture
def chen(ledger):
    """陈秀英, filed by 朝阳区 in the `far` household."""
    return person_create(
        actor=system_actor(),
        household=ledger["far"],
        name="陈秀英",
        relation=Relation.SPOUSE,
        id_number=CHEN_ID,
    )


# The template -----------------------------------------------------------------------------


def test_d1_the_survey_template_has_the_designs_headers_lists_and_validation(login_as, ledger):
    response = login_as("street").get("/admin/exchange/template/?kind=survey")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["名册", "允许值", "填写说明"]
    sheet = book["名册"]
    assert [cell.value for cell in sheet[1]] == SURVEY
    assert sheet["B2"].number_format == "@"  # the ID column is text
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["H2"].startswith("=允许值!")  # 人员类别 from the list
    assert lists["D2"].startswith("=允许值!")  # 区
    allowed = [[c.value for c in col] for col in book["允许值"].iter_cols()]
    categories = next(col for col in allowed if col[0] == "人员类别")
    assert "失能" in categories and "城市低保" not in categories  # F3: S2-S4 only
    assert AuditEvent.objects.filter(
        action=AuditAction.DOWNLOAD, actor_username="street", detail__template="survey"
    ).exists()


# The survey roster, start to end ------------------------------------------------------------


def test_f3_a_survey_is_previewed_then_confirmed_and_new_people_join_the_queue_with_their_clock(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("street")
    zhang, home = ledger["zhang"], ledger["home"]
    far_events = ledger["far"].events.count()  # its file_created and member_added
    rows = [
        survey_row("张三", ZHANG_ID, phone="13900001111", address="东华门大街1号"),
        survey_row("孙大娘", NEW_ID, subtype="失能", situation="卧床，无人照料"),
    ]
    roster_import, page = uploaded(client, django_capture_on_commit_callbacks, xlsx(rows))

    assert roster_import.status == RosterImportStatus.PREVIEW
    assert "已在台账，信息有差异（拟更新）" in page and "未在台账，属本辖区（拟登记线索）" in page
    assert "联系电话：138****5678 → 139****1111" in page
    assert "第 3 行" in page and "孙大娘" in page and NEW_ID not in page  # IDs masked (B3)
    # Nothing is written before the user confirms.
    assert not Report.objects.exists()
    assert Person.objects.get(pk=zhang.pk).phone_masked == "138****5678"

    page = confirm(client, django_capture_on_commit_callbacks, roster_import)
    assert roster_import.status == RosterImportStatus.APPLIED
    assert "已导入：登记线索 1 条，更新档案 1 户次" in page
    lead = Report.objects.get(subject_name="孙大娘")
    assert (lead.route, lead.learned_on, lead.subtype) == ("survey", yesterday(), "disabled_elder")
    queue = client.get("/admin/reports/").content.decode()
    due = add_workdays(yesterday(), 3).date  # F3: in the ledger within 3 working days
    assert lead.reference in queue and f"{due:%m-%d}" in queue
    zhang.refresh_from_db()
    assert zhang.phone_masked == "139****1111" and zhang.version == 2
    assert HouseholdEvent.objects.filter(
        household=home, kind=TimelineKind.MEMBER_UPDATED, summary="修改成员 张三 的联系电话"
    ).exists()
    update = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(zhang.pk))
    assert update.detail == {"fields": ["phone"]} and update.channel == "import"  # C3
    assert "13900001111" not in json.dumps(list(AuditEvent.objects.values("detail")))
    # The bystander in 朝阳区 is untouched.
    assert ledger["far"].events.count() == far_events


def test_e2_every_bad_row_shows_its_row_column_and_reason_and_cannot_be_confirmed(
    login_as, ledger, django_capture_on_commit_callbacks
):
    rows = [
        survey_row("孙大娘", NEW_ID),
        survey_row("赵一", "110101193804091234"),  # check digit
        survey_row("", NEW_ID.replace("71", "73")),  # no name
        survey_row("钱二", NEW_ID, subtype="城市低保"),  # S1 is not a survey's, and a repeat
        survey_row("孙三", CHEN_ID, street="不存在街道"),
        [
            "李四",
            "110101195001011234",
            "",
            "东城区",
            "东华门街道",
            "多福巷社区",
            "多福巷",
            "独居",
            "情形",
            "照料护理",
            "明天",
        ],
    ]
    client = login_as("street")
    roster_import, page = uploaded(client, django_capture_on_commit_callbacks, xlsx(rows))

    assert roster_import.status == RosterImportStatus.INVALID
    assert roster_import.totals["error"] == 5
    assert "校验位不正确" in page and "第 3 行" in page
    assert "请填写姓名" in page
    assert "与第 2 行的身份证号重复" in page
    assert "东城区没有“不存在街道”这个街道（乡镇）" in page
    assert "日期格式应为 2026-11-20" in page
    assert 'id="import-confirm"' not in page
    response = client.post(f"/admin/exchange/imports/{roster_import.pk}/confirm/", follow=True)
    assert "不能确认" in response.content.decode()
    assert not Report.objects.exists()


def test_the_bad_rows_workbook_fixed_and_uploaded_again_imports(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("street")
    rows = [survey_row("孙大娘", NEW_ID[:-1] + "0"), survey_row("张三", ZHANG_ID)]
    roster_import, _page = uploaded(client, django_capture_on_commit_callbacks, xlsx(rows))
    response = client.get(f"/admin/exchange/imports/{roster_import.pk}/errors/download/")
    assert response["Content-Disposition"].startswith("attachment")
    bad = workbook_rows(b"".join(response.streaming_content))
    assert bad[0] == ["错误原因", *SURVEY, "原表行号"]
    assert len(bad) == 2 and bad[1][-1] == 2 and "校验位" in bad[1][0]
    assert bad[1][1:3] == ["孙大娘", NEW_ID[:-1] + "0"]  # as the user typed it, to fix
    assert AuditEvent.objects.filter(action=AuditAction.DOWNLOAD, object_id=str(roster_import.pk))

    bad[1][2] = NEW_ID  # the user fixes the number in Excel and uploads the sheet again
    fixed, page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx(bad[1:], headers=bad[0])
    )
    assert fixed.status == RosterImportStatus.PREVIEW, page
    assert fixed.preview["unknown"] == []  # the reason and row columns are not notes
    confirm(client, django_capture_on_commit_callbacks, fixed)
    assert Report.objects.filter(subject_name="孙大娘").count() == 1


def test_headers_come_in_any_order_and_unknown_columns_are_kept_as_notes(
    login_as, ledger, django_capture_on_commit_callbacks
):
    headers = [*reversed(SURVEY), "村委会备注"]
    row = [*reversed(survey_row("孙大娘", NEW_ID)), "女儿在外地"]
    client = login_as("street")
    roster_import, page = uploaded(client, django_capture_on_commit_callbacks, xlsx([row], headers))
    assert "以下列不在模板中，已作为备注保留" in page and "村委会备注" in page
    confirm(client, django_capture_on_commit_callbacks, roster_import)
    lead = Report.objects.get(subject_name="孙大娘")
    assert "名册其他信息：村委会备注：女儿在外地" in lead.what_happened


def test_a_file_without_a_required_column_is_refused_with_its_name(
    login_as, ledger, django_capture_on_commit_callbacks
):
    headers = SURVEY[:-1]
    roster_import, page = uploaded(
        login_as("street"),
        django_capture_on_commit_callbacks,
        xlsx([survey_row("孙大娘", NEW_ID)[:-1]], headers),
    )
    assert roster_import.status == RosterImportStatus.INVALID
    assert "缺少必需的列：调查完成日期" in page


def test_a_gb18030_csv_roster_imports(login_as, ledger, django_capture_on_commit_callbacks):
    text = ",".join(SURVEY) + "\n" + ",".join(survey_row("孙大娘", NEW_ID)) + "\n"
    roster_import, page = uploaded(
        login_as("street"),
        django_capture_on_commit_callbacks,
        text.encode("gb18030"),
        name="名册.csv",
    )
    assert roster_import.status == RosterImportStatus.PREVIEW
    assert "孙大娘" in page


def test_e2_a_macro_workbook_is_refused_at_upload(
    login_as, ledger, django_capture_on_commit_callbacks
):
    response = upload(
        login_as("street"),
        django_capture_on_commit_callbacks,
        xlsx([survey_row("孙大娘", NEW_ID)]),
        name="名册.xlsm",
    )
    assert response.status_code == 200
    assert "含宏" in response.content.decode()
    assert not RosterImport.objects.exists()


# B8: other jurisdictions ----------------------------------------------------------------------


def test_b8_rows_of_another_district_are_listed_and_a_person_filed_elsewhere_is_handed_over(
    login_as, ledger, chen, django_capture_on_commit_callbacks
):
    client = login_as("street")
    far = ledger["far"]
    before = far.events.count()
    rows = [
        survey_row("外区人", NEW_ID, district="朝阳区", street="建外街道", community="永安里"),
        survey_row("陈秀英", CHEN_ID),  # filed in 朝阳区, found living in 东华门
    ]
    roster_import, page = uploaded(client, django_capture_on_commit_callbacks, xlsx(rows))
    assert "不属本辖区（仅列出，不导入）" in page and "所在社区（村）不属于您的辖区" in page
    assert "已在其他辖区建档（拟移交）" in page
    assert far.file_number not in page  # the sender is not told where (B8)

    confirm(client, django_capture_on_commit_callbacks, roster_import)
    handover = Handover.objects.get(person=chen)
    assert handover.kind == HandoverKind.REPORT and handover.to_street_id == far.street_id
    assert handover.report.subject_name == "陈秀英" and handover.report.route == "survey"
    assert not Report.objects.filter(subject_name="外区人").exists()
    assert far.events.count() == before  # nothing written into the other file
    assert not PersonCategory.objects.filter(person=chen).exists()


# All or nothing -----------------------------------------------------------------------------


def test_a_failure_while_writing_the_last_rows_leaves_the_ledger_as_it_was(
    login_as, ledger, monkeypatch, django_capture_on_commit_callbacks
):
    client = login_as("street")
    rows = [
        survey_row("孙大娘", NEW_ID),
        survey_row("张三", ZHANG_ID, phone="13900001111", address="东华门大街1号"),
    ]
    roster_import, _page = uploaded(client, django_capture_on_commit_callbacks, xlsx(rows))
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    def fails(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(exchange, "roster_changes_apply", fails)
    page = confirm(client, django_capture_on_commit_callbacks, roster_import)

    assert roster_import.status == RosterImportStatus.FAILED
    assert "已全部撤销，台账未作任何改动" in page
    assert not Report.objects.exists()  # the lead written before the failure is undone too
    assert Person.objects.get(pk=ledger["zhang"].pk).phone_masked == "138****5678"
    # Only the import's own confirmation is on record; nothing of the rows.
    assert not AuditEvent.objects.filter(
        pk__gt=last, action__in=(AuditAction.CREATE, AuditAction.UPDATE)
    ).exists()


def test_g3_a_file_changed_after_the_preview_is_checked_again_and_nothing_is_written(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("street")
    rows = [survey_row("孙大娘", NEW_ID), survey_row("张三", ZHANG_ID, phone="13900001111")]
    roster_import, _page = uploaded(client, django_capture_on_commit_callbacks, xlsx(rows))
    Person.objects.filter(pk=ledger["zhang"].pk).update(name="张叁")  # a colleague's fix

    page = confirm(client, django_capture_on_commit_callbacks, roster_import)
    assert roster_import.status == RosterImportStatus.INVALID
    assert "与台账中该身份证号登记的姓名不一致" in page
    assert not Report.objects.exists()


# Department lists (U12) and U1 referrals -------------------------------------------------------


def test_u1_a_district_matches_a_disability_list_and_confirms_the_referrals_it_proposes(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("dongcheng")
    zhang = ledger["zhang"]
    rows = [["张三", ZHANG_ID, "肢体残疾", "一级"], ["孙大娘", NEW_ID, "视力残疾", "二级"]]
    roster_import, page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx(rows, DISABILITY), kind="disability"
    )
    assert "符合条件未享受（拟转介街道）" in page
    assert "转介街道：重度残疾人护理补贴（符合条件未享受）" in page
    assert "人员类别：独居 → 新增：重度残疾" in page
    assert "台账中未找到" in page  # 孙大娘: listed only
    assert not Referral.objects.exists()

    confirm(client, django_capture_on_commit_callbacks, roster_import)
    referral = Referral.objects.get(person=zhang)
    assert referral.kind == ReferralKind.ELIGIBLE_NOT_ENROLLED
    assert referral.benefit_type == BenefitType.DISABILITY_CARE
    assert referral.target.startswith("东华门街道")
    category = PersonCategory.objects.get(person=zhang, subtype=Subtype.SEVERE_DISABILITY)
    assert category.details == {"disability_type": "physical", "disability_grade": "1"}
    assert HouseholdEvent.objects.filter(
        household=ledger["home"], kind=TimelineKind.REFERRAL
    ).exists()
    assert roster_import.result["referrals"] == 1
    # Confirmed again with the same list: the referral is not sent twice.
    again, page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx(rows, DISABILITY), kind="disability"
    )
    assert again.totals.get("referral") is None and again.totals["consistent"] == 1


def test_u12_the_department_gets_its_list_back_in_its_own_columns_ids_masked(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("dongcheng")
    rows = [["张三", ZHANG_ID, "肢体残疾", "一级"], ["孙大娘", NEW_ID, "视力残疾", "二级"]]
    roster_import, _page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx(rows, DISABILITY), kind="disability"
    )
    confirm(client, django_capture_on_commit_callbacks, roster_import)
    page = client.get(f"/admin/exchange/imports/{roster_import.pk}/feedback/").content.decode()
    assert "导出完整的身份证号" not in page  # the district officer may not reveal (B3)
    response = client.post(
        f"/admin/exchange/imports/{roster_import.pk}/feedback/", {"file_format": "xlsx"}
    )
    book = workbook_rows(b"".join(response.streaming_content))
    assert book[0] == [*DISABILITY, "台账比对结果", "人员类别", "享受保障", "待街道办理的资源链接",
                       "档案状态", "原表行号"]  # fmt: skip
    assert book[1][:4] == ["张三", identity.mask_id_number(ZHANG_ID), "肢体残疾", "一级"]
    assert book[1][4] == "在台账（本辖区）" and "重度残疾" in book[1][5]
    assert book[1][7] == "重度残疾人护理补贴" and book[1][9] == 2
    assert book[2][4] == "台账中未找到"
    assert ZHANG_ID not in str(book)


def test_u12_round_trip_the_feedback_with_full_numbers_comes_back_as_the_same_kind(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("street")
    rows = [["张三", ZHANG_ID, "肢体残疾", "一级"]]
    roster_import, _page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx(rows, DISABILITY), kind="disability"
    )
    confirm(client, django_capture_on_commit_callbacks, roster_import)
    url = f"/admin/exchange/imports/{roster_import.pk}/feedback/"
    refused = client.post(url, {"file_format": "xlsx", "reveal": "on", "otp_code": totp_now()})
    assert "请写明用途" in refused.content.decode()  # B3: a reason first
    response = client.post(
        url,
        {"file_format": "xlsx", "reveal": "on", "reason": "退回残联核对", "otp_code": totp_now()},
    )
    content = b"".join(response.streaming_content)
    assert workbook_rows(content)[1][1] == ZHANG_ID
    assert AuditEvent.objects.filter(
        action=AuditAction.REVEAL, object_id=str(ledger["zhang"].pk)
    ).exists()
    back, page = uploaded(client, django_capture_on_commit_callbacks, content, kind="disability")
    assert back.status == RosterImportStatus.PREVIEW, page
    assert back.totals == {"consistent": 1}


def test_f2_an_approval_list_brings_leads_and_the_category_and_benefit_of_people_on_file(
    login_as, ledger, django_capture_on_commit_callbacks
):
    headers = [*SURVEY[:7], "救助类别", "审批通过日期", "月救助金额（元）"]
    day = yesterday().isoformat()
    place = ["东城区", "东华门街道", "多福巷社区"]
    rows = [
        ["张三", ZHANG_ID, "13812345678", *place, "东华门大街1号", "城市低保", day, 1420],
        ["孙大娘", NEW_ID, "", *place, "多福巷5号", "特困供养", day, "2130"],
    ]
    client = login_as("street")
    roster_import, page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx(rows, headers), kind="approval"
    )
    assert "享受保障：（无） → 最低生活保障金 1420.00 元/月" in page
    confirm(client, django_capture_on_commit_callbacks, roster_import)
    zhang = ledger["zhang"]
    assert PersonCategory.objects.filter(person=zhang, subtype=Subtype.DIBAO_URBAN).exists()
    benefit = Benefit.objects.get(person=zhang)
    assert (benefit.benefit_type, str(benefit.monthly_amount)) == ("dibao", "1420.00")
    lead = Report.objects.get(subject_name="孙大娘")
    assert lead.route == "approval" and lead.category == "S1"
    assert "特困供养金 2130.00 元/月" in lead.benefits_received
    queue = client.get("/admin/reports/").content.decode()
    assert f"{add_workdays(yesterday(), 1).date:%m-%d}" in queue  # F2: the visit in 1 day


# Who may, and what is kept -------------------------------------------------------------------


def test_c1_upload_check_confirmation_and_result_are_audited(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("street")
    roster_import, _page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx([survey_row("孙大娘", NEW_ID)])
    )
    confirm(client, django_capture_on_commit_callbacks, roster_import)
    phases = list(
        AuditEvent.objects.filter(action=AuditAction.IMPORT, object_id=str(roster_import.pk))
        .order_by("pk")
        .values_list("detail__phase", "actor_username", "channel")
    )
    assert phases == [
        ("upload", "street", "web"),
        ("check", "street", "import"),
        ("confirm", "street", "web"),
        ("applied", "street", "import"),
    ]


def test_b1_an_import_is_its_owners_alone(
    login_as, ledger, demo_users, django_capture_on_commit_callbacks, client
):
    street = login_as("street")
    roster_import, _page = uploaded(
        street, django_capture_on_commit_callbacks, xlsx([survey_row("孙大娘", "1")])
    )
    other = login_as("dongcheng")
    for url in ("", "errors/download/", "feedback/"):
        assert other.get(f"/admin/exchange/imports/{roster_import.pk}/{url}").status_code == 404
    other.post(f"/admin/exchange/imports/{roster_import.pk}/cancel/")
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImportStatus.INVALID


@pytest.mark.parametrize("username", ["worker", "city", "auditor"])
def test_roles_that_keep_no_file_import_nothing(login_as, ledger, username):
    client = login_as(username)
    # Refused as Wagtail refuses a permission: back to the dashboard with its message.
    refused = client.get("/admin/exchange/")
    assert refused.status_code == 403 or refused["Location"] == "/admin/"
    assert client.get("/admin/exchange/template/?kind=survey").status_code == 404
    assert "名单导入与比对" not in client.get("/admin/").content.decode()


def test_e2_an_unconfirmed_upload_expires_and_its_files_are_deleted(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("street")
    roster_import, _page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx([survey_row("孙大娘", NEW_ID)])
    )
    storage = roster_import.upload.storage
    files = [roster_import.upload.name, roster_import.rows_file.name]
    assert all(storage.exists(name) for name in files)
    RosterImport.objects.filter(pk=roster_import.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):  # the command's commit
        call_command("expire_roster_imports", stdout=io.StringIO())
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImportStatus.EXPIRED
    assert not any(storage.exists(name) for name in files)
    page = confirm(client, django_capture_on_commit_callbacks, roster_import)
    assert "已过期" in page or "重新上传" in page
    assert not Report.objects.exists()


def test_the_import_page_refreshes_itself_while_the_check_runs(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("street")
    with django_capture_on_commit_callbacks(execute=False):
        from django.core.files.uploadedfile import SimpleUploadedFile

        response = client.post(
            "/admin/exchange/",
            {
                "kind": "survey",
                "file": SimpleUploadedFile("a.xlsx", xlsx([survey_row("孙大娘", NEW_ID)])),
            },
        )
    page = client.get(response["Location"]).content.decode()
    assert "排队中" in page and '<meta http-equiv="refresh" content="3">' in page


# The commands ------------------------------------------------------------------------------


def run_command(path, *args) -> tuple[list[str], bool]:
    out = io.StringIO()
    failed = False
    try:
        call_command("import_roster", "--kind", "survey", str(path), *args, stdout=out)
    except CommandError:
        failed = True
    return out.getvalue().splitlines(), failed


def test_import_roster_prints_each_error_row_and_exits_non_zero_writing_nothing(ledger, tmp_path):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(xlsx([survey_row("孙大娘", NEW_ID), survey_row("赵一", "123")]))
    lines, failed = run_command(path, "--as", "street")
    assert failed
    assert any(line.startswith("第 3 行：公民身份号码：") for line in lines)
    assert json.loads(lines[-1]) == {
        "rows": 2, "created": 1, "updated": 0, "referrals": 0, "unchanged": 0, "errors": 1
    }  # fmt: skip
    assert not Report.objects.exists()


def test_import_roster_dry_run_tells_what_would_happen_and_writes_nothing(ledger, tmp_path):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(xlsx([survey_row("孙大娘", NEW_ID), survey_row("张三", ZHANG_ID)]))
    lines, failed = run_command(path, "--as", "street", "--dry-run")
    assert not failed
    assert json.loads(lines[-1])["created"] == 1
    assert not Report.objects.exists()


def test_import_roster_imports_as_the_users_role_and_jurisdiction(ledger, tmp_path):
    path = tmp_path / "名册.csv"
    outside = survey_row(
        "外区人", CHEN_ID, district="朝阳区", street="建外街道", community="永安里"
    )
    rows = [survey_row("孙大娘", NEW_ID), outside]
    path.write_text("\n".join(",".join(r) for r in [SURVEY, *rows]), encoding="utf-8-sig")
    lines, failed = run_command(path, "--as", "street")
    assert not failed
    assert json.loads(lines[-1]) == {
        "rows": 2, "created": 1, "updated": 0, "referrals": 0, "unchanged": 1, "errors": 0
    }  # fmt: skip
    lead = Report.objects.get()
    assert lead.subject_name == "孙大娘" and lead.street_id == "110101001000"
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_id=str(lead.pk), channel="import"
    ).exists()
    _lines, refused = run_command(path, "--as", "worker")
    assert refused


@pytest.mark.django_db  # the lists of 区, 街道 and 社区 come from the divisions table
def test_roster_template_command_writes_the_workbook(tmp_path):
    out = tmp_path / "survey.xlsx"
    call_command("roster_template", "--kind", "survey", str(out), stdout=io.StringIO())
    assert workbook_rows(out.read_bytes())[0] == SURVEY


# Exports of the ledger listings (issue 15, item 6; SECURITY B1, B3, C1, E3) ---------------------


def test_e3_a_listing_exports_its_current_filtered_view_scoped_masked_and_audited(login_as, ledger):
    client = login_as("street")
    Household.objects.filter(pk=ledger["home"].pk).update(address="=HYPERLINK(1)")
    url = "/admin/exchange/export/persons/"
    form = client.get(url + "?sex=male").content.decode()
    assert "导出家庭成员" in form and "共 <strong>1</strong> 行" in form
    # A page of rows: the code is asked only if full numbers are ticked (B3, E3).
    assert 'name="otp_code"' in form and "required" not in form.split('name="otp_code"')[1][:200]

    response = client.post(url + "?sex=male", {"file_format": "csv"})
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]
    content = streamed(response)
    assert content.startswith(codecs.BOM_UTF8)  # Excel opens the Chinese as Chinese
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert table[0][:4] == ["姓名", "性别", "出生日期", "公民身份号码"]
    names = [row[0] for row in table[1:]]
    assert names == ["张三"]  # the filtered view: not 李四 (female), nor 王五 of 朝阳区 (B1)
    assert table[1][3] == identity.mask_id_number(ZHANG_ID) and ZHANG_ID not in str(table)
    assert "13812345678" not in str(table)
    export = AuditEvent.objects.get(action=AuditAction.EXPORT, detail__listing="persons")
    assert export.detail["filters"] == ["sex"] and export.detail["rows"] == 1  # names, not values
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, object_id=str(ledger["zhang"].pk), detail__export=export.pk
    ).exists()  # C4: who took whose record out

    households = client.post("/admin/exchange/export/households/", {"file_format": "xlsx"})
    book = workbook_rows(streamed(households))
    assert book[0][0] == "档案编号"
    assert "'=HYPERLINK(1)" in [row[4] for row in book[1:]]  # a formula is text (E3)
    assert ledger["far"].file_number not in str(book)


def test_e3_above_a_page_of_rows_the_export_asks_for_the_code_again(login_as, ledger, monkeypatch):
    monkeypatch.setattr(exchange, "EXPORT_REVERIFY_ROWS", 1)
    client = login_as("street")
    url = "/admin/exchange/export/persons/"
    assert "otp_code" in client.get(url).content.decode()
    refused = client.post(url, {"file_format": "csv"})
    assert refused.status_code == 200 and not hasattr(refused, "streaming_content")
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()

    response = client.post(url, {"file_format": "csv", "otp_code": totp_now()})
    assert len(streamed(response).decode("utf-8-sig").splitlines()) > 2


def test_e3_roles_without_a_ledger_export_nothing(login_as, ledger):
    refused = login_as("auditor").get("/admin/exchange/export/persons/")
    assert refused.status_code in (403, 404) or refused["Location"] == "/admin/"
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_u12_a_health_list_proposes_the_illness_and_a_wrong_name_stops_the_list(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("dongcheng")
    headers = ["姓名", "公民身份号码", "疾病名称", "确诊日期"]
    day = yesterday().isoformat()
    wrong = [["张叁", ZHANG_ID, "肺癌", day]]
    refused, page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx(wrong, headers), kind="health"
    )
    assert refused.status == RosterImportStatus.INVALID
    assert "与台账中该身份证号登记的姓名不一致" in page

    rows = [["张三", ZHANG_ID, "肺癌", day]]
    roster_import, page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx(rows, headers), kind="health"
    )
    assert "健康状况：（空） → 大病" in page and "人员类别：独居 → 新增：罹患大病" in page
    confirm(client, django_capture_on_commit_callbacks, roster_import)
    zhang = Person.objects.get(pk=ledger["zhang"].pk)
    assert zhang.health == "serious" and zhang.version == 2
    category = PersonCategory.objects.get(person=zhang, subtype=Subtype.SERIOUS_ILLNESS)
    assert category.since == yesterday() and "肺癌" in category.details["emergency_situation"]
    assert not Referral.objects.exists()  # U1 medical aid is for people in S1 only


def test_u1_a_monitored_household_without_assistance_is_referred_to_its_street(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("dongcheng")
    headers = ["姓名", "公民身份号码", "监测对象类别", "纳入监测日期"]
    rows = [["张三", ZHANG_ID, "边缘易致贫户", yesterday().isoformat()]]
    roster_import, page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx(rows, headers), kind="agriculture"
    )
    assert "符合条件未享受（拟转介街道）" in page
    confirm(client, django_capture_on_commit_callbacks, roster_import)
    referral = Referral.objects.get(person=ledger["zhang"])
    assert referral.benefit_type == BenefitType.DIBAO and "边缘易致贫户" in referral.description


def test_u12_a_human_resources_list_sets_employment_and_refuses_an_unknown_status(
    login_as, ledger, django_capture_on_commit_callbacks
):
    client = login_as("dongcheng")
    headers = ["姓名", "公民身份号码", "就业状况", "参保情况"]
    bad = [["张三", ZHANG_ID, "打零工", "城乡居民医保"]]
    refused, page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx(bad, headers), kind="human_resources"
    )
    assert refused.status == RosterImportStatus.INVALID and "就业状况" in page
    rows = [["张三", ZHANG_ID, "失业", "城乡居民医保"]]
    roster_import, page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx(rows, headers), kind="human_resources"
    )
    assert "就业状况：（空） → 失业" in page
    confirm(client, django_capture_on_commit_callbacks, roster_import)
    zhang = Person.objects.get(pk=ledger["zhang"].pk)
    assert zhang.employment == "unemployed" and zhang.version == 2


def test_u12_a_housing_list_adds_a_waiting_housing_need_once(
    login_as, ledger, django_capture_on_commit_callbacks
):
    from backoffice.enums import NeedType
    from backoffice.models import Need

    client = login_as("dongcheng")
    headers = ["姓名", "公民身份号码", "住房保障方式", "保障状态"]
    rows = [["张三", ZHANG_ID, "公共租赁住房", "轮候"]]
    roster_import, page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx(rows, headers), kind="housing"
    )
    assert "帮扶需求：（无住房需求） → 新增：住房（轮候中）" in page
    confirm(client, django_capture_on_commit_callbacks, roster_import)
    need = Need.objects.get(household=ledger["home"], need_type=NeedType.HOUSING)
    assert need.description == "住房保障轮候中（公共租赁住房）"
    # The same list again proposes nothing new: the need is there.
    again, page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx(rows, headers), kind="housing"
    )
    assert "新增：住房（轮候中）" not in page
    assert Need.objects.filter(household=ledger["home"], need_type=NeedType.HOUSING).count() == 1


def test_u12_an_education_list_marks_a_pupil_as_a_student(
    login_as, ledger, django_capture_on_commit_callbacks
):
    from tests.integration.conftest import CHILD_ID

    client = login_as("dongcheng")
    headers = ["姓名", "公民身份号码", "就学情况", "学校名称"]
    rows = [["张小", CHILD_ID, "在读小学", "东华门小学"]]
    roster_import, page = uploaded(
        client, django_capture_on_commit_callbacks, xlsx(rows, headers), kind="education"
    )
    assert "就业状况：（空） → 在校学生" in page
    confirm(client, django_capture_on_commit_callbacks, roster_import)
    child = Person.objects.get(id_number_index=identity.blind_index(CHILD_ID, kind="id"))
    assert child.employment == "student"


@pytest.mark.parametrize(
    ("status", "label"),
    [(RosterImportStatus.CHECKING, "校验比对进度"), (RosterImportStatus.APPLYING, "写入进度")],
)
def test_a_long_import_shows_its_progress_and_the_page_survives_a_reload(
    login_as, ledger, demo_users, status, label
):
    from backoffice.models import RosterImport

    roster_import = RosterImport.objects.create(
        owner=demo_users["street"],
        kind="survey",
        status=status,
        original_name="摸排名册.xlsx",
        rows=100_000,
        done=25_000,
    )
    street = login_as("street")
    for _reload in range(2):  # reloading shows the same work, nothing starts again
        html = street.get(f"/admin/exchange/imports/{roster_import.pk}/").content.decode()
        assert f'{label}：已处理 <strong id="import-done">25000</strong> / 100000 行' in html
        assert '<progress id="import-progress" max="100000" value="25000">25%</progress>' in html
        assert 'http-equiv="refresh"' in html  # no JavaScript needed to follow it
    roster_import.refresh_from_db()
    assert roster_import.status == status and roster_import.done == 25_000
    roster_import.status, roster_import.done = RosterImportStatus.PREVIEW, 100_000
    roster_import.save()
    html = street.get(f"/admin/exchange/imports/{roster_import.pk}/").content.decode()
    assert "import-progress" not in html and 'http-equiv="refresh"' not in html
