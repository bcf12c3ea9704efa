"""Fairness audit: score distributions and shortlist shares per region, across model versions.

Region is a filter, not a feature; this report shows whether a model nonetheless moves a
region's share of the top of the ranking sharply from one version to the next.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.features import rows
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


def as_dict(report: AuditReport) -> dict[str, Any]:
    return {
        "top_k": report.top_k,
        "threshold": report.threshold,
        "flags": report.flags,
        "versions": [v.__dict__ for v in report.versions],
    }
