"""Institutions written instead of a place (enrich.location.institutions): the shipped table
is valid, a full name or alias resolves to the institution's country with a reason naming it
and its source, a namesake town elsewhere never wins, and a contradiction abstains."""

from __future__ import annotations

import re

import pycountry
import pytest

from enrich.location.institutions import KINDS, load_institutions
from enrich.location.resolver import resolve
from enrich.textfold import fold

_DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


def test_table_is_valid():
    rows = load_institutions()
    assert len(rows) >= 250
    iso = {c.alpha_2 for c in pycountry.countries}
    owner: dict[str, str] = {}
    for row in rows:
        assert row.country in iso, row.name
        assert row.kind in KINDS, row.name
        assert _DOMAIN.match(row.source), f"{row.name}: source must be the official domain"
        assert row.city, row.name
        for name in (row.name, *row.aliases):
            key = fold(name)
            assert owner.setdefault(key, row.country) == row.country, f"{name} in two countries"


def test_the_table_covers_our_regions():
    countries = {row.country for row in load_institutions()}
    assert {"IN", "UA", "PL", "CZ", "RO", "HU", "BG", "RS", "BY", "RU"} <= countries
    assert {"MX", "BR", "AR", "CL", "CO", "US", "GB", "CH", "DE", "CN", "JP", "KR"} <= countries


@pytest.mark.parametrize(
    ("text", "country", "named"),
    [
        ("IIT Madras", "IN", "Indian Institute of Technology Madras"),  # alias of a university
        ("MIT CSAIL", "US", "Massachusetts Institute of Technology"),  # a lab inside one
        ("Tsinghua University", "CN", "Tsinghua University"),
        ("University of California, Berkeley", "US", "University of California Berkeley"),
        ("Microsoft Research India", "IN", "Microsoft Research India"),  # a company's lab
        ("KAIST", "KR", "Korea Advanced Institute of Science and Technology"),
        ("PhD student @ ETH Zürich", "CH", "ETH Zurich"),
        ("UNAM, Mexico", "MX", "Universidad Nacional Autonoma de Mexico"),
        ("Jagiellonian University, Kraków", "PL", "Jagiellonian University"),
        ("Kyiv Polytechnic Institute", "UA", "Igor Sikorsky Kyiv Polytechnic Institute"),
    ],
)
def test_an_institution_resolves_to_its_country_with_its_source(text, country, named):
    found = resolve(text)
    assert (found.status, found.country) == ("resolved", country), found.reason
    assert f"institution '{named}'" in found.reason
    assert "source: " in found.reason


def test_an_institution_named_after_a_town_is_not_that_town_elsewhere():
    # "Stanford" alone is a town in England in geonames; the university's full name wins.
    assert resolve("Stanford University").country == "US"
    # "Madras" is Chennai, but the reason is the institute, and the city is kept
    found = resolve("IIT Madras")
    assert found.city == "Chennai"


@pytest.mark.parametrize(
    "text",
    [
        "Stanford University, Germany",  # another part names another country: abstain
        "IIT Bombay | Berlin",
    ],
)
def test_an_institution_contradicted_abstains_with_both_candidates(text):
    found = resolve(text)
    assert found.status == "ambiguous", found.reason
    assert len(found.candidates) == 2


@pytest.mark.parametrize(
    "text", ["@ Google", "Microsoft", "amazon", "mit Familie", "Google AI", "Meta AI Research"]
)
def test_a_company_alone_or_a_lower_case_word_names_no_institution(text):
    found = resolve(text)
    assert found.status == "none", found.reason
    assert "institution" not in found.reason


def test_a_company_with_a_city_resolves_by_the_city():
    assert resolve("Google, Zürich").country == "CH"
    assert resolve("Amazon, Seattle").country == "US"


@pytest.mark.parametrize(
    ("text", "country"),
    [("NVIDIA Santa Clara", "US"), ("Intel, Santa Clara", "US"), ("Samsung Suwon", "KR")],
)
def test_a_company_beside_its_headquarters_city_reads_that_city(text, country):
    # kind "a company's site": Santa Clara alone is Cuba's or California's; Intel's is the latter
    answer = resolve(text)
    assert (answer.status, answer.country) == ("resolved", country)
    assert "headquarters' city" in answer.reason


@pytest.mark.parametrize(
    ("text", "status", "country"),
    [("@ Nvidia", "none", None), ("Nvidia Santa Clara, Cuba", "resolved", "CU")],
)
def test_a_company_alone_or_contradicted_names_no_headquarters(text, status, country):
    answer = resolve(text)
    assert (answer.status, answer.country) == (status, country)
