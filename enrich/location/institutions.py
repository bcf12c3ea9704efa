"""Institutions written instead of a place: universities, research labs, companies' sites.

Kind served: "MIT CSAIL", "IIT Madras", "Tsinghua University", "Microsoft Research India" in a
location field. The table is enrich/location/data/institutions.csv, curated by hand (one row
per institution: name, aliases separated by "|", ISO country, city, kind
university/lab/company_office, and the official web domain it was checked against). A
company's name alone names no place ("@ Google"): only a named site ("Google Zurich") is a row.

An institution is matched on its full name or an alias, word by word, inside one place of the
string (before it is cut at commas, so "University of California, Berkeley" is one name), and
its words are then taken out of the text: "Stanford University" is never read as the town
Stanford-le-Hope, nor "IIT Madras" as the city Madras alone. A one-word alias must be written
as such: an acronym in capitals ("MIT", not "mit", a German word), a name capitalised. The
institution is a firm mention of its country; a part that names another country contradicts
it and the answer is "ambiguous" with both named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from enrich.location.mentions import Mention, cities_named
from enrich.location.tables import aliases, table_rows
from enrich.textfold import fold

KINDS = ("university", "lab", "company_office")
# Companies people write as their "location" ("@ Google"): alone they name no place, and some
# are also a town's alternate name in geonames (Topeka was "Google" for a month), so their
# words are taken out of the text; "Google Zurich" is still read by the city. Each company's
# headquarters (country, city; from its own site's "about" pages) counts only where that city
# is written beside it (kind "a company's site": "NVIDIA Santa Clara" is California's Santa
# Clara, not Cuba's), as a soft mention that any other part may contradict.
COMPANY_HOMES: dict[str, tuple[str, str]] = {
    "Google": ("US", "Mountain View"), "Microsoft": ("US", "Redmond"),
    "Amazon": ("US", "Seattle"), "AWS": ("US", "Seattle"), "Meta": ("US", "Menlo Park"),
    "Facebook": ("US", "Menlo Park"), "Apple": ("US", "Cupertino"),
    "Netflix": ("US", "Los Gatos"), "Nvidia": ("US", "Santa Clara"), "IBM": ("US", "Armonk"),
    "Intel": ("US", "Santa Clara"), "Oracle": ("US", "Austin"), "Uber": ("US", "San Francisco"),
    "Yandex": ("RU", "Moscow"), "Samsung": ("KR", "Suwon"), "Huawei": ("CN", "Shenzhen"),
    "Alibaba": ("CN", "Hangzhou"), "Tencent": ("CN", "Shenzhen"), "Baidu": ("CN", "Beijing"),
    "ByteDance": ("CN", "Beijing"), "Infosys": ("IN", "Bengaluru"), "TCS": ("IN", "Mumbai"),
    "Wipro": ("IN", "Bengaluru"), "Accenture": ("IE", "Dublin"), "Deloitte": ("GB", "London"),
    "OpenAI": ("US", "San Francisco"), "DeepMind": ("GB", "London"),
    "Anthropic": ("US", "San Francisco"), "Airbnb": ("US", "San Francisco"),
    "Spotify": ("SE", "Stockholm"), "GitHub": ("US", "San Francisco"),
    "GitLab": ("US", "San Francisco"), "Twitter": ("US", "San Francisco"),
    "LinkedIn": ("US", "Sunnyvale"), "Salesforce": ("US", "San Francisco"),
    "Adobe": ("US", "San Jose"), "Cisco": ("US", "San Jose"), "Atlassian": ("AU", "Sydney"),
    "Shopify": ("CA", "Ottawa"), "Stripe": ("US", "San Francisco"),
}  # fmt: skip
COMPANIES = {fold(name): (name, *home) for name, home in COMPANY_HOMES.items()}
COMPANY_UNITS = frozenset({"ai", "research", "labs", "lab", "brain", "cloud", "inc", "llc", "ltd"})
MAX_WORDS = 12
_WORD = re.compile(r"[^\W_]+(?:['’&.][^\W_]+)*")


@dataclass(frozen=True, slots=True)
class Institution:
    name: str
    aliases: tuple[str, ...]
    country: str
    city: str
    kind: str
    source: str


@lru_cache(maxsize=1)
def load_institutions() -> tuple[Institution, ...]:
    """Every row of the shipped table (read once)."""
    return tuple(
        Institution(
            r["name"], aliases(r["aliases"]), r["country"], r["city"], r["kind"], r["source"]
        )
        for r in table_rows("institutions.csv")
    )


@dataclass(frozen=True, slots=True)
class _Name:
    institution: Institution
    written: str  # the alias as the table writes it (one-word aliases keep their case rule)


@lru_cache(maxsize=1)
def _index() -> tuple[dict[tuple[str, ...], _Name], frozenset[str]]:
    names: dict[tuple[str, ...], _Name] = {}
    for inst in load_institutions():
        for written in (inst.name, *inst.aliases):
            key = tuple(fold(written).split())
            if key and len(key) <= MAX_WORDS:
                names.setdefault(key, _Name(inst, written))
    return names, frozenset(k[0] for k in names)


@lru_cache(maxsize=1)
def institution_acronyms() -> frozenset[str]:
    """Every word in capitals in the table's names ("SNU", "VIT"): codes of no airport."""
    words = (w for i in load_institutions() for n in (i.name, *i.aliases) for w in n.split())
    return frozenset(w for w in words if w.isupper() and w.isalpha())


def _written_as(alias: str, word: str) -> bool:
    """A one-word alias only counts when written like it: "MIT" in capitals, "Harvard"
    capitalised; the lower-case word may be something else ("mit" is German for "with")."""
    if alias.isupper():
        return word.isupper()
    return word[:1].isupper() and word != word.lower()


def describe(inst: Institution, country_name: str) -> str:
    return f"institution '{inst.name}' ({inst.city}, {country_name}; source: {inst.source})"


def _home(
    keys: list[tuple[str, re.Match[str]]], i: int, country_name: dict[str, str]
) -> list[Mention]:
    """The company at keys[i] as a soft mention of its headquarters' country, when that city
    is written in the same place ("NVIDIA Santa Clara"); nothing otherwise."""
    name, iso, city = COMPANIES[keys[i][0]]
    if f" {fold(city)} " not in f" {' '.join(k for k, _ in keys)} ":
        return []
    why = f"company '{name}' beside its headquarters' city {city} ({country_name.get(iso, iso)})"
    return [Mention(keys[i][1].group(), "institution", {iso: 1.0}, False, reason=why)]


def find_institutions(text: str, country_name: dict[str, str]) -> tuple[list[Mention], str]:
    """Institutions named in one place of a string, and the text left once they are taken
    out (their words blanked, so the rest is read as usual)."""
    names, first_words = _index()
    words = [(m, fold(m.group()).split()) for m in _WORD.finditer(text)]
    keys: list[tuple[str, re.Match[str]]] = [(k, m) for m, ks in words for k in ks]
    if not any(k in first_words or k in COMPANIES for k, _ in keys):
        return [], text
    found: list[Mention] = []
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(keys):
        step = 0
        if keys[i][0] in first_words:
            for length in range(min(MAX_WORDS, len(keys) - i), 0, -1):
                name = names.get(tuple(k for k, _ in keys[i : i + length]))
                if name is None:
                    continue
                first, last = keys[i][1], keys[i + length - 1][1]
                if length == 1 and not _written_as(name.written, first.group()):
                    continue
                inst = name.institution
                hits = [h for h in cities_named(fold(inst.city)) if h.city.country == inst.country]
                why = describe(inst, country_name.get(inst.country, inst.country))
                written = text[first.start() : last.end()]
                found.append(
                    Mention(written, "institution", {inst.country: 1.0}, True, [], hits, why)
                )
                spans.append((first.start(), last.end()))
                step = length
                break
        if not step and keys[i][0] in COMPANIES:
            # a company alone names no place, nor its lab's words ("Google AI": not Anguilla)
            step = 1
            while i + step < len(keys) and keys[i + step][0] in COMPANY_UNITS:
                step += 1
            spans.append((keys[i][1].start(), keys[i + step - 1][1].end()))
            found.extend(_home(keys, i, country_name))
        i += step or 1
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return found, text
