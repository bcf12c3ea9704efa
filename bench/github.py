"""GitHub crawler benchmark against an in-process sandbox.

Figures: profiles (with top 20 repositories and topics) stored per GraphQL point, points spent
refreshing 1,000 unchanged profiles, and crawl throughput at 0 and 100 ms added latency. Each
crawl runs `scout crawl github` in a subprocess (the Twisted reactor is one per process);
throughput is measured from the crawl run's own start/finish times, so process start-up and the
world's generation are not counted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.common import figure
from crawlers.sandbox.model import SandboxOptions
from crawlers.sandbox.server import SandboxServer
from crawlers.sandbox.world import generate

PEOPLE = int(os.environ.get("BENCH_GITHUB_PEOPLE", "5000"))
TOKEN = "ghp_" + "b" * 36
SCOUT = str(Path(sys.executable).with_name("scout"))


def _stats(server: SandboxServer, reset: bool = False) -> dict[str, int]:
    url = server.base_url + "/_sandbox/stats" + ("?reset=1" if reset else "")
    with urllib.request.urlopen(url) as response:
        return json.load(response)  # type: ignore[no-any-return]


def _core_remaining(server: SandboxServer) -> int:
    request = urllib.request.Request(
        server.github_url + "/rate_limit", headers={"Authorization": f"token {TOKEN}"}
    )
    with urllib.request.urlopen(request) as response:
        return int(json.load(response)["resources"]["core"]["remaining"])


def _scout(db_url: str, server: SandboxServer, *args: str) -> str:
    env = {**os.environ, "GITHUB_TOKEN": TOKEN}
    cmd = [SCOUT, "--db", db_url, *args, "--api-url", server.github_url]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def _last_run(db_url: str) -> tuple[int, float]:
    """(profiles stored, seconds) of the newest crawl run."""
    engine = create_engine(db_url)
    with engine.connect() as conn:
        stats, started, finished = conn.execute(
            text("SELECT stats, started_at, finished_at FROM crawl_runs ORDER BY id DESC LIMIT 1")
        ).one()
    engine.dispose()
    from datetime import datetime

    stats = json.loads(stats) if isinstance(stats, str) else stats
    seconds = datetime.fromisoformat(str(finished)) - datetime.fromisoformat(str(started))
    return int(stats["profiles_stored"]), seconds.total_seconds()


def _crawl(server: SandboxServer, db_url: str) -> tuple[int, float]:
    _scout(db_url, server, "crawl", "github")
    return _last_run(db_url)


def main() -> None:
    world = generate(7, PEOPLE)
    tmp = Path(tempfile.mkdtemp(prefix="bench-github-"))
    print(f"   world: {PEOPLE:,} people, {len(world.github):,} GitHub accounts")
    with SandboxServer(world, SandboxOptions(rate_limit=10_000_000)) as server:
        db = f"sqlite:///{tmp / 'zero.db'}"
        _stats(server, reset=True)
        stored, seconds = _crawl(server, db)
        points = _stats(server).get("github.graphql.points", 0)
        figure("profiles stored per GraphQL point", stored / max(1, points), "/pt", ">= 4.5")
        figure("  (profiles stored, points spent)", stored, f"profiles / {points} pt")
        figure("crawl throughput, 0 ms latency", stored / seconds, "profiles/s", ">= 2,000")
        # The GraphQL crawl gives no ETags: a first refresh of everyone fetches them, then the
        # 1,000 least recently seen are refreshed again and the quota they cost is read.
        _scout(db, server, "refresh", "github", "--stale-days", "0")
        before = _core_remaining(server)
        out = _scout(db, server, "refresh", "github", "--stale-days", "0", "--limit", "1000")
        spent = before - _core_remaining(server)
        figure("points spent refreshing 1,000 unchanged", spent, "pt", "0")
        if "1,000 unchanged" not in out:
            print(f"   note: {out.strip()}")
    with SandboxServer(world, SandboxOptions(rate_limit=10_000_000, latency_ms=100)) as server:
        stored, seconds = _crawl(server, f"sqlite:///{tmp / 'slow.db'}")
        figure("crawl throughput, 100 ms latency", stored / seconds, "profiles/s")


if __name__ == "__main__":
    main()
