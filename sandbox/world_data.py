"""Curated tables for the sandbox world: locations with their truth, names, technologies, text.

The tables are data, kept in sandbox/data/*.json and typed here. Every table is an ordered list
so that generation is deterministic. Location rows carry the truth an enrichment resolver is
graded against, so a row is `resolvable` only when the string names exactly one country to a
careful human (a city counts when its largest namesake dominates, e.g. "Paris" -> FR); anything
debatable is marked not resolvable (bucket "ambiguous": namesakes, several places, regions,
"Remote"; the country is the person's real one, which the string alone cannot tell).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, NamedTuple


class Loc(NamedTuple):
    """One location string as users type it, with the truth behind it."""

    text: str | None  # None: the field is empty
    country: str | None  # ISO2 of the person's real country; None when it names no place
    resolvable: bool  # names exactly one country unambiguously
    weight: int  # relative frequency inside its bucket
    place: str | None = None  # rows sharing a place key are other spellings of the same place


EASTERN_EUROPE = {
    *("UA", "PL", "RO", "CZ", "SK", "HU", "BG", "RS", "HR", "SI", "BA", "MK", "AL", "ME"),
    *("MD", "BY", "RU", "LT", "LV", "EE"),
}
LATIN_AMERICA = {
    *("BR", "MX", "AR", "CO", "CL", "PE", "EC", "UY", "VE", "BO", "CR", "PY", "DO", "GT"),
    *("CU", "PA", "SV", "HN", "NI"),
}
FOCUS_REGIONS = {"eastern_europe": EASTERN_EUROPE, "india": {"IN"}, "latin_america": LATIN_AMERICA}


def region_of(country: str | None) -> str | None:
    """The focus region of a country (eastern_europe, india, latin_america) or None."""
    for region, members in FOCUS_REGIONS.items():
        if country in members:
            return region
    return None


def _load(name: str) -> Any:
    return json.loads(resources.files("sandbox").joinpath("data", name).read_text("utf-8"))


_LOCATIONS = _load("locations.json")
# (bucket, share of people, rows): the three focus regions get ~60% of people.
LOCATION_BUCKETS: list[tuple[str, float, list[Loc]]] = [
    (b["bucket"], b["share"], [Loc(*row) for row in b["rows"]]) for b in _LOCATIONS["buckets"]
]
ALL_LOCATIONS: list[Loc] = [loc for _, _, rows in LOCATION_BUCKETS for loc in rows]

# Name cultures: given names and family names. "native|latin" where the script is not Latin;
# Latin-script entries keep their diacritics and are folded to ASCII for handles.
_NAMES = _load("names.json")


def _pairs(entries: list[str]) -> list[tuple[str, str]]:
    return [(entry.split("|")[0], entry.split("|")[-1]) for entry in entries]


NAME_CULTURES: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    culture: (_pairs(names["given"]), _pairs(names["family"]))
    for culture, names in _NAMES["cultures"].items()
}
FAMILY_FIRST = {"zh", "ja", "ko", "vi"}  # native order puts the family name first

COUNTRY_CULTURE: dict[str, str] = dict(_NAMES["country_culture"])
for _c in LATIN_AMERICA | {"ES"}:
    COUNTRY_CULTURE.setdefault(_c, "es")

_VOCABULARY = _load("vocabulary.json")
# Technologies: (display name, GitHub topic, usual language).
ML_TECH: list[tuple[str, str, str]] = [(a, b, c) for a, b, c in _VOCABULARY["ml_tech"]]
MLOPS_TECH: list[tuple[str, str, str]] = [(a, b, c) for a, b, c in _VOCABULARY["mlops_tech"]]
ML_TOPICS: list[str] = _VOCABULARY["ml_topics"]
MLOPS_TOPICS: list[str] = _VOCABULARY["mlops_topics"]
ML_THINGS: list[str] = _VOCABULARY["ml_things"]
MLOPS_THINGS: list[str] = _VOCABULARY["mlops_things"]
ML_SO_TAGS: list[str] = _VOCABULARY["ml_so_tags"]
MLOPS_SO_TAGS: list[str] = _VOCABULARY["mlops_so_tags"]
GENERAL_SO_TAGS: list[str] = _VOCABULARY["general_so_tags"]
GENERAL_REPOS: list[str] = _VOCABULARY["general_repos"]
GENERAL_LANGUAGES: list[str] = _VOCABULARY["general_languages"]
GENERAL_TOPICS: list[str] = _VOCABULARY["general_topics"]
# Popular ML repositories people fork to follow a course: (name, language, description, topics).
TUTORIAL_REPOS: list[tuple[str, str, str, list[str]]] = [
    (name, language, description, topics)
    for name, language, description, topics in _VOCABULARY["tutorial_repos"]
]
STAR_FARM_NAMES: list[str] = _VOCABULARY["star_farm_names"]
AUTOMATED_NAMES: list[str] = _VOCABULARY["automated_names"]
COMPANIES: list[str] = _VOCABULARY["companies"]
ORG_WORDS: list[str] = _VOCABULARY["org_words"]
BOT_WORDS: list[str] = _VOCABULARY["bot_words"]
GENERAL_BIOS: list[str] = _VOCABULARY["general_bios"]
ML_BIOS: list[str] = _VOCABULARY["ml_bios"]
MLOPS_BIOS: list[str] = _VOCABULARY["mlops_bios"]
