"""Store a sandbox world as linked candidates, straight from its hidden truth (standing in for
crawl and enrich), for tests and benchmarks of the rankers.

`world_to_db` links profiles by the world's truth and returns each candidate's graded relevance
(ml_depth + mlops_depth). Only tests and bench read truth; the rankers never do.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sandbox import world_data as d
from storage.models import (
    Candidate,
    CandidateProfile,
    KaggleAchievement,
    Profile,
    ProfileLocation,
    Repository,
    SOTagStat,
)

REGION_OF_BUCKET = {
    "eastern_europe": "eastern-europe",
    "india": "india",
    "latin_america": "latin-america",
}


def _regions_by_country() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for bucket, _share, rows in d.LOCATION_BUCKETS:
        region = REGION_OF_BUCKET.get(bucket)
        for loc in rows:
            if region and loc.country:
                out.setdefault(loc.country, [region])
    return out


def world_to_db(session: Session, world: Any) -> dict[int, int]:
    """Store a sandbox world's people as candidates; return {candidate_id: relevance}."""
    now = world.now
    regions = _regions_by_country()
    profiles: list[dict[str, Any]] = []
    repos: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    kaggle: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    locations: list[dict[str, Any]] = []
    candidates: list[dict[str, Any]] = []
    relevance: dict[int, int] = {}
    gh_by_lower = world.github_by_lower()
    pid_seq = 0

    def profile(cid: int, **row: Any) -> int:
        nonlocal pid_seq
        pid_seq += 1
        row.update(id=pid_seq, first_seen=now, last_seen=now)
        profiles.append(row)
        links.append(
            dict(
                candidate_id=cid,
                profile_id=pid_seq,
                method="self",
                confidence=1.0,
                evidence={"rule": "sandbox truth"},
            )
        )
        return pid_seq

    for cid, (_pid, truth) in enumerate(sorted(world.truth.items()), start=1):
        candidates.append(
            {"id": cid, "display_name": truth.name, "created_at": now, "updated_at": now}
        )
        relevance[cid] = truth.ml_depth + truth.mlops_depth
        own: list[int] = []
        acc = gh_by_lower.get(truth.github_login.lower()) if truth.github_login else None
        if acc is not None:
            p = profile(
                cid,
                source="github",
                external_id=str(acc.id),
                handle=acc.login,
                name=acc.name,
                bio=acc.bio,
                location_raw=acc.location,
                email=acc.email,
                website=acc.blog,
                profile_url=f"https://github.com/{acc.login}",
                followers=acc.followers,
                created_at=acc.created_at,
                updated_at=acc.updated_at,
            )
            own.append(p)
            for r in acc.repos:
                repos.append(
                    dict(
                        profile_id=p,
                        name=r.name,
                        description=r.description,
                        language=r.language,
                        topics=r.topics,
                        stars=r.stargazers_count,
                        forks=r.forks_count,
                        is_fork=r.fork,
                        created_at=r.created_at,
                        pushed_at=r.pushed_at,
                    )
                )
        so = world.stackoverflow.get(truth.so_user_id) if truth.so_user_id else None
        if so is not None:
            p = profile(
                cid,
                source="stackoverflow",
                external_id=str(so.user_id),
                handle=so.display_name,
                name=so.display_name,
                location_raw=so.location,
                website=so.website_url,
                profile_url=so.link,
                reputation=so.reputation,
                created_at=so.creation_date,
                updated_at=so.last_access_date,
            )
            own.append(p)
            for t in so.tags:
                tags.append(
                    dict(
                        profile_id=p,
                        tag=t.tag_name,
                        answer_count=t.answer_count,
                        answer_score=t.answer_score,
                        question_count=t.question_count,
                        question_score=t.question_score,
                    )
                )
        kg = world.kaggle.get(truth.kaggle_user_id) if truth.kaggle_user_id else None
        if kg is not None:
            last = max(kg.submission_dates, default=kg.register_date)
            p = profile(
                cid,
                source="kaggle",
                external_id=str(kg.id),
                handle=kg.user_name,
                name=kg.display_name,
                profile_url=f"https://www.kaggle.com/{kg.user_name}",
                created_at=kg.register_date,
                updated_at=last,
            )
            own.append(p)
            for a in kg.achievements:
                kaggle.append(
                    dict(
                        profile_id=p,
                        category=a.achievement_type,
                        tier=a.tier,
                        tier_achieved_at=a.tier_achievement_date,
                        points=a.points,
                        gold=a.total_gold,
                        silver=a.total_silver,
                        bronze=a.total_bronze,
                    )
                )
        if own and truth.country and truth.resolvable:
            locations.append(
                dict(
                    profile_id=own[0],
                    location_text=truth.location_text,
                    country=truth.country,
                    regions=regions.get(truth.country, []),
                    confidence=0.9,
                    evidence={"rule": "sandbox truth"},
                )
            )
    for model, rows in (
        (Candidate, candidates),
        (Profile, profiles),
        (CandidateProfile, links),
        (Repository, repos),
        (SOTagStat, tags),
        (KaggleAchievement, kaggle),
        (ProfileLocation, locations),
    ):
        for i in range(0, len(rows), 5000):
            session.execute(insert(model), rows[i : i + 5000])
    session.flush()
    return relevance
