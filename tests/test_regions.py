"""Regions from regions.toml: defaults, lookups, user files and validation."""

from __future__ import annotations

import pytest

from config.errors import ConfigError, ScoutError
from config.regions import load_regions_file, region_key, resolve_region
from enrich.location.regions import load_regions, regions_for_country


def test_default_regions_and_their_countries():
    regions = load_regions()
    assert regions.names() == ["eastern_europe", "india", "latin_america"]
    ee = regions.get("eastern_europe")
    assert ee.display == "Eastern Europe"
    assert {"PL", "UA", "BY", "RO", "EE", "LV", "LT", "RS"} <= ee.countries
    assert not {"GE", "AM", "AZ", "DE", "TR", "GR"} & ee.countries
    assert regions.get("india").countries == {"IN"}
    assert {"MX", "BR", "AR", "CO", "CL", "PE"} <= regions.get("latin_america").countries
    assert "US" not in regions.get("latin_america").countries


def test_search_presets():
    regions = load_regions()
    india = regions.get("india")
    for term in ("India", "Bangalore", "Bengaluru", "Mumbai", "Pune", "Hyderabad", "Chennai"):
        assert term in india.include
    assert {"Indiana", "Indianapolis"} <= set(india.exclude)
    ee = regions.get("Eastern Europe")  # by display name too
    assert {"Poland", "Polska", "Україна", "Kyiv", "Warsaw"} <= set(ee.include)
    assert regions.get("latin_america").include
    assert all(term.strip() == term and term for r in regions for term in r.include)


def test_regions_for_country():
    regions = load_regions()
    assert regions.regions_for_country("PL") == ["eastern_europe"]
    assert regions.regions_for_country("in") == ["india"]
    assert regions.regions_for_country("BR") == ["latin_america"]
    assert regions.regions_for_country("US") == []
    assert regions.regions_for_country(None) == []
    assert regions_for_country("UA") == ["eastern_europe"]
    assert "PL" in regions.get("eastern_europe")


def test_unknown_region_lists_the_valid_ones():
    listed = "Eastern Europe (eastern_europe), India, Latin America (latin_america)"
    with pytest.raises(ScoutError) as err:
        load_regions().get("mars")
    assert err.value.message == f"unknown region 'mars'; known regions: {listed}"
    with pytest.raises(ScoutError, match="known regions: Eastern Europe"):
        resolve_region("eastern europa")


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("eastern-europe", "eastern_europe"),
        ("eastern_europe", "eastern_europe"),
        ("Eastern Europe", "eastern_europe"),
        ("EASTERN_EUROPE", "eastern_europe"),
        ("  eastern   europe ", "eastern_europe"),
        ("India", "india"),
        ("latin-america", "latin_america"),
        ("Latin América", "latin_america"),
    ],
)
def test_one_function_turns_what_a_user_types_into_the_key(typed, key):
    assert resolve_region(typed) == key
    assert region_key(typed, load_regions_file().display_names()) == key
    assert load_regions().key(typed) == key


def test_display_names_and_what_is_stored_shown_by_them(tmp_path):
    assert load_regions_file().display_names() == {
        "eastern_europe": "Eastern Europe",
        "india": "India",
        "latin_america": "Latin America",
    }
    regions = load_regions()
    assert regions.display("eastern_europe") == "Eastern Europe"
    assert regions.display("eastern-europe") == "Eastern Europe"  # older rows
    assert regions.display("atlantis") == "atlantis"  # gone from the file: as stored
    path = tmp_path / "mine.toml"
    path.write_text(
        '[regions.central_asia]\ncountries = ["KZ", "UZ"]\n'
        '[regions.dach]\nlabel = "DACH"\ncountries = ["DE"]\n',  # `label`: the older key
        encoding="utf-8",
    )
    assert load_regions_file(path).display_names() == {
        "central_asia": "Central Asia",
        "dach": "DACH",
    }
    assert resolve_region("Central-Asia", path) == "central_asia"
    with pytest.raises(ScoutError, match=r"known regions: Central Asia \(central_asia\), DACH$"):
        resolve_region("eastern-europe", path)


def test_two_regions_that_read_alike_are_refused(tmp_path):
    path = tmp_path / "twins.toml"
    path.write_text(
        '[regions.north]\ndisplay = "Far North"\ncountries = ["NO"]\n'
        '[regions.far_north]\ncountries = ["FI"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="regions 'north' and 'far_north' both read as"):
        load_regions(path)


def test_user_file_adds_regions(tmp_path):
    path = tmp_path / "my_regions.toml"
    path.write_text(
        '[regions.dach]\nlabel = "DACH"\ncountries = ["de", "AT", "CH"]\n'
        'include = ["Germany", "Berlin"]\nexclude = ["Berlin, NH"]\n'
        '[regions.eastern_europe]\ncountries = ["PL", "UA", "GE"]\n',
        encoding="utf-8",
    )
    regions = load_regions(path)
    assert regions.names() == ["dach", "eastern_europe"]
    assert regions.get("DACH").countries == {"DE", "AT", "CH"}
    assert regions.regions_for_country("DE") == ["dach"]
    assert regions.regions_for_country("GE") == ["eastern_europe"]
    assert regions.get("eastern_europe").display == "Eastern Europe"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[regions.x]\ncountries = ["PL", "QQ"]\n', "regions.x.countries: .*'QQ'"),
        ('[regions.x]\ncountries = ["Poland"]\n', "regions.x.countries: .*'Poland'"),
        ("[regions.x]\ncountries = []\n", "regions.x.countries"),
        ('[regions.x]\ncountries = ["PL"]\ninclude = [" "]\n', "regions.x.include"),
        ('[regions.x]\ncountries = ["PL"]\nbogus = 1\n', "regions.x.bogus"),
        ("[regions]\n", "regions"),
        ("regions = [", "not valid TOML"),
    ],
)
def test_invalid_files_name_file_and_key(tmp_path, body, message):
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        load_regions(path)
    assert str(path) in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_regions(tmp_path / "nope.toml")
