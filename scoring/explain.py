"""Explanations: which features moved a score, in words a recruiter reads."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from scoring.features import describe
from scoring.model import Ranker


def contributions_table(ranker: Ranker, row: pd.DataFrame) -> list[dict[str, Any]]:
    """Every feature of one candidate: value, value in words, contribution; largest push first."""
    contrib = ranker.contributions(row)[0]
    out = [
        {
            "feature": f,
            "value": float(row.iloc[0][f]),
            "words": describe(f, row.iloc[0][f]),
            "contribution": round(float(c), 3),
        }
        for f, c in zip(ranker.features, contrib, strict=True)
    ]
    return sorted(out, key=lambda item: -abs(item["contribution"]))


def top_reasons(
    ranker: Ranker, X: pd.DataFrame, top: int = 3
) -> list[list[tuple[str, float, float]]]:
    """For each row: its `top` largest (feature, value, contribution) by absolute push."""
    contrib = ranker.contributions(X)
    values = X[ranker.features].to_numpy(dtype=np.float64)
    order = np.argsort(-np.abs(contrib), axis=1)[:, :top]
    out: list[list[tuple[str, float, float]]] = []
    for i in range(len(X)):
        out.append(
            [
                (ranker.features[j], float(values[i, j]), round(float(contrib[i, j]), 3))
                for j in order[i]
                if contrib[i, j] != 0
            ]
        )
    return out


def why_text(reasons: list[Any], unit: str = "points") -> str:
    """'5 ML repos (+21.0); active this month (+8.0)': the reasons as one readable cell."""
    suffix = "" if unit == "points" else " log-odds"
    return "; ".join(f"{describe(name, value)} ({c:+.1f}{suffix})" for name, value, c in reasons)
