"""Two places in one string (enrich.location.moves, the kind "multi"): cues that say where
the person is now, and "&" / "and" between places."""

from __future__ import annotations

import pytest

from enrich.location.moves import present, split_and
from enrich.location.resolver import resolve


@pytest.mark.parametrize(
    ("text", "country", "cue"),
    [
        ("Lviv, now in Krakow", "PL", "now in"),
        ("Porto, now Amsterdam", "NL", "now"),
        ("Grew up in Minsk, currently living in Vilnius", "LT", "currently living in"),
        ("Sao Paulo, presently based in Dublin", "IE", "presently based in"),
        ("Relocated from Minsk to Vilnius", "LT", "Relocated from Minsk to"),
        ("Lives in Prague, originally from Odesa", "CZ", "Lives in"),
        ("Currently in Lisbon, ex-Moscow", "PT", "Currently in"),
    ],
)
def test_a_now_cue_picks_the_present_place(text, country, cue):
    answer = resolve(text)
    assert (answer.status, answer.country) == ("resolved", country)
    assert answer.reason.startswith(f"'{cue}' says where they are now: ")


@pytest.mark.parametrize(
    ("text", "country", "left"),
    [
        ("Berlin (originally from Kharkiv)", "DE", "originally from Kharkiv"),
        ("Warsaw, Poland (born in Minsk, Belarus)", "PL", "born in Minsk, Belarus"),
        ("Madrid; formerly Buenos Aires", "ES", "formerly Buenos Aires"),
    ],
)
def test_a_past_cue_sets_its_place_aside(text, country, left):
    answer = resolve(text)
    assert (answer.status, answer.country) == ("resolved", country)
    assert f"'{left}' is where they were" in answer.reason


@pytest.mark.parametrize("text", ["Kyiv -> Warsaw", "Minsk / Vilnius"])
def test_a_bare_arrow_or_slash_between_countries_stays_ambiguous(text):
    assert present(text) is None
    assert resolve(text).status == "ambiguous"


@pytest.mark.parametrize(
    ("text", "country"), [("Greetings from Berlin", "DE"), ("Born in Kharkiv", "UA")]
)
def test_a_bare_from_or_a_past_with_no_other_place_is_read_as_written(text, country):
    answer = resolve(text)
    assert (answer.status, answer.country) == ("resolved", country)
    assert "where they" not in answer.reason


def test_a_cue_naming_nothing_known_falls_back_to_the_whole_string():
    answer = resolve("Kraków, now in the cloud")
    assert (answer.status, answer.country) == ("resolved", "PL")


@pytest.mark.parametrize(
    ("text", "status", "country"),
    [
        ("Lisbon, Portugal and Austin, TX", "ambiguous", None),
        ("Lviv & Krakow", "ambiguous", None),
        ("Pune and Mumbai", "resolved", "IN"),
        ("Bosnia & Herzegovina", "resolved", "BA"),
        ("Antigua & Barbuda", "resolved", "AG"),  # a spanned "&" is read as the name's "and"
        ("Trinidad and Tobago", "resolved", "TT"),
        ("Newfoundland and Labrador", "resolved", "CA"),
    ],
)
def test_and_between_places_splits_them_unless_a_name_spans_it(text, status, country):
    answer = resolve(text)
    assert (answer.status, answer.country) == (status, country)


def test_split_and_keeps_spanned_names_whole():
    known = {"trinidad and tobago"}.__contains__
    assert split_and("Trinidad & Tobago", known) == ["Trinidad and Tobago"]
    assert split_and("Lima & Quito", known) == ["Lima", "Quito"]
