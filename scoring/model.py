"""The learned ranker: a scikit-learn Pipeline, its model card, persistence and the active model.

Models are saved with joblib in the models directory: `models/` beside the SQLite database file
(`./scout.db` -> `./models/`), or `./models` for a server database; `scout model train
--models-dir` chooses another. The card (features, label counts, metrics, date) is stored in
model_versions; a model whose features differ from ranking.toml's is refused.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from config.clock import utcnow
from config.errors import ScoutError
from scoring.features import spec_for
from scoring.feedback import latest_decisions
from scoring.heuristic import HeuristicRanker, heuristic_from, heuristic_version
from scoring.ranking import ModelSettings, RankingConfig
from storage.models import ModelVersion

MIN_PER_CLASS = 3


def models_dir_for(db_url: str) -> Path:
    """Where models live by default: models/ beside a SQLite file, else ./models."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().parent / "models"
    return Path("models").resolve()


def build_pipeline(features: list[str], settings: ModelSettings) -> Pipeline:
    """ColumnTransformer (log-scaled counts, scaled levels and shares) + the configured model."""
    counts = [f for f in features if spec_for(f).kind == "count"]
    others = [f for f in features if spec_for(f).kind != "count"]
    columns = ColumnTransformer(
        [
            (
                "log",
                Pipeline(
                    [
                        ("log1p", FunctionTransformer(np.log1p, feature_names_out="one-to-one")),
                        ("scale", StandardScaler()),
                    ]
                ),
                counts,
            ),
            ("scale", StandardScaler(), others),
        ],
        remainder="drop",
    )
    model: Any
    if settings.estimator == "logistic_regression":
        # balanced: recruiters say "no" far more often than "yes".
        model = LogisticRegression(C=settings.C, class_weight="balanced", max_iter=2000)
    else:
        model = HistGradientBoostingClassifier(
            learning_rate=settings.learning_rate,
            max_iter=settings.max_iter,
            max_leaf_nodes=settings.max_leaf_nodes,
            min_samples_leaf=settings.min_samples_leaf,
            l2_regularization=settings.l2_regularization,
            class_weight="balanced",
            random_state=settings.random_state,
        )
    return Pipeline([("features", columns), ("model", model)])


@dataclass
class Ranker:
    """A ready-to-score model of either kind, with its version and feature list."""

    version: str
    kind: str  # heuristic | learned
    features: list[str]
    estimator: Any  # HeuristicRanker or a fitted Pipeline
    baseline: dict[str, float] = field(default_factory=dict)  # training medians (occlusion)
    unit: str = "points"

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """Scores on 0..100: heuristic points, or 100 x the learned probability of a yes."""
        X = X[self.features]
        if isinstance(self.estimator, HeuristicRanker):
            return self.estimator.score_samples(X)
        return 100.0 * self.estimator.predict_proba(X)[:, 1]

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """Each feature's push on each score (rows x features), in `self.unit`.

        Heuristic: exact score points. Logistic regression: exact log-odds (coefficient x
        scaled value, against the average training candidate). Other models: occlusion, the
        score change when the feature is set to its training median.
        """
        X = X[self.features]
        if isinstance(self.estimator, HeuristicRanker):
            return self.estimator.contributions(X)
        model = self.estimator.named_steps["model"]
        if isinstance(model, LogisticRegression):
            transformed = self.estimator.named_steps["features"].transform(X)
            names = list(self.estimator.named_steps["features"].get_feature_names_out())
            contrib = np.asarray(transformed) * model.coef_[0]
            order = [names.index(n) for n in self._names_out()]
            return contrib[:, order]
        base = self.score(X)
        out = np.zeros((len(X), len(self.features)))
        for j, name in enumerate(self.features):
            moved = X.copy()
            moved[name] = self.baseline.get(name, 0.0)
            out[:, j] = base - self.score(moved)
        return out

    def _names_out(self) -> list[str]:
        # get_feature_names_out names each column "<transformer>__<feature>"; map back in order.
        names = list(self.estimator.named_steps["features"].get_feature_names_out())
        by_feature = {n.split("__", 1)[1]: n for n in names}
        return [by_feature[f] for f in self.features]


def load_labels(session: Session) -> pd.Series:
    """The latest label per candidate (a later import overrides an earlier one)."""
    labels = {cid: label for cid, (_, label) in latest_decisions(session).items()}
    return pd.Series(labels, dtype=np.float64, name="label").sort_index()


def check_labels(y: pd.Series) -> None:
    positives = int((y >= 1).sum())
    negatives = int((y < 1).sum())
    if positives < MIN_PER_CLASS or negatives < MIN_PER_CLASS:
        raise ScoutError(
            f"need at least {MIN_PER_CLASS} 'yes' and {MIN_PER_CLASS} 'no' decisions to train, "
            f"have {positives} and {negatives}: mark more rows of a shortlist and run "
            "`scout feedback import`"
        )


def fit_pipeline(X: pd.DataFrame, y: pd.Series, config: RankingConfig) -> Pipeline:
    """Fit the configured pipeline on graded labels (relevant = label >= 1)."""
    pipe = build_pipeline(list(config.features), config.model)
    return pipe.fit(X[list(config.features)], (y >= 1).astype(int))


def train(
    session: Session,
    config: RankingConfig,
    X: pd.DataFrame,
    models_dir: Path,
    decisions: dict[str, int] | None = None,
    now: datetime | None = None,
) -> tuple[Ranker, dict[str, Any]]:
    """Fit on every label, evaluate by cross-validation, save, register and activate."""
    from scoring.evaluate import cross_validate, importance  # evaluate imports this module

    now = now or utcnow()
    y = load_labels(session)
    y = y[y.index.isin(X.index)]
    check_labels(y)
    Xl = X.loc[y.index]
    pipe = fit_pipeline(Xl, y, config)
    metrics = cross_validate(Xl, y, config)
    version = f"learned-{now:%Y%m%d-%H%M%S}-{config.fingerprint()[:6]}"
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / f"{version}.joblib"
    baseline = {f: float(Xl[f].median()) for f in config.features}
    joblib.dump({"pipeline": pipe, "features": list(config.features), "baseline": baseline}, path)
    card = {
        "features": list(config.features),
        "feature_names_out": [str(n) for n in pipe.named_steps["features"].get_feature_names_out()],
        "estimator": config.model.estimator,
        "params": config.model.model_dump(),
        "labels": {
            "total": len(y),
            "relevant": int((y >= 1).sum()),
            "not_relevant": int((y < 1).sum()),
            "decisions": decisions or {},
        },
        "metrics": metrics.to_dict(orient="index"),
        "permutation_importance": importance(pipe, Xl, y, config),
        "trained_at": now.isoformat(),
        "ranking_fingerprint": config.fingerprint(),
        "sklearn": sklearn.__version__,
        "python": platform.python_version(),
    }
    session.execute(update(ModelVersion).values(active=False))
    session.add(
        ModelVersion(
            version=version,
            kind="learned",
            features=list(config.features),
            card=card,
            path=str(path),
            created_at=now,
            active=True,
        )
    )
    session.flush()
    ranker = Ranker(version, "learned", list(config.features), pipe, baseline, _unit(pipe))
    return ranker, card


def _unit(pipe: Pipeline) -> str:
    return "log-odds" if isinstance(pipe.named_steps["model"], LogisticRegression) else "points"


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
        session.add(
            ModelVersion(
                version=version,
                kind="heuristic",
                features=list(config.features),
                card=card,
                path=None,
                active=False,
            )
        )
        session.flush()
    return Ranker(version, "heuristic", list(config.features), heuristic_from(config))


def load_ranker(session: Session, config: RankingConfig, version: str | None = None) -> Ranker:
    """The given model version, else the active learned model, else the heuristic prior."""
    if version is not None and version.startswith("heuristic-"):
        return register_heuristic(session, config)
    stmt = select(ModelVersion).where(ModelVersion.kind == "learned")
    stmt = (
        stmt.where(ModelVersion.version == version) if version else stmt.where(ModelVersion.active)
    )
    row = session.scalars(stmt.order_by(ModelVersion.created_at.desc())).first()
    if row is None:
        if version:
            raise ScoutError(f"no model version {version!r} (see `scout model audit`)")
        return register_heuristic(session, config)
    if list(row.features) != list(config.features):
        raise ScoutError(
            f"model {row.version} was trained on features {row.features}, but ranking.toml now "
            f"lists {config.features}: run `scout model train` to retrain"
        )
    if not row.path or not Path(row.path).exists():
        raise ScoutError(f"model file of {row.version} is missing ({row.path}): retrain it")
    saved = joblib.load(row.path)
    if list(saved["features"]) != list(row.features):
        raise ScoutError(f"model file {row.path} does not match its model card: retrain it")
    pipe = saved["pipeline"]
    return Ranker(row.version, "learned", list(row.features), pipe, saved["baseline"], _unit(pipe))
