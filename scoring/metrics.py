"""Ranking metrics on one list of scores: NDCG@k and precision@k, and when a held-out fold of
a given size can measure @k. Shared by `scoring.evaluate` (the cross-validated table) and
`scoring.train` (the comparison that decides whether a new model is activated)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import ndcg_score

# A fold measures @k only when it holds at least MIN_FOLD_PER_K x k candidates (with fewer,
# the top k is most of the fold and every ranker scores about the same).
MIN_FOLD_PER_K = 2


def ndcg_at_k(scores: Any, relevance: Any, k: int | None = None) -> float:
    """NDCG@k of the ranking `scores` induce, against graded `relevance` (ties averaged).

    Linear gain, log2 discount: scikit-learn's ndcg_score on one query (k None: the whole
    list). 0 when nothing in the list is relevant (there is no ideal ranking to compare with).
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


def measurable(k: int, fold_labels: int) -> bool:
    """Whether a held-out fold of `fold_labels` labelled candidates can measure @k."""
    return fold_labels >= MIN_FOLD_PER_K * k
