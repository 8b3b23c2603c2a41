"""Helpers for the public intake tests: a valid report as a phone would post it."""

import datetime as dt
import io
import uuid

from PIL import Image

from portal import identity

DONGHUAMEN = {"district": "110101000000", "street": "110101001000", "community": "110101001001"}
SUBJECT_ID = identity.make_id_number(
    area_code="110101", birth=dt.date(1941, 4, 2), sequence=77, female=True
)


def report_data(**overrides):
    data = {
        "form_token": str(uuid.uuid4()),
        "website": "",
        "reporter_type": "residents_committee",
        "reporter_name": "刘红梅",
        "reporter_phone": "010-65121234",
        "proxy_organisation": "东华门街道多福巷社区居委会",
        "entrustment_statement": "2026年11月20日当事人口头委托，女儿在场见证。",
        "subject_name": "赵桂兰",
        "subject_id_number": SUBJECT_ID,
        "subject_phone": "13911112222",
        **DONGHUAMEN,
        "address": "多福巷12号院3-201",
        "subtype": "living_alone",
        "what_happened": "老人独居，近期摔伤后行动不便，无人照料。",
        "help_needed": "上门照料和助餐服务",
        "benefits_received": "高龄津贴",
        "consent": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def png_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 10, 10))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()
