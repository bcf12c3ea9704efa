"""Countries as a user names them on the command line: a code or a name in, ISO 3166-1 out,
and back to an English name for display."""

from __future__ import annotations

from config.errors import ScoutError
from config.regions import iso_codes
from enrich.location.gazetteer import get_gazetteer
from enrich.textfold import fold


def country_name(iso2: str) -> str:
    """The English short name of a country ("PL" -> "Poland")."""
    return get_gazetteer().name(iso2.upper())


def country_code(typed: str) -> str:
    """A country as a user types it -> its ISO 3166-1 alpha-2 code: a code ("pl", "POL"), an
    English name ("Poland", "Czech Republic") or a local one the gazetteer knows ("Polska",
    "Україна"). Anything else (a city, a region, a typo) is a ScoutError."""
    import pycountry

    text = typed.strip()
    if len(text) == 2 and text.upper() in iso_codes():
        return text.upper()
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        pass
    readings = {
        entry.countries[0]
        for entry in get_gazetteer().entries.get(fold(text), [])
        if entry.kind in ("country", "alias") and len(entry.countries) == 1
    }
    if len(readings) == 1:
        return readings.pop()
    raise ScoutError(
        f"unknown country {typed!r}: give an ISO 3166-1 code (PL) or a country's name in "
        "English or its own language (Poland, Polska)"
    )
