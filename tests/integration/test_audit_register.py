"""Issue 13 item 3: the audit log reads like a register (C1, C4).

The log stores UTC, codes and a detail dictionary (C1, C3); the auditor reads Beijing time,
Chinese labels for roles, channels, kinds of record and fields, the object as staff know it
(file number, report reference, masked name) and the detail as lines, never a Python dict.
Entries come from the services that write them, as in real use.
"""

import datetime as dt
import html as html_lib
import re

from backoffice.enums import AuditAction, Channel
from backoffice.models import AuditEvent
from backoffice.services.ledger import person_reveal
from backoffice.services.ledger_edits import household_update
from tests.conftest import PASSWORD, as_actor, totp_now
from tests.integration.test_audit_log import listing_rows, make_event

RAW = re.compile(r"[{}\[\]]|'\w+':|\b[a-z]+_[a-z_]+\b|backoffice\.|intake\.")


def text_of(html: str) -> str:
    """What the page's main area says, tags dropped, spaces collapsed."""
    main = html.split('<main class="content-wrapper', 1)[-1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", main))).strip()


def detail_page(client, event: AuditEvent) -> str:
    response = client.get(f"/admin/audit/inspect/{event.pk}/")
    assert response.status_code == 200
    return text_of(response.content.decode())


def test_an_entry_shows_beijing_time_on_the_list_and_on_its_page(login_as):
    event = make_event(at=dt.datetime(2026, 3, 1, 16, 30, 5, tzinfo=dt.UTC))
    client = login_as("auditor")
    page = detail_page(client, event)
    assert "时间（北京时间） 2026-03-02 00:30:05" in page
    assert "16:30" not in page
    html = client.get(f"/admin/audit/inspect/{event.pk}/").content.decode()
    assert "<title>查看: 2026-03-02 00:30:05 street 查看 - 精准救助帮扶台账</title>" in html
    rows = listing_rows(client.get("/admin/audit/", {"object_id": "42"}).content.decode())
    assert len(rows) == 1 and "2026-03-02 00:30:05" in rows[0] and "16:30" not in rows[0]


def test_a_reveal_names_the_field_the_reason_the_role_and_the_person(login_as, ledger, demo_users):
    person_reveal(
        actor=as_actor(demo_users["street"]),
        person=ledger["zhang"],
        field="id_number",
        reason="核对低保资格",
    )
    event = AuditEvent.objects.get(action=AuditAction.REVEAL)
    page = detail_page(login_as("auditor"), event)
    assert "角色 街道（乡镇）社会救助服务站" in page
    assert "途径 网页" in page
    assert "对象类型 家庭成员" in page
    assert f"对象 家庭成员 {event.object_label}" in page and event.object_label.startswith("张**")
    assert "查看的字段 身份证号 原因 核对低保资格" in page
    assert not RAW.search(page), RAW.search(page)


def test_the_list_names_roles_channels_and_objects_in_chinese(login_as, ledger, demo_users):
    home = ledger["home"]
    household_update(
        actor=as_actor(demo_users["street"]),
        household=home,
        changes={"address": "东华门大街3号"},
        expected_version=home.version,
    )
    client = login_as("auditor")
    rows = listing_rows(client.get("/admin/audit/", {"action": "update"}).content.decode())
    assert len(rows) == 1
    row = text_of(f'<main class="content-wrapper">{rows[0]}</main>')
    assert "street 街道（乡镇）社会救助服务站 网页" in row
    assert f"家庭档案 {home.file_number}" in row
    assert "street_station" not in row and "web" not in row
    page = detail_page(client, AuditEvent.objects.get(action=AuditAction.UPDATE))
    assert "涉及字段 住址" in page and "address" not in page


def test_a_login_reads_its_factors(client, login_as):
    client.post(
        "/admin/login/", {"username": "street", "password": PASSWORD, "otp_token": totp_now()}
    )
    login = AuditEvent.objects.get(action=AuditAction.LOGIN)
    page = detail_page(login_as("auditor"), login)
    assert "操作 登录成功" in page and "登录方式 密码 + 动态口令" in page
    assert "TOTPDevice" not in page


def test_a_denied_access_reads_its_reason_address_and_count(login_as, ledger):
    login_as("street").get(f"/admin/households/inspect/{ledger['far'].pk}/")
    event = AuditEvent.objects.get(action=AuditAction.DENIED)
    page = detail_page(login_as("auditor"), event)
    assert "原因 记录不存在或不在辖区内" in page
    assert f"访问地址 /admin/households/inspect/{ledger['far'].pk}/" in page
    assert "次数 本时段第 1 次" in page and "计数时段 5 分钟" in page
    assert "not_found" not in page and "window_seconds" not in page and "<int:" not in page


def test_a_detail_the_register_does_not_know_still_reads_without_brackets(login_as):
    event = make_event(
        actor_role="",
        channel=Channel.TASK,
        detail={"fields": ["address"], "later_key": {"count": 3}, "later_list": [1, 2]},
    )
    page = detail_page(login_as("auditor"), event)
    assert "途径 后台任务" in page and "角色 —" in page
    assert "涉及字段 住址" in page
    assert "其他信息 次数：3" in page and "其他信息 1、2" in page
    assert not re.search(r"[{}\[\]]", page)


def test_the_auditor_picks_the_kind_of_record_by_its_chinese_name(login_as):
    html = login_as("auditor").get("/admin/audit/").content.decode()
    assert '<option value="backoffice.person">家庭成员</option>' in html
    assert '<option value="intake.report">群众反映</option>' in html
    select = html.split('name="object_type"', 1)[1].split("</select>", 1)[0]
    labels = re.findall(r"<option[^>]*>([^<]*)</option>", select)
    assert len(labels) > 20
    assert [label for label in labels if re.search(r"[A-Za-z]", label)] == []
    assert '<option value="backoffice.recoverycode">恢复码</option>' in select


def test_reading_the_log_changes_no_entry(login_as, ledger):
    """C2: the register is read, never written back."""
    make_event(detail={"fields": ["address"]})
    before = {row["id"]: row for row in AuditEvent.objects.values()}
    client = login_as("auditor")
    client.get("/admin/audit/")
    for pk in before:
        client.get(f"/admin/audit/inspect/{pk}/")
    after = {row["id"]: row for row in AuditEvent.objects.filter(pk__in=before).values()}
    assert after == before


def test_a_command_acting_for_the_bureau_is_named_as_such(login_as, ledger):
    created = AuditEvent.objects.filter(actor_role="system").first()
    assert created is not None  # the ledger fixture builds households as a command
    page = detail_page(login_as("auditor"), created)
    assert "角色 系统（命令或后台任务） 途径 命令" in page
