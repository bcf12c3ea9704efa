"""Coordinates written as a location (enrich.location.coord_text and the reverse geocoder in
enrich.location.coordinates): decimal and degrees-minutes-seconds points resolve to the
country around them, naming the city they are near; anything else is no coordinate."""

from __future__ import annotations

import pytest

from enrich.location.coord_text import parse_coordinates
from enrich.location.resolver import resolve


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("52.52, 13.40", 52.52, 13.40),
        ("-33.87,151.21", -33.87, 151.21),
        ("lat 19.07 lon 72.88", 19.07, 72.88),
        ("48°51'N 2°21'E", 48.85, 2.35),
        ("55° 45′ 21″ N, 37° 37′ 4″ E", 55.7558, 37.6178),
        ("40.7128° N, 74.0060° W", 40.7128, -74.006),
        ("2°21'E 48°51'N", 48.85, 2.35),  # longitude first, the letters say so
        ("(50.06, 19.94)", 50.06, 19.94),
    ],
)
def test_points_are_read_in_both_notations(text, lat, lon):
    point = parse_coordinates(text)
    assert point is not None
    assert point == pytest.approx((lat, lon), abs=1e-3)


@pytest.mark.parametrize(
    "text",
    ["2019 2020", "Pune 411001", "12.5 apples", "91.0, 10.0", "48°51'N 2°21'N", "1.5"],
)
def test_numbers_that_are_not_a_point(text):
    assert parse_coordinates(text) is None


@pytest.mark.parametrize(
    ("text", "country", "near"),
    [
        ("48°51'N 2°21'E", "FR", "Paris"),
        ("55° 45′ 21″ N, 37° 37′ 4″ E", "RU", "Moscow"),
        ("52.52, 13.40", "DE", "Berlin"),  # the largest city near, not the district
        ("-33.87,151.21", "AU", "Sydney"),
        ("lat 19.07 lon 72.88", "IN", "Mumbai"),
    ],
)
def test_a_point_resolves_to_the_country_of_the_city_it_is_near(text, country, near):
    found = resolve(text)
    assert (found.status, found.country) == ("resolved", country)
    assert found.reason.startswith("coordinates ") and f"near {near} ({country})" in found.reason
    assert found.city == near


def test_rural_points_resolve_inland_only_and_borders_or_sea_abstain():
    inland = resolve("-23.0, 134.0")  # central Australia, 80 km from Alice Springs
    assert inland.country == "AU" and inland.confidence < resolve("-33.87,151.21").confidence
    assert resolve("0.0, 0.0").status == "none"  # the Gulf of Guinea
    assert "border" in resolve("50.8, 6.0").reason  # Aachen, beside NL and BE
