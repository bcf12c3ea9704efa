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

import math
import os
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from anyascii import anyascii
from rapidfuzz import fuzz

from enrich.forking import fork_pool

W_HANDLE = 2.0  # the same handle; +0.25 per character past 3, +1 with digits (kavita51)
W_NAME = 2.6  # the same full name, less ln(how many share it on the busier platform)
W_NAME_ONE_WORD = 0.8
W_NAME_NEAR = 1.6  # a typo or a transliteration: 'Aleksandr' / 'Alexandr'
W_NAME_DIFFERENT = -2.5
W_HANDLE_FROM_NAME = 2.0  # 'schneider-sophie' is made of 'Sophie Schneider'
W_HANDLE_FIRST_NAME = 0.8  # 'neha24' could be any Neha
W_SAME_CITY = 2.0
W_SAME_COUNTRY = 1.5
W_OTHER_CITY = -2.0  # same country, different cities
W_OTHER_COUNTRY = -6.0
# Activity agreement: one person shows a like amount of ML (and MLOps) work on every site.
# The gap is between the two profiles' percentiles on their own sites (0..1), so a site that
# tags less (Kaggle) is compared by rank, not by raw strength. Kaggle shows no MLOps work.
W_ML_GAP = -1.5  # per unit of percentile gap in ML work (ml and llm skill tags)
W_MLOPS_GAP = -1.5  # the same for MLOps work (mlops and cloud-ml skill tags)
W_ML_ONE_SIDED = -2.0  # ML work on one site, none at all on the other
W_MLOPS_ONE_SIDED = -2.0
ML_CATEGORIES = ("ml", "llm")
MLOPS_CATEGORIES = ("mlops", "cloud-ml")
NO_MLOPS_SOURCES = {"kaggle"}
# The weight of "this person has no account there (or we did not crawl it)".
W_NONE = 1.0
# A fuzzy link needs this posterior from both sides.
THRESHOLD = 0.85
# Bumped when the rules change, so the next `scout enrich` relinks every profile.
IDENTITY_VERSION = "3"
EXPLICIT = 0.97
MANUAL = 1.0  # a link a user made with `scout link`: nothing outranks it
FUZZY_CAP = 0.95  # a fuzzy link never outranks an explicit one
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
    place: str | None = None  # the resolved city ("cairo"), when the location names one
    ml: float = 0.0  # summed strength of the profile's ML skill tags (ML_CATEGORIES)
    mlops: float = 0.0  # the same for MLOps (MLOPS_CATEGORIES)

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


_SUFFIXES = ("codes", "code", "data", "dev", "ml", "ai", "py", "x")


@lru_cache(maxsize=200_000)
def handle_stem(handle: str) -> str:
    """A handle without its trailing digits: 'kavita51' -> 'kavita'."""
    return handle_key(handle).rstrip("0123456789")


@lru_cache(maxsize=200_000)
def name_forms(name: str) -> tuple[frozenset[str], str]:
    """Handles made of a name, and its first name: 'Sophie Schneider' ->
    ({sophieschneider, sschneider, sophies, schneidersophie, ...}, 'sophie').
    """
    words = [w for w in _NON_ALNUM.split(anyascii(name[:200]).lower()) if len(w) > 1]
    if len(words) < 2:
        return frozenset(), ""
    first = words[0]
    forms: set[str] = set()
    for last in words[1:]:
        forms.update((first + last, first[0] + last, first + last[0], last + first))
        forms.add(last + first[0])
    return frozenset(f for f in forms if len(f) >= 4), first


def is_handle(text: str | None) -> bool:
    """A handle-like string: no spaces (a Stack Overflow display name may be either)."""
    return bool(text) and " " not in str(text).strip()


@lru_cache(maxsize=500_000)
def handle_from_name(handle: str, name: str) -> tuple[float, str | None]:
    """Is `handle` made of `name`? ('schneider-sophie' / 'Sophie Schneider': yes)."""
    forms, first = name_forms(name)
    if not first:
        return 0.0, None
    stem = handle_stem(handle)
    if stem in forms:
        return W_HANDLE_FROM_NAME, f"handle '{handle}' is made of the name '{name}'"
    bare = stem
    for suffix in _SUFFIXES:
        if bare.endswith(suffix) and len(bare) > len(suffix) + 2:
            bare = bare[: -len(suffix)]
            break
    if bare == first or stem == first:
        return W_HANDLE_FIRST_NAME, f"handle '{handle}' starts with the first name of '{name}'"
    return 0.0, None


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


@dataclass(slots=True)
class Features:
    """What scoring compares, computed once per profile per run."""

    handle: str  # handle key when the handle is handle-like (no spaces), else ""
    name: str  # name key, or ""
    real_name: bool  # a name that is not itself a handle
    initials: bool  # the name has a one-letter part ("Arjun R. Gupta")


def features(v: IdentityView) -> Features:
    hk = handle_key(v.handle) if is_handle(v.handle) and v.handle else ""
    nk = name_key(v.name) if v.name else ""
    initials = any(len(t) == 1 for t in nk.split())
    return Features(hk, nk, bool(v.name) and not is_handle(v.name), initials)


class Index:
    """Every profile by id, explicit key, handle and name: built once per run."""

    def __init__(self, views: Iterable[IdentityView]) -> None:
        self.views: dict[int, IdentityView] = {}
        self.by_key: dict[tuple[str, str], int] = {}
        self.by_handle: dict[tuple[str, str], list[int]] = {}
        self.by_name: dict[tuple[str, str], list[int]] = {}
        self.by_stem: dict[tuple[str, str], list[int]] = {}  # handles without digits
        self.by_form: dict[tuple[str, str], list[int]] = {}  # handles a name makes
        self.by_first: dict[tuple[str, str, str], list[int]] = {}  # first name, country
        self.refs_to: dict[int, list[tuple[int, str]]] = {}
        self.best_cache: dict[tuple[int, str], tuple[float, int, list[str]] | None] = {}
        self.feat: dict[int, Features] = {}
        refs: list[tuple[int, str, str, str]] = []
        for v in views:
            self.views[v.id] = v
            self.feat[v.id] = features(v)
            # Stack Overflow is addressed by numeric id, GitHub and Kaggle by handle.
            key = v.external_id if v.source == "stackoverflow" else (v.handle or "").lower()
            if key:
                self.by_key[(v.source, key)] = v.id
            if v.handle and (h := handle_key(v.handle)):
                self.by_handle.setdefault((v.source, h), []).append(v.id)
            if v.name and (n := name_key(v.name)):
                self.by_name.setdefault((v.source, n), []).append(v.id)
            if is_handle(v.handle) and (s := handle_stem(v.handle or "")):
                self.by_stem.setdefault((v.source, s), []).append(v.id)
            if v.name and not is_handle(v.name):
                forms, first = name_forms(v.name)
                for f in forms:
                    self.by_form.setdefault((v.source, f), []).append(v.id)
                if first and v.country:
                    self.by_first.setdefault((v.source, first, v.country), []).append(v.id)
            refs.extend((v.id, *r) for r in references(v))
        self.activity = _percentiles(self.views.values())
        self.refs_from: dict[int, list[tuple[int, str]]] = {}
        for src_id, source, key, where in refs:
            target = self.by_key.get((source, key))
            if target is not None and target != src_id:
                self.refs_from.setdefault(src_id, []).append((target, where))
                self.refs_to.setdefault(target, []).append((src_id, where))

    def name_count(self, source: str, key: str) -> int:
        return len(self.by_name.get((source, key), ()))

    def candidates(self, v: IdentityView, source: str) -> set[int]:
        """Profiles on `source` that could be `v`: a shared handle or name, or a handle made
        of `v`'s name (or the other way round). Blocking keeps this small."""
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
        if is_handle(v.handle) and (stem := handle_stem(v.handle or "")):
            found.update(self.by_form.get((source, stem), ()))
            if v.country:
                found.update(self.by_first.get((source, stem, v.country), ()))
        if v.name and not is_handle(v.name):
            forms, first = name_forms(v.name)
            for f in forms:
                found.update(self.by_stem.get((source, f), ()))
            if first and v.country:
                found.update(
                    c for c in self.by_stem.get((source, first), ())
                    if self.views[c].country == v.country
                )  # fmt: skip
        return found


def _percentiles(views: Iterable[IdentityView]) -> dict[int, tuple[float, float]]:
    """Each profile's (ML, MLOps) work as a percentile among its own site's profiles.

    Ties share their mean rank: on a site where most show no ML work, "none" sits mid-way.
    """
    by_source: dict[str, list[IdentityView]] = {}
    for v in views:
        by_source.setdefault(v.source, []).append(v)
    out: dict[int, tuple[float, float]] = {}
    for group in by_source.values():
        n = len(group)
        mls, ops = sorted(v.ml for v in group), sorted(v.mlops for v in group)
        for v in group:
            out[v.id] = (_mean_rank(mls, v.ml) / n, _mean_rank(ops, v.mlops) / n)
    return out


def _mean_rank(ordered: list[float], value: float) -> float:
    return (bisect_left(ordered, value) + bisect_right(ordered, value) + 1) / 2


def _activity(
    a: IdentityView, b: IdentityView, index: Index, explain: bool
) -> tuple[float, list[str]]:
    """How far apart two profiles' ML and MLOps work are: 0 when alike, negative when not."""
    pa = index.activity.get(a.id, (0.0, 0.0))
    pb = index.activity.get(b.id, (0.0, 0.0))
    score, why = 0.0, []
    dims = [("ML", a.ml, b.ml, pa[0], pb[0], W_ML_GAP, W_ML_ONE_SIDED)]
    if a.source not in NO_MLOPS_SOURCES and b.source not in NO_MLOPS_SOURCES:
        dims.append(("MLOps", a.mlops, b.mlops, pa[1], pb[1], W_MLOPS_GAP, W_MLOPS_ONE_SIDED))
    for label, xa, xb, ra, rb, w_gap, w_one in dims:
        gap = abs(ra - rb)
        score += w_gap * gap
        if (xa > 0) != (xb > 0):
            score += w_one
            if explain:
                shown, bare = (a, b) if xa > 0 else (b, a)
                why.append(
                    f"{label} work on {SOURCES.get(shown.source, shown.source)}, "
                    f"none on {SOURCES.get(bare.source, bare.source)}"
                )
        elif explain and gap >= 0.25:
            why.append(
                f"different amounts of {label} work (percentile {round(100 * ra)} on "
                f"{SOURCES.get(a.source, a.source)}, {round(100 * rb)} on "
                f"{SOURCES.get(b.source, b.source)})"
            )
        elif explain and xa > 0:
            why.append(f"like amounts of {label} work")
    return score, why


def fuzzy_score(
    a: IdentityView, b: IdentityView, index: Index, explain: bool = True
) -> tuple[float, list[str]]:
    """The evidence that two profiles are one person, as a sum of log-likelihood ratios.

    Positive clues: the same handle (longer and with digits counts more), the same name (a
    name many share counts less), a handle made of the other's name, the same country and
    city. Negative: clearly different names (or initials), different countries or cities,
    ML or MLOps work on one site and none (or much less) on the other.
    `explain=False` skips the words (ranking many candidates needs only the numbers).
    """
    feat = index.feat
    fa = feat.get(a.id) or features(a)
    fb = feat.get(b.id) or features(b)
    score, why = 0.0, []
    ha = fa.handle
    same_handle = len(ha) >= 3 and ha == fb.handle
    if same_handle:
        score += W_HANDLE + 0.25 * min(len(ha) - 3, 8) + (1.0 if ha[-1].isdigit() else 0.0)
        if explain:
            why.append(f"same handle '{b.handle}'")
    na, nb = fa.name, fb.name
    weight = 0.0
    if na and nb:
        if na == nb:
            if " " not in na:
                weight = W_NAME_ONE_WORD
                if explain:
                    why.append(f"same one-word name '{b.name}'")
            else:
                # A name many share says less: ln(how many share it on the busier platform).
                shared = max(index.name_count(a.source, na), index.name_count(b.source, na))
                weight = W_NAME + (0.5 if na.count(" ") >= 2 else 0.0) - math.log(max(shared, 1))
                if explain:
                    who = ", which no one else uses" if shared <= 1 else f", as {shared} people do"
                    why.append(f"same name '{b.name}'{who}")
        elif " " in na and " " in nb:
            # "Karthik K. Agarwal" and "Karthik G. Agarwal" (or "Sarah G. Smith" and "Sarah
            # Smith") are as often two people as one: only a near-miss without initials is a
            # typo or a transliteration.
            if not (fa.initials or fb.initials) and fuzz.ratio(na, nb) >= 92:
                weight = W_NAME_NEAR
                if explain:
                    why.append(f"nearly the same name '{a.name}' / '{b.name}'")
            else:
                weight = W_NAME_DIFFERENT
                if explain:
                    why.append(f"different names '{a.name}' / '{b.name}'")
    score += weight
    if not same_handle and weight <= 0:
        # No shared handle or name: is one's handle made of the other's name?
        best: tuple[float, str | None] = (0.0, None)
        if fa.handle and fb.real_name:
            best = handle_from_name(str(a.handle), str(b.name))
        if fb.handle and fa.real_name:
            other = handle_from_name(str(b.handle), str(a.name))
            if other[0] > best[0]:
                best = other
        score += best[0]
        if explain and best[1]:
            why.append(best[1])
    if a.country and b.country:
        if a.country != b.country:
            score += W_OTHER_COUNTRY
            if explain:
                why.append(f"located in different countries ({a.country}, {b.country})")
        elif a.place and b.place:
            if a.place == b.place:
                score += W_SAME_COUNTRY + W_SAME_CITY
                if explain:
                    why.append(f"both in {a.place.title()}, {a.country}")
            else:
                score += W_SAME_COUNTRY + W_OTHER_CITY
                if explain:
                    why.append(
                        f"both in {a.country}, but in different cities "
                        f"({a.place.title()}, {b.place.title()})"
                    )
        else:
            score += W_SAME_COUNTRY
            if explain:
                why.append(f"both located in {a.country}")
    active, words = _activity(a, b, index, explain)
    score += active
    why.extend(words)
    return (round(score, 3) if explain else score), why


def _ranked(v: IdentityView, source: str, index: Index) -> list[tuple[float, int, list[str]]]:
    """Candidates on `source`, best first; only the best one carries its reasons."""
    out: list[tuple[float, int, list[str]]] = []
    for cid in index.candidates(v, source):
        score, _ = fuzzy_score(v, index.views[cid], index, explain=False)
        out.append((score, cid, []))
    out.sort(key=lambda t: (-t[0], t[1]))
    if out:
        top = out[0][1]
        score, why = fuzzy_score(v, index.views[top], index)
        out[0] = (score, top, why)
    return out


def _best(v: IdentityView, source: str, index: Index) -> tuple[float, int, list[str]] | None:
    """The best match on `source` with its posterior probability, if that reaches THRESHOLD.

    The posterior weighs the best candidate against every other candidate and against "no
    account there" (W_NONE): two equally good namesakes both stay below it.
    """
    key = (v.id, source)
    if key in index.best_cache:
        return index.best_cache[key]
    ranked = _ranked(v, source, index)
    found = None
    if ranked and ranked[0][0] > 0:
        top = ranked[0][0]
        total = math.exp(W_NONE - top) + sum(math.exp(s - top) for s, _, _ in ranked)
        posterior = 1.0 / total
        if posterior >= THRESHOLD:
            found = (round(posterior, 3), ranked[0][1], ranked[0][2])
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
