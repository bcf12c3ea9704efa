"""Signs that a GitHub profile games its numbers, as pure functions the ranker calls on demand.

Nothing here is stored: the schema has no place for profile-level signals and enrichment must
not rewrite crawler-owned columns, so scoring calls `antigaming_signals(repos)` when it builds
features. Every value is a share in 0..1 or a count, so a ranker can weigh it and an
explanation can quote it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from config.clock import utcnow
from enrich.skills.tagging import RepoFacts, looks_star_farmed, repo_quality
from enrich.skills.taxonomy import Taxonomy, get_taxonomy

_DAY_S = 86400.0


def as_repo_facts(repo: Any) -> RepoFacts:
    """Any object with the Repository columns (ORM row, RepositoryItem) as RepoFacts."""
    if isinstance(repo, RepoFacts):
        return repo
    return RepoFacts(
        repo.name,
        repo.description,
        repo.language,
        repo.topics,
        int(repo.stars or 0),
        int(repo.forks or 0),
        bool(repo.is_fork),
        repo.created_at,
        repo.pushed_at,
    )


def antigaming_signals(
    repos: Iterable[Any], now: datetime | None = None, taxonomy: Taxonomy | None = None
) -> dict[str, float]:
    """Share of forks and tutorial clones, star-farming and automated-commit signs.

    - fork_share, tutorial_share: how much of the profile is other people's work;
    - star_farm_share: repos with 100+ stars, under 2% forks and no push after the first week;
    - stars_without_pushes: share of all stars sitting in such repos;
    - star_fork_ratio: the profile's stars per fork on own repos (organic projects are ~10-30);
    - automated_share: repos named like contribution-graph painters;
    - recent_share: own repos pushed in the last year (recency is hard to fake at scale).
    """
    tax = taxonomy or get_taxonomy()
    now = now or utcnow()
    facts: Sequence[RepoFacts] = [as_repo_facts(r) for r in repos]
    n = len(facts)
    if n == 0:
        return {
            "repos": 0.0, "fork_share": 0.0, "tutorial_share": 0.0, "star_farm_share": 0.0,
            "stars_without_pushes": 0.0, "star_fork_ratio": 0.0, "automated_share": 0.0,
            "recent_share": 0.0,
        }  # fmt: skip
    kinds = [repo_quality(tax, r)[1] for r in facts]
    own = [r for r, k in zip(facts, kinds, strict=True) if k in ("own", "empty")]
    farmed = [r for r in own if looks_star_farmed(r)]
    own_stars = sum(max(0, r.stars) for r in own)
    own_forks = sum(max(0, r.forks) for r in own)
    recent = sum(
        1 for r in own if r.pushed_at and (now - r.pushed_at).total_seconds() <= 365 * _DAY_S
    )
    return {
        "repos": float(n),
        "fork_share": round(sum(k in ("fork", "tutorial") for k in kinds) / n, 3),
        "tutorial_share": round(kinds.count("tutorial") / n, 3),
        "star_farm_share": round(len(farmed) / n, 3),
        "stars_without_pushes": round(sum(r.stars for r in farmed) / own_stars, 3)
        if own_stars
        else 0.0,
        "star_fork_ratio": round(own_stars / max(1, own_forks), 2),
        "automated_share": round(kinds.count("automated") / n, 3),
        "recent_share": round(recent / len(own), 3) if own else 0.0,
    }
