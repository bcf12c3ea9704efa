"""Scoring benchmark: train and score 1M synthetic candidates, export 1M CSV rows, and measure
ranking quality (NDCG@50) of the heuristic and learned rankers against followers-sort on
several sandbox worlds whose hidden truth the rankers never see (bench/ranking_quality.py; run
from the repository root).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench import ranking_quality
from bench.common import figure, peak_rss_mb


def synthetic_features(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """n candidates with plausible heavy-tailed features and a hidden graded relevance."""
    from scoring.feature_defs import FEATURES

    rng = np.random.default_rng(seed)
    depth = rng.choice(4, size=n, p=[0.55, 0.22, 0.14, 0.09]).astype(np.float64)
    cols: dict[str, np.ndarray] = {}
    for name, spec in FEATURES.items():
        if spec.kind == "count":
            cols[name] = np.floor(np.expm1(rng.normal(0.3 + 0.8 * depth, 1.0).clip(0)))
        elif spec.kind == "level":
            cols[name] = np.minimum(4, np.floor(rng.random(n) * (1 + depth)))
        else:
            cols[name] = rng.random(n) * (0.5 if name != "recency" else 1.0)
    cols["followers"] = np.floor(np.expm1(rng.normal(1.3 + 0.3 * depth, 1.6).clip(0)))
    frame = pd.DataFrame(cols, index=pd.RangeIndex(1, n + 1, name="candidate_id"))
    return frame, depth


def main() -> None:
    from scoring.heuristic import heuristic_from
    from scoring.model import fit_pipeline
    from scoring.ranking import load_ranking
    from scoring.shortlist_csv import CSV_COLUMNS, write_csv

    config = load_ranking()
    n = 1_000_000
    X, depth = synthetic_features(n)
    rng = np.random.default_rng(1)
    labelled = rng.choice(n, size=20_000, replace=False)
    y = pd.Series((depth[labelled] >= 2).astype(float), index=X.index[labelled])
    started = time.perf_counter()
    pipe = fit_pipeline(X.iloc[labelled], y, config)
    trained = time.perf_counter() - started
    scores = pipe.predict_proba(X[config.features])[:, 1]
    scored = time.perf_counter() - started
    figure("train (20k labels) + score 1M candidates", scored, "s", "< 60 s")
    figure("  of which training", trained, "s")
    figure("  heuristic score 1M", _timed(lambda: heuristic_from(config).score_samples(X)), "s")
    figure("peak RSS after scoring", peak_rss_mb(), "MiB", "< 2048 MiB")

    rss_before = peak_rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        started = time.perf_counter()
        rows = _synthetic_rows(n, scores)
        with path.open("w", encoding="utf-8", newline="") as handle:
            written = write_csv(rows, handle, CSV_COLUMNS)
        elapsed = time.perf_counter() - started
        size = path.stat().st_size / 1024 / 1024
    figure(f"export {written:,} CSV rows ({size:,.0f} MiB)", elapsed, "s", "< 30 s")
    figure("peak RSS growth during export", peak_rss_mb() - rss_before, "MiB", "flat")

    results = ranking_quality.main()
    base = float(np.mean([r.followers for r in results]))
    means = {"heuristic": [r.heuristic for r in results]}
    means.update({f"learned {s}": [r.learned[s] for r in results] for s in ranking_quality.SCHEMES})
    for name, values in means.items():
        if all(v is not None for v in values):
            ratio = float(np.mean(values)) / base
            figure(f"{name} / followers (mean over seeds)", ratio, "x", ">= 1.3")


def _timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _synthetic_rows(n: int, scores: np.ndarray) -> Any:
    order = np.argsort(-scores)
    for rank, i in enumerate(order, start=1):
        yield {
            "rank": rank,
            "score": f"{100 * scores[i]:.1f}",
            "name": f"=Person {i}",
            "country": "PL",
            "region": "eastern-europe",
            "github_url": f"https://github.com/user{i}",
            "stackoverflow_url": "",
            "kaggle_url": "",
            "top_skills": "14 PyTorch repos, 3 with >100 stars",
            "why_ranked": "5 ML repos (+21.0); active this month (+8.0)",
            "last_activity": "2026-05-01",
            "candidate_id": int(i) + 1,
            "decision": "",
        }


if __name__ == "__main__":
    main()
