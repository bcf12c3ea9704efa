"""ranking.toml, typed: the feature list, the heuristic prior's weights, the model's settings."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config.data import load_data_file
from config.projects import ProjectsFile, normalise_package
from config.skills import SkillsFile, load_skills
from scoring.feature_defs import FEATURES, OPT_IN_PREFIXES, feature

log = logging.getLogger(__name__)
_KNOWN = "known: " + ", ".join(FEATURES) + ", region:<key>, country:<code>"

# Names a feature may never carry: the ranker must not see protected attributes, even by proxy
# of a deliberately named column.
PROTECTED = re.compile(
    r"gender|sex|ethnic|race|racial|age\b|_age|age_|birth|religio|nationality|disab|marital",
    re.IGNORECASE,
)


class Heuristic(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weights: dict[str, float]
    caps: dict[str, float] = Field(default_factory=dict)


class ModelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    estimator: Literal["logistic_regression", "hist_gradient_boosting"] = "logistic_regression"
    prior: Literal["heuristic", "none"] = "heuristic"  # what the fit starts from
    C: float = Field(1.0, gt=0)
    learning_rate: float = Field(0.1, gt=0)
    max_iter: int = Field(200, ge=1)
    max_leaf_nodes: int = Field(15, ge=2)
    min_samples_leaf: int = Field(20, ge=1)
    l2_regularization: float = Field(1.0, ge=0)
    cv_folds: int = Field(5, ge=2)
    random_state: int = 0
    # Positive-unlabelled learning: the candidates nobody labelled count as "no" with this much
    # weight in all (1.0: as much as the labelled "yes"), so a model trains on "yes" labels alone
    # and labels taken from the top of a shortlist still see the bottom.
    background_weight: float = Field(1.0, ge=0)
    background_max: int = Field(20_000, ge=0)  # at most this many, sampled (memory, time)


class Vocabulary(BaseModel):
    """What counts as ML or MLOps for the features, derived from skills.toml (never written in
    ranking.toml): the categories of each group, and the topics and Stack Overflow tags of the
    group's skills (a repository or a tag with one of them is ML or MLOps work)."""

    model_config = ConfigDict(extra="forbid")
    ml_terms: list[str]
    mlops_terms: list[str]
    ml_categories: list[str]
    mlops_categories: list[str]
    # ml_projects.toml's projects ("owner/name" lower-case) and packages (PEP 503 names), and
    # skills.toml's PyPI classifiers -> "ml" or "mlops". Everything ml_projects.toml lists is
    # ML or MLOps work by that file's definition: a skill outside the ml group (Airflow's
    # "data") counts as MLOps, the infrastructure the field runs on.
    project_groups: dict[str, str] = Field(default_factory=dict)
    package_groups: dict[str, str] = Field(default_factory=dict)
    classifier_groups: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def from_skills(cls, skills: SkillsFile, projects: ProjectsFile | None = None) -> Vocabulary:
        projects = projects or load_data_file("ml_projects.toml", None, ProjectsFile)

        def group(skill: str) -> str:
            known = skills.skills.get(skill)
            in_ml = known is not None and skills.categories.get(known.category) == "ml"
            return "ml" if in_ml else "mlops"

        classifiers: dict[str, str] = {
            c.strip(): skills.categories[s.category]
            for s in skills.skills.values()
            for c in s.pypi_classifiers
            if skills.categories.get(s.category) in ("ml", "mlops")
        }
        return cls(
            ml_terms=skills.terms_of("ml"),
            mlops_terms=skills.terms_of("mlops"),
            ml_categories=skills.categories_of("ml"),
            mlops_categories=skills.categories_of("mlops"),
            project_groups={r.lower(): group(p.skill) for r, p in projects.projects.items()},
            package_groups={normalise_package(n): group(s) for n, s in projects.packages.items()},
            classifier_groups=classifiers,
        )


def _shipped_vocabulary() -> Vocabulary:
    return Vocabulary.from_skills(load_skills())


class Audit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    top_k: int = Field(50, ge=1)
    share_change: float = Field(0.10, gt=0, le=1)


class RankingConfig(BaseModel):
    """The whole of ranking.toml."""

    model_config = ConfigDict(extra="forbid")
    # The features the rankers see; by default every one scoring.feature_defs declares.
    features: list[str] = Field(default_factory=lambda: list(FEATURES))
    heuristic: Heuristic
    model: ModelSettings = Field(default_factory=ModelSettings)  # type: ignore[arg-type]
    # Derived from skills.toml by load_ranking (our skills.toml unless the user gives one).
    vocabulary: Vocabulary = Field(default_factory=_shipped_vocabulary)
    # feature -> 1 | 0 | -1, overriding the direction its declaration gives
    monotone: dict[str, Any] = Field(default_factory=dict)
    audit: Audit = Field(default_factory=Audit)  # type: ignore[arg-type]

    @model_validator(mode="before")
    @classmethod
    def _older_vocabulary(cls, data: Any) -> Any:
        # ranking.toml before issue 17 listed its own [vocabulary]; skills.toml's [categories]
        # and skills decide now, so the section is read past with a warning, never obeyed.
        if isinstance(data, dict) and isinstance(data.get("vocabulary"), dict):
            data = {k: v for k, v in data.items() if k != "vocabulary"}
            log.warning(
                "ranking.toml: [vocabulary] is no longer read (what counts as ML or MLOps comes "
                "from skills.toml's [categories] and skills); delete the section"
            )
        return data

    @model_validator(mode="after")
    def _check_features(self) -> RankingConfig:
        if not self.features:
            raise ValueError("features: list at least one feature")
        if len(set(self.features)) != len(self.features):
            raise ValueError("features: a feature is listed twice")
        for name in self.features:
            if PROTECTED.search(name.split(":", 1)[-1] if ":" in name else name):
                raise ValueError(f"features: {name!r} would encode a protected attribute")
            if name not in FEATURES and not name.startswith(OPT_IN_PREFIXES):
                raise ValueError(f"features: unknown feature {name!r} ({_KNOWN})")
        opt_in = {f for f in self.features if f.startswith(OPT_IN_PREFIXES)}
        for key, names in (("weights", self.heuristic.weights), ("caps", self.heuristic.caps)):
            unknown = set(names) - set(FEATURES) - opt_in
            if unknown:
                raise ValueError(
                    f"heuristic.{key}: unknown feature(s) {sorted(unknown)} ({_KNOWN})"
                )
        self._check_monotone()
        return self

    def _check_monotone(self) -> None:
        """Each direction names a listed feature and is 1, 0 or -1; the prior's weights agree."""
        for name, value in self.monotone.items():
            key = f"monotone.{name}"
            if name not in FEATURES and name not in self.features:
                raise ValueError(f"{key}: unknown feature ({_KNOWN})")
            if isinstance(value, bool) or value not in (-1, 0, 1):
                raise ValueError(
                    f"{key}: {value!r} is not a direction (1: more is never worse, "
                    "-1: more is never better, 0: free)"
                )
        for name, weight in self.heuristic.weights.items():
            sign = self.direction(name)
            if sign and weight * sign < 0:
                raise ValueError(
                    f"heuristic.weights.{name}: {weight:g} goes against its direction {sign} "
                    f"(monotone.{name} or scoring/feature_defs.py)"
                )

    def direction(self, feature_name: str) -> int:
        """The direction of a feature: 1, -1, or 0 (free): ranking.toml's [monotone] when it
        names the feature, else the feature's declaration (opt-in indicators are free)."""
        if feature_name in self.monotone:
            return int(self.monotone[feature_name])
        return feature(feature_name).direction

    def fingerprint(self) -> str:
        """A short hash of what the heuristic prior depends on (its version)."""
        parts = (
            self.features,
            sorted(self.heuristic.weights.items()),
            sorted(self.heuristic.caps.items()),
            self.vocabulary.model_dump(),
        )
        text = repr(parts)
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def features_fingerprint(self) -> str:
        """A short hash of what a learned model's inputs mean: the features and the vocabulary
        (skills.toml's groups and their terms) that decides which skill tags, repositories and
        tags count as ML or MLOps. A model is refused when it changes."""
        text = repr((self.features, self.vocabulary.model_dump()))
        return hashlib.sha256(text.encode()).hexdigest()[:10]


def load_ranking(path: Path | None = None, skills_path: Path | None = None) -> RankingConfig:
    """ranking.toml (the user's copy when given: Settings.ranking_file, else ours), with the
    vocabulary of skills.toml (Settings.skills_file, else ours)."""
    config = load_data_file("ranking.toml", path, RankingConfig)
    if skills_path is None:
        return config
    vocabulary = Vocabulary.from_skills(load_skills(skills_path))
    return config.model_copy(update={"vocabulary": vocabulary})
