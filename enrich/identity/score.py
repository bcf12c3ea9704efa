"""Fuzzy identity scores: how likely two profiles on two platforms are one person.

Fellegi-Sunter style: each clue adds a log-likelihood weight (`W_*`), and the best candidate's
posterior is weighed against every rival and against "no account there" (`W_NONE`).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from enrich.identity.view import (
    SOURCES,
    IdentityView,
    handle_from_name,
    handle_key,
    handle_stem,
    handles_or_names_agree,
    is_handle,
    name_forms,
    name_key,
    package_owners,
    references,
)

W_HANDLE = 2.0  # the same handle; +0.25 per character past 3, +1 with digits (kavita51)
# The same handle made of the same name ('wojciechdabrowski', 'Wojciech Dąbrowski' on both):
# namesakes make the same handles from the same name, so it adds little to the name.
W_HANDLE_OF_NAME = 1.4
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
W_ML_GAP = -1.5  # per unit of percentile gap in ML work (skill tags of skills.toml's ml group)
W_MLOPS_GAP = -1.5  # the same for MLOps work (the mlops group)
W_ML_ONE_SIDED = -2.0  # ML work on one site, none at all on the other
W_MLOPS_ONE_SIDED = -2.0
NO_MLOPS_SOURCES = {"kaggle", "huggingface"}  # the Hub shows models, datasets and Spaces
# The weight of "this person has no account there (or we did not crawl it)".
W_NONE = 1.0
# Sites whose profiles show no place (the Hub's and PyPI's APIs have no location field): where
# either side is one, nothing can tell two namesakes apart by where they live, and many people
# have no account there at all, so "no account there, or a namesake's" weighs this much more.
PLACELESS_SOURCES = frozenset({"huggingface", "pypi"})
W_NONE_PLACELESS = 2.0
# A fuzzy link needs this posterior from both sides (the identity_threshold setting).
THRESHOLD = 0.85
_FROM_NAME = {"name": W_HANDLE_FROM_NAME, "first": W_HANDLE_FIRST_NAME}


def made_of_name(handle: str, name: str) -> tuple[float, str | None]:
    """The weight of `handle` being made of `name`, and the words that say so."""
    kind, words = handle_from_name(handle, name)
    return _FROM_NAME.get(kind or "", 0.0), words


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
    real = bool(v.name) and not is_handle(v.name)
    if not real and " " in nk:
        # A display name that is a handle with separators ('verma-rohan', a Stack Overflow
        # user's): one clue, compared as a handle made of a name, never also as the name.
        nk = ""
    initials = any(len(t) == 1 for t in nk.split())
    return Features(hk, nk, real, initials)


class Index:
    """Every profile by id, explicit key, handle and name: built once per run."""

    def __init__(self, views: Iterable[IdentityView], threshold: float = THRESHOLD) -> None:
        self.threshold = threshold  # the posterior a fuzzy link needs from both sides
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
        for v in self.views.values():
            for target, where in self.package_refs(v):
                self.refs_from.setdefault(v.id, []).append((target, where))
                self.refs_to.setdefault(target, []).append((v.id, where))
        # Profiles explicitly linked to a profile of each other source: (id, source) -> ids.
        self.explicit: dict[tuple[int, str], set[int]] = {}
        for src_id, pairs in self.refs_from.items():
            for target, _where in pairs:
                for x, y in ((src_id, target), (target, src_id)):
                    self.explicit.setdefault((x, self.views[y].source), set()).add(y)

    def package_refs(self, v: IdentityView) -> list[tuple[int, str]]:
        """The stored GitHub user who owns the source repository of a PyPI account's
        packages: an explicit link when unambiguous.

        Only a stored GitHub profile counts (the crawls store users, never organisations).
        A package several PyPI accounts have a role on counts only for the account whose
        handle or name agrees with the owner's (a co-maintainer's package is not theirs);
        packages pointing at several owners keep only the agreeing ones, and when more than
        one owner is left, nothing is linked.
        """
        found: dict[int, list[str]] = {}
        agreed: set[int] = set()
        for owner, package, roles, repo in package_owners(v):
            target = self.by_key.get(("github", owner))
            if target is None or target == v.id:
                continue
            agree = handles_or_names_agree(v, self.views[target])
            if roles > 1 and not agree:
                continue
            found.setdefault(target, []).append(
                f"package '{package}' (source repository github.com/{repo})"
            )
            if agree:
                agreed.add(target)
        if len(found) > 1:
            found = {t: w for t, w in found.items() if t in agreed}
        if len(found) != 1:
            return []
        ((target, wheres),) = found.items()
        return [(target, wheres[0])]

    def taken(self, candidate: int, v: IdentityView) -> bool:
        """Is `candidate` explicitly linked to another profile on `v`'s site? Then it has
        its account there, and a fuzzy link to `v` would contradict a stronger signal."""
        held = self.explicit.get((candidate, v.source), set())
        return bool(held) and v.id not in held

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
                    c
                    for c in self.by_stem.get((source, first), ())
                    if self.views[c].country == v.country
                )
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
    # A shared handle made of a name (without digits of its own) is as common as the name:
    # it counts only beside a name that matches, or as a handle made of the other's name.
    of_name = same_handle and not ha[-1].isdigit() and _handle_of_name(a, b)
    if same_handle and not of_name:
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
    if of_name and weight > 0:
        score += W_HANDLE_OF_NAME
        if explain:
            why.append(f"and the same handle '{b.handle}' made of it")
    if (of_name or not same_handle) and weight <= 0:
        # No shared handle or name: is one's handle made of the other's name?
        best: tuple[float, str | None] = (0.0, None)
        if fa.handle and fb.real_name:
            best = made_of_name(str(a.handle), str(b.name))
        if fb.handle and fa.real_name:
            other = made_of_name(str(b.handle), str(a.name))
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


def _handle_of_name(a: IdentityView, b: IdentityView) -> bool:
    """Is the handle both share made of a name either shows (or of the handle-like display
    name a Stack Overflow user goes by)? Such a handle is as common as the name."""
    handle = str(a.handle)
    return any(v.name and handle_from_name(handle, v.name)[0] == "name" for v in (a, b))


def ranked(v: IdentityView, source: str, index: Index) -> list[tuple[float, int, list[str]]]:
    """Candidates on `source`, best first; only the best one carries its reasons."""
    out: list[tuple[float, int, list[str]]] = []
    for cid in index.candidates(v, source):
        if index.taken(cid, v):
            continue
        score, _ = fuzzy_score(v, index.views[cid], index, explain=False)
        out.append((score, cid, []))
    out.sort(key=lambda t: (-t[0], t[1]))
    if out:
        top = out[0][1]
        score, why = fuzzy_score(v, index.views[top], index)
        out[0] = (score, top, why)
    return out


def best_match(v: IdentityView, source: str, index: Index) -> tuple[float, int, list[str]] | None:
    """The best match on `source` with its posterior probability, if that reaches the index's
    threshold (THRESHOLD unless the identity_threshold setting says otherwise).

    The posterior weighs the best candidate against every other candidate and against "no
    account there" (W_NONE): two equally good namesakes both stay below it.
    """
    key = (v.id, source)
    if key in index.best_cache:
        return index.best_cache[key]
    candidates = ranked(v, source, index)
    found = None
    if candidates and candidates[0][0] > 0:
        top = candidates[0][0]
        none = W_NONE + (W_NONE_PLACELESS if PLACELESS_SOURCES & {v.source, source} else 0.0)
        total = math.exp(none - top) + sum(math.exp(s - top) for s, _, _ in candidates)
        posterior = 1.0 / total
        if posterior >= index.threshold:
            found = (round(posterior, 3), candidates[0][1], candidates[0][2])
    index.best_cache[key] = found
    return found


def placeless_conflict(v: IdentityView, index: Index) -> bool:
    """A profile without a country whose best matches elsewhere live in different countries.

    A Kaggle account matching a GitHub account in China and a Stack Overflow account in
    Singapore belongs to one of two namesakes; linking it to either is a guess.
    """
    if v.country:
        return False
    countries = set()
    for source in SOURCES:
        best = best_match(v, source, index) if source != v.source else None
        if best is not None and (c := index.views[best[1]].country):
            countries.add(c)
    return len(countries) > 1
