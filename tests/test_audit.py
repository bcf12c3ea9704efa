"""Audit: per-region score distributions and top-k shares, flagged when they move sharply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scoring.audit import audit
from scoring.ranking import load_ranking
from storage.db import open_database, session_scope
from storage.models import (
    Candidate,
    CandidateProfile,
    ModelVersion,
    Profile,
    ProfileLocation,
    Score,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_region_share_shift_between_versions_is_flagged(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'a.db'}")
    with session_scope(engine) as s:
        for cid in range(1, 101):
            region = "india" if cid <= 50 else "eastern-europe"
            s.add(Candidate(id=cid, display_name=f"P{cid}"))
            p = Profile(source="github", external_id=str(cid), first_seen=NOW, last_seen=NOW)
            s.add(p)
            s.flush()
            s.add(
                CandidateProfile(
                    candidate_id=cid, profile_id=p.id, method="self", confidence=1, evidence={}
                )
            )
            s.add(
                ProfileLocation(
                    profile_id=p.id,
                    country="IN" if cid <= 50 else "PL",
                    regions=[region],
                    confidence=0.9,
                    evidence={},
                )
            )
        for i, version in enumerate(["v1", "v2"]):
            s.add(
                ModelVersion(
                    version=version,
                    kind="learned",
                    features=[],
                    card={},
                    created_at=NOW + timedelta(days=i),
                )
            )
            for cid in range(1, 101):
                # v1 favours the first half, v2 the second: India's share of the top flips.
                score = float(cid if version == "v2" else 101 - cid)
                s.add(
                    Score(
                        candidate_id=cid,
                        model_version=version,
                        score=score,
                        features={},
                        explanation={},
                    )
                )
        s.flush()
        report = audit(s, load_ranking())
    engine.dispose()
    assert [v.version for v in report.versions] == ["v1", "v2"]
    v1, v2 = report.versions
    assert v1.shares["india"] == 1.0 and v2.shares["india"] == 0.0
    assert v1.stats["india"]["count"] == 50 and v1.stats["india"]["mean"] > 60
    assert any(f.startswith("india:") for f in report.flags)
    assert any(f.startswith("eastern-europe:") for f in report.flags)


def _sources_db(tmp_path):
    from ml_native_people import CONTRIB, HUB, PYPI, store_people

    engine = open_database(f"sqlite:///{tmp_path / 'src.db'}")
    with session_scope(engine) as s:
        east = dict.fromkeys((HUB, PYPI, CONTRIB), "eastern-europe")
        store_people(s, regions=east, extra=6)  # 7 equal people in India beside them
    return engine


def test_each_ml_native_source_shows_what_it_does_to_each_regions_top_share(tmp_path):
    from scoring.audit import source_effects
    from scoring.model import load_ranker

    engine = _sources_db(tmp_path)
    config = load_ranking()
    config = config.model_copy(update={"audit": config.audit.model_copy(update={"top_k": 3})})
    with session_scope(engine) as s:
        report = source_effects(s, config, load_ranker(s, config))
    engine.dispose()
    # Each source lifts one Eastern European above seven equal Indian candidates.
    assert report.shares == {"eastern-europe": 1.0}
    effects = {e.source: e for e in report.effects}
    assert list(effects) == ["huggingface", "pypi", "contributions"]
    for e in effects.values():
        assert e.candidates == 1 and e.in_top == 1
        assert e.shares["india"] == pytest.approx(1 / 3)
        assert e.shares["eastern-europe"] == pytest.approx(2 / 3)
    assert any(
        f.startswith("india: share of the top 3 is 33% without pypi, 0% with") for f in report.flags
    )
