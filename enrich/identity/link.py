"""Link one person's GitHub, Stack Overflow and Kaggle profiles: who is who, and why.

Pure functions over `IdentityView`s (storage is written by enrich.pipeline).

1. **Explicit** links: a profile points at another one. A Stack Overflow website or about-me
   link to github.com/LOGIN; a GitHub blog or bio naming kaggle.com/USER or
   stackoverflow.com/users/ID. Confidence 0.97 (0.99 when both sides point at each other;
   0.8 when names and countries both disagree, as an impostor's would).
2. **Fuzzy** links: the same handle, the same name (transliterated, word order ignored), a
   compatible country, a like amount of ML and MLOps work on both sites. Each clue adds to a
   score; a different country, a clearly different name or ML work on one site only
   subtracts. The best candidate's posterior, weighed against every rival and against "no
   account there" (W_NONE), must reach THRESHOLD from both sides: two equally good namesakes
   link to nobody.
3. **Manual** links a user made with `scout link` come first of all (confidence 1.0).
4. **Clusters**: links are taken strongest first; two groups merge only if they hold no two
   profiles of the same platform and no pair a user rejected (`scout unlink`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from rapidfuzz import fuzz

from enrich.forking import fork_pool
from enrich.identity.score import Index, best_match, placeless_conflict
from enrich.identity.view import SOURCES, IdentityView, Link, name_key

# Bumped when the rules change, so the next `scout enrich` relinks every profile.
IDENTITY_VERSION = "5"
EXPLICIT = 0.97
MANUAL = 1.0  # a link a user made with `scout link`: nothing outranks it
FUZZY_CAP = 0.95  # a fuzzy link never outranks an explicit one


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
        moved = v.country and other.country and v.country != other.country
        if name_far and moved:
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
            best = best_match(v, source, index)
            if best is None:
                continue
            score, other_id, why = best
            key = frozenset((pid, other_id))
            if key in links:
                continue
            other = index.views[other_id]
            back = best_match(other, v.source, index)
            if back is None or back[1] != pid:
                continue  # not each other's best: a namesake is as likely
            if placeless_conflict(v, index) or placeless_conflict(other, index):
                continue
            confidence = round(min(score, back[0], FUZZY_CAP), 3)
            evidence = {"rules": why, "score": confidence}
            links[key] = Link(pid, other_id, "fuzzy", confidence, evidence)
    return list(links.values())


# Set in the parent just before forking: children read the index without pickling it.
_SHARED_INDEX: Index | None = None
PARALLEL_MIN = 20_000  # fewer changed profiles than this are linked in one process


def _propose_part(ids: list[int]) -> list[Link]:
    assert _SHARED_INDEX is not None
    return propose(ids, _SHARED_INDEX)


def propose_all(changed: Iterable[int], index: Index, processes: int = 0) -> list[Link]:
    """`propose`, split over processes (0: one per CPU) when there is much to compare.

    Children are forked, so they share the built index; the parts are merged in order with
    `propose`'s own rule (an explicit link replaces a weaker one, a fuzzy one never replaces),
    which gives exactly the links one process would.
    """
    global _SHARED_INDEX
    order = list(changed)
    processes = processes or os.cpu_count() or 1
    if processes < 2 or len(order) < PARALLEL_MIN:
        return propose(order, index)
    _SHARED_INDEX = index  # before the fork: the children inherit it
    try:
        pool = fork_pool(processes)
        if pool is None:
            return propose(order, index)
        size = -(-len(order) // processes)
        with pool:
            results = pool.map(
                _propose_part, [order[i : i + size] for i in range(0, len(order), size)]
            )
    finally:
        _SHARED_INDEX = None
    merged: dict[frozenset[int], Link] = {}
    for part in results:
        for link in part:
            key = frozenset((link.a, link.b))
            held = merged.get(key)
            if held is None or (link.method == "explicit" and held.confidence < link.confidence):
                merged[key] = link
    return list(merged.values())


def cluster(
    nodes: Iterable[int],
    links: Iterable[Link],
    source_of: dict[int, str],
    rejected: set[frozenset[int]],
    country_of: dict[int, str | None] | None = None,
) -> list[tuple[list[int], dict[int, Link]]]:
    """Greedy clusters: strongest link first, one profile per platform, no rejected pair.

    A fuzzy link never joins groups located in different countries (an explicit or a manual
    one may: people move, and they or a user said so).

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
        if link.method == "fuzzy" and country_of is not None:
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
    return describe_rules(evidence)


def describe_rules(evidence: dict[str, Any]) -> str:
    """The rules that made a link, in words, without who it links to."""
    rules = evidence.get("rules")
    texts = [str(r) for r in rules] if isinstance(rules, list) else []
    return "; ".join(texts) or "no evidence recorded"


def display_name(views: Sequence[IdentityView]) -> str | None:
    """A candidate's name: GitHub's, then Stack Overflow's, Kaggle's, the Hub's, PyPI's; else
    a handle."""
    order = {source: i for i, source in enumerate(SOURCES)}
    ranked = sorted(views, key=lambda v: (order.get(v.source, 9), v.id))
    for v in ranked:
        if v.name and v.name.strip():
            return v.name.strip()[:300]
    for v in ranked:
        if v.handle:
            return v.handle[:300]
    return None
