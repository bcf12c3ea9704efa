"""Regions from regions.toml: defaults, lookups, user files and validation."""

from __future__ import annotations

import pytest

from config.errors import ConfigError, ScoutError
from enrich.regions import load_regions, regions_for_country


def test_default_regions_and_their_countries():
    regions = load_regions()
    assert regions.names() == ["eastern_europe", "india", "latin_america"]
    ee = regions.get("eastern_europe")
    assert ee.label == "Eastern Europe"
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
    ee = regions.get("Eastern Europe")  # by label too
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
    with pytest.raises(ConfigError, match="eastern_europe, india, latin_america") as err:
        load_regions().get("mars")
    assert isinstance(err.value, ScoutError)


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
    assert regions.get("eastern_europe").label == "Eastern Europe"


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
