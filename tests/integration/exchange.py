"""Helpers of the data-exchange tests (issue 15): rosters as the user's Excel writes them, and
the upload as the browser posts it, with the background check run at once."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from backoffice.models import RosterImport

SURVEY = [
    "姓名",
    "公民身份号码",
    "联系电话",
    "区",
    "街道（乡镇）",
    "社区（村）",
    "现住址",
    "人员类别",
    "困难情形",
    "帮扶需求",
    "调查完成日期",
]
DISABILITY = ["姓名", "公民身份号码", "残疾类别", "残疾等级"]


def yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def survey_row(
    name: str,
    id_number: str,
    *,
    phone: str = "",
    district: str = "东城区",
    street: str = "东华门街道",
    community: str = "多福巷社区",
    address: str = "多福巷5号",
    subtype: str = "独居",
    situation: str = "独居老人，行动不便",
    help_needed: str = "照料护理",
    day: dt.date | None = None,
) -> list:
    day = day or yesterday()
    return [
        name,
        id_number,
        phone,
        district,
        street,
        community,
        address,
        subtype,
        situation,
        help_needed,
        day.isoformat(),
    ]


def xlsx(rows: list[list], headers: list[str] = SURVEY) -> bytes:
    """A workbook as Excel saves it: the ID column typed as text."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, capture, data: bytes, *, kind: str = "survey", name: str = "名册.xlsx"):
    """Post the file as the upload form does; the background check runs on commit."""
    with capture(execute=True):
        response = client.post(
            "/admin/exchange/", {"kind": kind, "file": SimpleUploadedFile(name, data)}
        )
    return response


def uploaded(client, capture, data: bytes, **kwargs) -> tuple[RosterImport, str]:
    """Upload, follow to the import's page: the import and the page's HTML."""
    response = upload(client, capture, data, **kwargs)
    assert response.status_code == 302, response.content.decode()[:2000]
    roster_import = RosterImport.objects.order_by("-pk").first()
    return roster_import, client.get(response["Location"]).content.decode()


def confirm(client, capture, roster_import: RosterImport) -> str:
    with capture(execute=True):
        response = client.post(f"/admin/exchange/imports/{roster_import.pk}/confirm/")
    assert response.status_code == 302
    roster_import.refresh_from_db()
    return client.get(response["Location"]).content.decode()


def workbook_rows(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)
