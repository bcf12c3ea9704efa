"""Label bias: labels all from the top of the ranking are flagged, a random sample is not; a
random sample to label leaves out whoever is already labelled."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import insert

from scoring.heuristic import heuristic_from
from scoring.ranking import load_ranking
from scoring.sampling import MAX_COVERAGE, label_bias, random_sample
from storage.db import open_database, session_scope
from storage.models import Candidate, FeedbackLabel


def candidates(n: int = 2000) -> pd.DataFrame:
    config = load_ranking()
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {f: rng.poisson(2.0, n).astype(float) for f in config.features},
        index=pd.RangeIndex(1, n + 1, name="candidate_id"),
    )
    X["recency"] = rng.random(n)
    X["fork_share"] = X["star_farming"] = 0.0
    return X


def test_labels_from_the_top_are_flagged_and_a_random_sample_is_not():
    config = load_ranking()
    X = candidates()
    prior = pd.Series(heuristic_from(config).score_samples(X), index=X.index)
    top = prior.sort_values(ascending=False).index[:150]
    bias = label_bias(X, top, config)
    assert bias is not None and bias.labelled == 150 and bias.in_top == 150
    assert bias.top == 0.15  # 150 labels of 2,000: judged against the top 15%, not 10%
    text = bias.message()
    assert "150 of 150 labelled candidates (100%)" in text and "--sample" in text

    drawn = np.random.default_rng(1).choice(X.index, size=150, replace=False)
    assert label_bias(X, drawn, config) is None
    # Half from the top, half at random: still far more from the top than chance, not flagged
    # as "only from the top".
    assert label_bias(X, [*top[:75], *drawn[:75]], config) is None
    # Labels on more than a quarter of everyone: nothing to warn about.
    many = prior.sort_values(ascending=False).index[: int(MAX_COVERAGE * len(X)) + 1]
    assert label_bias(X, many, config) is None
    assert label_bias(X, [], config) is None


def test_random_sample_leaves_out_the_labelled_and_is_not_in_rank_order(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 's.db'}")
    with session_scope(engine) as s:
        s.execute(insert(Candidate), [{"id": i, "display_name": f"c{i}"} for i in range(1, 101)])
        s.execute(
            insert(FeedbackLabel),
            [
                {"candidate_id": i, "decision": "no", "label": 0.0, "source_file": "a.csv"}
                for i in range(1, 11)
            ],
        )
        picked = [(i, 100.0 - i, {}) for i in range(1, 101)]  # best first
        sample = random_sample(s, picked, 30, seed=0)
        everyone = random_sample(s, picked, 500, seed=0)
    engine.dispose()
    ids = [cid for cid, _, _ in sample]
    assert len(ids) == len(set(ids)) == 30 and min(ids) > 10
    assert ids != sorted(ids)  # random order: labelling from the top stays a random sample
    assert sorted(cid for cid, _, _ in everyone) == list(range(11, 101))
