"""Codes in location strings (enrich.location.codes): postcodes whose format pins one country,
IATA airport codes, and state/province abbreviations after a town."""

from __future__ import annotations

import pytest

from enrich.location.resolver import resolve


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("London SW1A 1AA", "GB"),
        ("SW1A 1AA", "GB"),  # a pinning format names its country alone
        ("Toronto, ON M5V 2T6", "CA"),
        ("Amsterdam 1012 AB", "NL"),  # "AB" is part of the postcode, not Alberta
        ("Warszawa 00-950", "PL"),
        ("São Paulo 01310-100", "BR"),
        ("Shibuya 150-0002", "JP"),
        ("〒150-0002 Tokyo", "JP"),
        ("Austin TX 78701-1234", "US"),
    ],
)
def test_a_postcode_of_a_unique_format_pins_its_country(text, country):
    found = resolve(text)
    assert (found.status, found.country) == ("resolved", country), found.reason
    assert "postcode '" in found.reason


@pytest.mark.parametrize(
    ("text", "country"),
    [("Pune 411001", "IN"), ("75011 Paris", "FR"), ("Austin, TX 78701", "US")],
)
def test_a_plain_number_only_narrows_a_named_place(text, country):
    found = resolve(text)
    assert found.country == country
    assert "fits" in found.reason


def test_a_pinning_postcode_contradicted_by_a_city_is_dropped_not_believed():
    # a Polish-looking number beside Berlin: the city decides, the number is ignored
    assert resolve("Berlin 10-115").country == "DE"
    # a number alone whose format is shared by many countries decides none of them
    assert resolve("411001").status == "ambiguous"


@pytest.mark.parametrize(
    ("text", "country", "city"),
    [
        ("SFO", "US", "San Francisco"),
        ("JFK", "US", "New York City"),
        ("KBP", "UA", "Kyiv"),
        ("WAW", "PL", "Warsaw"),  # a code before a town's geonames alternate name (Wau)
        ("YUL", "CA", "Montréal"),  # the airport's town is a suburb: the city it serves is named
        ("BLR airport", "IN", "Bengaluru"),  # "airport" makes an ISO3 code an airport
        ("LHR, UK", "GB", "London"),
    ],
)
def test_an_airport_code_resolves_to_the_city_it_serves(text, country, city):
    found = resolve(text)
    assert (found.status, found.country) == ("resolved", country), found.reason
    assert "airport code" in found.reason and city in found.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IND", "IN"),  # India's alpha-3 code outweighs Indianapolis's airport
        ("AUS", "AU"),
        ("CEO", ""),  # acronyms people write are not airports (CEO is in Angola)
        ("PHD", ""),
        ("AMD", ""),  # a company, not Ahmedabad's airport
        ("SNU", ""),  # an acronym of our institutions table, not Santa Clara (Cuba)
        ("sfo", ""),  # only three capitals alone are a code
        ("Flying from SFO to Berlin", "DE"),  # inside a sentence it is no location
    ],
)
def test_words_and_country_codes_are_not_airports(text, expected):
    found = resolve(text)
    assert found.csv_country == expected, found.reason
    assert "airport" not in found.reason


def test_a_code_of_a_country_and_of_a_big_city_airport_is_ambiguous_alone():
    found = resolve("BLR")  # Belarus (9.5M people) or Bengaluru's airport (8.4M)
    assert found.status == "ambiguous"
    assert {iso for iso, _ in found.candidates} == {"BY", "IN"}
    assert resolve("BLR, Karnataka").country == "IN"
    assert resolve("BLR, Belarus").country == "BY"
    assert resolve("MCO").country == "US"  # Orlando outweighs Monaco


@pytest.mark.parametrize(
    ("text", "country", "admin1"),
    [
        ("Peru, IN", "US", "IN"),  # Peru, Indiana; not Peru or India
        ("Lebanon, NH", "US", "NH"),
        ("Athens, GA", "US", "GA"),  # not Greece, not Gabon
        ("Kingston, ON", "CA", None),
        ("Noida, UP", "IN", None),
        ("Ballarat, VIC", "AU", None),
    ],
)
def test_a_state_abbreviation_after_a_town_reads_the_town_there(text, country, admin1):
    found = resolve(text)
    assert (found.status, found.country) == ("resolved", country), found.reason
    if admin1:
        assert found.admin1 == admin1


@pytest.mark.parametrize(
    ("text", "anchor"),
    [
        ("Windsor, QC", "Montreal"),  # the Quebec Windsor, not Ontario's larger one
        ("Windsor, ON", "Toronto"),
        ("Aurangabad, BR", "Patna"),  # Bihar's Aurangabad, not Maharashtra's larger one
        ("Aurangabad, MH", "Mumbai"),
        ("Penrith, NSW", "Sydney"),
    ],
)
def test_the_town_is_the_one_inside_the_named_province_or_state(text, anchor):
    found, there = resolve(text), resolve(anchor)
    assert found.country == there.country
    assert found.admin1 is not None and found.admin1 == there.admin1


def test_a_town_missing_from_the_named_province_is_never_placed_in_another():
    # Nova Scotia's Windsor is below the 5,000-people list (a larger gazetteer may hold it):
    # Ontario's Windsor must not be given as the city either way.
    found = resolve("Windsor, NS")
    assert found.country == "CA"
    if found.city is None:
        assert "below our" in found.reason
    else:
        assert found.admin1 == resolve("Halifax").admin1


@pytest.mark.parametrize("text", ["560034", "94105", "10115"])
def test_a_bare_postcode_of_several_countries_formats_is_ambiguous(text):
    # kind "a postcode alone": it narrows the world to the countries whose format it fits
    answer = resolve(text)
    assert answer.status == "ambiguous" and len(answer.candidates) > 1
    assert answer.reason.startswith(f"postcode '{text}' alone fits")


@pytest.mark.parametrize("text", ["2024", "42", "123456789"])
def test_years_and_other_numbers_are_no_postcode(text):
    assert resolve(text).status == "none"
