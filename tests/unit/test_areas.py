"""Issue 2 item 5: Beijing's divisions, MCA legal names with NBS aliases."""

from django.db.models import F

from backoffice.enums import AreaLevel
from backoffice.models import Area


def test_it_loads_the_city_16_districts_343_legal_streets_and_7535_communities(areas):
    assert Area.objects.filter(level=AreaLevel.CITY).count() == 1
    assert Area.objects.filter(level=AreaLevel.DISTRICT).count() == 16
    assert Area.objects.filter(level=AreaLevel.STREET, is_legal_unit=True).count() == 343
    assert Area.objects.filter(level=AreaLevel.COMMUNITY).count() == 7535


def test_streets_carry_mca_legal_names_and_keep_nbs_names_as_aliases(areas):
    nanmofang = Area.objects.get(code="110105021000")
    assert nanmofang.name == "南磨房乡"
    assert nanmofang.aliases == "南磨房地区"


def test_capital_airport_communities_move_to_the_mca_code(areas):
    airport = Area.objects.get(code="110105400000")
    assert airport.name == "首都机场街道"
    assert airport.children.count() == 5
    assert not Area.objects.filter(code="110105020000").exists()


def test_development_zones_are_kept_as_non_legal_statistical_units(areas):
    zone = Area.objects.get(code="110115403000")
    assert zone.is_legal_unit is False
    assert zone.children.count() == 1


def test_every_community_has_a_parent_chain_to_its_district(areas):
    community = Area.objects.select_related("parent__parent").get(code="110101001001")
    assert community.parent.level == AreaLevel.STREET
    assert community.parent.parent.name == "东城区"
    assert community.street_id == community.parent_id
    assert community.district_id == "110101000000"
    assert community.full_name == "东城区东华门街道多福巷社区居委会"
    orphans = Area.objects.filter(level=AreaLevel.COMMUNITY, parent__isnull=True)
    assert not orphans.exists()
    wrong_district = Area.objects.filter(level=AreaLevel.COMMUNITY).exclude(
        parent__district_id=F("district_id")
    )
    assert not wrong_district.exists()


def test_loading_twice_adds_nothing(areas):
    from backoffice.services.areas import areas_load

    assert areas_load(Area) == 0
