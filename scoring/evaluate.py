"""Ranking quality: NDCG@k and precision@k, cross-validated, against the baselines others use.

The baselines are what sourcing tools commonly sort by: follower count and total stars. Every
ranker is scored on the same held-out folds, so the table compares like with like.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import ndcg_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from scoring.heuristic import heuristic_from
from scoring.model import check_labels, fit_pipeline
from scoring.ranking import RankingConfig

KS = (10, 50)
BASELINES = {"followers": "followers", "stars": "own_stars"}


def ndcg_at_k(scores: Any, relevance: Any, k: int) -> float:
    """NDCG@k of the ranking `scores` induce, against graded `relevance` (ties averaged).

    Linear gain, log2 discount: scikit-learn's ndcg_score on one query. 0 when nothing in the
    list is relevant (there is no ideal ranking to compare with).
    """
    s = np.asarray(scores, dtype=np.float64).reshape(1, -1)
    r = np.asarray(relevance, dtype=np.float64).reshape(1, -1)
    if s.shape[1] < 2:
        return 1.0 if s.shape[1] == 1 and r[0, 0] > 0 else 0.0
    return float(ndcg_score(r, s, k=k))


def precision_at_k(scores: Any, relevance: Any, k: int, seed: int = 0) -> float:
    """Share of relevant (relevance >= 1) among the top k; ties broken by a fixed shuffle."""
    s = np.asarray(scores, dtype=np.float64)
    r = np.asarray(relevance, dtype=np.float64)
    if len(s) == 0:
        return 0.0
    shuffle = np.random.default_rng(seed).permutation(len(s))
    order = shuffle[np.argsort(-s[shuffle], kind="stable")][:k]
    return float((r[order] >= 1).mean())


def metrics_for(scores: Any, relevance: Any, ks: tuple[int, ...] = KS) -> dict[str, float]:
    out: dict[str, float] = {}
    for k in ks:
        out[f"ndcg@{k}"] = ndcg_at_k(scores, relevance, k)
    for k in ks:
        out[f"precision@{k}"] = precision_at_k(scores, relevance, k)
    return out


def ranker_scores(
    X: pd.DataFrame, config: RankingConfig, pipe: Pipeline | None = None
) -> dict[str, np.ndarray]:
    """Scores of the learned model (when given), the heuristic prior and each baseline."""
    out: dict[str, np.ndarray] = {}
    if pipe is not None:
        out["learned"] = pipe.predict_proba(X[list(config.features)])[:, 1]
    out["heuristic"] = heuristic_from(config).score_samples(X[list(config.features)])
    for name, column in BASELINES.items():
        out[name] = X[column].to_numpy(dtype=np.float64)
    return out


def cross_validate(X: pd.DataFrame, y: pd.Series, config: RankingConfig) -> pd.DataFrame:
    """Mean metrics per ranker over stratified folds (rows: rankers; columns: metrics).

    The learned model is refitted on each training fold and scored on the held-out fold; the
    heuristic and the baselines need no fitting and are scored on the same folds.
    """
    check_labels(y)
    relevant = (y >= 1).astype(int).to_numpy()
    folds = min(config.model.cv_folds, int(relevant.sum()), int((1 - relevant).sum()))
    splitter = StratifiedKFold(
        n_splits=max(2, folds), shuffle=True, random_state=config.model.random_state
    )
    rows: dict[str, list[dict[str, float]]] = {}
    for train_idx, test_idx in splitter.split(np.zeros(len(y)), relevant):
        pipe = fit_pipeline(X.iloc[train_idx], y.iloc[train_idx], config)
        test = X.iloc[test_idx]
        for name, scores in ranker_scores(test, config, pipe).items():
            rows.setdefault(name, []).append(metrics_for(scores, y.iloc[test_idx].to_numpy()))
    table = pd.DataFrame({name: pd.DataFrame(r).mean() for name, r in rows.items()}).T
    table["folds"] = splitter.get_n_splits()
    return table


def importance(
    pipe: Pipeline, X: pd.DataFrame, y: pd.Series, config: RankingConfig, repeats: int = 5
) -> dict[str, float]:
    """Permutation importance (drop in average precision when a feature is shuffled)."""
    result = permutation_importance(
        pipe,
        X[list(config.features)],
        (y >= 1).astype(int),
        scoring="average_precision",
        n_repeats=repeats,
        random_state=config.model.random_state,
    )
    means = result["importances_mean"]
    return {f: round(float(m), 4) for f, m in zip(config.features, means, strict=True)}


def format_table(table: pd.DataFrame) -> list[list[str]]:
    """Rows for printing: ranker, then each metric to three decimals."""
    cols = [c for c in table.columns if c != "folds"]
    return [[str(name), *[f"{table.loc[name, c]:.3f}" for c in cols]] for name in table.index]
