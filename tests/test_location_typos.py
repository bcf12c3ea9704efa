"""Typos and run-together words in country and large-city names (enrich.location.typos):
corrected only when one famous name is clearly meant, and the reason says what was read."""

from __future__ import annotations

import pytest

from enrich.location.gazetteer import get_gazetteer
from enrich.location.resolver import resolve
from enrich.location.typos import typo


@pytest.fixture(scope="module", autouse=True)
def gazetteer():
    return get_gazetteer()


@pytest.mark.parametrize(
    ("text", "country", "read_as"),
    [
        # kind "typo": a transposition, a dropped or doubled letter in a country's name
        ("Germnay", "DE", "Germany"),
        ("Frnace", "FR", "France"),
        ("Brazl", "BR", "Brazil"),
        ("Untied Kingdom", "GB", "United Kingdom"),
        ("Poalnd", "PL", "Poland"),
        # ... or a large city's name, including its common alternate ("Bangalore")
        ("Bangalroe", "IN", "Bangalore"),
        ("Shangahi", "CN", "Shanghai"),
        ("Canda", "CA", "Canada"),  # a village in Italy is called Canda: the country wins
    ],
)
def test_typos_of_famous_names_are_read_and_explained(text, country, read_as):
    found = resolve(text)
    assert found.status == "resolved" and found.country == country
    assert f"typo: '{text}' read as '{read_as}'" in found.reason
    assert found.confidence < 0.99  # a corrected name is never as sure as a correct one


@pytest.mark.parametrize(
    ("text", "country", "read_as"),
    [
        # kind "run-together words": camel case or no spaces at all
        ("NewDelhi", "IN", "new delhi"),
        ("SanFrancisco", "US", "san francisco"),
        ("unitedstates", "US", "united states"),
        ("SaoPaulo, Brazil", "BR", "sao paulo"),
        ("KualaLumpur", "MY", "kuala lumpur"),
        ("TelAviv", "IL", "tel aviv"),
    ],
)
def test_run_together_words_are_split(text, country, read_as):
    found = resolve(text)
    assert found.status == "resolved" and found.country == country
    assert f"read as '{read_as}'" in found.reason


@pytest.mark.parametrize(
    "text",
    [
        "Slovania",  # one substitution from Slovenia and from Slovakia: no reading
        "Itly",  # too short to correct (fewer than 5 letters)
        "Xermany",  # a typo keeps the first letter
        "Zqwertyx",  # close to nothing
        "Gremnayy",  # three edits from Germany: too far for 8 letters
        "Neverland",  # one letter from "Nederland", but only English names are corrected
        "Westeros",  # not "wes te ros", an alternate name of Västerås split oddly
    ],
)
def test_unclear_or_far_typos_abstain(text):
    found = resolve(text)
    assert "typo" not in found.reason
    assert found.status != "resolved"


def test_typo_only_for_parts_that_match_nothing_exactly():
    # "Londn" is an alternate name geonames lists for London: an exact name, not a typo
    assert "typo" not in resolve("Londn").reason
    # a real city one edit from a country name stays itself
    assert resolve("Omaha").country == "US" and "typo" not in resolve("Omaha").reason
    # a part where a known name is found is not corrected as a whole
    found = resolve("Untied States")
    assert found.country == "US" and "typo" not in found.reason


def test_a_typo_that_contradicts_another_part_gives_way():
    # "Berln" would be Berlin, Germany; the country named beside it decides instead
    found = resolve("Berlni, France")
    assert found.country == "FR"
    assert "typo" not in found.reason


def test_two_equally_close_names_of_different_countries_are_no_correction():
    hits = typo(get_gazetteer(), "slovania")
    assert {name for name, _shown in hits} == {"slovenia", "slovakia"}


@pytest.mark.parametrize(
    ("text", "country"),
    [("Medellin, Columbia", "CO"), ("Cali, Columbia", "CO"), ("Lagos, Nigerai", "NG")],
)
def test_a_misspelt_country_that_is_also_a_town_follows_the_city_before_it(text, country):
    # kind "typo": Columbia, South Carolina is no reason to read Medellín as a small namesake
    answer = resolve(text)
    assert (answer.status, answer.country) == ("resolved", country)
    assert "typo: '" in answer.reason


@pytest.mark.parametrize(("text", "country"), [("Columbia, Missouri", "US"), ("Columbia", "US")])
def test_a_real_town_named_like_a_misspelt_country_stays_that_town(text, country):
    assert resolve(text).country == country


@pytest.mark.parametrize(("text", "country"), [("Nigera", "NG"), ("Slovnia", "SI")])
def test_between_equally_close_countries_a_left_out_letter_wins(text, country):
    # kind "typo": "Nigera" is one edit from Niger (a letter added) and from Nigeria (a letter
    # left out); omission is the commonest slip, so Nigeria
    found = resolve(text)
    assert found.status == "resolved" and found.country == country
    assert "typo" in found.reason
