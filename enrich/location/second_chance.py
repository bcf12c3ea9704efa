"""Second readings of a part that names nothing known (see enrich.location.resolver, step 3).

Tried in this order, each only when the exact lookups of enrich.location.mentions found
nothing in the part, so none of them can outweigh an exact name:

1. *Native scripts without spaces* ("上海市浦东新区", "東京都渋谷区", "中国北京"): the longest
   known names are cut out of the text, each with the administrative suffix that follows it
   (the kind "CJK admin suffix", enrich.location.scripts).
2. *Run-together words* ("NewDelhi", "unitedstates", enrich.location.typos).
3. *Districts* of large cities by their exact names ("Koramangala", "Pudong", the kind
   "district of a big city", enrich.location.districts).
4. *Typos* of country names and large cities ("Germnay", "Bangalroe", enrich.location.typos).
5. *Small towns* of 1,000-4,999 people (the kind "small town", enrich.location.towns).

And two rules the resolver applies to the mentions of one place:

- `towns_beside`: parts that contradict each other ("Mexico, NY" with no 5,000-people Mexico
  in New York) are read again with the small towns of the countries the other parts allow.
- `capital_suffix`: a capital-district suffix ("D.C.", "DF", "CDMX") beside another country's
  capital ("Bogotá D.C.") is that capital's district, not Washington.
"""

from __future__ import annotations

from dataclasses import replace

from enrich.location.districts import district_mention
from enrich.location.gazetteer import City, Gazetteer, get_gazetteer
from enrich.location.mentions import Hit, Mention, lookup_whole
from enrich.location.place_names import CAPITAL_DISTRICT_SUFFIXES, STOP_WORDS
from enrich.location.scripts import has_unspaced_script, segment
from enrich.location.towns import get_towns
from enrich.location.typos import is_alternate, run_together, typo
from enrich.textfold import fold

# District words written after a district's romanised name ("Shibuya-ku", "Gangnam-gu",
# "Haidian District"): the name is read without them, as a district (the kind "district of a
# big city"), and only in the countries whose language the word is (None: any country).
LATIN_ADMIN_SUFFIXES: dict[str, frozenset[str] | None] = {
    "district": None,
    "ward": None,
    "ku": frozenset({"JP"}),
    "shi": frozenset({"JP"}),
    "gu": frozenset({"KR"}),
    "si": frozenset({"KR"}),
    "qu": frozenset({"CN"}),
    "new area": frozenset({"CN"}),
}
MIN_TOWN_KEY = 4  # "Ada", "Bar": three letters name too many things to be read as a town


def second_chance(
    gaz: Gazetteer, part: str, key: str, text: str, whole: bool = False
) -> list[Mention]:
    if whole:  # a listed district of several words, before its words are read one by one
        listed = district_mention(key, text)
        return [listed] if listed is not None else []
    if has_unspaced_script(part):
        return [
            m for seg, seg_key, note in segment(gaz, part) if (m := _note(gaz, seg_key, seg, note))
        ]
    joined = run_together(gaz, text, key)
    if joined is not None:
        found = _note(gaz, joined, text, f"run-together words '{text}' read as '{joined}'")
        if found is not None:
            return [found]
    # a district of a large city by its exact name, before any fuzzy reading ("Koramangala")
    listed = district_mention(key, text)
    if listed is not None:
        return [listed]
    # a word in capitals is an acronym ("INRIA"), not a misspelt name
    fixed = [] if text.isupper() else typo(gaz, key)
    if len(fixed) > 1:
        return []  # as close to two famous names ("Brasil"-like ties): no reading
    if fixed and is_alternate(gaz, fixed[0][0]) and (town := town_mention(key, text)):
        return [town]  # a town's own name before a typo of some city's alternate name
    if fixed:
        found = _note(gaz, fixed[0][0], text, f"typo: '{text}' read as '{fixed[0][1]}'")
        if found is not None:
            found.kind = "typo"  # weaker than an exact name (resolver._CAP)
            found.firm = False  # a typo that contradicts another part gives way
            return [found]
    district = _district(gaz, key, text)
    if district is not None:
        return [district]
    town = town_mention(key, text)
    return [town] if town is not None else []


def _district(gaz: Gazetteer, key: str, text: str) -> Mention | None:
    """A name before a district word ("Haidian District", "Xuhui Qu") read as a place of the
    countries the word belongs to. A small town found so is a "district": unlike a bare town
    it may decide alone (the suffix says it is an administrative district, not a word or a
    joke), and a town of another country ("Koto-ku" is no Haitian Koto) is no reading."""
    words = key.split()
    suffix = words[-1] if len(words) > 1 else ""
    if suffix not in LATIN_ADMIN_SUFFIXES:
        return None
    key, countries = " ".join(words[:-1]), LATIN_ADMIN_SUFFIXES[suffix]
    note = f"admin suffix: '{text}' read as '{key}'"
    found = _note(gaz, key, text, note)
    if found is None and (listed := district_mention(key, text)) is not None:
        if countries and not countries & set(listed.support):
            return None
        listed.note = note
        return listed
    if found is None:
        found = town_mention(key, text, set(countries) if countries else None)
        if found is None or len(found.support) > 1:
            return None
        found.kind = "district"
    elif countries and not countries & set(found.support):
        return None
    found.note = note
    return found


def _note(gaz: Gazetteer, key: str, text: str, note: str) -> Mention | None:
    found = lookup_whole(gaz, key, text)
    if found is not None:
        found.note = note
    return found


def town_mention(key: str, text: str, countries: set[str] | None = None) -> Mention | None:
    """The small towns called `key` (in `countries` when given) as one soft mention: each
    country's support is its share of the namesakes' population."""
    if len(key) < MIN_TOWN_KEY or key in STOP_WORDS:
        return None
    towns = [t for t in get_towns().named(key) if countries is None or t.country in countries]
    if not towns:
        return None
    best: dict[str, int] = {}
    for town in towns:
        best[town.country] = max(best.get(town.country, 0), town.population)
    total = sum(best.values()) or 1
    support = {iso: max(pop, 1) / total for iso, pop in best.items()}
    return Mention(text, "town", support, False, [], [Hit(t, float(t.population)) for t in towns])


# A town may hide behind a city, a typo or a country name ("Norway, Maine", "Cuba, MO") ...
_READ_AGAIN = ("city", "typo", "town", "country", "alias")
# ... when the other parts name a country or a state.
_PINS = ("country", "alias", "flag", "state", "code", "state_code", "subdivision", "sub_code")


def town_in(text: str, iso: str, states: set[tuple[str, str]]) -> City | None:
    """The biggest small town called `text` in country `iso` (in one of the `states` named
    beside it, as (ISO2, geonames admin1) pairs, when any is of that country)."""
    town = town_mention(fold(text), text, {iso})
    admin1 = {a for c, a in states if c == iso}
    found = [h.city for h in (town.cities if town else ()) if not admin1 or h.city.admin1 in admin1]
    return found[0] if found else None


def towns_beside(mentions: list[Mention]) -> list[Mention] | None:
    """Parts that contradict each other, read again with the small towns of the countries the
    other parts allow ("Mexico, NY": Mexico, New York, 1.6k people). None when no town fits."""
    for i, mention in enumerate(mentions):
        if mention.kind not in _READ_AGAIN:
            continue
        # only what pins a country or state counts: "Paris & London" is no town of London
        pins = [m for m in mentions[:i] + mentions[i + 1 :] if m.kind in _PINS]
        if not pins or len(pins) < len(mentions) - 1:
            continue
        allowed = set.intersection(*(set(m.support) for m in pins))
        if not allowed:
            continue
        town = town_mention(fold(mention.text), mention.text, allowed)
        if town is not None:
            town.entries = [e for e in mention.entries if e.kind == "country"]  # for the reason
            return [*mentions[:i], town, *mentions[i + 1 :]]
    return None


def country_typo_beside(mentions: list[Mention], dominance: float) -> list[Mention]:
    """A misspelt country that is also a town's name, after a place of that country (the kind
    "typo": "Bogota, Columbia", "Lagos, Nigerai"): read as the country when the parts before it
    are `dominance`x likelier that country than any other and the town reading contradicts
    them. Unchanged otherwise (a real "Columbia, Missouri" has no such dominant country)."""
    last = mentions[-1] if len(mentions) > 1 else None
    if last is None or last.kind != "city" or last.text.isupper():
        return mentions
    gaz = get_gazetteer()
    fixed = typo(gaz, fold(last.text))
    country = lookup_whole(gaz, fixed[0][0], last.text) if len(fixed) == 1 else None
    if country is None or not all(e.kind in ("country", "alias") for e in country.entries):
        return mentions
    scores = dict(mentions[0].support)
    for m in mentions[1:-1]:
        scores = {c: v * m.support[c] for c, v in scores.items() if c in m.support}
    ranked = [*sorted(scores.values(), reverse=True), 0.0]
    iso = next(iter(country.support))
    if (
        iso in last.support
        or scores.get(iso, 0.0) != ranked[0]
        or ranked[0] < dominance * ranked[1]
    ):
        return mentions
    country.kind, country.firm = "typo", False
    country.note = f"typo: '{last.text}' read as '{fixed[0][1]}'"
    return [*mentions[:-1], country]


def capital_suffix(mentions: list[Mention]) -> list[Mention]:
    """Drop a capital-district suffix ("D.C.", "DF", "CDMX", "CABA") that stands beside the
    capital of a country the suffix does not name ("Bogotá D.C." is Colombia's capital district,
    not Washington); the capital's note says so. Unchanged when no such pair is there."""
    capitals = get_gazetteer().capitals
    for suffix in mentions:
        if fold(suffix.text) not in CAPITAL_DISTRICT_SUFFIXES:
            continue
        for city in mentions:
            hit = city.cities[0].city if city.cities else None
            if hit is None or city is suffix or hit.country in suffix.support:
                continue
            if capitals.get(hit.country) == hit.key:
                note = f"'{suffix.text}' read as the capital district of {hit.name}"
                noted = replace(city, note=note)
                return [noted if m is city else m for m in mentions if m is not suffix]
    return mentions
