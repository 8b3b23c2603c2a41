"""Resident identity numbers, phones and their protection (SECURITY B3, D3; REQUIREMENTS L1).

Pure functions: nothing here touches the database. The field-encryption keys are read from
`settings.FIELD_ENCRYPTION_KEYS` (current first) or the single `settings.FIELD_ENCRYPTION_KEY`
only when a function needs them.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import hashlib
import hmac
import os
import re
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pypinyin import Style, lazy_pinyin

# GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"

# Province-level prefixes (GB/T 2260), plus 71 Taiwan, 81 Hong Kong, 82 Macao and 83 for
# residence permits of Taiwan residents. The district part is deliberately not checked: people
# keep numbers issued under district codes that have since been retired.
_PROVINCE_CODES = frozenset(
    {
        *(str(code) for code in range(11, 16)),
        *(str(code) for code in range(21, 24)),
        *(str(code) for code in range(31, 38)),
        *(str(code) for code in range(41, 47)),
        *(str(code) for code in range(50, 55)),
        *(str(code) for code in range(61, 66)),
        "71",
        "81",
        "82",
        "83",
    }
)

_EARLIEST_BIRTH = datetime.date(1900, 1, 1)
_CHINA_TZ = ZoneInfo("Asia/Shanghai")

_ID18_RE = re.compile(r"\d{17}[\dX]")
_ID15_RE = re.compile(r"\d{15}")

_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_BEIJING_LANDLINE_RE = re.compile(r"010[1-9]\d{7}")
_BEIJING_LOCAL_RE = re.compile(r"[1-9]\d{7}")
_PHONE_SEPARATORS_RE = re.compile(r"[\s\-()（）]")

# Issue 19: "v2:<key id>:..." names the key a value was encrypted with; "v1:..." values (no
# key id, from before) are still read, under each configured key in turn.
_ENCRYPTION_VERSION = "v2"
_LEGACY_ENCRYPTION_VERSION = "v1"
_KEY_ID_INFO = b"ledger-field-key-id"
_KEY_ID_LENGTH = 8
_ENCRYPTION_INFO = b"ledger-field-encryption"
_BLIND_INDEX_INFO = b"ledger-blind-index"
_BLIND_INDEX_KINDS = frozenset({"id", "phone"})


class IdNumberError(ValueError):
    """A resident identity number that cannot be accepted; the message is for the user (B3)."""


class PhoneError(ValueError):
    """A phone number that cannot be accepted; the message is for the user (B3)."""


class DecryptionError(ValueError):
    """A protected value that is malformed, tampered with or under another key (D3)."""


# Identity numbers ------------------------------------------------------------------------------


def id_check_char(body: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits of a number (B3)."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise IdNumberError("身份证号码本体应为 17 位数字")
    total = sum(int(digit) * weight for digit, weight in zip(body, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _today() -> datetime.date:
    return datetime.datetime.now(_CHINA_TZ).date()


def _parse_birth(digits: str) -> datetime.date:
    try:
        birth = datetime.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise IdNumberError("身份证号码中的出生日期不是有效日期")
    if birth < _EARLIEST_BIRTH or birth > _today():
        raise IdNumberError("身份证号码中的出生日期不是有效日期")
    return birth


def _check_province(number: str) -> None:
    if number[:2] not in _PROVINCE_CODES:
        raise IdNumberError("身份证号码的省份代码无效")


def normalize_id_number(raw: str) -> str:
    """The canonical 18-character form of an identity number, or IdNumberError (B3, L1).

    Spaces are removed and a trailing x is upper-cased. 15-digit numbers from the first
    generation are upgraded by inserting the century "19" and computing the check character.
    """
    number = "".join((raw or "").split()).upper()
    if _ID15_RE.fullmatch(number):
        _check_province(number)
        _parse_birth("19" + number[6:12])
        body = number[:6] + "19" + number[6:]
        return body + id_check_char(body)
    if not _ID18_RE.fullmatch(number):
        raise IdNumberError("身份证号码应为 18 位（或 15 位旧号码）")
    _check_province(number)
    _parse_birth(number[6:14])
    if id_check_char(number[:17]) != number[17]:
        raise IdNumberError("身份证号码校验位不正确，请核对")
    return number


def birth_date_from_id(id_number: str) -> datetime.date:
    """The date of birth encoded in a (valid) identity number (L1)."""
    number = normalize_id_number(id_number)
    return _parse_birth(number[6:14])


def sex_from_id(id_number: str) -> str:
    """The sex, "male" or "female", from the parity of the 17th digit (L1)."""
    number = normalize_id_number(id_number)
    return "male" if int(number[16]) % 2 == 1 else "female"


def make_id_number(*, area_code: str, birth: datetime.date, sequence: int, female: bool) -> str:
    """An 18-digit number with a correct check character, for tests and demo data (L1).

    The sequence (0-999) is nudged by one so that its parity matches the sex. Province and
    date are not validated, so tests can build numbers that `normalize_id_number` refuses.
    """
    if len(area_code) != 6 or not area_code.isascii() or not area_code.isdigit():
        raise ValueError("area_code must be 6 digits")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be within 0-999")
    if (sequence % 2 == 0) != female:
        sequence = sequence + 1 if sequence < 999 else sequence - 1
    body = f"{area_code}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    return body + id_check_char(body)


# Masking ---------------------------------------------------------------------------------------


def _mask_generic(value: str) -> str:
    """At most the first 3 and last 2 characters, always hiding at least one (D3)."""
    length = len(value)
    head = min(3, length // 3)
    tail = min(2, length // 4)
    return value[:head] + "*" * (length - head - tail) + value[length - tail :]


def mask_id_number(value: str) -> str:
    """`110105********1234`: first 6 and last 4 of an 18-character number (D3)."""
    value = "".join((value or "").split())
    if not value:
        return ""
    if len(value) == 18:
        return value[:6] + "*" * 8 + value[14:]
    return _mask_generic(value)


# Phones ----------------------------------------------------------------------------------------


def normalize_phone(raw: str) -> str:
    """A mainland mobile (11 digits) or a Beijing landline as "010" + 8 digits (B3, L1).

    Spaces, dashes and brackets are ignored, as is a +86 / 0086 / 86 country prefix.
    """
    number = _PHONE_SEPARATORS_RE.sub("", raw or "")
    international = False
    if number.startswith("+86"):
        number, international = number[3:], True
    elif number.startswith("0086"):
        number, international = number[4:], True
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    if international and len(number) == 10 and number.startswith("10"):
        number = "0" + number  # +86 10 xxxxxxxx drops the trunk prefix
    if number.isascii():
        if _MOBILE_RE.fullmatch(number) or _BEIJING_LANDLINE_RE.fullmatch(number):
            return number
        if _BEIJING_LOCAL_RE.fullmatch(number):
            return "010" + number
    raise PhoneError("请填写有效的手机号码或固定电话")


def mask_phone(value: str) -> str:
    """`138****5678` / `010****5678`: first 3 and last 4 of an 11-digit number (D3)."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        value = normalize_phone(value)
    except PhoneError:
        return _mask_generic(value)
    return value[:3] + "****" + value[7:]


# Encryption and blind indexes -------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _derive_key(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        secret.encode("utf-8")
    )


def field_keys() -> list[str]:
    """The field-encryption secrets, the current one first (issue 19): FIELD_ENCRYPTION_KEYS
    when set, else the single FIELD_ENCRYPTION_KEY."""
    secrets = [key for key in (getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or []) if key]
    if not secrets:
        single = getattr(settings, "FIELD_ENCRYPTION_KEY", "")
        secrets = [single] if single else []
    if not secrets:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set to protect identifiers.")
    return secrets


def key_id(secret: str) -> str:
    """A short public name of a key, carried by every ciphertext it made (reveals nothing of
    the key: its own HKDF output)."""
    return _derive_key(secret, _KEY_ID_INFO).hex()[:_KEY_ID_LENGTH]


def current_key_id() -> str:
    return key_id(field_keys()[0])


def _subkey(info: bytes) -> bytes:
    return _derive_key(field_keys()[0], info)


def encrypt_value(plaintext: str) -> str:
    """AES-256-GCM with a fresh nonce under the current key, as "v2:<key id>:" + urlsafe
    base64(nonce + ciphertext); the prefix is authenticated with it (D3, issue 19)."""
    if not plaintext:
        return ""
    secret = field_keys()[0]
    header = f"{_ENCRYPTION_VERSION}:{key_id(secret)}"
    key = _derive_key(secret, _ENCRYPTION_INFO)
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), header.encode("ascii"))
    return f"{header}:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def _open(payload: str, secret: str, associated: bytes) -> str:
    try:
        blob = base64.urlsafe_b64decode(payload.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise DecryptionError("protected value is not valid base64")
    if len(blob) < 12 + 16:
        raise DecryptionError("protected value is truncated")
    key = _derive_key(secret, _ENCRYPTION_INFO)
    try:
        plain = AESGCM(key).decrypt(blob[:12], blob[12:], associated)
    except InvalidTag:
        raise DecryptionError("protected value failed authentication")
    return plain.decode("utf-8")


def decrypt_value(token: str) -> str:
    """The plaintext of `encrypt_value` under any configured key (current or older); a value
    from before key ids ("v1:") is tried under each. DecryptionError if tampered with,
    malformed or under a key no longer configured (D3)."""
    if not token:
        return ""
    version, sep, rest = token.partition(":")
    if sep and version == _ENCRYPTION_VERSION:
        kid, sep, payload = rest.partition(":")
        for secret in field_keys():
            if sep and key_id(secret) == kid:
                return _open(payload, secret, f"{version}:{kid}".encode("ascii"))
        raise DecryptionError("protected value is under a key that is not configured")
    if sep and version == _LEGACY_ENCRYPTION_VERSION:
        error = DecryptionError("protected value failed authentication")
        for secret in field_keys():
            try:
                return _open(rest, secret, version.encode("ascii"))
            except DecryptionError as refused:
                error = refused
        raise error
    raise DecryptionError("unknown protected-value format")


def needs_reencryption(token: str) -> bool:
    """Whether `token` was made under another key than the current one (or before key ids)."""
    if not token:
        return False
    return not token.startswith(f"{_ENCRYPTION_VERSION}:{current_key_id()}:")


def _blind_index_key() -> bytes:
    """Blind indexes are keyed apart from the ciphertexts (issue 19): FIELD_BLIND_INDEX_KEY
    when set, else the current field key. Pin FIELD_BLIND_INDEX_KEY to the old key before a
    rotation and no stored index changes; `rotate_field_key --reindex` recomputes them."""
    pinned = getattr(settings, "FIELD_BLIND_INDEX_KEY", "")
    return _derive_key(pinned, _BLIND_INDEX_INFO) if pinned else _subkey(_BLIND_INDEX_INFO)


def blind_index(value: str, *, kind: str) -> str:
    """Keyed HMAC-SHA256 of the normalized value, separated by kind ("id"/"phone") (D3).

    Lets exact-match searches find a record without storing the identifier in clear. An
    invalid value raises IdNumberError / PhoneError, as normalization does.
    """
    if kind not in _BLIND_INDEX_KINDS:
        raise ValueError(f"unknown blind index kind: {kind!r}")
    if not (value or "").strip():
        return ""
    normalized = normalize_id_number(value) if kind == "id" else normalize_phone(value)
    key = _blind_index_key()
    message = kind.encode("ascii") + b"\x00" + normalized.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# Names -----------------------------------------------------------------------------------------


def _ascii_alnum_lower(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())


def pinyin_initials(name: str) -> str:
    """Lower-case pinyin initials for searching by name: "张三" -> "zs" (L1)."""
    return "".join(
        _ascii_alnum_lower(chunk) for chunk in lazy_pinyin(name or "", style=Style.FIRST_LETTER)
    )


def pinyin_full(name: str) -> str:
    """Lower-case toneless pinyin without separators: "张三" -> "zhangsan" (L1)."""
    return "".join(_ascii_alnum_lower(chunk) for chunk in lazy_pinyin(name or ""))
