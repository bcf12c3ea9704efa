"""Small towns (enrich.location.towns), a country name inside another country's address and
capital-district suffixes (enrich.location.second_chance), and famous names that small towns
must not make ambiguous."""

from __future__ import annotations

import pytest

from enrich.location.gazetteer import MIN_CITY_POPULATION, get_gazetteer
from enrich.location.resolver import resolve
from enrich.location.towns import get_towns


@pytest.fixture(scope="module", autouse=True)
def gazetteer():
    return get_gazetteer()


def test_the_town_table_is_compact_and_below_the_main_cut():
    towns = get_towns()
    assert 50_000 < len(towns) < 150_000
    found = towns.named("grindelwald")
    assert [(c.country, c.admin1) for c in found] == [("CH", "BE")]
    assert all(c.population < MIN_CITY_POPULATION for c in found)
    assert towns.named("no such town anywhere") == ()


@pytest.mark.parametrize(
    ("text", "country", "town"),
    [
        # kind "small town": supported by the country or state named beside it
        ("Grindelwald, Switzerland", "CH", "Grindelwald"),
        ("Alpbach, Austria", "AT", "Alpbach"),
        ("Mexico, NY", "US", "Mexico"),
        ("Upland IN", "US", "Upland"),
        ("Westendorf, Austria", "AT", "Westendorf"),
    ],
)
def test_small_towns_resolve_with_support(text, country, town):
    found = resolve(text)
    assert found.status == "resolved" and found.country == country
    assert f"small town '{town}'" in found.reason


@pytest.mark.parametrize("text", ["Grindelwald", "Gotham", "Valhalla", "Venus"])
def test_a_lone_small_town_is_named_but_not_decided(text):
    # the only town of its name, but nothing beside it: too many small towns are named like
    # words or jokes (Gotham, Valhalla) for a town this small to decide on its own
    found = resolve(text)
    assert found.status == "ambiguous" and len(found.candidates) == 1
    assert found.reason.startswith(f"small town '{text}'")
    assert resolve("Grindelwald, Switzerland").confidence >= 0.9


@pytest.mark.parametrize(
    "text",
    [
        "Westendorf",  # small towns in Austria and Germany, nothing says which
        "Winklarn",
        "Caraguatay",  # Argentina and Paraguay
    ],
)
def test_an_unsupported_namesake_town_abstains_with_candidates(text):
    found = resolve(text)
    assert found.status == "ambiguous"
    assert len(found.candidates) >= 2
    assert found.reason.startswith(f"small town '{text}'")


def test_a_namesake_town_with_its_country_named_resolves():
    assert resolve("Westendorf, Tirol, Austria").country == "AT"
    assert resolve("Caraguatay, Paraguay").country == "PY"


@pytest.mark.parametrize(
    ("text", "country"),
    [
        # kind "country name inside an address of another country": the state pins it
        ("Jordan, Minnesota", "US"),
        ("Panama City, Florida", "US"),
        ("Lebanon, PA", "US"),
        ("Peru, Indiana", "US"),
        ("Norway, Maine", "US"),  # Norway, Maine has 3k people: a small town
        ("Cuba, MO", "US"),  # Cuba, Missouri (small town), not Cuba beside Macao's code
        ("Poland, Ohio", "US"),
        ("Irbid, Jordan", "JO"),
        # a region named like a city of another country qualifies as the region
        ("Paris, Ontario", "CA"),
        ("Springfield, Victoria", "AU"),
        ("Mexico City, Mexico", "MX"),
    ],
)
def test_country_names_inside_another_countrys_address(text, country):
    found = resolve(text)
    assert found.status == "resolved" and found.country == country


@pytest.mark.parametrize(
    ("text", "country"),
    [
        # kind "capital-district suffix": the capital's own district, not Washington
        ("Bogotá D.C.", "CO"),
        ("Bogotá, D.C., Colombia", "CO"),
        ("Buenos Aires, CABA", "AR"),
        ("Brasília - DF", "BR"),
        ("Brasília DF", "BR"),
        ("Ciudad de México, CDMX", "MX"),
        ("Washington, D.C.", "US"),  # the suffix beside its own capital
    ],
)
def test_capital_district_suffixes(text, country):
    found = resolve(text)
    assert found.status == "resolved" and found.country == country


def test_capital_district_reason_says_so():
    assert "read as the capital district of Bogotá" in resolve("Bogotá D.C.").reason


def test_the_suffix_is_not_dropped_beside_a_city_that_is_no_capital():
    # Medellín is not Colombia's capital: "DC" is not read as its district
    found = resolve("Medellín, DC")
    assert found.country != "CO" and "capital district" not in found.reason


@pytest.mark.parametrize(
    ("text", "country"),
    [
        # kind "ambiguous famous names": small towns never dilute the big city
        ("Sydney", "AU"),
        ("Toronto", "CA"),
        ("Melbourne", "AU"),
        ("Vancouver", "CA"),
        ("Paris", "FR"),
        ("Berlin", "DE"),
    ],
)
def test_small_namesakes_do_not_make_famous_names_ambiguous(text, country):
    get_towns()  # loaded: the answers must be the same as without the small towns
    found = resolve(text)
    assert found.status == "resolved" and found.country == country
    assert "small town" not in found.reason


def test_small_towns_are_loaded_only_for_parts_the_main_list_lacks():
    import subprocess
    import sys

    script = (
        "from enrich.location.resolver import resolve\n"
        "from enrich.location import towns\n"
        "resolve('Kraków, Poland'); resolve('Paris, TX'); resolve('Germany')\n"
        "print(towns.towns_loaded())\n"
        "resolve('Grindelwald, Switzerland')\n"
        "print(towns.towns_loaded())\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_romanised_district_suffixes_are_read_off():
    # kind "small towns and neighbourhoods": "Haidian District" is geonames' Haidian (Beijing)
    assert resolve("Haidian District").country == "CN"
    found = resolve("Haidian District, Beijing")
    assert found.country == "CN" and "district 'Haidian District' of Beijing" in found.reason


def test_the_compact_town_table_is_cached_between_processes(tmp_path, monkeypatch):
    from enrich.location import towns

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached = towns.cache_path(towns._source())
    assert cached.is_relative_to(tmp_path) and not cached.exists()
    parsed = towns._load()
    assert cached.exists()
    again = towns._load()  # read back from the cache: the same towns
    assert len(again) == len(parsed) and again.named("alpbach") == parsed.named("alpbach")
    cached.write_bytes(b"not a table")  # a broken cache is only slower
    assert towns._load().named("alpbach") == parsed.named("alpbach")


@pytest.mark.parametrize(
    ("text", "country_name"),
    [("Jordan, Minnesota", "Jordan"), ("Norway, Maine", "Norway"), ("Lebanon, PA", "Lebanon")],
)
def test_the_reason_says_the_country_name_is_a_town_here(text, country_name):
    assert f"not the country {country_name}" in resolve(text).reason


@pytest.mark.parametrize(
    ("text", "country"), [("Xuhui District", "CN"), ("Yangpu Qu", "CN"), ("Nanshan District", "CN")]
)
def test_a_district_named_with_its_district_word_decides_alone(text, country):
    # kind "districts of big cities": the district word says it is no word or joke (these are
    # also in the districts table, enrich/location/districts.py, which names their city)
    answer = resolve(text)
    assert (answer.status, answer.country) == ("resolved", country)
    assert "district" in answer.reason and answer.city is not None


def test_a_district_word_of_another_language_reads_no_foreign_town():
    # "-ku" is Japanese: a Haitian town called Koto is not Tokyo's Koto ward
    assert resolve("Koto-ku").country != "HT"
