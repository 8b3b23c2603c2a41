"""Issue 12, item 1: PDFs are parsed, not searched as bytes, and files keep the name and type
of what they are (SECURITY E1).

Personas: a neighbour who attaches a scan from a phone, an attacker who attaches a PDF built
to run something on a staff member's computer, and the street's staff who download it.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from intake.models import Attachment, Report
from tests.conftest import verified_login
from tests.intake import pdfs
from tests.intake.conftest import report_data

pytestmark = pytest.mark.django_db

REFUSED = "该 PDF 含有脚本、自动运行的动作或嵌入文件，不能接收"


def submit_with(client, name: str, content: bytes, content_type="application/pdf"):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post("/report/", report_data(supporting_files=[upload]))


def assert_refused(response, message: str) -> None:
    html = response.content.decode()
    assert response.status_code == 200
    assert "提交未成功" in html and message in html
    assert "赵桂兰" in html  # what was typed comes back
    assert not Report.objects.exists() and not Attachment.objects.exists()


# A catalog whose document-level JavaScript is reached through a name tree (objects 5, 6).
def _javascript_by_name_tree(tree_key: bytes, action_type: bytes, code_key: bytes) -> bytes:
    return pdfs.pdf_from_objects(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /Names << %s 5 0 R >> >>" % tree_key,
            **pdfs.PAGE_TREE,
            5: b"<< /Names [(start) 6 0 R] >>",
            6: b"<< /S %s %s (app.launchURL\\(\\(\\)\\)) >>" % (action_type, code_key),
        }
    )


@pytest.mark.parametrize(
    "tree_key, action_type, code_key",
    [
        (b"/J#61vaScript", b"/J#61vaScript", b"/J#53"),
        (b"/#4Aavascript", b"/#4Aava#53cript", b"/#4a#53"),  # decodes to /Javascript, /JS
    ],
)
def test_e1_javascript_spelled_with_hex_escapes_is_refused(client, tree_key, action_type, code_key):
    content = _javascript_by_name_tree(tree_key, action_type, code_key)
    assert b"JavaScript" not in content and b"/JS" not in content  # a byte search sees nothing
    assert_refused(submit_with(client, "证明.pdf", content), REFUSED)


def test_e1_javascript_inside_a_compressed_object_stream_is_refused(client):
    content = pdfs.pdf_with_object_stream(
        plain={3: pdfs.PAGE_TREE[3], 4: pdfs.PAGE_TREE[4]},
        packed={
            1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] /Names 5 0 R >>",
            2: pdfs.PAGE_TREE[2],
            5: b"<< /JavaScript 6 0 R >>",
            6: b"<< /Names [(start) 7 0 R] >>",
            7: b"<< /S /JavaScript /JS (this.exportDataObject\\({cName: 'a'}\\)) >>",
        },
    )
    assert b"/ObjStm" in content and b"JavaScript" not in content and b"/JS" not in content
    assert_refused(submit_with(client, "证明.pdf", content), REFUSED)


@pytest.mark.parametrize(
    "build",
    [
        pdfs.pdf_with_open_action,  # opens a web page when the file is opened
        pdfs.pdf_with_page_open_action,  # /AA: when a page is shown
        pdfs.pdf_with_embedded_file,
        pdfs.pdf_with_launch_link,
    ],
    ids=["open_action", "additional_actions", "embedded_file", "launch"],
)
def test_e1_a_pdf_with_an_action_or_a_file_inside_is_refused(client, build):
    assert_refused(submit_with(client, "病历.pdf", build()), REFUSED)


def test_e1_an_encrypted_pdf_is_refused_with_what_to_do(client):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdfs.clean_pdf())))
    writer.encrypt(user_password="", owner_password="bank")  # opens without a password
    out = io.BytesIO()
    writer.write(out)
    assert_refused(submit_with(client, "对账单.pdf", out.getvalue()), "该 PDF 设有密码或已加密")


def test_e1_a_pdf_that_cannot_be_parsed_is_refused_as_unreadable(client):
    truncated = pdfs.clean_pdf()[:400]  # an upload cut off half way
    assert_refused(submit_with(client, "扫描.pdf", truncated), "该 PDF 已损坏或格式不正确")


def test_e1_a_pdf_with_an_absurd_number_of_objects_is_refused(client, monkeypatch):
    import intake.uploads

    monkeypatch.setattr(intake.uploads, "PDF_MAX_OBJECTS", 20)  # a 3-page scan has 7
    response = submit_with(client, "扫描.pdf", pdfs.clean_pdf(pages=40))
    assert_refused(response, "该 PDF 结构过于复杂")


def test_e1_a_clean_multi_page_scan_with_a_link_and_an_opening_view_is_accepted(client):
    content = pdfs.clean_pdf(pages=5)
    response = submit_with(client, "低保证明.pdf", content)
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.original_name == "低保证明.pdf"
    assert attachment.file.read() == content  # a PDF is kept byte for byte
    attachment.file.delete(save=False)


def test_e1_a_clean_pdf_with_object_streams_is_accepted(client):
    content = pdfs.pdf_with_object_stream(
        plain={3: pdfs.PAGE_TREE[3], 4: pdfs.PAGE_TREE[4]},
        packed={1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: pdfs.PAGE_TREE[2]},
    )
    assert submit_with(client, "扫描件.pdf", content).status_code == 302
    Attachment.objects.get().file.delete(save=False)


def test_e1_a_pdf_named_html_is_stored_and_served_as_a_pdf(client, demo_users):
    response = submit_with(client, "诊断证明.html", pdfs.clean_pdf(), content_type="text/html")
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.original_name == "诊断证明.pdf"
    assert attachment.file.name.endswith(".pdf")
    assert attachment.content_type == "application/pdf"
    # What the street's staff get when they download it (backoffice attachment view).
    staff = verified_login(Client(), demo_users["street"])
    download = staff.get(f"/admin/reports/{attachment.report_id}/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;") and ".pdf" in disposition
    assert ".html" not in disposition
    download.close()
    attachment.file.delete(save=False)


@pytest.mark.parametrize(
    "name, detected, kept",
    [
        ("scan", "pdf", "scan.pdf"),
        ("report.HTML", "pdf", "report.pdf"),
        ("照片.JPEG", "jpg", "照片.JPEG"),
        ("照片.png", "jpg", "照片.jpg"),
        ("2026.11.20", "png", "2026.11.20.png"),
        ("张三.身份证", "pdf", "张三.身份证.pdf"),
        (".exe", "pdf", "附件.pdf"),
        ("长" * 130 + ".pdf", "pdf", "长" * 116 + ".pdf"),
    ],
)
def test_e1_the_name_kept_for_staff_ends_with_the_detected_extension(name, detected, kept):
    from intake.uploads import _name_with_extension, _safe_name

    assert _name_with_extension(_safe_name(name), detected) == kept
