"""Hostile input for the fuzz tests: what a careless phone, a broken office PC or an attacker
sends. Each strategy mixes realistic values with the malformed ones, so the checks behind the
first field that fails are reached too."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from portal import identity

# Characters of every kind but surrogates (no byte sequence can carry those).
ANY_CHAR = st.characters(exclude_categories=("Cs",))
CONTROL = st.sampled_from(["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\u0085", "\ufeff"])
SPECIAL = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\u202e",  # right-to-left override
        "\u200b\u200d",  # zero-width space and joiner
        "\r\n\r\n",
        "' OR '1'='1",
        "'; DROP TABLE intake_report; --",
        "<script>alert(1)</script>",
        "{{ 7*7 }}{% debug %}",
        '=HYPERLINK("http://x")',
        "../../etc/passwd",
        "%00%0d%0a",
        "𠀀𪚥𬺰",  # CJK extension B and later
        "Ｚｈａｏ",  # full-width Latin
        "赵桂兰\u0301",  # combining mark
        "Ζαχαρίας Иван 赵",  # mixed scripts
        "🧓🏻‍🦯",
        "\ufffd\ufffd",  # what a decoder leaves of bytes it could not read
    ]
)


def hostile_text(max_size: int = 60) -> st.SearchStrategy[str]:
    return st.one_of(
        SPECIAL,
        st.text(ANY_CHAR, max_size=max_size),
        st.lists(st.one_of(SPECIAL, CONTROL, st.text(ANY_CHAR, max_size=5)), max_size=8).map(
            "".join
        ),
        # Far past every field's limit (and past what a textarea allows).
        st.sampled_from([("赵", 5000), ("A", 70_000), ("\x00", 3000), ("中文", 40_000)]).map(
            lambda repeat: repeat[0] * repeat[1]  # built here: a failure's report stays short
        ),
    )


def _valid_id(birth: dt.date, sequence: int, female: bool) -> str:
    return identity.make_id_number(
        area_code="110101", birth=birth, sequence=sequence, female=female
    )


VALID_IDS = st.builds(
    _valid_id,
    st.dates(dt.date(1920, 1, 1), dt.date(2025, 12, 31)),
    st.integers(1, 99),
    st.booleans(),
)


def _bad_checksum(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


BAD_IDS = st.one_of(
    VALID_IDS.map(_bad_checksum),
    VALID_IDS.map(lambda n: n[:17]),
    VALID_IDS.map(lambda n: n + "1"),
    VALID_IDS.map(lambda n: n.replace("19", "１９", 1)),  # full-width digits
    VALID_IDS.map(lambda n: n[:6] + "20991399" + n[14:]),  # no such date
    VALID_IDS.map(lambda n: f" {n[:9]} {n[9:]}\n"),
    st.text(st.sampled_from("0123456789Xx -"), max_size=25),
    st.sampled_from(["", "000000000000000000", "11010119410402077X", "X" * 18, "1" * 400]),
    hostile_text(30),
)
ID_NUMBERS = st.one_of(VALID_IDS, BAD_IDS)

PHONES = st.one_of(
    st.sampled_from(["13911112222", "010-65121234", "+86 139 1111 2222", "(010)6512-1234"]),
    st.text(st.sampled_from("0123456789+-() #*ext"), max_size=40),
    st.sampled_from(["1" * 11, "12345", "139111122223", "１３９１１１１２２２２", "0" * 300]),
    hostile_text(30),
)
