"""Ranking quality: NDCG@k and precision@k, cross-validated, against the baselines others use.

The baselines are what sourcing tools commonly sort by: follower count and total stars. Every
ranker is scored on the same held-out folds, so the table compares like with like.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from config.errors import ScoutError
from scoring.heuristic import heuristic_from
from scoring.metrics import MIN_FOLD_PER_K, measurable, ndcg_at_k, precision_at_k
from scoring.model import MIN_PER_CLASS, fit_pipeline
from scoring.ranking import RankingConfig
from scoring.sampling import SAMPLE_HINT

# The cut-offs every table shows; a fold measures @k only when it holds at least MIN_FOLD_PER_K
# x k labelled candidates (with fewer, the top k is most of the fold and precision@k is just
# the fold's share of "yes", the same for every ranker), and precision@k only when it also holds
# k "yes" (with fewer, a perfect ranking scores below 1, the same as any good one). MORE_KS: the
# largest cut-off that fits is added.
KS = (10, 50)
MORE_KS = (5, 20, 100, 200, 500)
BASELINES = {"followers": "followers", "stars": "own_stars"}


def ks_for(fold_labels: int) -> tuple[int, ...]:
    """KS, plus the largest cut-off the folds can measure when it is not one of them."""
    fitting = [k for k in sorted({*KS, *MORE_KS}) if measurable(k, fold_labels)]
    return tuple(sorted({*KS, *fitting[-1:]}))


def metric_names(ks: tuple[int, ...]) -> list[str]:
    """Column order: NDCG of the whole held-out fold, then NDCG@k, then precision@k."""
    return ["ndcg", *[f"ndcg@{k}" for k in ks], *[f"precision@{k}" for k in ks]]


def metrics_for(scores: Any, relevance: Any, ks: tuple[int, ...] = KS) -> dict[str, float]:
    """Every metric of `metric_names(ks)`; NaN for a cut-off this list cannot measure."""
    n = len(np.asarray(scores))
    yes = int((np.asarray(relevance, dtype=np.float64) >= 1).sum())
    out: dict[str, float] = {"ndcg": ndcg_at_k(scores, relevance)}
    for k in ks:
        out[f"ndcg@{k}"] = ndcg_at_k(scores, relevance, k) if measurable(k, n) else np.nan
    for k in ks:
        ok = measurable(k, n) and yes >= k
        out[f"precision@{k}"] = precision_at_k(scores, relevance, k) if ok else np.nan
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


@dataclass
class FoldResults:
    """Every ranker's metrics on every held-out fold of one cross-validation."""

    ks: tuple[int, ...]
    fold_labels: list[int]  # labelled candidates in each held-out fold
    fold_yes: list[int]  # of which relevant ("yes" or better)
    rows: dict[str, list[dict[str, float]]] = field(default_factory=dict)  # ranker -> per fold

    @property
    def smallest(self) -> int:
        return min(self.fold_labels)

    def gaps(self) -> list[str]:
        """Why each "n/a" is one, in words (empty when every metric was measured)."""
        out = []
        short = [k for k in self.ks if not measurable(k, self.smallest)]
        if short:
            cuts = ", ".join(f"@{k}" for k in short)
            out.append(
                f"{cuts}: n/a (folds hold ~{self.smallest} labels): a held-out fold measures @k "
                f"only with at least {MIN_FOLD_PER_K}k labelled candidates; label more, or "
                "read the smaller cut-offs"
            )
        few = [k for k in self.ks if measurable(k, self.smallest) and min(self.fold_yes) < k]
        if few:
            cuts = ", ".join(f"precision@{k}" for k in few)
            out.append(
                f"{cuts}: n/a (folds hold ~{min(self.fold_yes)} 'yes'): with fewer than k "
                "relevant candidates even a perfect ranking scores below 1; read NDCG"
            )
        return out

    def values(self, ranker: str, metric: str) -> list[float]:
        return [fold[metric] for fold in self.rows[ranker]]

    def table(self) -> pd.DataFrame:
        """One row per ranker: each metric's mean over folds (column named as the metric) and
        its spread ("<metric> sd", "min", "max"); NaN where a fold cannot measure it."""
        out: dict[str, dict[str, float]] = {}
        for name, folds in self.rows.items():
            per_fold = pd.DataFrame(folds, columns=metric_names(self.ks))
            row: dict[str, float] = {}
            for metric in per_fold.columns:
                col = per_fold[metric]
                whole = bool(col.notna().all())
                row[metric] = float(col.mean()) if whole else np.nan
                row[f"{metric} sd"] = float(col.std(ddof=1)) if whole and len(col) > 1 else np.nan
                row[f"{metric} min"] = float(col.min()) if whole else np.nan
                row[f"{metric} max"] = float(col.max()) if whole else np.nan
            out[name] = row
        table = pd.DataFrame(out).T
        table["folds"] = len(self.fold_labels)
        table["fold_labels"] = self.smallest
        return table


def check_evaluable(y: pd.Series) -> None:
    """Refuse labels that leave held-out folds without a "yes" or without a "no" to rank."""
    positives, negatives = int((y >= 1).sum()), int((y < 1).sum())
    if min(positives, negatives) < MIN_PER_CLASS:
        raise ScoutError(
            f"cannot cross-validate on {positives} 'yes' and {negatives} 'no' decisions: every "
            f"held-out fold needs both (at least {MIN_PER_CLASS} of each in all); {SAMPLE_HINT}"
        )


def fold_results(
    X: pd.DataFrame,
    y: pd.Series,
    config: RankingConfig,
    unlabelled: pd.DataFrame | None = None,
) -> FoldResults:
    """Every ranker scored on each stratified held-out fold of the labelled candidates.

    The learned model is refitted on each training fold (with the unlabelled candidates as
    background when given) and scored on the held-out fold; the heuristic and the baselines
    need no fitting and are scored on the same folds. The cut-offs follow the fold size.
    """
    check_evaluable(y)
    relevant = (y >= 1).astype(int).to_numpy()
    folds = min(config.model.cv_folds, int(relevant.sum()), int((1 - relevant).sum()))
    splitter = StratifiedKFold(
        n_splits=max(2, folds), shuffle=True, random_state=config.model.random_state
    )
    splits = list(splitter.split(np.zeros(len(y)), relevant))
    sizes = [len(test) for _, test in splits]
    yes = [int(relevant[test].sum()) for _, test in splits]
    results = FoldResults(ks_for(min(sizes)), sizes, yes)
    for train_idx, test_idx in splits:
        pipe = fit_pipeline(X.iloc[train_idx], y.iloc[train_idx], config, unlabelled)
        test = X.iloc[test_idx]
        held = y.iloc[test_idx].to_numpy()
        for name, scores in ranker_scores(test, config, pipe).items():
            results.rows.setdefault(name, []).append(metrics_for(scores, held, results.ks))
    return results


def cross_validate(
    X: pd.DataFrame,
    y: pd.Series,
    config: RankingConfig,
    unlabelled: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Mean and spread of each metric per ranker over stratified folds (see FoldResults.table).

    Columns named as the metric ("ndcg@50") hold the mean over folds, NaN where the folds are
    too small to measure that cut-off; `headline_metric` names the one to compare rankers on.
    """
    return fold_results(X, y, config, unlabelled).table()


def headline_metric(table: pd.DataFrame) -> str:
    """The metric to compare rankers on: NDCG@50, else the largest NDCG@k the folds measure,
    else NDCG of the whole held-out fold."""
    ndcgs = [c for c in table.columns if c.startswith("ndcg@") and " " not in c]
    usable = [c for c in ndcgs if bool(table[c].notna().all())]
    if "ndcg@50" in usable:
        return "ndcg@50"
    return max(usable, key=lambda c: int(c.split("@")[1]), default="ndcg")


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


def format_cell(row: Any, metric: str) -> str:
    """ "0.712 ± 0.081" (mean ± sd over folds), or "n/a" where the folds cannot measure it."""
    mean = row.get(metric)
    if mean is None or pd.isna(mean):
        return "n/a"
    sd = row.get(f"{metric} sd")
    return f"{mean:.3f}" if sd is None or pd.isna(sd) else f"{mean:.3f} ± {sd:.3f}"


def format_table(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """(header, rows) for printing: one row per metric, one column per ranker."""
    metrics = [c for c in table.columns if " " not in c and c not in ("folds", "fold_labels")]
    rankers = [str(name) for name in table.index]
    rows = [
        [metric, *[format_cell(table.loc[name], metric) for name in table.index]]
        for metric in metrics
    ]
    return ["metric", *rankers], rows
