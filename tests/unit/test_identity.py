"""Identity numbers, phones, masking and field protection (SECURITY B3, D3; REQUIREMENTS L1)."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.identity import (
    DecryptionError,
    IdNumberError,
    PhoneError,
    birth_date_from_id,
    blind_index,
    decrypt_value,
    encrypt_value,
    id_check_char,
    make_id_number,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
    pinyin_full,
    pinyin_initials,
    sex_from_id,
)

KNOWN_VALID = "11010519491231002X"


def test_the_published_example_number_is_accepted_as_is():
    assert normalize_id_number(KNOWN_VALID) == KNOWN_VALID


def test_spaces_are_stripped_and_a_lower_case_x_is_upper_cased():
    assert normalize_id_number(" 110105 19491231 002x ") == KNOWN_VALID


@pytest.mark.parametrize(
    ("area_code", "birth", "female"),
    [
        ("110105", datetime.date(1990, 1, 1), False),
        ("310104", datetime.date(1975, 6, 30), True),
        ("440305", datetime.date(2000, 2, 29), False),
        ("650102", datetime.date(1900, 1, 1), True),
        ("810000", datetime.date(1988, 8, 8), False),
    ],
)
def test_numbers_built_by_make_id_number_are_accepted(area_code, birth, female):
    number = make_id_number(area_code=area_code, birth=birth, sequence=123, female=female)
    assert len(number) == 18
    assert normalize_id_number(number) == number


def test_a_wrong_check_character_is_refused_with_a_chinese_message():
    wrong = KNOWN_VALID[:17] + "5"
    with pytest.raises(IdNumberError, match="校验位不正确"):
        normalize_id_number(wrong)


def test_a_wrong_length_is_refused_with_a_chinese_message():
    with pytest.raises(IdNumberError, match="应为 18 位"):
        normalize_id_number("1101051990")


def test_letters_inside_the_number_are_refused():
    with pytest.raises(IdNumberError):
        normalize_id_number("1101051990X1011234")


def test_an_impossible_date_such_as_february_30_is_refused_even_with_a_correct_checksum():
    body = "110105" + "19900230" + "123"
    with pytest.raises(IdNumberError, match="出生日期不是有效日期"):
        normalize_id_number(body + id_check_char(body))


def test_a_birth_date_in_the_future_is_refused():
    future = datetime.date.today() + datetime.timedelta(days=400)
    number = make_id_number(area_code="110105", birth=future, sequence=1, female=False)
    with pytest.raises(IdNumberError, match="出生日期"):
        normalize_id_number(number)


def test_a_birth_date_before_1900_is_refused():
    number = make_id_number(
        area_code="110105", birth=datetime.date(1899, 12, 31), sequence=1, female=False
    )
    with pytest.raises(IdNumberError, match="出生日期"):
        normalize_id_number(number)


def test_an_unknown_province_code_is_refused():
    number = make_id_number(
        area_code="990101", birth=datetime.date(1990, 1, 1), sequence=1, female=False
    )
    with pytest.raises(IdNumberError, match="省份代码无效"):
        normalize_id_number(number)


def test_a_retired_district_code_such_as_former_chongwen_110103_is_still_accepted():
    number = make_id_number(
        area_code="110103", birth=datetime.date(1955, 3, 12), sequence=40, female=True
    )
    assert normalize_id_number(number) == number


def test_a_15_digit_old_number_is_upgraded_to_the_18_digit_form():
    original = make_id_number(
        area_code="110105", birth=datetime.date(1949, 12, 31), sequence=2, female=True
    )
    assert original == KNOWN_VALID
    old = original[:6] + original[8:17]
    assert len(old) == 15
    assert normalize_id_number(old) == original


def test_a_15_digit_number_with_an_impossible_date_is_refused():
    with pytest.raises(IdNumberError, match="出生日期"):
        normalize_id_number("110105490231002")


def test_birth_date_and_sex_are_derived_from_the_number():
    assert birth_date_from_id(KNOWN_VALID) == datetime.date(1949, 12, 31)
    assert sex_from_id(KNOWN_VALID) == "female"
    male = make_id_number(
        area_code="110101", birth=datetime.date(1982, 7, 1), sequence=10, female=False
    )
    assert sex_from_id(male) == "male"
    assert birth_date_from_id(male) == datetime.date(1982, 7, 1)


def test_make_id_number_adjusts_the_sequence_to_match_the_sex():
    birth = datetime.date(1990, 1, 1)
    female = make_id_number(area_code="110105", birth=birth, sequence=999, female=True)
    male = make_id_number(area_code="110105", birth=birth, sequence=0, female=False)
    assert female[14:17] == "998"
    assert male[14:17] == "001"


def test_an_id_number_is_masked_to_its_first_6_and_last_4_characters():
    masked = mask_id_number(KNOWN_VALID)
    assert masked == "110105********002X"
    assert KNOWN_VALID[6:14] not in masked
    assert mask_id_number("110105199001011234") == "110105********1234"


def test_masking_an_empty_or_odd_length_value_never_reveals_the_whole_value():
    assert mask_id_number("") == ""
    assert mask_id_number("110105491231002") == "110**********02"
    for value in ("1", "12", "123", "12345", "1234567890"):
        masked = mask_id_number(value)
        assert masked != value
        assert "*" in masked


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("010-12345678", "01012345678"),
        ("01012345678", "01012345678"),
        ("6512 3456", "01065123456"),
        ("+86 10 6512 3456", "01065123456"),
    ],
)
def test_phones_are_normalized_to_mobile_or_beijing_landline_form(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345678901", "1381234567", "021-12345678", "abc", "123"])
def test_invalid_phones_are_refused_with_a_chinese_message(raw):
    with pytest.raises(PhoneError, match="请填写有效的手机号码或固定电话"):
        normalize_phone(raw)


def test_phones_are_masked_to_the_first_3_and_last_4_digits():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("01012345678") == "010****5678"
    assert mask_phone("") == ""


def test_encryption_round_trips_and_hides_the_plaintext(settings):
    ciphertext = encrypt_value(KNOWN_VALID)
    assert ciphertext.startswith("v2:")  # issue 19: "v2:<key id>:..."
    assert ciphertext.isascii()
    assert KNOWN_VALID not in ciphertext
    assert decrypt_value(ciphertext) == KNOWN_VALID


def test_two_encryptions_of_the_same_value_differ(settings):
    assert encrypt_value("13812345678") != encrypt_value("13812345678")


def test_an_empty_value_stays_empty_through_encryption(settings):
    assert encrypt_value("") == ""
    assert decrypt_value("") == ""


def test_tampered_ciphertext_is_refused(settings):
    ciphertext = encrypt_value("张三")
    header, payload = ciphertext.rsplit(":", 1)
    flipped = "A" if payload[20] != "A" else "B"
    tampered = header + ":" + payload[:20] + flipped + payload[21:]
    with pytest.raises(DecryptionError):
        decrypt_value(tampered)


def test_ciphertext_from_another_key_is_refused(settings):
    ciphertext = encrypt_value("张三")
    settings.FIELD_ENCRYPTION_KEY = "another-test-key-0123456789abcdef0123456789"
    with pytest.raises(DecryptionError):
        decrypt_value(ciphertext)


def test_an_empty_encryption_key_is_a_configuration_error(settings):
    settings.FIELD_ENCRYPTION_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        encrypt_value("secret")
    with pytest.raises(ImproperlyConfigured):
        blind_index("13812345678", kind="phone")


def test_the_blind_index_is_deterministic_over_the_normalized_value(settings):
    first = blind_index("13812345678", kind="phone")
    assert first == blind_index("+86 138 1234 5678", kind="phone")
    assert len(first) == 64
    assert blind_index(KNOWN_VALID, kind="id") == blind_index("110105491231002", kind="id")
    assert blind_index("", kind="id") == ""


def test_the_blind_index_differs_between_kinds_and_keys(settings):
    value = "01012345678"
    id_like = blind_index(KNOWN_VALID, kind="id")
    phone = blind_index(value, kind="phone")
    assert id_like != phone
    assert KNOWN_VALID not in id_like
    settings.FIELD_ENCRYPTION_KEY = "another-test-key-0123456789abcdef0123456789"
    assert blind_index(value, kind="phone") != phone


def test_the_blind_index_refuses_an_unknown_kind(settings):
    with pytest.raises(ValueError):
        blind_index("13812345678", kind="email")


def test_pinyin_initials_and_full_pinyin_are_lower_case():
    assert pinyin_initials("张三") == "zs"
    assert pinyin_initials("欧阳娜娜") == "oynn"
    assert pinyin_initials("李Anna") == "lanna"
    assert pinyin_full("张三") == "zhangsan"
    assert pinyin_initials("") == ""
