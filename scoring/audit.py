"""Fairness audit: score distributions and shortlist shares per region, across model versions,
and what each ML-native source does to them.

Region is a filter, not a feature; this report shows whether a model nonetheless moves a
region's share of the top of the ranking sharply from one version to the next. The ML-native
sources (Hub, PyPI, contributions to major projects) are not crawled evenly across regions,
so `source_effects` ranks everyone with the active model twice per source, with and without
that source's rows, and compares each region's share of the top k.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.feature_defs import ML_NATIVE_SOURCES, feature, features_of_source
from scoring.features import load_features, rows
from scoring.model import Ranker
from scoring.ranking import RankingConfig
from storage.models import CandidateProfile, ModelVersion, ProfileLocation, Score

UNKNOWN = "(unknown)"


@dataclass
class VersionAudit:
    version: str
    kind: str
    created_at: str
    candidates: int
    stats: dict[str, dict[str, float]]  # region -> count, mean, p50, p90
    shares: dict[str, float]  # region -> share of the top_k


@dataclass
class AuditReport:
    top_k: int
    threshold: float
    versions: list[VersionAudit] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def candidate_regions(session: Session) -> dict[int, list[str]]:
    """Each candidate's regions (most confident location per candidate)."""
    stmt = select(
        CandidateProfile.candidate_id, ProfileLocation.regions, ProfileLocation.confidence
    ).join(ProfileLocation, ProfileLocation.profile_id == CandidateProfile.profile_id)
    best: dict[int, tuple[float, list[str]]] = {}
    for cid, regions, confidence in rows(session, stmt):
        if cid not in best or confidence > best[cid][0]:
            best[cid] = (confidence, [str(r) for r in regions or []])
    return {cid: regions for cid, (_c, regions) in best.items()}


def audit(session: Session, config: RankingConfig) -> AuditReport:
    """Per model version (oldest first): score stats and top-k shares per region, and flags."""
    report = AuditReport(config.audit.top_k, config.audit.share_change)
    regions = candidate_regions(session)
    versions = session.execute(
        select(ModelVersion.version, ModelVersion.kind, ModelVersion.created_at).order_by(
            ModelVersion.created_at, ModelVersion.version
        )
    ).all()
    for version, kind, created in versions:
        rows = session.execute(
            select(Score.candidate_id, Score.score)
            .where(Score.model_version == version)
            .order_by(Score.score.desc(), Score.candidate_id)
        ).all()
        if not rows:
            continue
        by_region: dict[str, list[float]] = defaultdict(list)
        for cid, score in rows:
            for region in regions.get(cid) or [UNKNOWN]:
                by_region[region].append(score)
        stats = {
            r: {
                "count": len(s),
                "mean": float(np.mean(s)),
                "p50": float(np.percentile(s, 50)),
                "p90": float(np.percentile(s, 90)),
            }
            for r, s in sorted(by_region.items())
        }
        top = rows[: config.audit.top_k]
        counts: dict[str, int] = defaultdict(int)
        for cid, _ in top:
            for region in regions.get(cid) or [UNKNOWN]:
                counts[region] += 1
        shares = {r: counts.get(r, 0) / len(top) for r in stats}
        report.versions.append(
            VersionAudit(version, kind, created.isoformat(), len(rows), stats, shares)
        )
    report.flags = _flags(report)
    return report


def _flags(report: AuditReport) -> list[str]:
    flags = []
    for before, after in zip(report.versions, report.versions[1:], strict=False):
        for region in sorted(set(before.shares) | set(after.shares)):
            a, b = before.shares.get(region, 0.0), after.shares.get(region, 0.0)
            if abs(b - a) > report.threshold:
                flags.append(
                    f"{region}: share of the top {report.top_k} moved {a:.0%} -> {b:.0%} "
                    f"from {before.version} to {after.version}"
                )
    return flags


@dataclass
class SourceEffect:
    """What one ML-native source does to the top k of the active model's ranking."""

    source: str
    candidates: int  # candidates with evidence from it
    in_top: int  # of the top k with every source, how many are not in it without this one
    shares: dict[str, float]  # region -> share of the top k without this source


@dataclass
class SourceReport:
    version: str
    top_k: int
    threshold: float
    shares: dict[str, float]  # region -> share of the top k with every source
    effects: list[SourceEffect] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def _top(ranker: Ranker, X: Any, k: int) -> list[int]:
    scores = ranker.score(X)
    order = sorted(range(len(X)), key=lambda i: (-scores[i], int(X.index[i])))
    return [int(X.index[i]) for i in order[:k]]


def _shares(top: list[int], regions: dict[int, list[str]]) -> dict[str, float]:
    counts: dict[str, int] = defaultdict(int)
    for cid in top:
        for region in regions.get(cid) or [UNKNOWN]:
            counts[region] += 1
    return {r: n / len(top) for r, n in sorted(counts.items())} if top else {}


def source_effects(session: Session, config: RankingConfig, ranker: Ranker) -> SourceReport:
    """Each region's share of the top k under `ranker`, with every source and without each
    ML-native one (its profiles, rows and share of skill strength left out)."""
    k = config.audit.top_k
    regions = candidate_regions(session)
    X, _ = load_features(session, config)
    top = _top(ranker, X, k) if len(X) else []
    report = SourceReport(ranker.version, k, config.audit.share_change, _shares(top, regions))
    for source in ML_NATIVE_SOURCES:
        names = [f for f in features_of_source(source) if f in X.columns]
        shown = np.zeros(len(X), dtype=bool)
        for name in names:
            shown |= X[name].to_numpy(dtype=np.float64) > feature(name).absent
        if not shown.any():
            report.effects.append(SourceEffect(source, 0, 0, dict(report.shares)))
            continue
        without, _ = load_features(session, config, without=frozenset({source}))
        other = _top(ranker, without, k)
        effect = SourceEffect(source, int(shown.sum()), len(set(top) - set(other)), {})
        effect.shares = _shares(other, regions)
        report.effects.append(effect)
        for region in sorted(set(report.shares) | set(effect.shares)):
            a, b = effect.shares.get(region, 0.0), report.shares.get(region, 0.0)
            if abs(b - a) > report.threshold:
                report.flags.append(
                    f"{region}: share of the top {k} is {a:.0%} without {source}, {b:.0%} with it"
                )
    return report


def as_dict(report: AuditReport, sources: SourceReport | None = None) -> dict[str, Any]:
    out = {
        "top_k": report.top_k,
        "threshold": report.threshold,
        "flags": report.flags,
        "versions": [v.__dict__ for v in report.versions],
    }
    if sources is not None:
        out["sources"] = {
            "version": sources.version,
            "shares": sources.shares,
            "effects": [e.__dict__ for e in sources.effects],
            "flags": sources.flags,
        }
    return out
