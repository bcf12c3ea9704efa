"""Typos and run-together words in country and large-city names (the kinds "typo" and
"run-together words").

Only names a recruiter would recognise at a glance are corrected: the English names of
countries and US states, and cities of 500k+ people (gazetteer.FAMOUS_CITY) or capitals. A
part is corrected only when it matched nothing exactly, has at least 5 letters, is not written
in capitals (an acronym), keeps its first letter, and lies within 1 edit (2 from 9 letters on)
of the name (Damerau-Levenshtein: "Germnay" is one transposition from "Germany"). Equally close
names: a country before a city's own name before its alternate; then the name the typed word
leaves a letter out of ("Nigera": Nigeria, not Niger); still several countries, no reading.
Run-together words are split at camel case or matched against multi-word names with
their spaces taken out ("NewDelhi", "unitedstates").
"""

from __future__ import annotations

import re

from rapidfuzz.distance import DamerauLevenshtein

from enrich.location.gazetteer import Gazetteer
from enrich.location.place_names import STOP_WORDS
from enrich.textfold import fold

MIN_TYPO_LETTERS = 5
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NAMED = ("country", "alias", "state")


def _max_edits(key: str) -> int:
    return 1 if len(key) < 9 else 2


# Which name a typo is read as when two are equally close: a country (or state) before a
# large city's own name before one of its alternate names ("Brazl" is Brazil, not "Braza",
# an alternate of Brazzaville).
_COUNTRY, _OWN, _ALTERNATE = 0, 1, 2
Target = tuple[int, frozenset[str]]  # (tier, countries)
_TARGETS: dict[int, dict[str, Target]] = {}
_JOINED: dict[int, dict[str, str]] = {}
_BUCKETS: dict[int, dict[tuple[str, int], list[str]]] = {}


def _buckets(gaz: Gazetteer) -> dict[tuple[str, int], list[str]]:
    """The correctable names by (first letter, length): a typo keeps its first letter."""
    if id(gaz) not in _BUCKETS:
        _BUCKETS.clear()
        grouped: dict[tuple[str, int], list[str]] = {}
        for name in _targets(gaz):
            grouped.setdefault((name[0], len(name)), []).append(name)
        _BUCKETS[id(gaz)] = grouped
    return _BUCKETS[id(gaz)]


def _targets(gaz: Gazetteer) -> dict[str, Target]:
    """Correctable name -> its tier and the countries it names (built on the first typo)."""
    if id(gaz) not in _TARGETS:
        _TARGETS.clear()
        _TARGETS[id(gaz)] = _build_targets(gaz)
    return _TARGETS[id(gaz)]


def _build_targets(gaz: Gazetteer) -> dict[str, Target]:
    targets: dict[str, Target] = {}
    for key, entries in gaz.entries.items():
        # English names only: a local name is a word elsewhere ("Neverland" is no "Nederland")
        isos = {
            i for e in entries if e.kind in _NAMED and fold(e.label) == key for i in e.countries
        }
        if isos and len(key) >= MIN_TYPO_LETTERS - 1 and key.isascii():
            targets[key] = (_COUNTRY, frozenset(isos))
    for key, cities in gaz.famous_cities.items():
        # own names and alternates ("Bangalore" is Bengaluru's) of large cities and capitals
        if key not in targets and len(key) >= MIN_TYPO_LETTERS - 1:
            tier = _OWN if any(c.key == key for c in cities) else _ALTERNATE
            targets[key] = (tier, frozenset(c.country for c in cities))
    return targets


def typo(gaz: Gazetteer, key: str) -> list[tuple[str, str]]:
    """(key, name as shown) of the country or large city `key` misspells: one when it is
    clearly that one, several when equally close names name different countries, none when
    no such name is close."""
    bare = key.replace(" ", "")
    if len(bare) < MIN_TYPO_LETTERS or not key.isascii() or key in STOP_WORDS:
        return []
    targets = _targets(gaz)
    limit = _max_edits(key)
    buckets = _buckets(gaz)
    near = range(len(key) - limit, len(key) + limit + 1)
    distance = DamerauLevenshtein.distance
    close = [
        (name, d)
        for n in near
        for name in buckets.get((key[0], n), ())
        if (d := distance(key, name, score_cutoff=limit)) <= limit
    ]
    if not close:
        return []
    best = min((score, targets[t][0]) for t, score in close)
    winners: dict[frozenset[str], str] = {}
    for name, score in close:
        if (score, targets[name][0]) == best:
            winners.setdefault(targets[name][1], name)
    # A letter left out is the commonest slip of the keyboard (omission before insertion,
    # substitution and transposition in spelling-error counts since Damerau, 1964): between
    # equally close names of different countries, the one the typed word drops a letter of
    # wins ("Nigera" is Nigeria, not Niger with a letter added).
    dropped = {c: n for c, n in winners.items() if len(n.replace(" ", "")) == len(bare) + 1}
    if len(winners) > 1 and len(dropped) == 1:
        winners = dropped
    return [(name, _shown(gaz, name)) for name in winners.values()]


def is_alternate(gaz: Gazetteer, name: str) -> bool:
    """Whether a correctable name is only an alternate name of a large city."""
    return _targets(gaz).get(name, (_COUNTRY, frozenset()))[0] == _ALTERNATE


def _shown(gaz: Gazetteer, key: str) -> str:
    entry = next((e for e in gaz.entries.get(key, ()) if e.kind in _NAMED), None)
    if entry is not None:
        return entry.label if fold(entry.label) == key else key.title()
    owners = [c for c in gaz.cities.get(key, ()) if c.key == key]
    return max(owners, key=lambda c: c.population).name if owners else key.title()


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
    # own city names only: alternates split oddly ("Westeros" is no "wes te ros", Västerås)
    for bare, key in gaz.joined_names.items():
        joined.setdefault(bare, key)
    return joined


def run_together(gaz: Gazetteer, text: str, key: str) -> str | None:
    """The known name `text` runs together ("NewDelhi" -> "new delhi"), else None."""
    split = fold(_CAMEL.sub(" ", text))
    if split != key and (split in gaz.entries or split in gaz.cities):
        return split
    if " " in key:
        return None
    return _joined(gaz).get(key)
