"""Enrich sandbox-like profiles: profiles per second, cold (empty location cache) and warm.

The profiles are a sandbox world's (sandbox.profile_items.world_items), copied up to
BENCH_PROFILES.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.common import figure, peak_rss_mb
from storage.items import ProfileItem

PROFILES = int(os.environ.get("BENCH_PROFILES", "100000"))
WORLD_PEOPLE = int(os.environ.get("BENCH_WORLD_PEOPLE", "6000"))


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
    from crawlers.stackexchange.parse import about_me_links
    from enrich.location.resolver import clear_cache
    from enrich.pipeline import run_enrich
    from sandbox.profile_items import world_items
    from sandbox.world import generate
    from storage import db as storage_db
    from storage.db import session_scope
    from storage.save import save_profiles

    started = time.perf_counter()
    world = generate(11, WORLD_PEOPLE)
    items = _scaled(world_items(world, about_me_links), PROFILES)
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
