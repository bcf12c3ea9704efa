"""Stack Overflow crawl against the sandbox: batching, requests per profile, throughput.

Figures: profiles per /users request (goal >= 95), requests per fully described profile (tags
included), profiles per second at 0 and 100 ms of latency. Each crawl runs in its own process
(Twisted's reactor cannot restart); request counts come from the sandbox's /_sandbox/stats.
BENCH_SO_PEOPLE scales the world.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, select

import crawlers.sandbox.server as sandbox_server
from bench.common import figure
from crawlers.sandbox.model import SandboxOptions
from crawlers.sandbox.stackexchange_api import StackExchangeAPI
from crawlers.sandbox.world import generate
from storage.models import CrawlRun

PEOPLE = int(os.environ.get("BENCH_SO_PEOPLE", "8000"))


def crawl_once(world: object, latency_ms: int, folder: Path) -> dict[str, float]:
    sandbox_server.build_apis = lambda w, o, s: [StackExchangeAPI(w, o, s)]  # type: ignore[assignment]
    server = sandbox_server.SandboxServer(world, SandboxOptions(latency_ms=latency_ms))  # type: ignore[arg-type]
    server.start()
    db = f"sqlite:///{folder / f'so-{latency_ms}.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCOUT_", "STACKEXCHANGE"))}
    env["STACKEXCHANGE_KEY"] = "bench-key"
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "scout.cli",
                "--db",
                db,
                "crawl",
                "stackoverflow",
                "--api-url",
                server.stackexchange_url,
            ],
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
    stats = run.stats
    seconds = (run.finished_at - run.started_at).total_seconds()
    stored = stats.get("profiles_stored", 0)
    return {
        "profiles": stored,
        "users_requests": counters.get("stackexchange./users/{ids}", 0),
        "per_users": stats.get("users_returned", 0) / max(1, stats.get("users_requests", 1)),
        "requests": counters.get("stackexchange.requests", 0),
        "seconds": seconds,
    }


def main() -> None:
    print(f"== stackoverflow: sandbox world of {PEOPLE:,} people, default ML/MLOps tags")
    world = generate(7, PEOPLE)
    with tempfile.TemporaryDirectory() as tmp:
        fast = crawl_once(world, 0, Path(tmp))
        slow = crawl_once(world, 100, Path(tmp))
    figure("profiles stored", fast["profiles"], "profiles")
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


if __name__ == "__main__":
    main()
