"""Every ranking feature, declared once: its name, kind, direction, how it is computed from a
candidate's totals and how it reads in words. Everything else derives from this list:

- the columns `scoring.features` computes (in this order) and the rankers see by default
  (ranking.toml's `features`, when given, must name features declared here);
- ranking.toml's weights, caps and [monotone] are checked against these names when loaded;
- the direction a learned model is bounded to (`direction`; ranking.toml's [monotone] may
  override it), and what "no evidence" is (`absent`), used by explanations;
- the words of `why_ranked` and `top_skills` (`describe`);
- which features are ML or MLOps activity (`group`): the stored score columns the
  shortlist's `--skill ml` / `--skill mlops` filter reads;
- which ML-native source a feature reads (`source`: huggingface, pypi, contributions), so the
  audit and the ranking bench can rank with and without each source.

Features never read anything that could stand for gender, ethnicity or age.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from scoring.evidence import Tops

RECENCY_DAYS = 365.0  # recency = exp(-days since last activity / RECENCY_DAYS)
_TIERS = ["novice", "contributor", "expert", "master", "grandmaster"]
# Issue 19's sources: Hub accounts and PyPI accounts are profiles of their own source;
# contributions to the major projects (ml_projects.toml) are rows of GitHub profiles.
ML_NATIVE_SOURCES = ("huggingface", "pypi", "contributions")


@dataclass
class Totals:
    """One candidate's running totals while stored rows stream in (scoring.features); each
    feature is computed from them."""

    ml_skill: float = 0.0  # skill-tag strength summed over skills.toml's ml categories
    mlops_skill: float = 0.0
    ml_repos: int = 0  # own non-fork, not star-farmed repositories about ML
    mlops_repos: int = 0
    ml_repo_stars: int = 0
    own_stars: int = 0  # stars on every own non-fork repository
    farmed_stars: int = 0
    repos: int = 0
    forks: int = 0
    so_ml_answers: int = 0  # Stack Overflow answers in ML/MLOps tags
    so_ml_score: int = 0
    kaggle_tier: int = 0
    kaggle_medals: int = 0  # gold 3, silver 2, bronze 1
    followers: int = 0
    hub_items: int = 0  # Hub models, datasets and Spaces that show ML work
    hub_downloads: int = 0
    hub_likes: int = 0
    ml_on_pypi: int = 0  # PyPI packages with a role on them, about ML
    mlops_on_pypi: int = 0
    ml_project_prs: int = 0  # merged pull requests in ml_projects.toml's ML projects
    mlops_project_prs: int = 0
    project_commits: int = 0  # commits in any project of ml_projects.toml
    sources: frozenset[str] = frozenset()
    last: datetime | None = None  # latest dated activity
    regions: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    tops: Tops = field(default_factory=Tops)  # what the counts above are made of

    def seen(self, when: datetime | None) -> None:
        if when is not None and (self.last is None or when > self.last):
            self.last = when


Compute = Callable[[Totals, "float | None"], float]  # totals, days since last activity


@dataclass(frozen=True)
class Feature:
    """A feature: how it is computed, how the models treat it, how a recruiter reads it."""

    name: str
    kind: Literal["count", "share", "level"]  # count: log-scaled; share: 0..1; level: ordinal
    direction: int  # 1: more is never worse, -1: more is never better, 0: free
    compute: Compute
    words: Callable[[float], str]
    absent: float = 0.0  # the value of a candidate who shows nothing of it
    group: str | None = None  # "ml" / "mlops": a value above `absent` is that group's activity
    source: str | None = None  # the ML-native source it reads (ML_NATIVE_SOURCES), if one


def _n(singular: str, plural: str | None = None) -> Callable[[float], str]:
    def say(v: float) -> str:
        n = round(v)
        return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"

    return say


def _recency(days: float | None) -> float:
    return math.exp(-max(0.0, days) / RECENCY_DAYS) if days is not None else 0.0


def _recency_words(v: float) -> str:
    if v <= 0:
        return "no dated activity"
    days = -math.log(v) * RECENCY_DAYS
    return "active this month" if days < 31 else f"last active {days / 30.4:.0f} months ago"


def _stars(what: str) -> Callable[[float], str]:
    return _n(f"star on {what}", f"stars on {what}")


_DECLARED = [
    # name, kind, direction, compute, words[, absent, group]
    Feature(
        "ml_skill", "count", 1, lambda t, d: t.ml_skill, lambda v: f"ML skill strength {v:.1f}"
    ),
    Feature(
        "mlops_skill",
        "count",
        1,
        lambda t, d: t.mlops_skill,
        lambda v: f"MLOps skill strength {v:.1f}",
    ),
    Feature("ml_repos", "count", 1, lambda t, d: t.ml_repos, _n("ML repo"), group="ml"),
    Feature("mlops_repos", "count", 1, lambda t, d: t.mlops_repos, _n("MLOps repo"), group="mlops"),
    Feature("ml_repo_stars", "count", 1, lambda t, d: t.ml_repo_stars, _stars("ML/MLOps repos")),
    Feature("own_stars", "count", 1, lambda t, d: t.own_stars, _stars("own repos")),
    Feature(
        "so_ml_answers",
        "count",
        1,
        lambda t, d: t.so_ml_answers,
        _n("SO answer in ML tags", "SO answers in ML tags"),
        group="ml",
    ),
    Feature(
        "so_ml_score",
        "count",
        1,
        lambda t, d: t.so_ml_score,
        lambda v: f"SO answer score {round(v):,} in ML tags",
    ),
    Feature(
        "kaggle_tier",
        "level",
        1,
        lambda t, d: t.kaggle_tier,
        lambda v: f"Kaggle {_TIERS[min(4, max(0, round(v)))]}",
    ),
    Feature(
        "kaggle_medals",
        "count",
        1,
        lambda t, d: t.kaggle_medals,
        lambda v: f"{round(v):,} Kaggle medal points",
    ),
    # 1 = active today, 0.37 = a year ago, decays further
    Feature("recency", "share", 1, lambda t, d: _recency(d), _recency_words),
    # linked platforms (cross-platform corroboration); every candidate has one profile
    Feature(
        "platforms", "level", 1, lambda t, d: len(t.sources), _n("linked platform"), absent=1.0
    ),
    # anti-gaming: tutorial forks, bought or farmed stars
    Feature(
        "fork_share",
        "share",
        -1,
        lambda t, d: t.forks / t.repos if t.repos else 0.0,
        lambda v: f"{v:.0%} of repos are forks",
    ),
    Feature(
        "star_farming",
        "share",
        -1,
        lambda t, d: t.farmed_stars / t.own_stars if t.own_stars else 0.0,
        lambda v: f"{v:.0%} of stars look farmed",
    ),
    # popularity; weak on its own, kept for the model to weigh
    Feature("followers", "count", 1, lambda t, d: t.followers, _n("follower")),
    # ML-native sources (issue 19): published work the field itself uses
    Feature(
        "hub_ml_items",
        "count",
        1,
        lambda t, d: t.hub_items,
        _n("ML item on the Hugging Face Hub", "ML items on the Hugging Face Hub"),
        group="ml",
        source="huggingface",
    ),
    Feature(
        "hub_downloads",
        "count",
        1,
        lambda t, d: t.hub_downloads,
        _n("Hub download"),
        source="huggingface",
    ),
    Feature(
        "hub_likes", "count", 1, lambda t, d: t.hub_likes, _n("Hub like"), source="huggingface"
    ),
    Feature(
        "ml_on_pypi",
        "count",
        1,
        lambda t, d: t.ml_on_pypi,
        _n("ML package maintained on PyPI", "ML packages maintained on PyPI"),
        group="ml",
        source="pypi",
    ),
    Feature(
        "mlops_on_pypi",
        "count",
        1,
        lambda t, d: t.mlops_on_pypi,
        _n("MLOps package maintained on PyPI", "MLOps packages maintained on PyPI"),
        group="mlops",
        source="pypi",
    ),
    Feature(
        "ml_project_prs",
        "count",
        1,
        lambda t, d: t.ml_project_prs,
        _n("merged PR in major ML projects", "merged PRs in major ML projects"),
        group="ml",
        source="contributions",
    ),
    Feature(
        "mlops_project_prs",
        "count",
        1,
        lambda t, d: t.mlops_project_prs,
        _n("merged PR in major MLOps projects", "merged PRs in major MLOps projects"),
        group="mlops",
        source="contributions",
    ),
    Feature(
        "project_commits",
        "count",
        1,
        lambda t, d: t.project_commits,
        _n("commit in major ML/MLOps projects", "commits in major ML/MLOps projects"),
        source="contributions",
    ),
]
FEATURES: dict[str, Feature] = {f.name: f for f in _DECLARED}
# Opt-in indicators a user may list deliberately ("region:india"); free, 1 or 0.
OPT_IN_PREFIXES = ("region:", "country:")


def feature(name: str) -> Feature:
    """The declaration of a feature, including opt-in indicator features such as region:india."""
    if name in FEATURES:
        return FEATURES[name]
    kind, _, value = name.partition(":")

    def compute(t: Totals, days: float | None) -> float:
        pool = t.regions if kind == "region" else t.countries
        return 1.0 if value in pool or value.upper() in pool else 0.0

    def say(v: float) -> str:
        return f"{name} = {'yes' if v else 'no'}"

    return Feature(name, "share", 0, compute, say)


def describe(name: str, value: float) -> str:
    """A feature's value in words a recruiter reads ("14 ML repos")."""
    return feature(name).words(float(value))


def features_of_source(source: str) -> list[str]:
    """The features that read an ML-native source (`scout model audit` ranks without them)."""
    return [f.name for f in FEATURES.values() if f.source == source]


def activity_of(group: str) -> list[str]:
    """The features whose value shows activity of an ML group ("ml" or "mlops")."""
    return [f.name for f in FEATURES.values() if f.group == group]
