"""The learned model's parts: sign-constrained logistic regression, percentile scores, and
unlabelled candidates as background."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from config.errors import ScoutError
from scoring.learners import MonotoneLogisticRegression, build_pipeline, training_set
from scoring.ranking import load_ranking


def _data(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X @ np.array([1.5, -1.0, 0.0]) + rng.normal(size=n) > 0).astype(int)
    return X, y


def test_without_bounds_or_prior_it_is_scikit_learns_logistic_regression():
    X, y = _data()
    ours = MonotoneLogisticRegression(C=0.5).fit(X, y)
    theirs = LogisticRegression(C=0.5, max_iter=2000).fit(X, y)
    assert np.allclose(ours.coef_, theirs.coef_, atol=1e-3)
    assert np.allclose(ours.intercept_, theirs.intercept_, atol=1e-3)
    assert np.allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-3)


def test_signs_hold_even_against_the_data():
    X, y = _data()  # the data say: column 0 up, column 1 down
    free = MonotoneLogisticRegression().fit(X, y).coef_[0]
    assert free[0] > 0.5 and free[1] < -0.3
    held = MonotoneLogisticRegression(signs=[-1, 1, 1]).fit(X, y).coef_[0]
    assert held[0] <= 0 and held[1] >= 0 and held[2] >= 0
    assert held[0] == pytest.approx(0, abs=1e-9) and held[1] == pytest.approx(0, abs=1e-9)


def test_with_few_labels_the_fit_stays_near_the_prior():
    rng = np.random.default_rng(1)
    X = rng.random((12, 3))
    y = np.array([1, 0] * 6)  # labels that say nothing
    prior = [2.0, 1.0, 0.5]
    model = MonotoneLogisticRegression(C=0.01, signs=[1, 1, 1], prior=prior).fit(X, y)
    direction = model.coef_[0] / np.linalg.norm(model.coef_[0])
    assert np.allclose(direction, np.array(prior) / np.linalg.norm(prior), atol=0.02)
    assert model.prior_scale_ > 0


def _frame(config, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = {f: rng.exponential(3.0, n).round() for f in config.features}
    cols.update(recency=rng.random(n), fork_share=rng.random(n) * 0.3, star_farming=np.zeros(n))
    return pd.DataFrame(cols, index=pd.RangeIndex(1, n + 1, name="candidate_id"))


def test_background_counts_as_no_and_the_classes_weigh_the_same():
    config = load_ranking()
    X = _frame(config, 300, 2)
    labelled = X.iloc[:40]
    y = pd.Series(1.0, index=labelled.index)  # only "yes"
    rows, target, weight = training_set(labelled, y, config, X)
    assert len(rows) == 300 and target.sum() == 40  # the 260 others stand as "no"
    assert weight[target == 1].sum() == pytest.approx(weight[target == 0].sum())
    assert weight.sum() == pytest.approx(40)
    with pytest.raises(ScoutError, match="one kind of answer"):
        training_set(labelled, y, config, None)
    capped = config.model_copy(
        update={"model": config.model.model_copy(update={"background_max": 100})}
    )
    assert len(training_set(labelled, y, capped, X)[0]) == 140


def test_scores_are_percentiles_spread_over_0_100_in_the_models_order():
    config = load_ranking()
    X = _frame(config, 500, 3)
    y = pd.Series((X["ml_repos"] + X["mlops_repos"] > 6).astype(float))
    pipe = build_pipeline(config).fit(X, y).set_reference(X)
    points = pipe.points(X)
    assert points.min() < 1 and points.max() > 99
    assert np.all(np.diff(points[np.argsort(pipe.decision_function(X))]) >= 0)
    assert len(np.unique(points.round(1))) > 0.8 * len(X)  # no pile-up on one value
    assert np.median(points) == pytest.approx(50, abs=1)


def test_labels_the_prior_already_separates_keep_its_order_and_finite_scores():
    config = load_ranking()
    X = _frame(config, 600, 4)
    from scoring.heuristic import heuristic_from

    prior = heuristic_from(config).score_samples(X)
    top = X.index[np.argsort(-prior)[:60]]  # every "yes" is the prior's own top
    y = pd.Series(1.0, index=top)
    rows, target, weight = training_set(X.loc[top], y, config, X)
    pipe = build_pipeline(config).fit(rows, target, model__sample_weight=weight)
    margins = pipe.decision_function(X)
    assert np.all(np.isfinite(margins)) and pipe[-1].n_iter_[0] < 2000
    order = np.argsort(-margins)
    assert np.array_equal(np.sort(order[:60]), np.sort(np.argsort(-prior)[:60]))
    pipe.set_reference(X)  # probabilities keep the order too: none rounds to 1
    proba = pipe.predict_proba(X)[:, 1]
    assert proba.max() < 1.0 and len(np.unique(proba)) == len(np.unique(margins))
    assert np.array_equal(np.argsort(-proba, kind="stable"), np.argsort(-margins, kind="stable"))
