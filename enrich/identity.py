"""Link one person's GitHub, Stack Overflow and Kaggle profiles: who is who, and why.

Pure functions over `IdentityView`s (storage is written by enrich.pipeline).

1. **Explicit** links: a profile points at another one. A Stack Overflow website or about-me
   link to github.com/LOGIN; a GitHub blog or bio naming kaggle.com/USER or
   stackoverflow.com/users/ID. Confidence 0.97 (0.99 when both sides point at each other;
   0.8 when names and countries both disagree, as an impostor's would).
2. **Fuzzy** links: the same handle, the same name (transliterated, word order ignored), a
   compatible country. Each clue adds to a score; a different country or a clearly different
   name subtracts. A fuzzy link needs a score >= THRESHOLD *and* must be each side's best
   match on the other platform by MARGIN: two equally good namesakes link to nobody.
3. **Clusters**: links are taken strongest first; two groups merge only if they hold no two
   profiles of the same platform and no pair a user rejected (`scout unlink`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from anyascii import anyascii
from rapidfuzz import fuzz

THRESHOLD = 0.6
MARGIN = 0.1
EXPLICIT = 0.97
HANDLE, LONG_HANDLE = 0.45, 0.15
NAME, RARE_NAME = 0.4, 0.15
SOURCES = {"github": "GitHub", "stackoverflow": "Stack Overflow", "kaggle": "Kaggle"}

_GITHUB = re.compile(r"github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))(?![A-Za-z0-9-])", re.I)
_KAGGLE = re.compile(r"kaggle\.com/([A-Za-z0-9_-]{2,40})(?![A-Za-z0-9_-])", re.I)
_SO = re.compile(r"stackoverflow\.com/users/(\d{1,12})", re.I)
# github.com/<these> are site pages, not people.
_GH_PAGES = {"orgs", "features", "about", "pricing", "settings", "topics", "sponsors", "site"}
_KG_PAGES = {"competitions", "datasets", "code", "c", "discussions", "learn", "models", "docs"}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@dataclass(slots=True)
class IdentityView:
    """What identity linking reads of one profile."""

    id: int
    source: str
    external_id: str
    handle: str | None = None
    name: str | None = None
    website: str | None = None
    bio: str | None = None
    links: Sequence[str] = ()  # Stack Overflow about-me URLs
    country: str | None = None  # resolved ISO2, None when unknown or ambiguous

    @property
    def label(self) -> str:
        return f"{SOURCES.get(self.source, self.source)} '{self.handle or self.external_id}'"


@dataclass(slots=True)
class Link:
    a: int
    b: int
    method: str  # explicit, fuzzy
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=200_000)
def handle_key(handle: str) -> str:
    """alex-kumar, Alex_Kumar, AlexKumar -> alexkumar."""
    return _NON_ALNUM.sub("", anyascii(handle).lower())[:40]


@lru_cache(maxsize=200_000)
def name_key(name: str) -> str:
    """'Kumar, Alex J.' -> 'alex j kumar'; 'Алекс Кумар' -> 'aleks kumar' (order ignored)."""
    return " ".join(sorted(_NON_ALNUM.sub(" ", anyascii(name[:200]).lower()).split()))


def references(view: IdentityView) -> list[tuple[str, str, str]]:
    """(target source, target key, where) for every profile URL this profile shows."""
    texts: list[tuple[str, str]] = []
    if view.website:
        texts.append(("website", view.website[:500]))
    if view.bio:
        texts.append(("bio", view.bio[:2000]))
    texts.extend(("about-me link", u[:500]) for u in view.links[:20] if isinstance(u, str))
    out: list[tuple[str, str, str]] = []
    for where, text in texts:
        if view.source != "github":
            for m in _GITHUB.finditer(text):
                if m.group(1).lower() not in _GH_PAGES:
                    out.append(("github", m.group(1).lower(), where))
        if view.source != "kaggle":
            for m in _KAGGLE.finditer(text):
                if m.group(1).lower() not in _KG_PAGES:
                    out.append(("kaggle", m.group(1).lower(), where))
        if view.source != "stackoverflow":
            for m in _SO.finditer(text):
                out.append(("stackoverflow", m.group(1), where))
    return out


class Index:
    """Every profile by id, explicit key, handle and name: built once per run."""

    def __init__(self, views: Iterable[IdentityView]) -> None:
        self.views: dict[int, IdentityView] = {}
        self.by_key: dict[tuple[str, str], int] = {}
        self.by_handle: dict[tuple[str, str], list[int]] = {}
        self.by_name: dict[tuple[str, str], list[int]] = {}
        self.refs_to: dict[int, list[tuple[int, str]]] = {}
        self.best_cache: dict[tuple[int, str], tuple[float, int, list[str]] | None] = {}
        refs: list[tuple[int, str, str, str]] = []
        for v in views:
            self.views[v.id] = v
            # Stack Overflow is addressed by numeric id, GitHub and Kaggle by handle.
            key = v.external_id if v.source == "stackoverflow" else (v.handle or "").lower()
            if key:
                self.by_key[(v.source, key)] = v.id
            if v.handle and (h := handle_key(v.handle)):
                self.by_handle.setdefault((v.source, h), []).append(v.id)
            if v.name and (n := name_key(v.name)):
                self.by_name.setdefault((v.source, n), []).append(v.id)
            refs.extend((v.id, *r) for r in references(v))
        self.refs_from: dict[int, list[tuple[int, str]]] = {}
        for src_id, source, key, where in refs:
            target = self.by_key.get((source, key))
            if target is not None and target != src_id:
                self.refs_from.setdefault(src_id, []).append((target, where))
                self.refs_to.setdefault(target, []).append((src_id, where))

    def candidates(self, v: IdentityView, source: str) -> set[int]:
        """Profiles on `source` that share a handle or a name with `v` (blocking)."""
        found: set[int] = set()
        keys = []
        if v.handle:
            keys.append(handle_key(v.handle))
        if v.name:
            keys.append(name_key(v.name))
            keys.append(handle_key(v.name))  # a display name that is a handle ("piotr72")
        for k in keys:
            if k:
                found.update(self.by_handle.get((source, k), ()))
                found.update(self.by_name.get((source, k), ()))
        return found


def _country_clue(a: IdentityView, b: IdentityView) -> tuple[float, str | None]:
    if a.country and b.country:
        if a.country == b.country:
            return 0.2, f"both located in {a.country}"
        return -0.6, f"located in different countries ({a.country}, {b.country})"
    return 0.0, None


def fuzzy_score(a: IdentityView, b: IdentityView, index: Index) -> tuple[float, list[str]]:
    """How likely two profiles are one person from handle, name and place; and why.

    Names are compared with their initials: in real data "Sarah G. Smith" and "Sarah Smith"
    are as often two people as one, so a name that differs counts against a link.
    """
    score, why = 0.0, []
    # A display name with a space is a name, not a handle (Stack Overflow has no handles).
    ha = handle_key(a.handle) if a.handle and " " not in a.handle.strip() else ""
    hb = handle_key(b.handle) if b.handle and " " not in b.handle.strip() else ""
    if len(ha) >= 3 and ha == hb:
        # A long handle is rarely picked twice by different people.
        score += HANDLE + (LONG_HANDLE if len(ha) >= 10 else 0.0)
        why.append(f"same handle '{b.handle}'")
    na = name_key(a.name) if a.name else ""
    nb = name_key(b.name) if b.name else ""
    if na and nb:
        if na == nb:
            multi = " " in na
            rare = multi and all(len(index.by_name.get((v.source, na), ())) <= 1 for v in (a, b))
            score += (NAME if multi else 0.1) + (RARE_NAME if rare else 0.0)
            why.append(f"same name '{b.name}'" + (", which no one else uses" if rare else ""))
        elif " " in na and " " in nb:
            if fuzz.ratio(na, nb) >= 95:
                score += 0.2
                why.append(f"nearly the same name '{a.name}' / '{b.name}'")
            else:
                score -= 0.25
                why.append(f"different names '{a.name}' / '{b.name}'")
    delta, text = _country_clue(a, b)
    score += delta
    if text:
        why.append(text)
    return round(min(score, 0.95), 3), why


def _ranked(v: IdentityView, source: str, index: Index) -> list[tuple[float, int, list[str]]]:
    out = []
    for cid in index.candidates(v, source):
        score, why = fuzzy_score(v, index.views[cid], index)
        out.append((score, cid, why))
    out.sort(key=lambda t: (-t[0], t[1]))
    return out


def _best(v: IdentityView, source: str, index: Index) -> tuple[float, int, list[str]] | None:
    """The best match on `source`, if it beats the runner-up by MARGIN (cached per run)."""
    key = (v.id, source)
    if key in index.best_cache:
        return index.best_cache[key]
    ranked = _ranked(v, source, index)
    found = ranked[0] if ranked and ranked[0][0] >= THRESHOLD else None
    if found is not None and len(ranked) > 1 and ranked[0][0] - ranked[1][0] < MARGIN:
        found = None
    index.best_cache[key] = found
    return found


def _placeless_conflict(v: IdentityView, index: Index) -> bool:
    """A profile without a country whose best matches elsewhere live in different countries.

    A Kaggle account matching a GitHub account in China and a Stack Overflow account in
    Singapore belongs to one of two namesakes; linking it to either is a guess.
    """
    if v.country:
        return False
    countries = set()
    for source in SOURCES:
        best = _best(v, source, index) if source != v.source else None
        if best is not None and (c := index.views[best[1]].country):
            countries.add(c)
    return len(countries) > 1


def explicit_links(v: IdentityView, index: Index) -> list[Link]:
    """Links from `v`'s own URLs and from every URL pointing at `v`."""
    found: dict[int, list[str]] = {}
    for target, where in index.refs_from.get(v.id, ()):
        found.setdefault(target, []).append(f"{v.label} links to it in its {where}")
    for source_id, where in index.refs_to.get(v.id, ()):
        other = index.views[source_id]
        found.setdefault(source_id, []).append(f"{other.label} links to it in its {where}")
    links = []
    for other_id, why in found.items():
        other = index.views[other_id]
        if other.source == v.source:
            continue
        both = len({w.split(" links")[0] for w in why}) > 1
        confidence = 0.99 if both else EXPLICIT
        name_far = (
            v.name
            and other.name
            and fuzz.token_sort_ratio(name_key(v.name), name_key(other.name)) < 50
        )
        delta, _ = _country_clue(v, other)
        if name_far and delta < 0:
            confidence = 0.8
            why.append("names and countries differ")
        links.append(Link(v.id, other_id, "explicit", confidence, {"rules": why}))
    return links


def propose(changed: Iterable[int], index: Index) -> list[Link]:
    """Every link between a changed profile and any profile: explicit first, then fuzzy."""
    links: dict[frozenset[int], Link] = {}
    for pid in changed:
        v = index.views.get(pid)
        if v is None:
            continue
        for link in explicit_links(v, index):
            key = frozenset((link.a, link.b))
            if key not in links or links[key].confidence < link.confidence:
                links[key] = link
        for source in SOURCES:
            if source == v.source:
                continue
            best = _best(v, source, index)
            if best is None:
                continue
            score, other_id, why = best
            key = frozenset((pid, other_id))
            if key in links:
                continue
            other = index.views[other_id]
            back = _best(other, v.source, index)
            if back is None or back[1] != pid:
                continue  # not each other's best: a namesake is as likely
            if _placeless_conflict(v, index) or _placeless_conflict(other, index):
                continue
            links[key] = Link(pid, other_id, "fuzzy", score, {"rules": why, "score": score})
    return list(links.values())


def cluster(
    nodes: Iterable[int],
    links: Iterable[Link],
    source_of: dict[int, str],
    rejected: set[frozenset[int]],
    country_of: dict[int, str | None] | None = None,
) -> list[tuple[list[int], dict[int, Link]]]:
    """Greedy clusters: strongest link first, one profile per platform, no rejected pair.

    A fuzzy link never joins groups located in different countries (an explicit one may:
    people move, and they said so themselves).

    Returns each cluster's members and, per member, the link that holds it in.
    """
    parent = {n: n for n in nodes}
    members = {n: [n] for n in parent}
    chosen: dict[int, Link] = {}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    order = sorted(links, key=lambda lk: (-lk.confidence, lk.method != "explicit", lk.a, lk.b))
    for link in order:
        if link.a not in parent or link.b not in parent:
            continue
        ra, rb = find(link.a), find(link.b)
        if ra == rb or frozenset((link.a, link.b)) in rejected:
            continue
        ma, mb = members[ra], members[rb]
        if {source_of[m] for m in ma} & {source_of[m] for m in mb}:
            continue
        if any(frozenset((x, y)) in rejected for x in ma for y in mb):
            continue
        if link.method != "explicit" and country_of is not None:
            places = {country_of.get(m) for m in ma + mb} - {None}
            if len(places) > 1:
                continue
        parent[rb] = ra
        members[ra] = ma + mb
        del members[rb]
        for end in (link.a, link.b):
            if end not in chosen or chosen[end].confidence < link.confidence:
                chosen[end] = link
    return [(sorted(ms), {m: chosen[m] for m in ms if m in chosen}) for ms in members.values()]


def describe_link(evidence: dict[str, Any] | None) -> str:
    """A link's evidence in words, e.g. "GitHub 'piotr72' links to it in its website"."""
    if not isinstance(evidence, dict):
        return "no evidence recorded"
    if evidence.get("text"):
        return str(evidence["text"])
    rules = evidence.get("rules") or []
    return "; ".join(str(r) for r in rules) or "no evidence recorded"


def display_name(views: Sequence[IdentityView]) -> str | None:
    """A candidate's name: GitHub's, then Stack Overflow's, then Kaggle's; else a handle."""
    order = {"github": 0, "stackoverflow": 1, "kaggle": 2}
    ranked = sorted(views, key=lambda v: (order.get(v.source, 9), v.id))
    for v in ranked:
        if v.name and v.name.strip():
            return v.name.strip()[:300]
    for v in ranked:
        if v.handle:
            return v.handle[:300]
    return None
