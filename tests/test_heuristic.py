"""The heuristic prior."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.heuristic import HeuristicRanker, heuristic_from
from scoring.ranking import load_ranking


def frame(**cols):
    config = load_ranking()
    data = {f: [0.0, 0.0] for f in config.features}
    for k, v in cols.items():
        data[k] = v
    return pd.DataFrame(data)


def test_more_ml_work_scores_higher_and_farming_is_penalised():
    h = heuristic_from(load_ranking())
    X = frame(ml_repos=[1.0, 10.0], ml_repo_stars=[5.0, 500.0])
    s = h.score_samples(X)
    assert 0 <= s[0] < s[1] <= 100
    farmed = frame(ml_repos=[10.0, 10.0], star_farming=[0.0, 0.9])
    s = h.score_samples(farmed)
    assert s[1] < s[0]
    contrib = h.contributions(farmed)
    assert np.allclose(contrib.sum(axis=1).clip(0, 100), s)


def test_estimator_conventions():
    h = HeuristicRanker(["ml_repos"], {"ml_repos": 2.0}, {"ml_repos": 10})
    assert h.get_params() == {
        "features": ["ml_repos"],
        "weights": {"ml_repos": 2.0},
        "caps": {"ml_repos": 10},
    }
    assert not hasattr(h, "weights_")
    assert h.fit() is h and hasattr(h, "weights_") and h.scale_ == 50.0
    big = pd.DataFrame({"ml_repos": [1e9]})
    assert h.score_samples(big)[0] == 100.0  # a cap keeps one count from running away
