"""Issue 13, item 7: the report form without script, its required fields, and the limits it
announces being the limits the server enforces (SECURITY G5, E1; requirement F1).

Personas: a residents' committee filing for an old woman (the valid report of conftest), on a
phone without script; the same committee choosing far too many photos; a forger without the
page's CSRF token.
"""

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client, override_settings
from django.test.client import BOUNDARY, encode_multipart

from intake import views
from intake.models import Attachment, Report
from tests.intake.conftest import DONGHUAMEN, png_with_exif, report_data

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def page(client) -> str:
    return client.get("/report/").content.decode()


def csrf_client() -> tuple[Client, str]:
    """A browser as the server sees it: CSRF enforced, the token taken from the page."""
    browser = Client(enforce_csrf_checks=True)
    html = page(browser)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return browser, token


def photo(name="诊断书.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_with_exif(), content_type="image/jpeg")


def pdf_of(size: int, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + b"0" * (size - 9), "application/pdf")


# Required fields ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["reporter_type", "reporter_name", "subject_name", "district", "street", "community"]
    + ["address", "subtype", "what_happened", "help_needed", "consent"],
)
def test_each_required_field_carries_a_visible_mark_and_says_it_is_required(client, name):
    html = page(client)
    field = re.search(rf'<div class="field[^"]*" id="field-{name}">(.*?)</div>', html, re.S)
    assert field, name
    assert '<span class="req" aria-hidden="true">*</span>' in field.group(1)
    control = re.search(rf'<(?:select|input|textarea)[^>]*name="{name}"[^>]*>', field.group(1))
    assert " required" in control.group(0) and 'aria-required="true"' in control.group(0)
    assert '带 <span class="req">*</span> 的为必填项' in html


def test_optional_fields_carry_no_mark(client):
    html = page(client)
    field = re.search(r'id="field-subject_id_number">(.*?)</div>', html, re.S).group(1)
    assert 'class="req"' not in field and "aria-required" not in field


@pytest.mark.parametrize(
    "overrides, message, button",
    [
        ({"street": "", "community": ""}, "请先点“列出街道（乡镇）”", "列出街道（乡镇）"),
        ({"community": ""}, "请先点“列出社区（村）”", "列出社区（村）"),
    ],
)
def test_a_missing_street_or_community_message_names_the_button_as_labelled(
    client, overrides, message, button
):
    html = client.post("/report/", report_data(**overrides)).content.decode()
    assert message in html
    assert f">{button}</button>" in html
    assert not Report.objects.exists()


# Without script -----------------------------------------------------------------------------


def test_without_script_the_list_buttons_say_before_they_are_pressed_that_files_are_dropped(
    client,
):
    html = page(client)
    note = re.search(r'<p class="help js-refine" id="refine-note">(.*?)</p>', html).group(1)
    assert "会重新载入本页" in note and "已选择的附件需要重新选择" in note
    for name in ("_list_streets", "_list_communities"):
        button = re.search(rf'<button[^>]*name="{name}"[^>]*>', html).group(0)
        assert 'aria-describedby="refine-note"' in button
        assert "js-refine" in button  # the class the script's CSS hides


def test_listing_streets_lands_back_at_the_lists_and_names_the_files_it_could_not_keep(client):
    data = report_data(street="", community="", _list_streets="1", supporting_files=[photo()])
    response = client.post("/report/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "已列出街道（乡镇），请在下面选择" in html
    assert "您之前选择的附件没有随页面保留：诊断书.jpg" in html
    assert "东华门街道" in html and "多福巷12号院3-201" in html  # the typing is kept
    assert "提交未成功" not in html
    # The button posts to an anchor at the lists, so the page does not open at its top.
    assert 'formaction="/report/#area-streets"' in html and 'id="area-streets"' in html
    assert not Report.objects.exists() and not Attachment.objects.exists()


def test_listing_communities_without_files_says_nothing_about_files(client):
    html = client.post(
        "/report/", report_data(community="", _list_communities="1")
    ).content.decode()
    assert "已列出社区（村），请在下面选择" in html
    assert "没有随页面保留" not in html
    assert "多福巷社区" in html


# The area lists for script ----------------------------------------------------------------


def test_the_streets_of_a_district_come_as_json(client):
    response = client.get("/report/areas/", {"district": DONGHUAMEN["district"]})
    assert response.status_code == 200
    labels = {choice["label"]: choice["value"] for choice in response.json()["choices"]}
    assert labels["东华门街道"] == DONGHUAMEN["street"]
    assert "景山街道" in labels and "" not in labels.values()


def test_the_communities_of_a_street_come_as_json(client):
    response = client.get("/report/areas/", DONGHUAMEN)
    values = [choice["value"] for choice in response.json()["choices"]]
    assert DONGHUAMEN["community"] in values
    assert all(value.startswith("110101001") for value in values)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"district": "东城区"},
        {"district": "110199000000"},  # no such district
        {"district": "110105000000", "street": DONGHUAMEN["street"]},  # another district's
        {"district": DONGHUAMEN["district"], "street": "1101010010001"},
    ],
)
def test_an_unknown_area_is_404_and_costs_the_view_no_query(
    client, rf, query, django_assert_num_queries
):
    assert client.get("/report/areas/", query).status_code == 404
    client.get("/report/areas/", {"district": DONGHUAMEN["district"]})  # lists now known
    with django_assert_num_queries(0), pytest.raises(Http404):
        views.areas(rf.get("/report/areas/", query))


# Limits announced = limits enforced (G5) ------------------------------------------------------


def test_g5_the_form_announces_the_limits_the_server_enforces(client):
    html = page(client)
    assert "最多 5 个，PDF/JPG/PNG，每个不超过 10 MB；连同委托书，附件合计不超过 30 MB" in html
    assert f'data-max-files="{settings.INTAKE_MAX_FILES}"' in html
    assert f'data-max-file-bytes="{settings.INTAKE_MAX_FILE_BYTES}"' in html
    assert f'data-max-total-bytes="{settings.INTAKE_MAX_UPLOAD_BYTES}"' in html
    assert settings.INTAKE_MAX_FILE_BYTES == 10 * MB and settings.INTAKE_MAX_UPLOAD_BYTES == 30 * MB


def test_g5_a_report_at_every_announced_limit_fits_in_the_request_limit():
    """Every text field at its longest (3 bytes a character) and files making up exactly
    the announced total still fit, so the server never answers 413 to a report the form
    allows."""
    longest = report_data(
        what_happened="难" * 2000,
        help_needed="难" * 1000,
        benefits_received="难" * 200,
        address="难" * 200,
        entrustment_statement="难" * 500,
        proxy_organisation="难" * 100,
        entrustment_file=pdf_of(settings.INTAKE_MAX_FILE_BYTES, "委托书.pdf"),
        supporting_files=[
            pdf_of(settings.INTAKE_MAX_FILE_BYTES, "材料一.pdf"),
            pdf_of(settings.INTAKE_MAX_UPLOAD_BYTES - 2 * settings.INTAKE_MAX_FILE_BYTES, "二.pdf"),
        ],
        urgency_reasons=["elder_unreachable", "minor_shelter"],
    )
    body = encode_multipart(BOUNDARY, longest)
    assert len(body) <= settings.INTAKE_MAX_REQUEST_BYTES


@override_settings(INTAKE_MAX_UPLOAD_BYTES=6000, INTAKE_MAX_REQUEST_BYTES=64_000)
def test_g5_files_over_the_announced_total_get_a_message_and_keep_the_typing(client):
    files = [pdf_of(4000, "一.pdf"), pdf_of(4000, "二.pdf")]
    response = client.post("/report/", report_data(supporting_files=files))
    html = response.content.decode()
    assert response.status_code == 200
    assert "这次选择了 2 个文件" in html and "请压缩图片或减少附件后重新选择" in html
    assert "多福巷12号院3-201" in html
    assert not Report.objects.exists() and not Attachment.objects.exists()


@override_settings(INTAKE_MAX_REQUEST_BYTES=40_000)
def test_g5_an_oversized_report_answers_413_with_the_form_holding_what_was_typed():
    browser, token = csrf_client()
    data = report_data(
        csrfmiddlewaretoken=token,
        supporting_files=[pdf_of(30_000, "病历.pdf"), pdf_of(30_000, "低保证.pdf")],
    )
    response = browser.post("/report/", data)
    html = response.content.decode()
    assert response.status_code == 413
    assert "附件太大，这次没有提交" in html
    assert "病历.pdf" in html and "低保证.pdf" in html and "没有保存" in html
    assert 'value="赵桂兰"' in html and "老人独居，近期摔伤后行动不便" in html
    assert 'value="110101001001" selected' in html  # the community list and choice kept
    assert "提交未成功" not in html  # no field errors: only the files were refused
    assert not Report.objects.exists() and not Attachment.objects.exists()


@override_settings(INTAKE_MAX_REQUEST_BYTES=40_000)
def test_g5_an_oversized_report_without_the_csrf_token_is_refused():
    browser, _token = csrf_client()
    data = report_data(supporting_files=[pdf_of(60_000, "病历.pdf")])
    assert browser.post("/report/", data).status_code == 403


def test_g5_a_body_too_large_to_read_is_refused_unread_with_the_way_back():
    """Refused before the CSRF check, which would read the body first."""
    browser, _token = csrf_client()
    response = browser.post(
        "/report/",
        data=b"x" * 10,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(settings.INTAKE_OVERSIZED_READ_BYTES + 1),
    )
    html = response.content.decode()
    assert response.status_code == 413
    assert "附件太大，这次没有提交" in html
    assert "附件合计不能超过 30 MB，每个文件不超过 10 MB" in html
    assert 'class="button button-primary js-history-back" href="/report/"' in html
    assert "浏览器一般会保留您填写的文字" in html


def test_a_form_posted_without_the_csrf_token_is_still_refused():
    browser, _token = csrf_client()
    assert browser.post("/report/", report_data()).status_code == 403
    assert not Report.objects.exists()


def test_the_form_posted_with_the_csrf_token_is_accepted():
    browser, token = csrf_client()
    response = browser.post("/report/", report_data(csrfmiddlewaretoken=token))
    assert response.status_code == 302
    assert Report.objects.get().reference in browser.get(response["Location"]).content.decode()
