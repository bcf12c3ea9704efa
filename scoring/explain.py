"""Explanations: the evidence behind a score, in words a recruiter reads, worth so many points.

Only evidence the candidate has is named ("12 MLOps repos (+18.0 pts)"); a feature the
candidate shows nothing of adds no points and is never given as a reason ("0 ML repos").
Points are what the score would lose without that piece of evidence (`Ranker.contributions`),
for the heuristic and the learned model alike; a negative one is evidence that held the score
back (tutorial forks, farmed stars).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from scoring.evidence import named
from scoring.feature_defs import describe, feature
from scoring.model import Ranker

REASONS = 3  # reasons to rank high per candidate in why_ranked
PENALTIES = 1  # and at most this many pieces of evidence that held the score back
MIN_POINTS = 0.05  # smaller pushes round to "+0.0" and say nothing
NOTHING = "no ML or MLOps evidence found"


def has_evidence(name: str, value: float) -> bool:
    """Whether the candidate shows any of this feature (more than a candidate with nothing)."""
    return bool(value > feature(name).absent)


def contributions_table(ranker: Ranker, row: pd.DataFrame) -> list[dict[str, Any]]:
    """Each feature the candidate has evidence of: value, words, points; largest push first."""
    contrib = ranker.contributions(row)[0]
    out = [
        {
            "feature": f,
            "value": float(row.iloc[0][f]),
            "words": describe(f, row.iloc[0][f]),
            "points": round(float(c), 2),
        }
        for f, c in zip(ranker.features, contrib, strict=True)
        if has_evidence(f, float(row.iloc[0][f]))
    ]
    return sorted(out, key=lambda item: -abs(item["points"]))


def absent_features(ranker: Ranker, row: pd.DataFrame) -> list[str]:
    """The features this candidate shows nothing of (they add no points)."""
    return [f for f in ranker.features if not has_evidence(f, float(row.iloc[0][f]))]


def top_reasons(
    ranker: Ranker, X: pd.DataFrame, top: int = REASONS, penalties: int = PENALTIES
) -> list[list[tuple[str, float, float]]]:
    """For each row: (feature, value, points) of its `top` largest reasons to rank high, then
    its `penalties` largest pieces of evidence that held it back; evidence it has only."""
    contrib = ranker.contributions(X)
    values = X[ranker.features].to_numpy(dtype=np.float64)
    present = np.array(
        [[has_evidence(f, v) for f, v in zip(ranker.features, row, strict=True)] for row in values]
    ).reshape(values.shape)
    out: list[list[tuple[str, float, float]]] = []
    for i in range(len(X)):
        pushes = [(j, float(contrib[i, j])) for j in range(len(ranker.features)) if present[i, j]]
        up = sorted((p for p in pushes if p[1] >= MIN_POINTS), key=lambda p: -p[1])[:top]
        down = sorted((p for p in pushes if p[1] <= -MIN_POINTS), key=lambda p: p[1])[:penalties]
        out.append(
            [(ranker.features[j], float(values[i, j]), round(c, 3)) for j, c in [*up, *down]]
        )
    return out


def why_text(reasons: list[Any], evidence: dict[str, Any] | None = None) -> str:
    """'5 ML repos (+21.0 pts); active this month (+8.0 pts)': the reasons as one cell. With
    the candidate's evidence (scoring.evidence.as_json), an ML-native reason names what is
    behind it: '2 ML items on the Hugging Face Hub: published model alice/llama-ft
    (text-generation, 12,400 downloads) (+9.1 pts)'."""
    if not reasons:
        return NOTHING
    out = []
    for name, value, c in reasons:
        items = named(name, evidence or {})
        out.append(f"{describe(name, value)}{': ' + items if items else ''} ({c:+.1f} pts)")
    return "; ".join(out)
