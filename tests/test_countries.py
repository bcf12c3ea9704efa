"""Countries as users type them: code or name in, ISO code out, English name back."""

import pytest

from config.errors import ScoutError
from enrich.location.countries import country_code, country_name


@pytest.mark.parametrize(
    ("typed", "iso"),
    [
        ("pl", "PL"),
        ("POL", "PL"),
        ("Poland", "PL"),
        ("Polska", "PL"),
        (" Україна ", "UA"),
        ("Czech Republic", "CZ"),
    ],
)
def test_a_code_or_a_name_in_any_language_gives_the_iso_code(typed, iso):
    assert country_code(typed) == iso


def test_a_city_or_a_typo_is_refused_naming_what_was_typed():
    for typed in ("Kyiv", "Polandd"):
        with pytest.raises(ScoutError, match=f"unknown country '{typed}'"):
            country_code(typed)


def test_the_english_short_name_comes_back_for_display():
    assert country_name("pl") == "Poland" and country_name("KR") == "South Korea"
