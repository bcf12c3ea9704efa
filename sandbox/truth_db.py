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
from sandbox.profile_items import github_item, kaggle_item, stackoverflow_item
from storage.items import ProfileItem
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


def _no_links(_about_me: str | None) -> list[str]:
    return []  # linking is by truth here: no profile's links are read


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

    def store(cid: int, item: ProfileItem) -> int:
        """One account as the crawl's saver would store it, children included."""
        p = profile(cid, **item.profile_row())
        children = item.children_rows()
        repos.extend(dict(r, profile_id=p) for r in children.get("repositories", []))
        tags.extend(dict(t, profile_id=p) for t in children.get("so_tag_stats", []))
        kaggle.extend(dict(k, profile_id=p) for k in children.get("kaggle_achievements", []))
        return p

    for cid, (_pid, truth) in enumerate(sorted(world.truth.items()), start=1):
        candidates.append(
            {"id": cid, "display_name": truth.name, "created_at": now, "updated_at": now}
        )
        relevance[cid] = truth.ml_depth + truth.mlops_depth
        own: list[int] = []
        acc = gh_by_lower.get(truth.github_login.lower()) if truth.github_login else None
        if acc is not None:
            own.append(store(cid, github_item(acc, now)))
        so = world.stackoverflow.get(truth.so_user_id) if truth.so_user_id else None
        if so is not None:
            # The ranker reads a Stack Overflow user's last activity from updated_at.
            item = stackoverflow_item(so, now, _no_links)
            item.updated_at = so.last_access_date
            own.append(store(cid, item))
        kg = world.kaggle.get(truth.kaggle_user_id) if truth.kaggle_user_id else None
        if kg is not None:
            item = kaggle_item(kg, now)
            item.updated_at = max(kg.submission_dates, default=kg.register_date)  # last activity
            own.append(store(cid, item))
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
