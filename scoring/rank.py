"""Score every candidate with the active model and store scores with their explanations."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.clock import utcnow
from scoring.explain import top_reasons, why_text
from scoring.feature_defs import activity_of, feature
from scoring.features import load_features_with_evidence
from scoring.model import Ranker, load_ranker
from scoring.ranking import RankingConfig
from storage.models import Score
from storage.upsert import upsert


@dataclass
class RankStats:
    version: str
    kind: str
    candidates: int
    scored: int
    unchanged: int


# Bumped when the wording of stored explanations changes: every score is then rewritten once,
# so no shortlist mixes old and new wording (2: points from evidence the candidate has;
# 3: ML-native reasons name their models, packages and projects).
EXPLANATION_FORMAT = b"3"


def _sha(values: np.ndarray, evidence: dict[str, Any]) -> str:
    # Rounded so a recency that drifts by hours does not rewrite every score every run; the
    # evidence is in so that a renamed repository is named right in the next shortlist.
    digest = hashlib.sha256(EXPLANATION_FORMAT)
    digest.update(np.round(values, 2).tobytes())
    digest.update(json.dumps(evidence, sort_keys=True).encode())
    return digest.hexdigest()[:32]


def rank_all(
    session: Session,
    config: RankingConfig,
    ranker: Ranker | None = None,
    now: datetime | None = None,
    force: bool = False,
) -> RankStats:
    """Score all candidates; rows whose features did not change since the last run are skipped.

    Uses the active learned model, or the heuristic prior before any model was trained.
    """
    now = now or utcnow()
    ranker = ranker or load_ranker(session, config)
    X, last, evidence = load_features_with_evidence(session, config, now=now)
    if X.empty:
        return RankStats(ranker.version, ranker.kind, 0, 0, 0)
    values = X[ranker.features].to_numpy(dtype=np.float64)
    shas = [_sha(row, evidence[int(cid)]) for row, cid in zip(values, X.index, strict=True)]
    known: dict[int, str | None] = {}
    if not force:
        # A row without its filter columns (stored before they existed) is rewritten.
        stmt = select(Score.candidate_id, Score.input_sha).where(
            Score.model_version == ranker.version, Score.ml_activity.is_not(None)
        )
        known = {int(cid): sha for cid, sha in session.execute(stmt)}
    todo = [i for i, cid in enumerate(X.index) if force or known.get(int(cid)) != shas[i]]
    active = {group: _shows(X, group) for group in ("ml", "mlops")}
    if todo:
        sub = X.iloc[todo]
        scores = ranker.score(sub)
        reasons = top_reasons(ranker, sub)
        rows: list[dict[str, Any]] = []
        for j, i in enumerate(todo):
            cid = int(X.index[i])
            when = last.get(cid)
            rows.append(
                {
                    "candidate_id": cid,
                    "model_version": ranker.version,
                    "score": round(float(scores[j]), 3),
                    "features": {f: float(values[i, k]) for k, f in enumerate(ranker.features)},
                    "explanation": {
                        "reasons": [list(r) for r in reasons[j]],
                        "unit": ranker.unit,
                        "text": why_text(reasons[j], evidence[cid]),
                        "last_activity": when.isoformat() if when else None,
                        # what the counts are made of; the shortlist's top_skills names it
                        "evidence": evidence[cid],
                    },
                    "input_sha": shas[i],
                    "scored_at": now,
                    "last_activity": when,
                    "ml_activity": bool(active["ml"][i]),
                    "mlops_activity": bool(active["mlops"][i]),
                }
            )
        upsert(session, Score, rows, ("candidate_id", "model_version"))
    return RankStats(ranker.version, ranker.kind, len(X), len(todo), len(X) - len(todo))


def _shows(X: pd.DataFrame, group: str) -> np.ndarray:
    """Per row: whether any feature declared as `group` activity shows some (the shortlist's
    --skill filter reads it from the stored column)."""
    out = np.zeros(len(X), dtype=bool)
    for name in activity_of(group):
        out |= X[name].to_numpy(dtype=np.float64) > feature(name).absent
    return out
