"""Issue 18 item 1 (M3, SECURITY B6): agencies, their confidentiality agreements and the
workers' pledges. Without an agreement in force and the worker's own pledge, an agency's
people open no household, and they are told why; the district is warned 30 days ahead.

Personas: worker (agency with an agreement in force, pledged), worker2 (agency whose
agreement ran out 30 days ago), dongcheng (manages 东城区's agencies), street (reads them).
"""

import datetime as dt
import io

import pytest
from django.utils import timezone
from pypdf import PdfWriter

from backoffice.demo.accounts import DEMO_AGENCY, DEMO_LAPSED_AGENCY
from backoffice.enums import AuditAction
from backoffice.models import (
    Agency,
    AuditEvent,
    ConfidentialityAgreement,
    HouseholdAssignment,
    WorkerPledge,
)
from backoffice.validators import normalize_credit_code


@pytest.fixture
def lapsed(ledger, demo_users):
    """worker2 serves the `home` household of the ledger fixture."""
    worker2 = demo_users["worker2"]
    HouseholdAssignment.objects.create(
        household=ledger["home"], worker=worker2, agency=worker2.staff_profile.agency
    )
    return ledger["home"]


def a_pdf() -> bytes:
    out = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.write(out)
    return out.getvalue()


def test_b6_a_lapsed_agreement_shows_no_household_and_says_why(login_as, lapsed):
    client = login_as("worker2")
    assert client.get(f"/admin/households/inspect/{lapsed.pk}/").status_code == 404
    assert lapsed.file_number not in client.get("/admin/households/").content.decode()
    home = client.get("/admin/").content.decode()
    expired = (timezone.localdate() - dt.timedelta(days=30)).strftime("%Y-%m-%d")
    assert "您现在不能查看任何家庭档案" in home and f"保密协议已于 {expired} 到期" in home


def test_b6_a_new_agreement_recorded_by_the_district_opens_the_files_again(
    login_as, lapsed, demo_users
):
    agency = Agency.objects.get(name=DEMO_LAPSED_AGENCY)
    district = login_as("dongcheng")
    page = district.get(f"/admin/agencies/inspect/{agency.pk}/").content.decode()
    assert "已到期" in page and "社工二演示" in page
    today = timezone.localdate()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = district.post(
        f"/admin/agencies/{agency.pk}/agreements/new/",
        {
            "signed_on": today.isoformat(),
            "expires_on": (today + dt.timedelta(days=365)).isoformat(),
            "document": SimpleUploadedFile("保密协议.pdf", a_pdf(), "application/pdf"),
        },
    )
    assert response.status_code == 302
    agreement = ConfidentialityAgreement.objects.get(agency=agency, signed_on=today)
    assert agreement.document.name.endswith(".pdf")
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(agreement.pk))
    download = district.get(f"/admin/agencies/{agency.pk}/agreements/{agreement.pk}/download/")
    assert download.status_code == 200 and download.getvalue().startswith(b"%PDF")

    worker2 = login_as("worker2")
    assert worker2.get(f"/admin/households/inspect/{lapsed.pk}/").status_code == 200


def test_b6_a_worker_without_the_pledge_sees_nothing_until_signing_it(login_as, ledger, demo_users):
    WorkerPledge.objects.filter(user=demo_users["worker"]).delete()
    assigned = ledger["assigned"]
    client = login_as("worker")
    assert client.get(f"/admin/households/inspect/{assigned.pk}/").status_code == 404
    page = client.get("/admin/pledge/").content.decode()
    assert "您尚未签署个人保密承诺" in page and "承诺内容" in page
    wrong = client.post("/admin/pledge/", {"agree": "on", "signature": "别人"})
    assert "请输入您在系统中登记的姓名“社工演示”" in wrong.content.decode()
    client.post("/admin/pledge/", {"agree": "on", "signature": "社工演示"})
    assert WorkerPledge.objects.filter(user=demo_users["worker"]).exists()
    assert client.get(f"/admin/households/inspect/{assigned.pk}/").status_code == 200


def test_m3_the_district_is_warned_thirty_days_before_an_agreement_ends(login_as, areas):
    agency = Agency.objects.get(name=DEMO_AGENCY)
    ConfidentialityAgreement.objects.filter(agency=agency).update(
        expires_on=timezone.localdate() + dt.timedelta(days=20)
    )
    home = login_as("dongcheng").get("/admin/").content.decode()
    assert "将在 30 天内到期" in home and DEMO_AGENCY in home
    assert "没有有效的保密协议" in home and DEMO_LAPSED_AGENCY in home


def test_the_unified_social_credit_code_is_checked(login_as, areas):
    assert normalize_credit_code("91110101ma01a1b2c2") == "91110101MA01A1B2C2"
    client = login_as("dongcheng")
    form = {
        "name": "东城区新机构",
        "credit_code": "91110101MA01A1B2C3",
        "district": "110101000000",
        "streets": ["110101001000"],
    }
    response = client.post("/admin/agencies/new/", form)
    assert "统一社会信用代码校验位不正确" in response.content.decode()
    outside = client.post(
        "/admin/agencies/new/",
        {**form, "credit_code": "91110101MA01A1B2C2", "district": "110105000000"},
    )
    assert "不在您的辖区内" in outside.content.decode()
    client.post("/admin/agencies/new/", {**form, "credit_code": "91110101MA01A1B2C2"})
    assert Agency.objects.get(name="东城区新机构").streets.count() == 1


def test_stations_read_the_agencies_serving_their_street_and_cannot_add_one(login_as, areas):
    station = login_as("street")
    listing = station.get("/admin/agencies/").content.decode()
    assert DEMO_AGENCY in listing
    assert station.get("/admin/agencies/new/").status_code in (302, 403)
    assert login_as("worker").get("/admin/agencies/new/").status_code in (302, 403)
