"""Rankers as a recruiter meets them: scores, explanations in points, the labels, the fit, and
which model version is active (`scout model list`, `scout model use`).

Models are saved with joblib in the models directory: `models/` beside the SQLite database file
(`./scout.db` -> `./models/`), or `./models` for a server database; `scout model train
--models-dir` chooses another. The card (features, label counts, cross-validated figures,
date, ranking.toml fingerprints) is stored in model_versions; a model whose features or
vocabulary differ from ranking.toml's is refused. `scoring.train` trains and activates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from config.clock import utcnow
from config.errors import ScoutError
from scoring.feature_defs import feature
from scoring.feedback import latest_decisions
from scoring.heuristic import HeuristicRanker, heuristic_from, heuristic_version
from scoring.learners import ScorePipeline, background_sample, build_pipeline, training_set
from scoring.ranking import RankingConfig
from storage.models import ModelVersion

log = logging.getLogger(__name__)
MIN_PER_CLASS = 3
MIN_BACKGROUND = 50  # unlabelled candidates that can stand in for the missing "no" labels
RETRAIN = (
    "retrain it (`scout model train`) or go back to the heuristic (`scout model use heuristic`)"
)


def models_dir_for(db_url: str) -> Path:
    """Where models live by default: models/ beside a SQLite file, else ./models."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().parent / "models"
    return Path("models").resolve()


@dataclass
class Ranker:
    """A ready-to-score model of either kind, with its version and feature list."""

    version: str
    kind: str  # heuristic | learned
    features: list[str]
    estimator: Any  # HeuristicRanker or a fitted ScorePipeline
    unit: str = "points"

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """Scores on 0..100: heuristic points, or the learned model's percentile among the
        candidates it was trained against."""
        X = X[self.features]
        if isinstance(self.estimator, HeuristicRanker):
            return self.estimator.score_samples(X)
        out: np.ndarray = self.estimator.points(X)
        return out

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """The score points each feature adds (rows x features), measured from a candidate
        with no evidence at all (every feature 0; one platform): they add up to the score
        minus that candidate's score, and a feature the candidate shows nothing of adds 0.

        Each feature's push on the raw score (the heuristic's unclipped sum, the learned
        model's decision_function) is its raw score minus the raw score with that feature at
        "no evidence" (exact for the heuristic and the linear model, whose raw scores are
        sums; an occlusion estimate for gradient boosting). The pushes are turned into points
        in proportion: for a score that is an increasing function of a sum, its integrated
        gradients (heuristic: the points themselves, unless clipped to 0..100).
        Under the monotone directions a "more is never worse" feature never adds less than 0.
        """
        X = X[self.features]
        absent = pd.DataFrame([[feature(f).absent for f in self.features]], columns=self.features)
        gain = self.score(X) - self.score(absent)[0]
        if isinstance(self.estimator, HeuristicRanker):
            h = self.estimator
            push: np.ndarray = h.contributions(X) - h.contributions(absent)
            return _in_points(push, gain, np.ones(len(X)))  # the clip to 0..100 aside, exact
        pipe = self.estimator
        margin = pipe.decision_function(X)
        push = np.zeros((len(X), len(self.features)))
        for j, name in enumerate(self.features):
            moved = X.copy()
            moved[name] = absent.iloc[0, j]
            push[:, j] = margin - pipe.decision_function(moved)
        return _in_points(push, gain, pipe.slope(margin))


def _in_points(push: np.ndarray, gain: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Each feature's push on the raw score, scaled so a row's pushes add up to its `gain` in
    points; where the pushes cancel out, by the score's local `slope` instead."""
    total = push.sum(axis=1)
    flat = np.abs(total) < 1e-9
    ratio = np.where(flat, slope, gain / np.where(flat, 1.0, total))
    out: np.ndarray = push * ratio[:, None]
    return out


def load_labels(session: Session) -> pd.Series:
    """The latest label per candidate (a later import overrides an earlier one)."""
    labels = {cid: label for cid, (_, label) in latest_decisions(session).items()}
    return pd.Series(labels, dtype=np.float64, name="label").sort_index()


def check_labels(y: pd.Series, background: int = 0) -> None:
    """Enough labels to train: 3 "yes", and 3 "no" unless `background` unlabelled candidates
    (at least MIN_BACKGROUND) stand in for them. The message says what to label."""
    positives = int((y >= 1).sum())
    negatives = int((y < 1).sum())
    if positives < MIN_PER_CLASS:
        raise ScoutError(
            f"need at least {MIN_PER_CLASS} 'yes' decisions to train, have {positives}: label "
            f"at least {MIN_PER_CLASS - positives} more from the top of a shortlist "
            "(`scout shortlist --top 50 -o label.csv`, fill its decision column, "
            "`scout feedback import label.csv`)"
        )
    if negatives < MIN_PER_CLASS and background < MIN_BACKGROUND:
        raise ScoutError(
            f"need at least {MIN_PER_CLASS} 'no' decisions, or {MIN_BACKGROUND} unlabelled "
            f"candidates to stand in for them, to train; have {negatives} and {background}: "
            f"label at least {MIN_PER_CLASS - negatives} candidates from ranks 50-200 "
            "(`scout shortlist --top 200 -o label.csv`, fill the decision column of rows "
            "50-200, `scout feedback import label.csv`)"
        )


def fit_pipeline(
    X_labelled: pd.DataFrame,
    y: pd.Series,
    config: RankingConfig,
    unlabelled: pd.DataFrame | None = None,
) -> ScorePipeline:
    """Fit the configured pipeline on graded labels (relevant = label >= 1).

    `unlabelled`: the other candidates' features. A sample of them stands as weighted "no"
    (positive-unlabelled learning; ranking.toml's model.background_weight), so the model
    trains on "yes" labels alone, and they are the reference its percentile scores are taken
    against (else the labelled candidates are).
    """
    features = list(config.features)
    X = X_labelled[features]
    rows, target, weight = training_set(X, y, config, unlabelled)
    pipe = build_pipeline(config).fit(rows[features], target, model__sample_weight=weight)
    background = background_sample(X, config, unlabelled)
    return pipe.set_reference(pd.concat([X, background]) if len(background) else X)


def register_heuristic(session: Session, config: RankingConfig) -> Ranker:
    """The heuristic prior as a model version (recorded once per ranking.toml fingerprint)."""
    version = heuristic_version(config)
    if session.get(ModelVersion, version) is None:
        card = {
            "features": list(config.features),
            "weights": config.heuristic.weights,
            "caps": config.heuristic.caps,
            "ranking_fingerprint": config.fingerprint(),
        }
        record_version(session, version, "heuristic", config, card, None, utcnow())
    return Ranker(version, "heuristic", list(config.features), heuristic_from(config))


def record_version(
    session: Session,
    version: str,
    kind: str,
    config: RankingConfig,
    card: dict[str, Any],
    path: Path | None,
    created_at: datetime,
) -> None:
    """Register a model version (inactive) with its card."""
    session.add(
        ModelVersion(
            version=version,
            kind=kind,
            features=list(config.features),
            card=card,
            path=str(path) if path else None,
            created_at=created_at,
            active=False,
        )
    )
    session.flush()


def load_ranker(session: Session, config: RankingConfig, version: str | None = None) -> Ranker:
    """The given model version, else the active one; the heuristic prior when none is active
    (before any training, or after `scout model use heuristic`).

    A learned model is refused when ranking.toml's features or skills.toml's vocabulary changed
    since it was
    trained (its inputs would not mean what it learned), and a warning names any other change.
    """
    if version is not None and _is_heuristic(version):
        _check_heuristic_name(config, version)
        return register_heuristic(session, config)
    if version is None:
        row = session.scalars(select(ModelVersion).where(ModelVersion.active)).first()
        if row is None or row.kind != "learned":
            return register_heuristic(session, config)
    else:
        row = session.get(ModelVersion, version)
        if row is None or row.kind != "learned":
            raise ScoutError(f"no model version {version!r}; known: {', '.join(_names(session))}")
    return _load_learned(row, config)


def _load_learned(row: ModelVersion, config: RankingConfig) -> Ranker:
    card = row.card or {}
    if list(row.features) != list(config.features):
        raise ScoutError(
            f"model {row.version} was trained on features {row.features}, but ranking.toml now "
            f"lists {config.features}: {RETRAIN}"
        )
    trained_on = card.get("features_fingerprint")
    if trained_on is not None and trained_on != config.features_fingerprint():
        raise ScoutError(
            f"model {row.version} was trained when the ML vocabulary (skills.toml's [categories] "
            f"and skills: which skill tags, repositories and tags count as ML or MLOps) was "
            f"different, so its features no longer mean what it learned: {RETRAIN}"
        )
    if card.get("ranking_fingerprint") not in (None, config.fingerprint()):
        log.warning(
            "ranking.toml changed since model %s was trained (heuristic weights or caps): it "
            "still scores as trained; retrain to learn from the new prior",
            row.version,
        )
    if card.get("monotone") not in (None, _directions(config)):
        log.warning(
            "ranking.toml's [monotone] directions changed since model %s was trained: it keeps "
            "the directions it was trained with until retrained",
            row.version,
        )
    if not row.path or not Path(row.path).exists():
        raise ScoutError(f"model file of {row.version} is missing ({row.path}): {RETRAIN}")
    saved = joblib.load(row.path)
    pipe = saved.get("pipeline")
    if list(saved.get("features", [])) != list(row.features):
        raise ScoutError(f"model file {row.path} does not match its model card: {RETRAIN}")
    if not isinstance(pipe, ScorePipeline):
        raise ScoutError(
            f"model {row.version} was saved by an earlier talent-scout (its scores were "
            f"probabilities, not percentiles, and it had no monotone directions): {RETRAIN}"
        )
    return Ranker(row.version, "learned", list(row.features), pipe)


def _directions(config: RankingConfig) -> dict[str, int]:
    return {f: config.direction(f) for f in config.features}


def _is_heuristic(version: str) -> bool:
    return version == "heuristic" or version.startswith("heuristic-")


def _check_heuristic_name(config: RankingConfig, version: str) -> None:
    current = heuristic_version(config)
    if version not in ("heuristic", current):
        raise ScoutError(
            f"{version} was the heuristic of an earlier ranking.toml; the heuristic is what "
            f"ranking.toml says now ({current}): `scout model use heuristic`"
        )


def _names(session: Session) -> list[str]:
    learned = session.scalars(
        select(ModelVersion.version)
        .where(ModelVersion.kind == "learned")
        .order_by(ModelVersion.created_at, ModelVersion.version)
    ).all()
    return ["heuristic", *learned]


@dataclass
class VersionRow:
    """One line of `scout model list`."""

    version: str
    kind: str
    trained_at: datetime | None
    labels: int | None
    relevant: int | None
    cv_metric: str | None  # the metric cv_value is (ndcg@50, or ndcg of whole folds)
    cv_value: float | None
    cv_sd: float | None
    active: bool


def list_versions(session: Session, config: RankingConfig) -> list[VersionRow]:
    """The current heuristic and every learned model, oldest first, the active one marked."""
    active = load_active_name(session, config)
    current = heuristic_version(config)
    rows = [VersionRow(current, "heuristic", None, None, None, None, None, None, active == current)]
    for mv in session.scalars(
        select(ModelVersion)
        .where(ModelVersion.kind == "learned")
        .order_by(ModelVersion.created_at, ModelVersion.version)
    ):
        card = mv.card or {}
        labels = card.get("labels", {})
        cv = card.get("cv", {})
        metric = cv.get("headline")
        new = (card.get("metrics") or {}).get("new", {})
        rows.append(
            VersionRow(
                mv.version,
                "learned",
                mv.created_at,
                labels.get("total"),
                labels.get("relevant"),
                metric,
                new.get(metric) if metric else None,
                new.get(f"{metric} sd") if metric else None,
                mv.version == active,
            )
        )
    return rows


def load_active_name(session: Session, config: RankingConfig) -> str:
    """The version scores come from now: the active learned model, else the heuristic."""
    row = session.scalars(select(ModelVersion).where(ModelVersion.active)).first()
    if row is None or row.kind != "learned":
        return heuristic_version(config)
    return row.version


def use_version(session: Session, config: RankingConfig, version: str) -> Ranker:
    """Make `version` (a learned model, or "heuristic") the one scores come from."""
    ranker = load_ranker(session, config, version)  # refuses unknown or unusable versions
    activate(session, ranker.version)
    return ranker


def activate(session: Session, version: str) -> None:
    session.execute(update(ModelVersion).values(active=False))
    session.execute(update(ModelVersion).where(ModelVersion.version == version).values(active=True))
    session.flush()
