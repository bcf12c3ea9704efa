"""Free-text location -> ISO country, offline, with a reason a recruiter can read.

`resolve(text)` answers "resolved" (one country), "ambiguous" (candidates, no guess) or
"none" (no place named). The gazetteer (enrich.location.gazetteer) is built once per process.

How a string is read
--------------------
1. Junk is refused first: empty, longer than 512 characters, control characters, network
   addresses and words that name no place ("Remote", "Earth", "localhost", "Worldwide").
2. Coordinates, decimal or degrees-minutes-seconds ("50.06, 19.94", "48°51'N 2°21'E", read by
   enrich.location.coord_text), resolve to the country of the nearest city when it is within
   50 km and no city of another country is within twice that distance
   (enrich.location.coordinates, which also reads rural points inland).
3. The text is cut into *places* at "|", "/", ";", "->", "→", "•", new lines..., and each place
   into *parts* at ",", " - ", "(", ")" (and the Arabic and CJK commas): "Paris, TX | Berlin"
   is two places, the first with two parts. Inside a part the longest known names are picked
   out ("Bangalore India"). Before a place is cut, institutions it names are taken out as firm
   mentions of their country ("IIT Madras", "University of California, Berkeley":
   enrich.location.institutions), and each part first gives up postcodes whose format pins a
   country and airport codes (enrich.location.codes). A part naming nothing known gets second
   readings: names without spaces ("上海市浦东新区"), run-together words ("NewDelhi"), typos of
   countries and large cities ("Germnay"), districts of large cities ("Koramangala",
   enrich.location.districts), small towns (enrich.location.second_chance); each says so in
   the reason. A district beside the city it belongs to outweighs a namesake town elsewhere
   ("Whitefield, Bangalore").
4. Each name gives a support per country: a country name, local name ("Polska"), flag emoji or
   US state 1.0; a two-letter code 0.9 (read as a code only when written in capitals or as a
   part of its own: "in" is a word, "IN" is India or Indiana); a subdivision ("Karnataka")
   0.5; a city its population share among its namesakes in different countries. Numbers that
   fit a country's postcode format only narrow a reading down, never make one.
5. The parts of a place are multiplied: only countries every part allows survive, so "Paris,
   TX" is the US and "Atlanta, GA" is not Gabon. When parts contradict each other, soft names
   (subdivisions, postcodes, areas) are dropped; if they still contradict and the last part is a
   country name ("Springfield, Germany") the country wins (our list may lack the town);
   otherwise every name is a place of its own ("Kyiv - Berlin"). First, a contradicted name is
   read as a small town of the country or state the rest pins ("Norway, Maine"), and a capital
   district suffix by another country's capital is its district ("Bogotá D.C." is Colombia).
6. A small town alone never decides ("ambiguous", its candidates named: Gotham and Valhalla
   are towns too); looked up only where the 5,000+ list has nothing, it never dilutes a city.

The dominance rule (DOMINANCE = 3)
----------------------------------
A reading wins only if its score is at least 3x the runner-up's; otherwise the answer is
"ambiguous" with the candidates. For a lone city this is a population ratio: "Paris" (FR
2.1M vs US 25k) is France, "Hyderabad" (IN 6.8M vs PK 1.4M) is India, "Cambridge" (GB, CA,
US) and "Barcelona" (ES 1.6M vs VE 0.8M) are ambiguous. "Georgia" alone scores the country and
the US state equally: ambiguous. A city found only through a geonames *alternate* name counts
1/50 of its population when another city bears that name as its own, because alternates are
noisy ("Porto" is listed for Bordeaux too); true exonyms (Kiev, Bombay) rarely have such rivals,
and the few that do are listed in enrich.location.place_names.CITY_SPELLINGS (Cologne, Kochi).

The two-place rule
------------------
Each place's scores are normalised to sum to 1 and the places are added up; the same 3x rule
then decides. Places in one country agree ("Bangalore | Mumbai" is India); two places in two
countries tie and are ambiguous whatever the separator ("Kyiv -> Berlin", "Berlin/Warsaw",
"Bangalore | Singapore"): an arrow may mean "moved to", but also "from Kyiv, working for
Berlin", and the recruiter sees both candidates. Three places in one country against one
elsewhere do pass the 3x rule. A place naming no country (Remote) is ignored.

Answers are cached per string (`functools.lru_cache`, 100k entries): repeated strings cost a
dictionary lookup. `clear_cache()` forgets them; the gazetteer stays built.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from enrich.location.codes import bare_postcode, read_part, states_named
from enrich.location.coord_text import parse_coordinates
from enrich.location.coordinates import nearest_country
from enrich.location.districts import districts_beside
from enrich.location.gazetteer import get_gazetteer
from enrich.location.institutions import find_institutions
from enrich.location.mentions import Mention
from enrich.location.moves import present, split_and
from enrich.location.place_names import NO_PLACE
from enrich.location.reasons import city_of, describe
from enrich.location.regions import Regions
from enrich.location.second_chance import (
    capital_suffix,
    country_typo_beside,
    second_chance,
    towns_beside,
)
from enrich.textfold import fold, translit

Status = Literal["resolved", "ambiguous", "none"]

DOMINANCE = 3.0
MAX_LENGTH = 512
AREA_TOO_BROAD = 5  # an area of more countries than this is no answer on its own

# How sure an answer can be, by the strongest evidence behind it.
_CAP = {
    "country": 0.99,
    "alias": 0.97,
    "flag": 0.99,
    "state": 0.97,
    "code": 0.9,
    "state_code": 0.9,
    "city": 0.92,
    "subdivision": 0.8,
    "sub_code": 0.8,
    "area": 0.6,
    "postcode": 0.5,
    "institution": 0.92,
    "airport": 0.85,
    "postcode_pin": 0.85,
    "typo": 0.85,
    "town": 0.6,
    "district": 0.8,
}


@dataclass(frozen=True, slots=True)
class Resolution:
    """The answer for one string, as fields: everything downstream (identity's city, the
    regions enrich stores and `scout locate` shows) reads these, never the English `reason`.

    `candidates` lists (ISO2, share) when ambiguous. `city` is the gazetteer's name of the
    city the answer rests on ("Kyiv" for "Ukraine, Kyiv", "L'Aquila"), `admin1` its geonames
    first-level subdivision code; both None when no city decided it. `regions` are the
    regions.toml keys of the answer, filled by `in_regions` (the resolver itself knows no
    regions file).
    """

    status: Status
    country: str | None
    confidence: float
    reason: str
    candidates: tuple[tuple[str, float], ...] = ()
    city: str | None = None
    admin1: str | None = None
    regions: tuple[str, ...] = ()

    def in_regions(self, regions: Regions) -> Resolution:
        """This answer with its regions under `regions` (Regions.of_place, the one rule)."""
        return replace(self, regions=tuple(regions.of_place(self.country, self.candidates)))

    @property
    def csv_country(self) -> str:
        """ISO2; "?" when ambiguous; "" when no place is named."""
        if self.status == "ambiguous":
            return "?"
        return self.country or ""


def _none(reason: str) -> Resolution:
    return Resolution("none", None, 0.0, reason)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|::1\b|\blocalhost\b", re.I)
_URL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+|\b\S+\.(?:com|io|dev|org|net|ai)\b", re.I)
_PLACE_SEP = re.compile(r"\s*(?:\||/|\\|;|<?->|<?=>|[→⇒➡➜↔•·\n]|\s>\s)\s*")
_PART_SEP = re.compile(r"\s*(?:[,،、，]|\s[-–—]\s|[–—]|[()\[\]{}]|:|\s@\s)\s*")


# ---- weighing the readings -----------------------------------------------------------------


def _product(mentions: list[Mention]) -> dict[str, float]:
    scores = dict(mentions[0].support)
    for mention in mentions[1:]:
        scores = {c: s * mention.support[c] for c, s in scores.items() if c in mention.support}
    return scores


def _normalise(scores: dict[str, float]) -> dict[str, float]:
    total = sum(scores.values())
    return {c: s / total for c, s in scores.items()} if total > 0 else {}


@dataclass(slots=True)
class _Place:
    scores: dict[str, float]  # normalised
    mentions: list[Mention]
    note: str = ""


def _combine_place(parts: list[list[Mention]]) -> list[_Place]:
    mentions = capital_suffix([m for part in parts for m in part])
    if not mentions:
        return []
    mentions = country_typo_beside(mentions, DOMINANCE)
    scores = _product(mentions)
    if not scores and (with_district := districts_beside(mentions)) is not None:
        mentions, scores = with_district, _product(with_district)
    if not scores and (with_town := towns_beside(mentions)) is not None:
        mentions, scores = with_town, _product(with_town)
    if not scores:
        firm = [m for m in mentions if m.firm]
        if firm and len(firm) < len(mentions):
            scores = _product(firm)
            if scores:
                mentions = firm
    if scores:
        return [_Place(_normalise(scores), mentions)]
    # "Springfield, Germany": a country named last, alone in its part, over a town we lack.
    last = parts[-1][-1] if len(parts) > 1 and len(parts[-1]) == 1 else None
    strong = ("country", "alias", "flag", "state", "institution")
    if (
        last is not None
        and last.kind in strong
        and len(last.support) == 1
        and not any(m.kind in strong for m in mentions if m is not last)
    ):
        iso = next(iter(last.support))
        others = ", ".join(f"'{m.text}'" for m in mentions if m is not last)
        note = (
            f"{others} is not a place we know in {get_gazetteer().name(iso)}; the country decides"
        )
        return [_Place({iso: 1.0}, [last], note)]
    return [_Place(_normalise(m.support), [m]) for m in mentions if m.support]


def _cap(mentions: Iterable[Mention], iso: str) -> float:
    caps = [_CAP.get(m.kind, 0.5) for m in mentions if iso in m.support]
    return max(caps, default=0.5)


def _decide(places: list[_Place], text: str) -> Resolution:
    gaz = get_gazetteer()
    total: dict[str, float] = {}
    for place in places:
        for iso, share in place.scores.items():
            total[iso] = total.get(iso, 0.0) + share
    ranked = sorted(_normalise(total).items(), key=lambda kv: (-kv[1], kv[0]))
    if not ranked:
        return _none(f"no known place name in '{text}'")
    all_areas = all(m.kind in ("area", "postcode") for p in places for m in p.mentions)
    if all_areas and len(ranked) > AREA_TOO_BROAD:
        area = places[0].mentions[0].text
        return _none(f"'{area}' is wider than one country ({len(ranked)} countries)")
    top_iso, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    lone_towns = all(m.kind == "town" for p in places for m in p.mentions)
    if top < DOMINANCE * second or lone_towns:
        shown = [(iso, s) for iso, s in ranked[:6] if s >= 0.02]
        cands = tuple((iso, round(s, 3)) for iso, s in shown)
        listed = ", ".join(f"{gaz.name(iso)} {s:.0%}" for iso, s in shown)
        if len(places) > 1 and len({max(p.scores, key=p.scores.__getitem__) for p in places}) > 1:
            named = ", ".join(
                f"'{p.mentions[0].text}' ({gaz.name(max(p.scores, key=p.scores.__getitem__))})"
                for p in places
            )
            why = f"names places in different countries: {named}"
        elif lone_towns:  # too many small towns are named like words or jokes ("Gotham")
            why = f"small town '{places[0].mentions[0].text}' ({listed}) with nothing beside it"
        else:
            why = f"no reading is {DOMINANCE:.0f}x likelier than the next: {listed}"
        return Resolution("ambiguous", None, round(top, 3), why, cands)
    mentions = [
        m for p in places if top_iso in p.scores for m in p.mentions if top_iso in m.support
    ]
    states = states_named(gaz, mentions)
    described = [describe(m, top_iso, gaz, i == 0, states) for i, m in enumerate(mentions)]
    city = next((c for m in mentions if (c := city_of(m, top_iso, states))), None)
    reason = described[0] + "".join(f", {d} agrees" for d in described[1:])
    notes = [p.note for p in places if p.note and top_iso in p.scores]
    if notes:
        reason += f" ({notes[0]})"
        confidence = 0.6
    else:
        confidence = _cap(mentions, top_iso) * top
    return Resolution(
        "resolved",
        top_iso,
        round(confidence, 3),
        reason,
        city=city.name if city else None,
        admin1=(city.admin1 or None) if city else None,
    )


# ---- the entry point -----------------------------------------------------------------------


def _resolve_text(text: str, fold_fn: Callable[[str], str]) -> Resolution | None:
    gaz = get_gazetteer()
    places: list[_Place] = []
    known = lambda key: key in gaz.entries or key in gaz.cities  # noqa: E731
    for place_text in (p for c in _PLACE_SEP.split(text) for p in split_and(c, known)):
        named, rest = find_institutions(place_text, gaz.country_names)
        parts = [p for p in _PART_SEP.split(rest) if p and p.strip()]
        mentions = [read_part(gaz, p, i == 0, fold_fn, second_chance) for i, p in enumerate(parts)]
        places.extend(_combine_place([m for m in [named, *mentions] if m]))
    places = [p for p in places if p.scores]
    if not places:
        return None
    return _decide(places, text)


def _read(text: str, fold_fn: Callable[[str], str]) -> Resolution | None:
    """The place a cue says the person is in now ("Kyiv, now in Warsaw": enrich.location.moves)
    when it names one, else every place of the text."""
    cued = present(text)
    found = _resolve_text(cued[0], fold_fn) if cued is not None else None
    if cued is not None and found is not None:
        return replace(found, reason=f"{cued[1]}: {found.reason}")
    return _resolve_text(text, fold_fn)


def _resolve_uncached(text: str | None) -> Resolution:
    if text is None or not isinstance(text, str):
        return _none("no location given")
    stripped = text.strip()
    if not stripped:
        return _none("no location given")
    if len(stripped) > MAX_LENGTH:
        return _none(f"too long to be a place ({len(stripped)} characters)")
    if _CONTROL.search(stripped):
        return _none("contains control characters: not a place name")
    point = parse_coordinates(stripped)
    if point is not None:
        found_at = nearest_country(*point)
        if found_at.status == "resolved":
            return Resolution(
                "resolved",
                found_at.country,
                found_at.confidence,
                found_at.reason,
                city=found_at.city,
            )
        return _none(found_at.reason)
    cleaned = _URL.sub(" ", _IP.sub(" ", stripped))
    if not cleaned.strip(" ,.;|/-"):
        return _none(f"'{stripped}' is a network or web address, not a place")
    if fold(cleaned) in NO_PLACE:
        return _none(f"'{stripped}' names no place")
    found = _read(cleaned, fold)
    if found is None and not cleaned.isascii():
        found = _read(cleaned, translit)
    fits = () if found else bare_postcode(stripped)
    if fits:
        shown = ", ".join(get_gazetteer().name(iso) for iso in fits[:6])
        why = f"postcode '{stripped}' alone fits {len(fits)} countries' formats: {shown}..."
        share = round(1 / len(fits), 3)
        return Resolution("ambiguous", None, share, why, tuple((iso, share) for iso in fits[:6]))
    return found or _none(f"no known place name in '{stripped}'")


@lru_cache(maxsize=100_000)
def _resolve_cached(text: str) -> Resolution:
    try:
        return _resolve_uncached(text)
    except Exception as exc:  # one odd string must never stop an enrichment run
        return _none(f"could not read this location ({type(exc).__name__})")


def resolve(text: str | None) -> Resolution:
    """Resolve one free-text location; repeated strings come from a cache."""
    if text is None or not isinstance(text, str):
        return _none("no location given")
    if len(text) > MAX_LENGTH:  # keep huge strings out of the cache
        return _none(f"too long to be a place ({len(text.strip())} characters)")
    return _resolve_cached(text)


def resolve_many(texts: Iterable[str | None]) -> list[Resolution]:
    return [resolve(t) for t in texts]


def clear_cache() -> None:
    """Forget cached answers (the gazetteer itself stays built)."""
    _resolve_cached.cache_clear()
