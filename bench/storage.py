"""Upsert 100,000 profiles with repositories into SQLite (and PostgreSQL when configured)."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import figure, peak_rss_mb
from storage import db as storage_db
from storage.items import ProfileItem, RepositoryItem
from storage.save import save_profiles

PROFILES = int(os.environ.get("BENCH_PROFILES", "100000"))
REPOS = 3
BATCH = 1000
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_batch(start: int, size: int) -> list[ProfileItem]:
    return [
        ProfileItem(
            source="github",
            external_id=str(i),
            seen_at=T0,
            handle=f"user{i}",
            name=f"User {i}",
            location_raw="Kraków, Poland",
            bio="ML engineer",
            followers=i % 500,
            created_at=T0,
            repositories=[
                RepositoryItem(
                    name=f"repo{j}",
                    language="Python",
                    topics=["pytorch", "mlops"],
                    stars=j * 3,
                    pushed_at=T0,
                )
                for j in range(REPOS)
            ],
        )
        for i in range(start, start + size)
    ]


def run(url: str, label: str) -> None:
    engine = storage_db.open_database(url)
    # Items are built first: this measures storage, not the making of test data.
    batches = [make_batch(start, BATCH) for start in range(0, PROFILES, BATCH)]
    started = time.perf_counter()
    for batch in batches:
        with storage_db.session_scope(engine) as session:
            save_profiles(session, batch)
    elapsed = time.perf_counter() - started
    figure(
        f"{label}: profiles upserted/s ({REPOS} repos each)",
        PROFILES / elapsed,
        "rows/s",
        ">= 20,000 on SQLite",
    )
    started = time.perf_counter()
    for batch in batches:
        with storage_db.session_scope(engine) as session:
            save_profiles(session, batch)
    elapsed = time.perf_counter() - started
    figure(f"{label}: unchanged re-upsert/s", PROFILES / elapsed, "rows/s")
    engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", "SQLite")
    pg = os.environ.get("SCOUT_BENCH_PG_URL") or os.environ.get("SCOUT_TEST_PG_URL")
    if pg:
        from sqlalchemy import create_engine, text

        admin = create_engine(pg)
        with admin.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench"))
        run(pg + ("&" if "?" in pg else "?") + "options=-csearch_path%3Dbench", "PostgreSQL")
        with admin.begin() as conn:
            conn.execute(text("DROP SCHEMA bench CASCADE"))
    else:
        print("   PostgreSQL: skipped (set SCOUT_BENCH_PG_URL to include it)")
    figure("peak RSS", peak_rss_mb(), "MiB")


if __name__ == "__main__":
    main()
