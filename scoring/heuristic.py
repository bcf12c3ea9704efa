"""The heuristic prior: a weighted sum of squashed features, the ranking before any label."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from scoring.feature_defs import feature
from scoring.ranking import RankingConfig


class HeuristicRanker(BaseEstimator):  # type: ignore[misc]
    """score = 100 * sum(weight * squash(feature)) / sum(positive weights), clipped to 0..100.

    Counts are squashed by log1p(value) / log1p(cap) (capped at 1) so one huge star count
    cannot outweigh everything else; shares and levels without a cap are used as they are.
    A scikit-learn estimator so it evaluates and explains like the learned model.
    """

    def __init__(
        self,
        features: list[str] | None = None,
        weights: dict[str, float] | None = None,
        caps: dict[str, float] | None = None,
    ) -> None:
        self.features = features
        self.weights = weights
        self.caps = caps

    def fit(self, X: pd.DataFrame | None = None, y: Any = None) -> HeuristicRanker:
        features = list(self.features or [])
        weights = self.weights or {}
        caps = self.caps or {}
        self.feature_names_in_ = np.array(features, dtype=object)
        self.weights_ = np.array([weights.get(f, 0.0) for f in features], dtype=np.float64)
        self.log_caps_ = np.array(
            [
                np.log1p(caps[f]) if f in caps and feature(f).kind != "share" else 0.0
                for f in features
            ]
        )
        positive = self.weights_[self.weights_ > 0].sum()
        self.scale_ = 100.0 / positive if positive > 0 else 0.0
        return self

    def squash(self, X: pd.DataFrame) -> np.ndarray:
        """Each feature on 0..1 (counts log-scaled against their cap)."""
        values = X[list(self.feature_names_in_)].to_numpy(dtype=np.float64)
        out = values.copy()
        capped = self.log_caps_ > 0
        out[:, capped] = np.minimum(
            1.0, np.log1p(np.maximum(values[:, capped], 0.0)) / self.log_caps_[capped]
        )
        return np.clip(out, 0.0, 1.0)

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """Each feature's contribution to the score, in score points (rows x features)."""
        return self.squash(X) * self.weights_ * self.scale_

    def score_samples(self, X: pd.DataFrame) -> np.ndarray:
        return np.clip(self.contributions(X).sum(axis=1), 0.0, 100.0)


def heuristic_from(config: RankingConfig) -> HeuristicRanker:
    """The prior ranking.toml describes, fitted (it learns nothing from data)."""
    h = config.heuristic
    return HeuristicRanker(list(config.features), dict(h.weights), dict(h.caps)).fit()


def heuristic_version(config: RankingConfig) -> str:
    return f"heuristic-{config.fingerprint()}"
