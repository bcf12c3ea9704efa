"""`scout model train`: fit on every label, compare with the active model on the same
cross-validation folds, save, and activate only when the new model is not worse.

The comparison refits the new model on each training fold (with the unlabelled candidates of
the other folds as background) and scores the active model, as it is, on the same held-out
fold. With fewer than 3 "no" labels the held-out folds also hold their share of unlabelled
candidates, counted as "no": NDCG then says how high the held-out "yes" rank among everyone.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.model_selection import KFold, StratifiedKFold
from sqlalchemy.orm import Session

from config.clock import utcnow
from config.errors import ScoutError
from scoring.evaluate import importance
from scoring.heuristic import heuristic_from, heuristic_version
from scoring.metrics import measurable, ndcg_at_k
from scoring.model import (
    MIN_PER_CLASS,
    Ranker,
    activate,
    check_labels,
    fit_pipeline,
    load_labels,
    load_ranker,
    record_version,
    register_heuristic,
)
from scoring.ranking import RankingConfig
from storage.models import ModelVersion

KS = (10, 50)


@dataclass
class Comparison:
    """Each ranker's NDCG on each held-out fold: "new", "active" and, when the active model is
    a learned one, "heuristic"."""

    held_out: list[int]  # candidates in each held-out fold
    background: bool  # held-out folds include unlabelled candidates counted as "no"
    versions: dict[str, str]  # role -> version
    refit_active: bool = False  # the active learned model was refitted on each training fold
    folds: dict[str, list[dict[str, float]]] = field(default_factory=dict)

    @property
    def headline(self) -> str:
        """The metric models are compared on: the largest NDCG@k every held-out fold can
        measure (NDCG@50 from 100 candidates a fold), else NDCG of the whole held-out fold."""
        return self.metrics()[-2] if len(self.metrics()) > 1 else "ndcg"

    def metrics(self) -> list[str]:
        ks = [f"ndcg@{k}" for k in KS if measurable(k, min(self.held_out))]
        return [*ks, "ndcg"]

    def mean(self, role: str, metric: str | None = None) -> float:
        return float(np.mean([f[metric or self.headline] for f in self.folds[role]]))

    def sd(self, role: str, metric: str | None = None) -> float:
        values = [f[metric or self.headline] for f in self.folds[role]]
        return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0

    def summary(self) -> dict[str, dict[str, float]]:
        """{role: {metric: mean, "<metric> sd": spread}} (the card's "metrics")."""
        return {
            role: {
                key: value
                for metric in self.metrics()
                for key, value in (
                    (metric, round(self.mean(role, metric), 4)),
                    (f"{metric} sd", round(self.sd(role, metric), 4)),
                )
            }
            for role in self.folds
        }

    def not_worse(self) -> bool:
        return self.mean("new") >= self.mean("active") - 1e-9


def compare_on_folds(
    X: pd.DataFrame,
    y: pd.Series,
    config: RankingConfig,
    active: Ranker,
    background: pd.DataFrame,
    active_recipe: RankingConfig | None = None,
) -> Comparison:
    """The new model against the active one on the same held-out folds.

    The new model is refitted on each training fold. So is an active learned model, from the
    ranking.toml it was trained with (`active_recipe`), so that neither has seen the labels
    it is judged on; without its recipe (a model from an earlier version) it scores as saved.
    The heuristic needs no fitting.
    """
    relevant = (y >= 1).astype(int).to_numpy()
    n_pos, n_neg = int(relevant.sum()), int(len(relevant) - relevant.sum())
    only_yes = n_neg < MIN_PER_CLASS
    k = max(2, min(config.model.cv_folds, n_pos if only_yes else min(n_pos, n_neg)))
    seed = config.model.random_state
    labelled = (
        KFold(k, shuffle=True, random_state=seed).split(X)
        if only_yes
        else StratifiedKFold(k, shuffle=True, random_state=seed).split(X, relevant)
    )
    unlabelled: list[np.ndarray] = (
        [test for _, test in KFold(k, shuffle=True, random_state=seed).split(background)]
        if len(background) >= k
        else [np.arange(0)] * k
    )
    recipes = {"new": config}
    fixed: dict[str, Ranker] = {}
    if active.kind == "learned" and active_recipe is not None:
        recipes["active"] = active_recipe
    else:
        fixed["active"] = active
    if active.kind == "learned":
        fixed["heuristic"] = Ranker(
            heuristic_version(config), "heuristic", list(config.features), heuristic_from(config)
        )
    versions = {"new": "new", "active": active.version}
    versions.update({role: r.version for role, r in fixed.items() if role != "active"})
    out = Comparison([], only_yes, versions, refit_active="active" in recipes)
    for (train_idx, test_idx), bg_test in zip(labelled, unlabelled, strict=True):
        bg_train = background.drop(index=background.index[bg_test])
        test, relevance = X.iloc[test_idx], y.iloc[test_idx].to_numpy()
        if only_yes:
            test = pd.concat([test, background.iloc[bg_test]])
            relevance = np.concatenate([relevance, np.zeros(len(bg_test))])
        out.held_out.append(len(test))
        scores = {role: r.score(test) for role, r in fixed.items()}
        for role, recipe in recipes.items():
            pipe = fit_pipeline(X.iloc[train_idx], y.iloc[train_idx], recipe, bg_train)
            scores[role] = pipe.decision_function(test[recipe.features])
        for role in versions:
            out.folds.setdefault(role, []).append(_ndcgs(scores[role], relevance))
    return out


def active_recipe(session: Session, active: Ranker) -> RankingConfig | None:
    """The ranking.toml an active learned model was trained with (None: not recorded)."""
    row = session.get(ModelVersion, active.version)
    saved = (row.card or {}).get("ranking") if row is not None else None
    if active.kind != "learned" or not saved:
        return None
    try:
        return RankingConfig.model_validate(saved)
    except ValueError:  # written by another version of talent-scout
        return None


def _ndcgs(scores: np.ndarray, relevance: np.ndarray) -> dict[str, float]:
    out = {"ndcg": ndcg_at_k(scores, relevance, len(relevance))}
    for k in KS:
        out[f"ndcg@{k}"] = ndcg_at_k(scores, relevance, k) if measurable(k, len(scores)) else np.nan
    return out


@dataclass
class Trained:
    """What `scout model train` reports."""

    ranker: Ranker
    card: dict[str, Any]
    comparison: Comparison
    activated: bool
    background: int  # unlabelled candidates used as background
    note: str = ""  # why the comparison is not with the active model, when it is not


def train(
    session: Session,
    config: RankingConfig,
    X: pd.DataFrame,
    models_dir: Path,
    force: bool = False,
    now: datetime | None = None,
) -> Trained:
    """Fit on every label (the other candidates as background), compare with the active model
    on the same folds, save and register; activate when not worse, or when `force`."""
    now = now or utcnow()
    y = load_labels(session)
    y = y[y.index.isin(X.index)]
    background = X.drop(index=y.index)[list(config.features)]
    usable = len(background) if config.model.background_weight > 0 else 0
    check_labels(y, usable)
    Xl = X.loc[y.index]
    note = ""
    try:
        active = load_ranker(session, config)
    except ScoutError as exc:
        active, note = register_heuristic(session, config), f"{exc}; compared with the heuristic"
    recipe = active_recipe(session, active)
    if active.kind == "learned" and recipe is None:
        note = f"{active.version} has no recorded recipe: it is compared as saved"
    comparison = compare_on_folds(
        Xl, y, config, active, background if usable else background.iloc[:0], recipe
    )
    pipe = fit_pipeline(Xl, y, config, unlabelled=background)
    version = stem = f"learned-{now:%Y%m%d-%H%M%S}-{config.fingerprint()[:6]}"
    n = 1
    while session.get(ModelVersion, version) is not None:  # two trainings in one second
        n += 1
        version = f"{stem}-{n}"
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / f"{version}.joblib"
    joblib.dump({"pipeline": pipe, "features": list(config.features)}, path)
    activated = force or comparison.not_worse()
    card = {
        "features": list(config.features),
        "estimator": config.model.estimator,
        "params": config.model.model_dump(),
        "monotone": {f: config.direction(f) for f in config.features},
        "ranking": config.model_dump(mode="json"),  # the recipe, to refit it in comparisons
        "labels": {
            "total": len(y),
            "relevant": int((y >= 1).sum()),
            "not_relevant": int((y < 1).sum()),
            "background": usable,
        },
        "metrics": comparison.summary(),
        "cv": {
            "folds": len(comparison.held_out),
            "held_out": comparison.held_out,
            "headline": comparison.headline,
            "background_in_folds": comparison.background,
            "versions": comparison.versions,
        },
        "permutation_importance": _importance(pipe, Xl, y, config),
        "trained_at": now.isoformat(),
        "activated": activated,
        "ranking_fingerprint": config.fingerprint(),
        "features_fingerprint": config.features_fingerprint(),
        "sklearn": sklearn.__version__,
        "python": platform.python_version(),
    }
    record_version(session, version, "learned", config, card, path, now)
    if activated:
        activate(session, version)
    ranker = Ranker(version, "learned", list(config.features), pipe)
    return Trained(ranker, card, comparison, activated, usable, note)


def _importance(
    pipe: Any, X: pd.DataFrame, y: pd.Series, config: RankingConfig
) -> dict[str, float]:
    """Permutation importance on the labels, when they hold both answers (else nothing)."""
    positives = int((y >= 1).sum())
    if positives < MIN_PER_CLASS or len(y) - positives < MIN_PER_CLASS:
        return {}
    return importance(pipe, X, y, config)
