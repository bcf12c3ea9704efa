"""Stack Overflow crawl against the sandbox: batching, requests per profile, throughput, and
how many answerers of the default ML/MLOps tags one key's daily quota finds.

Figures: profiles per /users request (goal >= 95), requests per fully described profile (tags
included), profiles per second at 0 and 100 ms of latency (the top answerers only, as before
discovery by answers); then distinct answerers found by the default crawl (top answerers and
answers) with `--budget 10000`, on three seeds (goal >= 2,000), with the requests it spent
and profiles per request. Each crawl runs in its own process (Twisted's reactor cannot
restart); request counts come from the sandbox's /_sandbox/stats. BENCH_SO_PEOPLE scales the
first world, BENCH_SO_ANSWERS_PEOPLE the second (it must hold well over 2,000 answerers of
the default tags: about 23 per 100 people).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select

import sandbox.server as sandbox_server
from bench.common import figure
from crawlers.stackexchange.plan import DEFAULT_TAGS
from sandbox.model import SandboxOptions, World
from sandbox.stackexchange_api import StackExchangeAPI
from sandbox.stackexchange_objects import SOIndex
from sandbox.world import generate
from storage.models import CrawlRun, Profile

PEOPLE = int(os.environ.get("BENCH_SO_PEOPLE", "8000"))
ANSWERS_PEOPLE = int(os.environ.get("BENCH_SO_ANSWERS_PEOPLE", "12000"))
ANSWERS_SEEDS = (7, 11, 13)
BUDGET = 10_000  # one key's daily quota


def crawl(world: World, latency_ms: int, db: str, *args: str) -> tuple[Any, dict[str, int]]:
    """`scout crawl stackoverflow ARGS` against `world`: its run row and the sandbox's counts."""
    sandbox_server.build_apis = lambda w, o, s: [StackExchangeAPI(w, o, s)]  # type: ignore[assignment]
    server = sandbox_server.SandboxServer(world, SandboxOptions(latency_ms=latency_ms))
    server.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCOUT_", "STACKEXCHANGE"))}
    env["STACKEXCHANGE_KEY"] = "bench-key"
    cmd = [sys.executable, "-m", "scout.cli", "--db", db, "crawl", "stackoverflow", *args]
    try:
        subprocess.run(
            [*cmd, "--api-url", server.stackexchange_url],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        with urllib.request.urlopen(server.base_url + "/_sandbox/stats") as answer:
            counters = json.load(answer)
    finally:
        server.stop()
    engine = create_engine(db)
    with engine.connect() as conn:
        run = conn.execute(select(CrawlRun.stats, CrawlRun.started_at, CrawlRun.finished_at)).one()
    engine.dispose()
    return run, counters


def crawl_once(world: World, latency_ms: int, folder: Path) -> dict[str, float]:
    db = f"sqlite:///{folder / f'so-{latency_ms}.db'}"
    run, counters = crawl(world, latency_ms, db, "--discover", "top")
    stats = run.stats
    return {
        "profiles": stats.get("profiles_stored", 0),
        "users_requests": counters.get("stackexchange./users/{ids}", 0),
        "per_users": stats.get("users_returned", 0) / max(1, stats.get("users_requests", 1)),
        "requests": counters.get("stackexchange.requests", 0),
        "seconds": (run.finished_at - run.started_at).total_seconds(),
    }


def answerers_once(seed: int, folder: Path) -> dict[str, float]:
    """The default crawl (top answerers and answers, min score 1) with one day's quota."""
    world = generate(seed, ANSWERS_PEOPLE)
    posts = SOIndex.build(world).posts
    held = {
        a.user_id
        for tag in DEFAULT_TAGS
        for q in posts.tag(tag).questions
        for a in q.answers
        if a.score >= 1
    }
    db = f"sqlite:///{folder / f'answers-{seed}.db'}"
    run, counters = crawl(world, 0, db, "--budget", str(BUDGET))
    engine = create_engine(db)
    with engine.connect() as conn:
        found = conn.scalar(select(func.count()).select_from(Profile)) or 0
    engine.dispose()
    stats = run.stats
    return {
        "answerers": found,
        "held": len(held),
        "requests": counters.get("stackexchange.requests", 0),
        "spent": stats.get("quota_spent", 0),
        "per_request": found / max(1, stats.get("requests", 1)),
        "seconds": (run.finished_at - run.started_at).total_seconds(),
    }


def spread(values: list[float]) -> str:
    return f"{min(values):,.0f}-{max(values):,.0f}"


def main() -> None:
    print(f"== stackoverflow: sandbox world of {PEOPLE:,} people, default ML/MLOps tags")
    world = generate(7, PEOPLE)
    with tempfile.TemporaryDirectory() as tmp:
        fast = crawl_once(world, 0, Path(tmp))
        slow = crawl_once(world, 100, Path(tmp))
    figure("profiles stored (top answerers)", fast["profiles"], "profiles")
    figure("profiles per /users request", fast["per_users"], "profiles", ">= 95")
    figure("/users requests", fast["users_requests"], "requests")
    figure(
        "requests per fully described profile",
        fast["requests"] / max(1, fast["profiles"]),
        "requests",
    )
    figure(
        "throughput at 0 ms latency", fast["profiles"] / max(fast["seconds"], 1e-9), "profiles/s"
    )
    figure(
        "throughput at 100 ms latency", slow["profiles"] / max(slow["seconds"], 1e-9), "profiles/s"
    )
    figure("crawl time at 100 ms latency", slow["seconds"], "s")

    print(
        f"== stackoverflow answers: worlds of {ANSWERS_PEOPLE:,} people, seeds "
        f"{', '.join(map(str, ANSWERS_SEEDS))}, --budget {BUDGET:,}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        runs = [answerers_once(seed, Path(tmp)) for seed in ANSWERS_SEEDS]
    for seed, r in zip(ANSWERS_SEEDS, runs, strict=True):
        print(
            f"   seed {seed}: {r['answerers']:,.0f} answerers stored of {r['held']:,.0f} in the "
            f"world, {r['requests']:,.0f} requests ({r['spent']:,.0f} quota), "
            f"{r['per_request']:.2f} profiles per request, {r['seconds']:.0f}s"
        )
    found = [r["answerers"] for r in runs]
    spent = [r["requests"] for r in runs]
    figure(
        "distinct answerers of the default ML/MLOps tags from 10,000 requests",
        statistics.median(found),
        "profiles",
        ">= 2,000",
    )
    print(f"   {'  spread over 3 seeds':<48} {spread(found):>14} profiles")
    figure("requests actually spent (median)", statistics.median(spent), "requests", "<= 10,000")
    print(f"   {'  spread over 3 seeds':<48} {spread(spent):>14} requests")
    figure(
        "profiles per request (median)",
        statistics.median(r["per_request"] for r in runs),
        "profiles",
    )


if __name__ == "__main__":
    main()
