"""ML/MLOps skill tags with a strength and the evidence behind them.

The taxonomy lives in config/skills.toml (compiled by enrich.skills.taxonomy). A profile's
repositories, Stack Overflow tags, Kaggle achievements and bio (and, from the ML-native sources,
its Hub items, PyPI packages and major-project contributions: enrich.skills.ml_native) are
matched against it; each
matched skill gets

- a **strength** in 0..1: 1 - exp(-points / scale) per source, combined as independent
  evidence (1 - product of the misses). Roughly: 0.2 a mention, 0.5 real work, 0.8+ a lot of
  recent, recognised work. Strength is computed against `now`, so it ages only when the
  profile is enriched again;
- an **evidence** dict (stored as JSON) that `describe_evidence` turns into words.

What counts little: forks (x0.1), tutorial clones (x0.05), near-empty repos (x0.3), repos that
look star-farmed (no star bonus), questions compared to answers. Automated-commit repos count
nothing. Recency counts: a repo pushed in the last year weighs 1, within three years 0.6,
older 0.3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from config.clock import utcnow
from enrich.skills import ml_native
from enrich.skills.ml_native import ContributionFacts, HubFacts, PackageFacts
from enrich.skills.ml_native import recency as _recency
from enrich.skills.taxonomy import Taxonomy

TIER_NAMES = ("Novice", "Contributor", "Expert", "Master", "Grandmaster", "Staff")
MIN_STRENGTH = 0.02
# Points at which a source alone gives strength 1 - 1/e (0.63).
GITHUB_SCALE, SO_SCALE, KAGGLE_SCALE = 3.0, 4.0, 3.0
BIO_STRENGTH = 0.1  # a self-description is a claim, not evidence of work
_DAY_S = 86400.0


class RepoFacts(NamedTuple):
    name: str
    description: str | None
    language: str | None
    topics: Any  # list[str] as stored (JSON); anything else is ignored
    stars: int
    forks: int
    is_fork: bool
    created_at: datetime | None
    pushed_at: datetime | None


class TagFacts(NamedTuple):
    tag: str
    answer_count: int
    answer_score: int
    question_count: int
    question_score: int


class KaggleFacts(NamedTuple):
    category: str
    tier: int
    gold: int
    silver: int
    bronze: int


@dataclass(frozen=True, slots=True)
class SkillTagResult:
    skill: str
    category: str
    strength: float
    evidence: dict[str, Any]


# ---- GitHub ------------------------------------------------------------------------------


def star_farmed(
    stars: int, forks: int, created_at: datetime | None, pushed_at: datetime | None
) -> bool:
    """Many stars, almost no forks, no work after the first days: bought or begged stars.

    Real projects people use get forked (one fork for every 3-30 stars is usual) and keep
    being worked on. The ranker's `star_farming` feature uses this same rule.
    """
    if stars < 100 or forks * 50 > stars:
        return False
    if created_at is None or pushed_at is None:
        return True
    return (pushed_at - created_at).total_seconds() <= 7 * _DAY_S


def looks_star_farmed(repo: RepoFacts) -> bool:
    return star_farmed(repo.stars, repo.forks, repo.created_at, repo.pushed_at)


def repo_quality(tax: Taxonomy, repo: RepoFacts) -> tuple[float, str]:
    """(weight, kind): own 1, fork 0.1, tutorial clone 0.05, near-empty 0.3, automated 0."""
    lname = repo.name.lower()
    if lname in tax.automated:
        return 0.0, "automated"
    if repo.is_fork:
        return (0.05, "tutorial") if lname in tax.tutorial else (0.1, "fork")
    if not repo.description and not repo.language and not repo.topics:
        return 0.3, "empty"
    return 1.0, "own"


def _repo_skills(tax: Taxonomy, repo: RepoFacts) -> dict[str, float]:
    out: dict[str, float] = {}
    if repo.language:
        for sid in tax.by_language.get(repo.language.lower(), ()):
            out[sid] = 1.0
    if isinstance(repo.topics, list):
        for topic in repo.topics:
            if isinstance(topic, str):
                for sid in tax.by_topic.get(topic.lower(), ()):
                    out[sid] = 1.0
    text = f"{repo.name.replace('_', ' ')} {(repo.description or '')[:500]}"
    for sid in tax.text_skills(text):
        out.setdefault(sid, 0.8)
    return out


def _github(
    tax: Taxonomy, repos: list[RepoFacts], now: datetime
) -> dict[str, tuple[float, dict[str, Any]]]:
    acc: dict[str, dict[str, Any]] = {}
    for repo in repos:
        quality, kind = repo_quality(tax, repo)
        if quality == 0.0:
            continue
        matched = _repo_skills(tax, repo)
        if not matched:
            continue
        farmed = looks_star_farmed(repo)
        stars = max(0, repo.stars)
        star_bonus = 1.0 if farmed or kind != "own" else 1.0 + 0.5 * math.log10(1 + stars)
        recency = _recency(repo.pushed_at, now)
        recent = recency == 1.0
        for sid, match in matched.items():
            e = acc.get(sid)
            if e is None:
                e = acc[sid] = {
                    "repos": 0,
                    "own": 0,
                    "forks": 0,
                    "tutorial": 0,
                    "empty": 0,
                    "farmed": 0,
                    "over_100_stars": 0,
                    "stars": 0,
                    "recent": 0,
                    "points": 0.0,
                    "top": [],
                }
            e["repos"] += 1
            e["own" if kind in ("own", "empty") else "forks"] += 1
            if kind in ("tutorial", "empty"):
                e[kind] += 1
            if farmed:
                e["farmed"] += 1
            elif kind == "own":
                e["stars"] += stars
                e["over_100_stars"] += stars > 100
            e["recent"] += recent and kind == "own"
            e["points"] += quality * recency * star_bonus * match
            pushed = repo.pushed_at.date().isoformat() if repo.pushed_at else None
            e["top"].append([repo.name, stars, pushed, kind])
    out: dict[str, tuple[float, dict[str, Any]]] = {}
    for sid, e in acc.items():
        # The three most convincing repos: own before forks, then stars.
        e["top"] = sorted(e["top"], key=lambda t: (t[3] != "own", -t[1]))[:3]
        e["points"] = round(e["points"], 3)
        out[sid] = (1.0 - math.exp(-e["points"] / GITHUB_SCALE), e)
    return out


# ---- Stack Overflow and Kaggle -----------------------------------------------------------


def _stackoverflow(tax: Taxonomy, tags: list[TagFacts]) -> dict[str, tuple[float, dict[str, Any]]]:
    acc: dict[str, list[dict[str, Any]]] = {}
    points: dict[str, float] = {}
    for t in tags:
        for sid in tax.by_so_tag.get(t.tag.lower(), ()):
            a, s, q = max(0, t.answer_count), t.answer_score, max(0, t.question_count)
            # Answers show skill; questions show interest. Negative scores add nothing.
            p = math.log1p(a) + 0.5 * math.log1p(max(0, s)) + 0.2 * math.log1p(q)
            if p <= 0:
                continue
            acc.setdefault(sid, []).append({"tag": t.tag, "answers": a, "score": s, "questions": q})
            points[sid] = points.get(sid, 0.0) + p
    return {
        sid: (
            1.0 - math.exp(-points[sid] / SO_SCALE),
            {
                "tags": sorted(rows, key=lambda r: -r["answers"])[:5],
                "points": round(points[sid], 3),
            },
        )
        for sid, rows in acc.items()
    }


def _kaggle(tax: Taxonomy, kaggle: list[KaggleFacts]) -> dict[str, tuple[float, dict[str, Any]]]:
    acc: dict[str, list[dict[str, Any]]] = {}
    points: dict[str, float] = {}
    for k in kaggle:
        tier = k.tier if 1 <= k.tier <= 4 else 0  # 5 is Kaggle staff, not a skill level
        p = 0.6 * tier + 0.5 * k.gold + 0.25 * k.silver + 0.1 * k.bronze
        if p <= 0:
            continue
        for sid in tax.by_kaggle.get(k.category, ()):
            acc.setdefault(sid, []).append(
                {
                    "category": k.category,
                    "tier": tier,
                    "gold": k.gold,
                    "silver": k.silver,
                    "bronze": k.bronze,
                }
            )
            points[sid] = points.get(sid, 0.0) + p
    return {
        sid: (1.0 - math.exp(-points[sid] / KAGGLE_SCALE), {"categories": rows})
        for sid, rows in acc.items()
    }


# ---- one profile -------------------------------------------------------------------------


def tag_profile(
    tax: Taxonomy,
    repos: list[RepoFacts] = (),  # type: ignore[assignment]
    so_tags: list[TagFacts] = (),  # type: ignore[assignment]
    kaggle: list[KaggleFacts] = (),  # type: ignore[assignment]
    bio: str | None = None,
    now: datetime | None = None,
    hub: list[HubFacts] = (),  # type: ignore[assignment]
    packages: list[PackageFacts] = (),  # type: ignore[assignment]
    contributions: list[ContributionFacts] = (),  # type: ignore[assignment]
) -> list[SkillTagResult]:
    """Every skill a profile shows, strongest first, each with its evidence (the ML-native
    sources' evidence from enrich.skills.ml_native)."""
    now = now or utcnow()
    sources = {
        "github": _github(tax, list(repos), now) if repos else {},
        "stackoverflow": _stackoverflow(tax, list(so_tags)) if so_tags else {},
        "kaggle": _kaggle(tax, list(kaggle)) if kaggle else {},
        "huggingface": ml_native.hub(tax, list(hub), now) if hub else {},
        "pypi": ml_native.pypi(tax, list(packages), now) if packages else {},
        "contributions": (
            ml_native.contributions(tax, list(contributions), now) if contributions else {}
        ),
    }
    bio_hits = tax.bio_skills(bio) if isinstance(bio, str) and bio else {}
    skill_ids = set(bio_hits).union(*sources.values())
    out: list[SkillTagResult] = []
    for sid in skill_ids:
        spec = tax.skills[sid]
        evidence: dict[str, Any] = {"label": spec.label}
        miss = 1.0
        by_source: dict[str, float] = {}
        for name, found in sources.items():
            if sid in found:
                strength, ev = found[sid]
                miss *= 1.0 - strength
                evidence[name] = ev
                by_source[name] = round(strength, 3)
        if sid in bio_hits:
            miss *= 1.0 - BIO_STRENGTH
            evidence["bio"] = bio_hits[sid]
            by_source["bio"] = BIO_STRENGTH
        strength = round(1.0 - miss, 3)
        if strength < MIN_STRENGTH:
            continue
        evidence["by_source"] = by_source
        out.append(SkillTagResult(sid, spec.category, strength, evidence))
    out.sort(key=lambda r: (-r.strength, r.skill))
    return out


# ---- evidence in words -------------------------------------------------------------------


def _n(value: int, one: str, many: str | None = None) -> str:
    return f"{value:,} {one if value == 1 else (many or one + 's')}"


def describe_evidence(evidence: dict[str, Any] | None) -> str:
    """A skill tag's evidence as a recruiter reads it.

    e.g. "14 PyTorch repos (2 forks), 3 with >100 stars, 9 pushed in the last year;
    212 answers in [pytorch] (score 1,034); Kaggle Competitions Master, 2 gold medals;
    published model alice/llama-ft (text-generation, 12,400 downloads); maintains PyPI package
    foo; 14 merged pull requests in mlflow/mlflow".
    """
    if not isinstance(evidence, dict):
        return "no evidence recorded"
    label = str(evidence.get("label") or "skill")
    parts: list[str] = []
    gh = evidence.get("github")
    if isinstance(gh, dict) and gh.get("repos"):
        text = f"{_n(int(gh['repos']), f'{label} repo')}"
        notes = []
        if gh.get("forks"):
            tutorial = (
                f", {_n(int(gh['tutorial']), 'tutorial clone')}" if gh.get("tutorial") else ""
            )
            notes.append(f"{_n(int(gh['forks']), 'fork')}{tutorial}")
        if gh.get("farmed"):
            notes.append(f"{gh['farmed']} with suspicious stars, not counted")
        if notes:
            text += f" ({'; '.join(notes)})"
        if gh.get("over_100_stars"):
            text += f", {gh['over_100_stars']} with >100 stars"
        elif gh.get("stars"):
            text += f", {_n(int(gh['stars']), 'star')} in total"
        if gh.get("recent"):
            text += f", {gh['recent']} pushed in the last year"
        parts.append(text)
    so = evidence.get("stackoverflow")
    if isinstance(so, dict):
        for row in so.get("tags", [])[:3]:
            if row.get("answers"):
                parts.append(
                    f"{_n(int(row['answers']), 'answer')} in [{row['tag']}] "
                    f"(score {int(row.get('score', 0)):,})"
                )
            elif row.get("questions"):
                parts.append(f"{_n(int(row['questions']), 'question')} in [{row['tag']}]")
    kg = evidence.get("kaggle")
    if isinstance(kg, dict):
        for row in kg.get("categories", [])[:2]:
            tier = int(row.get("tier", 0))
            text = f"Kaggle {row.get('category')} {TIER_NAMES[tier] if tier < 6 else tier}"
            medals = [
                _n(int(row[m]), f"{m} medal") for m in ("gold", "silver", "bronze") if row.get(m)
            ]
            parts.append(text + (f", {', '.join(medals)}" if medals else ""))
    parts += ml_native.describe(evidence)
    if evidence.get("bio"):
        parts.append(f"bio mentions '{evidence['bio']}'")
    return "; ".join(parts) if parts else "no evidence recorded"
