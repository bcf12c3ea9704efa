"""Picking place names out of one part of a location string (see enrich.location.resolver).

A part is what lies between commas ("Paris" and "TX" in "Paris, TX"). It is read whole when it
is one known name, otherwise scanned for the longest known names, left to right. Every name
becomes a `Mention`: what it could mean, as a support per country.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from enrich.location.gazetteer import City, Entry, Gazetteer, get_gazetteer
from enrich.location.place_names import CITY_SPELLINGS, NO_PLACE, STOP_WORDS
from enrich.textfold import fold

# A word inside a longer phrase is read as a city only if the city is this big: small towns
# are named after too many ordinary words ("Engineer at Opportunity Labs").
MIN_PARTIAL_CITY_POP = 15_000
# A city name that is also a country or state name counts for little as a city ("India" is
# a country before it is Inđija, Serbia) but still lets "Lebanon, PA" be the US.
CITY_UNDER_COUNTRY = 0.01
# A region named like a city only tips the balance ("Guadalajara": city MX, province ES).
SUBDIVISION_BESIDE_CITY = 0.25
# Alternate names count this much when some other city bears the name as its own.
ALT_NAME_FACTOR = 0.02
# Kinds of name that survive when the parts of a place contradict each other.
FIRM = {"country", "alias", "flag", "state", "code", "state_code", "city"}


@dataclass(slots=True)
class Mention:
    text: str  # as written
    kind: str
    support: dict[str, float]
    firm: bool
    entries: list[Entry] = field(default_factory=list)
    cities: list[Hit] = field(default_factory=list)
    reason: str = ""  # set by readers outside the gazetteer (institutions, codes): said as is
    note: str = ""  # how a second-chance reading got here ("typo: 'Germnay' read as 'Germany'")


# ---- cutting the text up -------------------------------------------------------------------

_FLAG = re.compile(r"[\U0001F1E6-\U0001F1FF]{2}")
_SUBFLAG = re.compile(r"\U0001F3F4[\U000E0061-\U000E007A]+\U000E007F")
_WORD = re.compile(r"\S+")
_DIGITS = re.compile(r"^\d{3,6}$")


def _flag_country(flag: str) -> str:
    if flag.startswith("\U0001f3f4"):
        return "GB"  # England, Scotland, Wales: the only subdivision flags in use
    return "".join(chr(ord(ch) - 0x1F1E6 + ord("A")) for ch in flag)


@dataclass(slots=True)
class _Token:
    key: str  # folded word
    upper: bool  # written in capitals, 2-3 letters: may be a code
    orig: str  # the word as written ("" for the 2nd+ key folded out of one word)


def _original(tokens: list[_Token]) -> str:
    return " ".join(t.orig for t in tokens if t.orig).strip(" .,;:!?\"'")


def _tokens(part: str, fold_fn: Callable[[str], str]) -> tuple[list[_Token], list[str]]:
    tokens: list[_Token] = []
    numbers: list[str] = []
    for match in _WORD.finditer(part):
        word = match.group()
        if _DIGITS.match(word):
            numbers.append(word)
            continue
        keys = fold_fn(word).split()
        bare = word.strip(".,;:!?()'\"")
        upper = len(keys) == 1 and 2 <= len(bare) <= 3 and bare.isalpha() and bare.isupper()
        tokens.extend(_Token(k, upper, word if n == 0 else "") for n, k in enumerate(keys))
    return tokens, numbers


# ---- looking names up ----------------------------------------------------------------------


class Hit(NamedTuple):
    """A city a name matched, and the population it counts with."""

    city: City
    score: float


def cities_named(key: str) -> tuple[Hit, ...]:
    """Cities called `key` (folded), biggest first."""
    return _cities(key)


@lru_cache(maxsize=50_000)
def _cities(key: str) -> tuple[Hit, ...]:
    """Cities called `key`, biggest first. Alternate names count 1/50 when some city bears the
    name as its own: geonames alternates are noisy ("Porto" is also listed for Bordeaux,
    "Zaragoza" for Tijuana) while genuine exonyms ("Kiev", "Bombay") have no such rival."""
    found = get_gazetteer().cities.get(key, ())
    seen: dict[tuple[str, str, str], City] = {}
    for city in found:
        ident = (city.country, city.admin1, city.name)
        if ident not in seen or seen[ident].population < city.population:
            seen[ident] = city
    spelled = CITY_SPELLINGS.get(key)

    def own(city: City) -> bool:
        name = city.key
        if spelled is not None and name == fold(spelled):
            return True
        return name == key or (name.startswith("saint ") and "st " + name[6:] == key)

    owners = {ident for ident, city in seen.items() if own(city)}
    factor = ALT_NAME_FACTOR if owners else 1.0
    hits = [Hit(c, c.population * (1.0 if i in owners else factor)) for i, c in seen.items()]
    return tuple(sorted(hits, key=lambda h: -h.score))


def _lookup(
    gaz: Gazetteer, key: str, text: str, *, whole: bool, code_ok: bool, first: bool = False
) -> Mention | None:
    entries = list(gaz.entries.get(key, ()))
    if code_ok and " " not in key and len(key) in (2, 3):
        table = gaz.codes2 if len(key) == 2 else gaz.codes3
        # State abbreviations outside the US only qualify a city: "UK" alone is not Uttarakhand.
        entries += [e for e in table.get(key.upper(), ()) if not (first and e.kind == "sub_code")]
    cities = list(_cities(key))
    if not whole:
        cities = [h for h in cities if h.city.population >= MIN_PARTIAL_CITY_POP]
    if not entries and not cities:
        return None
    support: dict[str, float] = {}
    regional = ("subdivision", "sub_code")
    # A part after the first qualifies the place before it, so a region named like a city of
    # another country is read as the region ("Paris, Ontario" is Canada, not Ontario, CA);
    # where the city lies in that region's country ("Kyiv"), the city stays the reading.
    regions = {i for e in entries if e.kind == "subdivision" for i in e.countries}
    qualifier = whole and not first and bool(regions)
    qualifier = qualifier and not any(h.city.country in regions for h in cities)
    for entry in entries:
        # A region and a city of the same name: the city populations decide, the region only
        # tips the balance ("Guadalajara" is the Mexican city before the Spanish province).
        beside = cities and entry.kind in regional and not qualifier
        weight = SUBDIVISION_BESIDE_CITY if beside else entry.weight
        for iso in entry.countries:
            support[iso] = max(support.get(iso, 0.0), weight)
    kinds = [e.kind for e in entries]
    if cities:
        best: dict[str, float] = {}
        for hit in cities:
            best[hit.city.country] = max(best.get(hit.city.country, 0.0), hit.score)
        total = sum(best.values()) or 1
        under = qualifier or any(k not in regional for k in kinds)
        factor = CITY_UNDER_COUNTRY if under else 1.0
        for iso, pop in best.items():
            support[iso] = max(support.get(iso, 0.0), factor * max(pop, 1) / total)
    order = ["country", "alias", "state", "code", "state_code", "area", "subdivision", "sub_code"]
    kind = min(kinds, key=order.index) if kinds else "city"
    if kind in ("subdivision", "sub_code") and cities and not qualifier:
        kind = "city"
    # A code is firm only as the first part ("PL"); after a city it may be a local state
    # abbreviation we lack ("Monterrey, NL"), so a contradiction drops it.
    firm = whole and kind in FIRM and (first or kind not in ("code", "state_code"))
    return Mention(text, kind, support, firm, entries, cities)


def lookup_whole(gaz: Gazetteer, key: str, text: str) -> Mention | None:
    """`key` read as a whole part of its own (codes not included)."""
    return _lookup(gaz, key, text, whole=True, code_ok=False)


@lru_cache(maxsize=4096)
def postcode_countries(number: str) -> tuple[str, ...]:
    """The countries whose geonames postcode pattern `number` fits."""
    return tuple(iso for iso, rx in get_gazetteer().postal_regex.items() if rx.fullmatch(number))


def _postcode(gaz: Gazetteer, number: str) -> Mention | None:
    fits = postcode_countries(number)
    return Mention(number, "postcode", dict.fromkeys(fits, 1.0), False) if fits else None


# A second reading of a part that names nothing known: (gazetteer, part, folded part, part as
# written, whole) -> mentions (enrich.location.second_chance.second_chance, passed in by the
# resolver). With whole=True it is asked first, before the part is read word by word, and
# answers only a listed name of several words that is the whole part ("Sophia Antipolis").
SecondChance = Callable[[Gazetteer, str, str, str, bool], list[Mention]]


def find_mentions(
    gaz: Gazetteer,
    part: str,
    first_part: bool,
    fold_fn: Callable[[str], str],
    second_chance: SecondChance | None = None,
) -> list[Mention]:
    found: list[Mention] = []
    for match in list(_FLAG.finditer(part)) + list(_SUBFLAG.finditer(part)):
        iso = _flag_country(match.group())
        found.append(Mention(match.group(), "flag", {iso: 1.0}, True))
    if found:
        part = _SUBFLAG.sub(" ", _FLAG.sub(" ", part))
    tokens, numbers = _tokens(part, fold_fn)
    if tokens:
        whole_key = " ".join(t.key for t in tokens)
        if whole_key in NO_PLACE:
            return found
        code_ok = len(tokens) == 1 and (tokens[0].upper or not first_part)
        mention = _lookup(
            gaz, whole_key, _original(tokens), whole=True, code_ok=code_ok, first=first_part
        )
        listed: list[Mention] = []
        if mention is None and second_chance is not None and len(tokens) > 1:
            listed = second_chance(gaz, part, whole_key, _original(tokens), True)
        if mention is not None:
            found.append(mention)
        elif listed:
            found.extend(listed)
        else:
            found.extend(_scan(gaz, tokens))
            if not found and second_chance is not None:
                found.extend(second_chance(gaz, part, whole_key, _original(tokens), False))
    if found:  # a number narrows a place down; alone it names nothing
        found.extend(m for n in numbers if (m := _postcode(gaz, n)) is not None)
    return found


def _scan(gaz: Gazetteer, tokens: list[_Token]) -> list[Mention]:
    """Longest known names first, left to right, inside a part that is not one name."""
    found: list[Mention] = []
    i = 0
    while i < len(tokens):
        step = 1
        for length in range(min(5, len(tokens) - i), 0, -1):
            key = " ".join(t.key for t in tokens[i : i + length])
            if key in NO_PLACE:
                step = length
                break
            upper = length == 1 and tokens[i].upper
            if length == 1 and not upper and (key in STOP_WORDS or len(key) <= 3):
                continue  # "de", "la", "in": short or common words are codes or nothing
            text = _original(tokens[i : i + length])
            mention = _lookup(gaz, key, text, whole=False, code_ok=upper)
            if mention is not None:
                found.append(mention)
                step = length
                break
        i += step
    return found
