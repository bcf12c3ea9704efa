"""The ranking metrics: NDCG@k as scikit-learn computes it, precision@k, what a fold measures."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import ndcg_score

from scoring.metrics import measurable, ndcg_at_k, precision_at_k


def test_ndcg_matches_scikit_learn_and_precision():
    rng = np.random.default_rng(0)
    rel = rng.integers(0, 4, 200).astype(float)
    scores = rel + rng.normal(0, 1.5, 200)
    for k in (10, 50):
        assert ndcg_at_k(scores, rel, k) == ndcg_score([rel], [scores], k=k)
    assert abs(ndcg_at_k(rel, rel, 10) - 1.0) < 1e-12
    assert precision_at_k([3, 2, 1, 0], [1, 1, 0, 0], 2) == 1.0
    assert precision_at_k([0, 1, 2, 3], [1, 1, 0, 0], 2) == 0.0


def test_a_fold_measures_at_k_only_with_twice_k_candidates():
    assert measurable(50, 100) and not measurable(50, 99)
