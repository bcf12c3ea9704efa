"""enrich/location/districts.py: districts and neighbourhoods of large cities (the kind
"district of a big city"), from the curated table enrich/location/data/districts.csv."""

from __future__ import annotations

import pytest

from enrich.location.districts import load_districts
from enrich.location.resolver import resolve


@pytest.mark.parametrize(
    ("text", "country", "city"),
    [
        ("Koramangala", "IN", "Bengaluru"),
        ("Gachibowli", "IN", "Hyderabad"),
        ("Hinjewadi", "IN", "Pune"),
        ("Shibuya", "JP", "Tokyo"),
        ("Pudong", "CN", "Shanghai"),
        ("Gangnam", "KR", "Seoul"),
        ("Sukhumvit, Bangkok", "TH", "Bangkok"),
        ("Vila Madalena, SP", "BR", "São Paulo"),
    ],
)
def test_a_district_of_a_large_city_resolves_to_its_city(text, country, city):
    answer = resolve(text)
    assert answer.status == "resolved" and answer.country == country
    assert answer.city is not None and answer.city.startswith(city[:4])


def test_the_reason_names_the_district_its_city_and_the_source():
    reason = resolve("Koramangala").reason
    assert reason == "district 'Koramangala' of Bengaluru (source: bbmp.gov.in)"


def test_a_district_of_several_words_is_read_whole_before_its_words():
    # "Sophia" alone would be Sofia (Bulgaria); the technopole is one name
    answer = resolve("Sophia Antipolis")
    assert answer.country == "FR" and "district 'Sophia Antipolis'" in answer.reason
    assert resolve("Electronic City, Bangalore").country == "IN"


def test_a_district_beside_its_city_beats_a_namesake_town_elsewhere():
    # Whitefield is also an English town (in the main tables): beside Bangalore it is the district
    answer = resolve("Whitefield, Bangalore")
    assert answer.country == "IN" and "district 'Whitefield' of Bengaluru" in answer.reason
    # alone, the main tables' reading stands: the table never outweighs a city of that name
    assert resolve("Whitefield").country == "GB"


def test_an_acronym_in_the_table_counts_only_in_capitals():
    assert resolve("BGC").country == "PH"
    assert resolve("bgc").status != "resolved"


def test_a_district_contradicted_by_another_country_abstains():
    answer = resolve("Koramangala, Germany")
    assert answer.country != "IN" or answer.status != "resolved"


def test_every_row_names_a_known_country_a_city_and_a_source():
    rows = load_districts()
    assert len(rows) >= 250
    for row in rows:
        assert len(row.country) == 2 and row.country.isupper(), row
        assert row.city and row.source and "." in row.source, row
        names = [row.name, *row.aliases]
        assert all(n.strip() == n and n for n in names), row
