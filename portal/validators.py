"""Checks of what editors type into the bureau's pages, with messages in Chinese (P1)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .search.text import docno_canonical

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the last is a check.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
SURNAME = re.compile(r"^[\u4e00-\u9fff]{1,2}$")


def doc_number_clean(value: str) -> str:
    """A 文号 in its stored form (京民核发〔2018〕195号); brackets typed as [] 【】 () are
    accepted and corrected. Raises ValidationError otherwise."""
    canonical = docno_canonical(value)
    if canonical is None:
        raise ValidationError(
            _(
                "文号格式不对。应为“机关代字〔年份〕序号号”，例如 京民核发〔2018〕195号："
                "机关代字为汉字，年份为四位数字，放在六角括号〔〕中，最后是序号和“号”字。"
            ),
            code="doc_number",
        )
    return canonical


def credit_code_check_char(code17: str) -> str:
    total = sum(
        CREDIT_CODE_ALPHABET.index(char) * weight
        for char, weight in zip(code17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def credit_code_clean(value: str) -> str:
    """A 统一社会信用代码 (GB 32100-2015), upper case, with its check character verified."""
    code = (value or "").strip().upper()
    if len(code) != 18 or any(char not in CREDIT_CODE_ALPHABET for char in code):
        raise ValidationError(
            _("统一社会信用代码应为 18 位数字或大写字母（不含 I、O、S、V、Z）。"),
            code="credit_code",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("统一社会信用代码的校验位不对，请核对后重新填写。"), code="credit_code"
        )
    return code


def surname_clean(value: str) -> str:
    surname = (value or "").strip()
    if not SURNAME.match(surname):
        raise ValidationError(
            _("自然人只填姓氏（一到两个汉字，如“张”或“欧阳”），页面上显示为“张某”。"),
            code="surname",
        )
    return surname
