"""Enrich sandbox-like profiles: profiles per second, cold (empty location cache) and warm.

`world_items(world)` turns the sandbox world's accounts into ProfileItems the way the
crawlers' parsers do; the tests use it too.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.common import figure, peak_rss_mb
from sandbox.model import World
from storage.items import KaggleAchievementItem, ProfileItem, RepositoryItem, SOTagItem

PROFILES = int(os.environ.get("BENCH_PROFILES", "100000"))
WORLD_PEOPLE = int(os.environ.get("BENCH_WORLD_PEOPLE", "6000"))


def world_items(world: World, include_orgs: bool = False) -> list[ProfileItem]:
    """The world's accounts as the crawlers would store them (no orgs or bots by default)."""
    from crawlers.stackexchange.parse import about_me_links

    seen = world.now
    items: list[ProfileItem] = []
    for acc in world.github.values():
        if acc.type != "User" and not include_orgs:
            continue
        items.append(
            ProfileItem(
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
        )
    for u in world.stackoverflow.values():
        if u.user_type == "does_not_exist":
            continue  # the parser drops deleted accounts
        items.append(
            ProfileItem(
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
        )
    for k in world.kaggle.values():
        medals = sum(a.total_gold + a.total_silver + a.total_bronze for a in k.achievements)
        tiers = max((a.tier for a in k.achievements), default=0)
        recent = any((world.now - d).days <= 365 for d in k.submission_dates)
        if not (k.performance_tier >= 1 or tiers >= 1 or medals or recent):
            continue  # Meta Kaggle ingestion keeps only users with signal
        items.append(
            ProfileItem(
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
        )
    return items


def _scaled(items: list[ProfileItem], n: int) -> list[ProfileItem]:
    """n profiles: the world's, then copies with new ids (same texts, as real data repeats)."""
    out: list[ProfileItem] = []
    copy = 0
    while len(out) < n:
        for item in items:
            if len(out) >= n:
                break
            if copy == 0:
                out.append(item)
            else:
                handle = f"{item.handle}-{copy}" if item.handle else None
                out.append(
                    replace(
                        item,
                        external_id=f"{item.external_id}c{copy}",
                        handle=handle,
                        website=None,
                        bio=item.bio,
                        extra=None,
                    )
                )
        copy += 1
    return out


def main() -> None:
    from config.settings import Settings
    from enrich.location import clear_cache
    from enrich.pipeline import run_enrich
    from sandbox.world import generate
    from storage import db as storage_db
    from storage.db import session_scope
    from storage.save import save_profiles

    started = time.perf_counter()
    world = generate(11, WORLD_PEOPLE)
    items = _scaled(world_items(world), PROFILES)
    print(
        f"   world of {WORLD_PEOPLE:,} people -> {len(items):,} profiles "
        f"({time.perf_counter() - started:.1f}s to build)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        engine = storage_db.open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        settings = Settings()
        t0 = time.perf_counter()
        for start in range(0, len(items), 2000):
            with session_scope(engine) as session:
                save_profiles(session, items[start : start + 2000])
        print(f"   saved in {time.perf_counter() - t0:.1f}s")
        clear_cache()
        t0 = time.perf_counter()
        report = run_enrich(engine, settings, now=world.now)
        cold = time.perf_counter() - t0
        print(f"   cold: {report.summary()}")
        figure("profiles enriched/s, cold location cache", report.enriched / cold, "/s", ">= 2,000")
        t0 = time.perf_counter()
        again = run_enrich(engine, settings, now=world.now)
        print(f"   second run: {again.summary()} ({time.perf_counter() - t0:.2f}s)")
        # Warm: everything due again, locations already in the table and in memory.
        with session_scope(engine) as session:
            session.execute(storage_db_update_enriched())
        t0 = time.perf_counter()
        report = run_enrich(engine, settings, now=world.now)
        warm = time.perf_counter() - t0
        print(f"   warm: {report.summary()}")
        figure(
            "profiles enriched/s, warm location cache", report.enriched / warm, "/s", ">= 20,000"
        )
        figure("peak memory", peak_rss_mb(), "MiB")
        engine.dispose()


def storage_db_update_enriched() -> object:
    from sqlalchemy import update

    from storage.models import Profile

    return update(Profile).values(enriched_sha=None)


if __name__ == "__main__":
    main()
