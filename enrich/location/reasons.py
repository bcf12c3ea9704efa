"""The English reason of a resolved answer, mention by mention (enrich.location.resolver
decides; this module only says why): "city 'Kochi' (Cochin) (pop. 605k) in India, 2x its
namesake in Japan", "small town 'Mexico' (pop. 1.6k) in United States, not the country
Mexico", "US state code 'TX' (Texas)"."""

from __future__ import annotations

from dataclasses import replace

from enrich.location.gazetteer import City, Gazetteer
from enrich.location.mentions import Mention
from enrich.location.second_chance import town_in
from enrich.textfold import fold


def fmt_pop(pop: int) -> str:
    return (
        f"{pop / 1e6:.1f}M" if pop >= 1e6 else f"{round(pop / 1000)}k" if pop >= 1000 else str(pop)
    )


def city_of(m: Mention, iso: str, states: set[tuple[str, str]]) -> City | None:
    """The city a mention names in country `iso` (inside the states named beside it, as
    (ISO2, geonames admin1) pairs: "Peru, IN" is the Peru of Indiana)."""
    if m.kind != "city" and any(iso in e.countries for e in m.entries):
        return None
    hits = [h.city for h in m.cities if h.city.country == iso]
    if any(country == iso for country, _ in states):
        hits = [c for c in hits if (iso, c.admin1) in states]
        if not hits and m.cities:  # "Windsor, NS": the state's own town is a small one
            return town_in(m.text, iso, states)
    return hits[0] if hits else None


def describe(
    m: Mention, iso: str, gaz: Gazetteer, primary: bool, states: set[tuple[str, str]]
) -> str:
    name = gaz.name(iso)
    if m.reason and not any(iso in e.countries for e in m.entries):
        return m.reason
    if m.kind == "flag":
        return f"flag {m.text} ({name})"
    if m.kind == "postcode":
        return f"postcode '{m.text}' fits {name}'s format"
    if m.note:
        return f"{m.note}: {describe(replace(m, note=''), iso, gaz, primary, states)}"
    entry = next((e for e in m.entries if iso in e.countries), None)
    if m.kind == "city" or entry is None:
        hit = next((h for h in m.cities if h.city.country == iso), None)
        if hit is None:
            return f"'{m.text}' ({name})"
        city = city_of(m, iso, states)
        if city is None:
            # "Mexico, NY": New York's Mexico is below the 5,000-people cut of the main list
            town = town_in(m.text, iso, states)
            if town is not None:
                return f"small town '{m.text}' (pop. {fmt_pop(town.population)}) in {name}"
            return f"town '{m.text}' in {name} (below our 1,000-people town list)"
        shown = f"'{m.text}'" if fold(m.text) == fold(city.name) else f"'{m.text}' ({city.name})"
        # a town of the small-town list ("Windsor, NS") is not the namesake the scores compared
        listed = any(h.city is city for h in m.cities)
        place = {"town": "small town", "district": "district"}.get(m.kind, "city")
        place = place if listed else "small town"
        pop = f" (pop. {fmt_pop(city.population)})" if city.population else ""
        text = f"{place} {shown}{pop} in {name}"
        # "Jordan, Minnesota": a country's name in another country's address
        country = next(
            (e.label for e in m.entries if e.kind == "country" and iso not in e.countries), ""
        )
        text += f", not the country {country}" if country else ""
        rival = next((h for h in m.cities if h.city.country != iso and listed), None)
        if rival is not None and rival.score >= hit.score:
            text += f"; the larger namesake in {gaz.name(rival.city.country)} is ruled out"
        elif rival is not None and rival.score > 0 and primary:
            ratio = hit.score / rival.score
            if ratio < 1000:
                text += f", {ratio:.0f}x its namesake in {gaz.name(rival.city.country)}"
        return text
    if entry.kind in ("country", "alias"):
        return f"'{m.text}' is {name}" if fold(m.text) != fold(name) else f"country '{m.text}'"
    if entry.kind == "code":
        return f"country code '{m.text.upper()}' ({name})"
    if entry.kind == "state":
        return f"US state '{entry.label}'"
    if entry.kind == "state_code":
        return f"US state code '{m.text.upper()}' ({entry.label})"
    if entry.kind == "sub_code":
        return f"state code '{m.text.upper()}' ({entry.label})"
    if entry.kind == "subdivision":
        return f"region '{m.text}' of {name}"
    return f"within '{entry.label}'"
