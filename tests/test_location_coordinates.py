"""Coordinates -> country by the nearest cities (enrich.location.coordinates)."""

from __future__ import annotations

import pytest

from enrich.location.coordinates import nearest_country


@pytest.mark.parametrize(
    ("lat", "lon", "country"),
    [
        (1.29, 103.85, "SG"),  # Singapore: Johor Bahru is 20 km away, a dozen SG towns nearer
        (46.20, 6.14, "CH"),  # Geneva, a few km from France
        (47.56, 7.59, "CH"),  # Basel, beside France and Germany
        (32.52, -117.03, "MX"),  # Tijuana
    ],
)
def test_a_point_inside_a_city_that_reaches_a_border_is_placed(lat, lon, country):
    # kind "coordinates in a border city": its country's towns surround the point
    found = nearest_country(lat, lon)
    assert (found.status, found.country) == ("resolved", country)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(31.76, -106.49), (42.33, -83.05), (59.38, 28.19), (45.96, 13.65), (-4.30, 15.30)],
)
def test_twin_towns_across_a_border_stay_unplaced(lat, lon):
    # El Paso / Juárez, Detroit / Windsor, Narva / Ivangorod, Gorizia / Nova Gorica,
    # Brazzaville / Kinshasa: the nearest cities alternate between two countries
    found = nearest_country(lat, lon)
    assert found.status == "none" and "border" in found.reason
