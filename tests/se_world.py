"""The helpers the Stack Overflow crawl tests share: a sandbox of 300 people, a crawl in its
own process, what a database holds. Faults are injected with tests/fault_proxy.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from helpers import scout, scout_popen, shared_world
from sqlalchemy import create_engine, select

import sandbox.server as sandbox_server
from sandbox.model import SandboxOptions
from sandbox.stackexchange_api import StackExchangeAPI
from storage.models import CrawlRun, CrawlState, Profile, SOTagStat
from storage.state import exit_code

TAGS = ("pytorch", "tensorflow", "keras")
KEY = "goodkey-for-tests"
BOUND_S = 60  # a crawl of this small world takes a few seconds; a hang takes forever
DROP = ("SCOUT_", "STACKEXCHANGE")  # the crawl sees no settings but the ones given


@contextmanager
def se_sandbox(people: int = 300, **options: Any) -> Iterator[sandbox_server.SandboxServer]:
    """Only the Stack Exchange emulator, on a world of `people` (seed 11)."""
    world = shared_world(11, people)
    saved = sandbox_server.build_apis
    sandbox_server.build_apis = lambda w, o, s: [StackExchangeAPI(w, o, s)]
    server = sandbox_server.SandboxServer(world, SandboxOptions(**options))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        sandbox_server.build_apis = saved


def crawl(
    db: str, api: str, *args: str, wait: bool = True, tags: tuple[str, ...] = TAGS, **env: Any
) -> Any:
    """`scout crawl stackoverflow` of `tags` (and `args`) in its own process (the reactor
    cannot restart)."""
    full = {"STACKEXCHANGE_KEY": KEY, **env}
    tagged = [arg for tag in tags for arg in ("--tag", tag)]
    cmd = ("crawl", "stackoverflow", *tagged, *args, "--api-url", api)
    if not wait:
        return scout_popen(*cmd, db=db, env=full, drop=DROP)
    return scout(*cmd, db=db, env=full, drop=DROP, timeout=BOUND_S)


def ended(result: Any, status: str) -> None:
    """The crawl said `status` in its run summary and left with that status's exit code."""
    assert f"stackoverflow {status}:" in result.stdout, result.stdout + result.stderr
    assert result.returncode == exit_code(status), result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def stored(db: str) -> tuple[list[Any], list[Any]]:
    """Every Stack Overflow profile and tag row, sorted (what "the same data" compares)."""
    engine = create_engine(db)
    with engine.connect() as conn:
        profiles = conn.execute(
            select(Profile.external_id, Profile.reputation, Profile.location_raw)
        ).all()
        tags = conn.execute(
            select(
                Profile.external_id,
                SOTagStat.tag,
                SOTagStat.answer_count,
                SOTagStat.answer_score,
                SOTagStat.question_count,
            ).join(SOTagStat, SOTagStat.profile_id == Profile.id)
        ).all()
    engine.dispose()
    return sorted(profiles), sorted(tags)


def last_run(db: str) -> Any:
    engine = create_engine(db)
    with engine.connect() as conn:
        run = conn.execute(
            select(CrawlRun.status, CrawlRun.stats, CrawlRun.errors, CrawlRun.message).order_by(
                CrawlRun.id.desc()
            )
        ).first()
    engine.dispose()
    return run


def cursor_of(db: str, stream: str) -> Any:
    """The cursor of `stream` (the one partition a test's crawl writes there)."""
    engine = create_engine(db)
    with engine.connect() as conn:
        cursor = conn.scalar(
            select(CrawlState.cursor).where(
                CrawlState.source == "stackoverflow", CrawlState.stream == stream
            )
        )
    engine.dispose()
    return cursor


def profiles_cursor(db: str) -> Any:
    return cursor_of(db, "profiles")


def site_profiles(db: str, site: str) -> tuple[list[Any], list[Any]]:
    """One Stack Exchange site's profiles and tag rows in a database, sorted."""
    engine = create_engine(db)
    mine = (Profile.source == "stackoverflow") & (Profile.site == site)
    with engine.connect() as conn:
        profiles = conn.execute(
            select(
                Profile.external_id,
                Profile.name,
                Profile.reputation,
                Profile.location_raw,
                Profile.profile_url,
            ).where(mine)
        ).all()
        tags = conn.execute(
            select(
                Profile.external_id, SOTagStat.tag, SOTagStat.answer_count, SOTagStat.answer_score
            )
            .join(SOTagStat, SOTagStat.profile_id == Profile.id)
            .where(mine)
        ).all()
    engine.dispose()
    return sorted(tuple(p) for p in profiles), sorted(tuple(t) for t in tags)
