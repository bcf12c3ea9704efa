"""A quick ranking-quality check for tests, on a sandbox world stored with
sandbox.truth_db.world_to_db.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session


def ranking_quality(
    session: Session, config: Any, truth: dict[int, int], labels: int = 300, seed: int = 0
) -> dict[str, float]:
    """NDCG@50 on hidden truth of followers-sort, stars-sort, the heuristic and a learned model
    trained on `labels` simulated recruiter decisions (yes when truth depth >= 2)."""
    from scoring.features import load_features
    from scoring.heuristic import heuristic_from
    from scoring.metrics import ndcg_at_k
    from scoring.model import fit_pipeline

    X, _ = load_features(session, config, now=datetime(2026, 6, 1, tzinfo=UTC))
    rel = np.array([truth[c] for c in X.index], dtype=np.float64)
    rng = np.random.default_rng(seed)
    # A recruiter reviews a heuristic shortlist plus a random sample: labels are not uniform.
    prior = heuristic_from(config).score_samples(X)
    top = np.argsort(-prior)[: labels // 2]
    rest = rng.choice(np.setdiff1d(np.arange(len(X)), top), size=labels - len(top), replace=False)
    picked = np.concatenate([top, rest])
    y = pd.Series((rel[picked] >= 2).astype(float), index=X.index[picked])
    pipe = fit_pipeline(X.iloc[picked], y, config)
    # Judge on the candidates nobody labelled, so the learned model cannot just remember.
    held = np.setdiff1d(np.arange(len(X)), picked)
    Xh, rh = X.iloc[held], rel[held]
    return {
        "followers": ndcg_at_k(Xh["followers"], rh, 50),
        "stars": ndcg_at_k(Xh["own_stars"], rh, 50),
        "heuristic": ndcg_at_k(heuristic_from(config).score_samples(Xh), rh, 50),
        "learned": ndcg_at_k(pipe.predict_proba(Xh[config.features])[:, 1], rh, 50),
    }
