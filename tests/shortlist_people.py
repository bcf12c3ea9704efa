"""A few people to shortlist, shared by the shortlist, filter and rank tests: hostile names
(every formula start a spreadsheet would run), regions by key, ML repositories, one without."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from scoring.rank import rank_all
from scoring.ranking import load_ranking
from storage.db import open_database, session_scope
from storage.models import Candidate, CandidateProfile, Profile, ProfileLocation, Repository

NOW = datetime(2026, 6, 1, tzinfo=UTC)
HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\t=1", "\r=1", " =1", "＝1"]


def add_person(
    session,
    cid,
    name,
    *,
    stars=0,
    ml_repos=0,
    region=None,
    country=None,
    email=None,
    bio=None,
    source="github",
):
    session.add(Candidate(id=cid, display_name=name))
    p = Profile(
        source=source,
        external_id=str(cid),
        handle=f"u{cid}",
        name=name,
        bio=bio,
        email=email,
        website=f"https://u{cid}.dev",
        followers=cid,
        profile_url=f"https://github.com/u{cid}",
        first_seen=NOW,
        last_seen=NOW,
        updated_at=NOW,
    )
    session.add(p)
    session.flush()
    session.add(
        CandidateProfile(
            candidate_id=cid, profile_id=p.id, method="self", confidence=1, evidence={}
        )
    )
    for i in range(ml_repos):
        session.add(
            Repository(
                profile_id=p.id,
                name=f"pytorch-thing-{i}",
                topics=["pytorch"],
                stars=stars,
                forks=stars // 5,
                is_fork=False,
                pushed_at=NOW,
            )
        )
    if country:
        session.add(
            ProfileLocation(
                profile_id=p.id,
                country=country,
                regions=[region] if region else [],
                confidence=0.9,
                evidence={},
            )
        )
    session.flush()


def people_db(tmp_path: Path) -> Engine:
    """A database of the HOSTILE names (Eastern Europe, ML repositories), one Mexican ML
    engineer and one Ukrainian with no ML work, ranked at NOW."""
    engine = open_database(f"sqlite:///{tmp_path / 's.db'}")
    with session_scope(engine) as s:
        for i, name in enumerate(HOSTILE, start=1):
            add_person(
                s,
                i,
                name,
                stars=150,
                ml_repos=i % 4 + 1,
                region="eastern_europe",  # the key, as enrich stores it
                country="PL",
                email=f"=cmd|' /C calc'!A0{i}@x.io",
                bio=name,
            )
        add_person(s, 20, "Ana Álvarez", stars=5, ml_repos=2, region="latin_america", country="MX")
        add_person(s, 21, "No Ml", stars=0, ml_repos=0, region="eastern_europe", country="UA")
        rank_all(s, load_ranking(), now=NOW)
    return engine
