"""A sandbox world's accounts as the profiles the crawls would store (storage.items), for tests
and the benchmark of enrichment: the world builder that stands in for crawling, as
truth_db.world_to_db stands in for crawling and enriching.

Deleted Stack Overflow users are dropped and only Kaggle users with signal kept, as the parsers
and the Meta Kaggle ingestion do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sandbox.model import World
from storage.items import KaggleAchievementItem, ProfileItem, RepositoryItem, SOTagItem


def github_item(acc: Any, seen: datetime) -> ProfileItem:
    """A sandbox GitHub account as the GitHub crawl stores it."""
    return ProfileItem(
        source="github",
        external_id=str(acc.id),
        seen_at=seen,
        handle=acc.login,
        name=acc.name,
        location_raw=acc.location,
        bio=acc.bio,
        company=acc.company,
        website=acc.blog,
        email=acc.email,
        followers=acc.followers,
        profile_url=f"https://github.com/{acc.login}",
        created_at=acc.created_at,
        updated_at=acc.updated_at,
        repositories=[
            RepositoryItem(
                name=r.name,
                description=r.description,
                language=r.language,
                topics=list(r.topics),
                stars=r.stargazers_count,
                forks=r.forks_count,
                is_fork=r.fork,
                created_at=r.created_at,
                pushed_at=r.pushed_at,
            )
            for r in acc.repos
        ],
    )


def stackoverflow_item(
    u: Any, seen: datetime, about_me_links: Callable[[str | None], list[str]]
) -> ProfileItem:
    """A sandbox Stack Overflow user as the Stack Overflow crawl stores it."""
    return ProfileItem(
        source="stackoverflow",
        external_id=str(u.user_id),
        seen_at=seen,
        handle=u.display_name,
        name=u.display_name,
        location_raw=u.location,
        website=u.website_url,
        profile_url=u.link,
        reputation=u.reputation,
        extra={"about_me_links": about_me_links(u.about_me), "user_type": u.user_type},
        created_at=u.creation_date,
        updated_at=u.last_modified_date,
        so_tags=[
            SOTagItem(
                t.tag_name,
                t.answer_count,
                t.answer_score,
                t.question_count,
                t.question_score,
            )
            for t in u.tags
        ],
    )


def kaggle_item(k: Any, seen: datetime) -> ProfileItem:
    """A sandbox Kaggle user as the Meta Kaggle ingest stores it."""
    return ProfileItem(
        source="kaggle",
        external_id=str(k.id),
        seen_at=seen,
        handle=k.user_name,
        name=k.display_name,
        profile_url=f"https://www.kaggle.com/{k.user_name}",
        created_at=k.register_date,
        kaggle=[
            KaggleAchievementItem(
                category=a.achievement_type,
                tier=a.tier,
                tier_achieved_at=a.tier_achievement_date,
                points=a.points,
                current_ranking=a.current_ranking,
                highest_ranking=a.highest_ranking,
                gold=a.total_gold,
                silver=a.total_silver,
                bronze=a.total_bronze,
            )
            for a in k.achievements
        ],
    )


def world_items(
    world: World, about_me_links: Callable[[str | None], list[str]], include_orgs: bool = False
) -> list[ProfileItem]:
    """The world's accounts as the crawlers would store them (no orgs or bots by default).

    `about_me_links` is the Stack Overflow parser's link finder
    (crawlers.stackexchange.parse.about_me_links), passed in: the sandbox imports no crawler.
    """
    seen = world.now
    items = [
        github_item(acc, seen)
        for acc in world.github.values()
        if acc.type == "User" or include_orgs
    ]
    # The parser drops deleted accounts.
    items += [
        stackoverflow_item(u, seen, about_me_links)
        for u in world.stackoverflow.values()
        if u.user_type != "does_not_exist"
    ]
    for k in world.kaggle.values():
        medals = sum(a.total_gold + a.total_silver + a.total_bronze for a in k.achievements)
        tiers = max((a.tier for a in k.achievements), default=0)
        recent = any((world.now - d).days <= 365 for d in k.submission_dates)
        if k.performance_tier >= 1 or tiers >= 1 or medals or recent:
            items.append(kaggle_item(k, seen))  # Meta Kaggle ingestion keeps users with signal
    return items
