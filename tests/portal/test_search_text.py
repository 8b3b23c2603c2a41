"""P1: the segmentation, synonyms and 文号 forms that index and query share (no database)."""

import pytest
from django.core.exceptions import ValidationError

from portal.search import text
from portal.validators import credit_code_clean, doc_number_clean, surname_clean


def test_p1_two_character_words_are_terms_of_a_longer_title():
    terms = text.terms("城乡低保和城乡特困人员救助情况")
    assert {"低保", "特困", "城乡", "救助"} <= set(terms)
    assert "和" not in terms  # a stop word


def test_p1_a_synonym_becomes_the_same_term_on_both_sides():
    assert "低保" in text.terms("享受城乡居民最低生活保障的家庭")
    assert text.query_parse("最低生活保障").groups == (("低保",),)
    assert text.query_parse("五保户").groups == text.query_parse("特困人员救助供养").groups


def test_p1_a_district_short_name_means_the_district():
    assert text.query_parse("东城").groups == (("东城区",),)
    assert "东城区" in text.terms("北京市东城区民政局")


@pytest.mark.parametrize(
    "typed",
    [
        "京民核发〔2018〕195号",
        "京民核发[2018]195号",
        "京民核发【2018】195号",
        "京民核发（2018）195号",
        "京民核发 [ 2018 ] 195 号",
        "2018年195号",
        "２０１８年１９５号",
    ],
)
def test_p1_a_document_number_typed_any_way_asks_for_year_and_number(typed):
    query = text.query_parse(typed)
    assert "docno:2018-195" in query.groups[0]


def test_p1_a_bare_number_asks_for_documents_numbered_so():
    assert text.query_parse("195号").groups == (("docno:195",),)


def test_p1_a_cited_document_number_is_indexed_but_not_as_a_bare_number():
    terms = text.terms("根据《意见》(京政办〔2016〕52号)制定")
    assert "docno:2016-52" in terms
    assert "docno:52" not in terms


def test_p1_latin_words_are_lower_cased_and_kept():
    assert text.query_parse("APP申请低保").groups == (("app",), ("申请",), ("低保",))


def test_p1_the_admin_search_gets_backend_safe_tokens():
    assert text.segmented_query("京民核发〔2018〕195号 低保") == "docno2018n195 低保"
    assert "docno2018n195" in text.segmented("京民核发〔2018〕195号").split()


def test_p1_doc_numbers_are_stored_in_one_form():
    assert doc_number_clean("京民核发[2018]195号") == "京民核发〔2018〕195号"
    assert doc_number_clean("京民核发【2018】0195号") == "京民核发〔2018〕195号"
    for bad in (
        "京民核发2018年195号",
        "〔2018〕195号",
        "京民核发〔18〕195号",
        "京民核发〔2018〕0号",
    ):
        with pytest.raises(ValidationError) as error:
            doc_number_clean(bad)
        assert "文号格式不对" in error.value.messages[0]


def test_p1_a_credit_code_is_checked_by_its_check_character():
    assert credit_code_clean("52110101mj0012345h") == "52110101MJ0012345H"
    with pytest.raises(ValidationError, match="校验位"):
        credit_code_clean("52110101MJ0012345J")
    with pytest.raises(ValidationError, match="18 位"):
        credit_code_clean("5211")


def test_p1_a_natural_person_is_a_surname_of_one_or_two_characters():
    assert surname_clean("欧阳") == "欧阳"
    for bad in ("张三丰", "Zhang", ""):
        with pytest.raises(ValidationError, match="只填姓氏"):
            surname_clean(bad)
