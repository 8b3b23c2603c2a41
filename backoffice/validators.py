"""Codes the back office checks by their own rules (not a model's)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

# GB 32100-2015: the 18-character unified social credit code (统一社会信用代码). The last
# character is a check character over the first 17, in this alphabet (no I, O, S, V, Z).
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_character(first17: str) -> str:
    total = sum(
        CREDIT_ALPHABET.index(ch) * w for ch, w in zip(first17, CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    """The code in capitals without spaces, or ValidationError with a Chinese message."""
    code = (value or "").strip().upper().replace(" ", "")
    if len(code) != 18:
        raise ValidationError("统一社会信用代码应为 18 位。")
    if any(ch not in CREDIT_ALPHABET for ch in code):
        raise ValidationError("统一社会信用代码只含数字和大写字母（不含 I、O、S、V、Z）。")
    if credit_code_check_character(code[:17]) != code[17]:
        raise ValidationError("统一社会信用代码校验位不正确，请核对。")
    return code
