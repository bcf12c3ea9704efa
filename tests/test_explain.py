"""Explanations name only evidence a candidate has, in words, worth score points: never
"0 ML repos", never log-odds; the heuristic and the learned model alike."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from model_world import NOW, build_world, decide

from scoring.explain import (
    NOTHING,
    absent_features,
    contributions_table,
    has_evidence,
    top_reasons,
    why_text,
)
from scoring.feature_defs import FEATURES, describe
from scoring.features import load_features
from scoring.model import Ranker, fit_pipeline, register_heuristic
from scoring.ranking import load_ranking
from storage.db import open_database, session_scope


@pytest.fixture(scope="module")
def rankers(tmp_path_factory):
    path, truth = build_world(tmp_path_factory.mktemp("explain"), seed=4, people=300)
    config = load_ranking()
    engine = open_database(f"sqlite:///{path}")
    with session_scope(engine) as s:
        X, _ = load_features(s, config, now=NOW)
        heuristic = register_heuristic(s, config)
    engine.dispose()
    labels = decide(truth, X.index[::2])
    y = pd.Series({c: 1.0 if d == "yes" else 0.0 for c, d in labels.items()})
    pipe = fit_pipeline(X.loc[y.index], y, config, unlabelled=X)
    learned = Ranker("learned-test", "learned", list(config.features), pipe)
    return X, {"heuristic": heuristic, "learned": learned}


# A reason that reports nothing: a zero count, no tier, no activity, one platform.
ABSENT = re.compile(r"(^|; )(0 |no dated activity|Kaggle novice|1 linked platform|0%)")


@pytest.mark.parametrize("kind", ["heuristic", "learned"])
def test_why_ranked_names_only_evidence_the_candidate_has_in_points(rankers, kind):
    X, by_kind = rankers
    ranker = by_kind[kind]
    reasons = top_reasons(ranker, X)
    texts = [why_text(r) for r in reasons]
    for (cid, row), found, text in zip(X.iterrows(), reasons, texts, strict=True):
        assert "log-odds" not in text and not ABSENT.search(text), (cid, text)
        for feature, value, points in found:
            assert has_evidence(feature, value) and row[feature] == value
            assert points * ranker_direction(feature) > 0, (cid, feature, points)
            assert f"{describe(feature, value)} ({points:+.1f} pts)" in text
    assert sum(t == NOTHING for t in texts) < len(texts) / 2
    assert any("ML repo" in t for t in texts) and any("pts)" in t for t in texts)


def ranker_direction(feature: str) -> int:
    return load_ranking().direction(feature)


@pytest.mark.parametrize("kind", ["heuristic", "learned"])
def test_points_add_up_to_the_score_above_a_candidate_with_nothing(rankers, kind):
    X, by_kind = rankers
    ranker = by_kind[kind]
    contrib = ranker.contributions(X)
    nothing = pd.DataFrame([[FEATURES[f].absent for f in ranker.features]], columns=ranker.features)
    above = ranker.score(X) - ranker.score(nothing)[0]
    assert np.allclose(contrib.sum(axis=1), above, atol=1e-6)
    values = X[ranker.features].to_numpy()
    absent = values <= np.array([FEATURES[f].absent for f in ranker.features])
    assert np.all(contrib[absent] == 0)  # no evidence, no points
    signs = np.array([ranker_direction(f) for f in ranker.features])
    assert np.all(contrib * signs >= -1e-9)  # the monotone directions, feature by feature


def test_a_candidate_with_nothing_says_so_and_model_explain_lists_what_is_there(rankers):
    X, by_kind = rankers
    ranker = by_kind["learned"]
    nothing = pd.DataFrame(
        [[FEATURES[f].absent for f in ranker.features]], columns=ranker.features, index=[0]
    )
    assert why_text(top_reasons(ranker, nothing)[0]) == NOTHING
    assert contributions_table(ranker, nothing) == []
    assert absent_features(ranker, nothing) == ranker.features
    best = X.loc[[X["ml_repos"].idxmax()]]
    table = contributions_table(ranker, best)
    assert table[0]["points"] > 0 and {r["feature"] for r in table} >= {"ml_repos"}
    assert [abs(r["points"]) for r in table] == sorted(
        (abs(r["points"]) for r in table), reverse=True
    )
    assert not set(absent_features(ranker, best)) & {r["feature"] for r in table}
