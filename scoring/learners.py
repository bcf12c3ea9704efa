"""The learned ranker's parts: a sign-constrained logistic regression shrunk toward the
heuristic prior, the Pipeline that scores candidates as percentiles, and the weights that let
unlabelled candidates stand as background.

The model reads the features as the heuristic does (each squashed to 0..1 by an increasing
map), so a coefficient's sign is the feature's direction on the raw value: bounding the signs
(or HistGradientBoosting's monotonic_cst) keeps "more ML repos is never worse" true of every
score.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from config.errors import ScoutError
from scoring.heuristic import HeuristicRanker
from scoring.ranking import RankingConfig

REFERENCE_POINTS = 2001  # percentiles kept to map a raw score onto 0..100
MAX_MARGIN = 30.0  # sigmoid(30) is still below 1 in float64: probabilities keep their order


class MonotoneLogisticRegression(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """L2-regularised logistic regression whose coefficients keep given signs, shrunk toward a
    prior's weights rather than toward zero.

    Minimises 0.5 * |w - beta * prior|^2 + C * sum(sample_weight * log-loss) (scikit-learn's
    objective when prior is None) by L-BFGS-B, with bounds w_j >= 0 where signs[j] = 1,
    w_j <= 0 where -1, free where 0, and beta >= 0 a free scale. With few labels the fit stays
    near the prior (the heuristic's ranking); each label moves it only as far as the evidence
    of all labels together pays for.
    """

    def __init__(
        self,
        C: float = 1.0,
        signs: list[int] | None = None,
        prior: list[float] | None = None,
        prior_penalty: float = 1e-6,
        max_iter: int = 2000,
    ) -> None:
        self.C = C
        self.signs = signs
        self.prior = prior
        self.prior_penalty = prior_penalty
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MonotoneLogisticRegression:
        X = np.asarray(X, dtype=np.float64)
        target = np.asarray(y, dtype=np.float64)
        n, d = X.shape
        weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
        signs = list(self.signs) if self.signs is not None else [0] * d
        prior = np.asarray(self.prior if self.prior is not None else np.zeros(d), np.float64)
        if len(signs) != d or len(prior) != d:
            raise ValueError(f"signs and prior need {d} values, one per column")
        bounds = [(0.0, None) if s > 0 else (None, 0.0) if s < 0 else (None, None) for s in signs]
        scale_bound = (0.0, None) if prior.any() else (0.0, 0.0)
        c, tau = self.C, self.prior_penalty * float(prior @ prior)

        def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
            w, beta, b = params[:d], params[d], params[d + 1]
            z = X @ w + b
            gap = w - beta * prior
            # log(1 + e^z) - y z and its gradient sigmoid(z) - y, both numerically stable.
            value = c * float(weight @ (np.logaddexp(0.0, z) - target * z))
            value += 0.5 * float(gap @ gap) + 0.5 * tau * beta**2
            residual = c * weight * (_sigmoid(z) - target)
            grad_beta = tau * beta - float(gap @ prior)
            grad = np.concatenate([X.T @ residual + gap, [grad_beta], [residual.sum()]])
            return value, grad

        start = np.concatenate([prior, [1.0 if prior.any() else 0.0], [0.0]])
        sign = np.asarray(signs)
        start[:d] = np.where(sign * start[:d] < 0, 0.0, start[:d])  # inside the bounds
        result = minimize(
            loss,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[*bounds, scale_bound, (None, None)],
            options={"maxiter": self.max_iter},
        )
        self.coef_ = result.x[:d].reshape(1, -1)
        self.prior_scale_ = float(result.x[d])
        self.intercept_ = np.array([result.x[d + 1]])
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = d
        self.n_iter_ = np.array([result.nit])
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        out: np.ndarray = np.asarray(X, dtype=np.float64) @ self.coef_[0] + self.intercept_[0]
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        p = _sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(int)


class MonotoneBoosting(HistGradientBoostingClassifier):  # type: ignore[misc]
    """Gradient boosting under monotonic_cst whose ties are broken by the prior's score.

    Trees score in steps: with a few hundred labels most candidates share a leaf, hence a
    score. The last input column is the heuristic prior's score (0..1, monotone in the same
    directions); a nudge far smaller than any step between two leaves orders the candidates
    the trees cannot tell apart, as the prior would.
    """

    NUDGE = 1e-6

    def decision_function(self, X: Any) -> np.ndarray:
        out: np.ndarray = super().decision_function(X) + self.NUDGE * np.asarray(X)[:, -1]
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        p = _sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.exp(-np.logaddexp(0.0, -z))
    return out


class ScorePipeline(Pipeline):  # type: ignore[misc]
    """The fitted Pipeline plus the map from its raw score to a percentile on 0..100.

    `predict_proba` and `decision_function` are scikit-learn's (evaluation ranks by them);
    `points` is what a recruiter sees: the share of the reference candidates (everyone the
    model was trained against, labelled or not) whose raw score is lower, midpoint for ties,
    interpolated in between, so scores spread over 0..100 and keep the model's order.
    """

    def set_reference(self, X: pd.DataFrame) -> ScorePipeline:
        margins = np.sort(self.decision_function(X))
        self.temperature_ = max(1.0, float(np.abs(margins).max()) / MAX_MARGIN)
        levels = np.linspace(0.0, 1.0, min(len(margins), REFERENCE_POINTS))
        q = np.quantile(margins, levels)
        unique, inverse = np.unique(q, return_inverse=True)
        self.reference_ = unique
        # Tied quantiles share the mean of their levels (a tie is one point, midway).
        self.reference_levels_ = np.bincount(inverse, weights=levels) / np.bincount(inverse)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """The probability of a "yes", tempered so that no reference candidate's rounds to 0
        or 1 (sigmoid(margin / T), T >= 1): whoever ranks by it keeps the model's order. It
        is not calibrated (the classes are balanced, the unlabelled count as "no")."""
        p = _sigmoid(self.decision_function(X) / getattr(self, "temperature_", 1.0))
        return np.column_stack([1.0 - p, p])

    def points(self, X: pd.DataFrame) -> np.ndarray:
        return self.to_points(self.decision_function(X))

    def to_points(self, margins: np.ndarray) -> np.ndarray:
        """Raw scores (decision_function) to percentiles on 0..100."""
        margins = np.asarray(margins, dtype=np.float64)
        if len(self.reference_) == 1:
            return np.full(len(margins), 50.0)
        out: np.ndarray = 100.0 * np.interp(margins, self.reference_, self.reference_levels_)
        return out

    def slope(self, margins: np.ndarray) -> np.ndarray:
        """d points / d raw score at each margin (the percentile map's local steepness)."""
        if len(self.reference_) == 1:
            return np.zeros(len(margins))
        h = 1e-3 * float(self.reference_[-1] - self.reference_[0])
        out: np.ndarray = (self.to_points(margins + h) - self.to_points(margins - h)) / (2 * h)
        return out


class Squash(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Each feature on 0..1 as the heuristic prior sees it (counts log-scaled against their
    ranking.toml cap); with `with_prior`, the prior's own score (0..1) as one more column.

    The caps are kept at fit time, so a saved model reads features as it was trained to.
    """

    def __init__(
        self,
        features: list[str] | None = None,
        weights: dict[str, float] | None = None,
        caps: dict[str, float] | None = None,
        with_prior: bool = False,
    ) -> None:
        self.features = features
        self.weights = weights
        self.caps = caps
        self.with_prior = with_prior

    def fit(self, X: Any = None, y: Any = None) -> Squash:
        self.heuristic_ = HeuristicRanker(self.features, self.weights, self.caps).fit()
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        out = self.heuristic_.squash(X)
        if self.with_prior:
            out = np.column_stack([out, self.heuristic_.score_samples(X) / 100.0])
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        names = list(self.features or []) + (["heuristic"] if self.with_prior else [])
        return np.array(names, dtype=object)


def build_pipeline(config: RankingConfig) -> ScorePipeline:
    """The heuristic's squashed features + the configured model, each feature held to its
    ranking.toml direction and the fit started from (shrunk toward) the heuristic prior."""
    features = list(config.features)
    settings = config.model
    h = config.heuristic
    signs = [config.direction(f) for f in features]
    from_prior = settings.prior == "heuristic"
    linear = settings.estimator == "logistic_regression"
    model: Any
    if linear:
        prior = [h.weights.get(f, 0.0) for f in features] if from_prior else None
        model = MonotoneLogisticRegression(C=settings.C, signs=signs, prior=prior)
    else:
        boosting = MonotoneBoosting if from_prior else HistGradientBoostingClassifier
        model = boosting(
            learning_rate=settings.learning_rate,
            max_iter=settings.max_iter,
            max_leaf_nodes=settings.max_leaf_nodes,
            min_samples_leaf=settings.min_samples_leaf,
            l2_regularization=settings.l2_regularization,
            # The prior's score is one more column, never worse when higher.
            monotonic_cst=[*signs, 1] if from_prior else signs,
            random_state=settings.random_state,
        )
    # The linear model takes the prior as the centre of its shrinkage; the trees as a column.
    squash = Squash(features, dict(h.weights), dict(h.caps), with_prior=from_prior and not linear)
    return ScorePipeline([("features", squash), ("model", model)])


def training_set(
    X: pd.DataFrame, y: pd.Series, config: RankingConfig, unlabelled: pd.DataFrame | None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Rows, 0/1 targets and sample weights: the labels, plus unlabelled candidates as "no".

    Positive-unlabelled learning: most candidates nobody labelled are not what the recruiter
    wants, so a sample of them stands as weighted "no" (all together weighing
    `background_weight` x the labelled "yes"). The two classes then weigh the same, as with
    class_weight="balanced", and the weights sum to the number of labels, so C means what it
    meant without background.
    """
    target = (y >= 1).astype(np.float64).to_numpy()
    background = background_sample(X, config, unlabelled)
    if config.model.background_weight <= 0:
        background = background.iloc[:0]
    n_pos, n_bg = int(target.sum()), len(background)
    bg_total = config.model.background_weight * n_pos if n_bg else 0.0
    weight = np.ones(len(target))
    rows = X
    if n_bg and bg_total > 0:
        rows = pd.concat([X, background])
        target = np.concatenate([target, np.zeros(n_bg)])
        weight = np.concatenate([weight, np.full(n_bg, bg_total / n_bg)])
    positive = target >= 1
    pos_total, neg_total = weight[positive].sum(), weight[~positive].sum()
    if pos_total <= 0 or neg_total <= 0:
        raise ScoutError(
            "cannot train on one kind of answer: give some 'yes' and some 'no' decisions, "
            "or the unlabelled candidates as background"
        )
    weight[positive] *= 0.5 / pos_total  # balance the classes
    weight[~positive] *= 0.5 / neg_total
    weight *= len(y) / weight.sum()
    return rows, target, weight


def background_sample(
    X: pd.DataFrame, config: RankingConfig, unlabelled: pd.DataFrame | None
) -> pd.DataFrame:
    """The unlabelled candidates not in X (at most background_max, a fixed random sample)."""
    if unlabelled is None:
        return X.iloc[:0][list(config.features)]
    rest = unlabelled[~unlabelled.index.isin(X.index)][list(config.features)]
    cap = config.model.background_max
    if len(rest) > cap:
        rest = rest.sample(n=cap, random_state=config.model.random_state)
    return rest
