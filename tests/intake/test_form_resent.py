"""Issue 12, item 2: a form sent twice (SECURITY G2), told apart from a form sent, then
changed with Back and sent again.

Personas: a neighbour who double-clicks; a residents' committee that presses Back after the
receipt, corrects the story and sends again; someone on another phone holding the same page.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from intake.models import Attachment, Report
from tests.intake import pdfs
from tests.intake.conftest import png_with_exif, report_data

pytestmark = pytest.mark.django_db

ALREADY_SENT = "这份表单已经提交过，您修改后的内容还没有提交"
EDITED = "老人独居，摔伤后卧床，这几天连续发烧，无人照料。"


def form_token_in(html: str) -> str:
    return re.search(r'name="form_token" value="([0-9a-f-]{36})"', html).group(1)


def _photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("诊断书.jpg", png_with_exif(), content_type="image/jpeg")


def _delete_files() -> None:
    for attachment in Attachment.objects.all():
        attachment.file.delete(save=False)


def test_g2_a_replayed_form_with_the_same_files_shows_the_same_receipt(client):
    data = report_data()
    first = client.post("/report/", {**data, "supporting_files": [_photo()]})
    again = client.post("/report/", {**data, "supporting_files": [_photo()]})
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Report.objects.count() == 1 and Attachment.objects.count() == 1
    _delete_files()


def test_g2_a_form_changed_after_sending_is_not_dropped_silently(client):
    data = report_data()
    first = client.post("/report/", data)
    report = Report.objects.get()

    response = client.post("/report/", {**data, "what_happened": EDITED})

    html = response.content.decode()
    assert response.status_code == 409
    assert ALREADY_SENT in html
    # This browser filed the first one: its receipt is linked.
    assert f'<a href="{first["Location"]}">{report.reference}</a>' in html
    assert "附件除外" in html
    # Everything typed is back, the change included, in a form with a new token.
    assert EDITED in html and "刘红梅" in html and "多福巷12号院3-201" in html
    assert form_token_in(html) != data["form_token"]
    assert Report.objects.count() == 1
    assert Report.objects.get().what_happened == "老人独居，近期摔伤后行动不便，无人照料。"

    # Sending that form again files the change as a report of its own.
    resent = client.post(
        "/report/", {**data, "what_happened": EDITED, "form_token": form_token_in(html)}
    )
    assert resent.status_code == 302
    assert Report.objects.count() == 2
    assert Report.objects.filter(what_happened=EDITED).count() == 1
    assert client.get(resent["Location"]).status_code == 200


def test_g2_another_browser_reusing_the_token_is_not_shown_the_reference(client):
    data = report_data()
    client.post("/report/", data)
    reference = Report.objects.get().reference

    response = Client().post("/report/", {**data, "address": "多福巷14号院1-101"})

    html = response.content.decode()
    assert response.status_code == 409
    assert ALREADY_SENT in html and "回执显示在当时提交的浏览器上" in html
    assert reference not in html
    assert "多福巷14号院1-101" in html
    assert Report.objects.count() == 1


def test_g2_a_file_added_after_sending_counts_as_a_change(client):
    data = report_data()
    client.post("/report/", data)

    response = client.post("/report/", {**data, "supporting_files": [_photo()]})

    assert response.status_code == 409
    assert ALREADY_SENT in response.content.decode()
    assert Report.objects.count() == 1 and not Attachment.objects.exists()


def test_g2_the_content_is_kept_as_a_keyed_hash_not_in_clear(client):
    data = report_data()
    client.post("/report/", data)
    digest = Report.objects.values_list("content_digest", flat=True).get()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)  # written by the PostgreSQL path too


def test_g2_a_report_filed_before_content_hashes_takes_a_resent_form_as_a_replay(client):
    """Reports filed before this change have no hash: their forms behave as before."""
    data = report_data()
    first = client.post("/report/", data)
    Report.objects.update(content_digest="")

    again = client.post("/report/", {**data, "what_happened": EDITED})

    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert Report.objects.count() == 1


def test_g2_a_different_pdf_is_a_change_and_the_same_pdf_a_replay(client):
    """Files count by their content (a PDF is kept byte for byte), not by their name."""
    data = report_data()
    scan = pdfs.clean_pdf(pages=2)
    client.post("/report/", {**data, "supporting_files": [SimpleUploadedFile("a.pdf", scan)]})
    same = client.post(
        "/report/", {**data, "supporting_files": [SimpleUploadedFile("b.pdf", scan)]}
    )
    other = client.post(
        "/report/", {**data, "supporting_files": [SimpleUploadedFile("a.pdf", pdfs.clean_pdf(3))]}
    )
    assert same.status_code == 302 and other.status_code == 409
    assert Report.objects.count() == 1 and Attachment.objects.count() == 1
    _delete_files()
