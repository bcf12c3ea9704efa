"""GitHub crawler benchmark against an in-process sandbox.

Figures: profiles (with top 20 repositories and topics) stored per GraphQL point, points spent
refreshing 1,000 unchanged profiles, and crawl throughput at 0 and 100 ms added latency.
Then the two-pass figures (issue 15) on a BENCH_GITHUB_PASSES_PEOPLE world (50,000 by
default) for each default region and BENCH_GITHUB_SEEDS seeds: the first crawl's new profiles
per point against 1.1 x (new / 4.67 + discovery pages), and a nightly run one simulated day
later (every window walked again, SCOUT_NOW at the sandbox's now): points per new or changed
profile and detail points per detailed profile (unchanged users must cost none). Each
crawl runs `scout crawl github` in a subprocess (the Twisted reactor is one per process);
throughput is measured from the crawl run's own start/finish times, so process start-up and the
world's generation are not counted.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.common import figure
from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from sandbox.world import generate

PEOPLE = int(os.environ.get("BENCH_GITHUB_PEOPLE", "5000"))
PASSES_PEOPLE = int(os.environ.get("BENCH_GITHUB_PASSES_PEOPLE", "50000"))
SEEDS = [int(s) for s in os.environ.get("BENCH_GITHUB_SEEDS", "7,11,13").split(",") if s]
REGIONS = ("india", "eastern-europe", "latin-america")
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


def _scout(db_url: str, server: SandboxServer, *args: str, now: str | None = None) -> str:
    env = {**os.environ, "GITHUB_TOKEN": TOKEN}
    if now is not None:
        env["SCOUT_NOW"] = now
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
    two_pass()


def _run_stats(db_url: str) -> dict[str, int]:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        stats = conn.execute(text("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")).one()[0]
    engine.dispose()
    stats = json.loads(stats) if isinstance(stats, str) else stats
    return {k: int(v) for k, v in stats.items()}


def _sandbox(server: SandboxServer, path: str, method: str = "GET") -> dict[str, Any]:
    request = urllib.request.Request(server.base_url + path, method=method)
    with urllib.request.urlopen(request) as response:
        return json.load(response)  # type: ignore[no-any-return]


def _spread(name: str, values: list[float], unit: str, goal: str = "") -> None:
    figure(name, statistics.mean(values), unit, goal)
    print(f"   {'':<48} min {min(values):,.2f}  max {max(values):,.2f}  over {len(values)}")


def two_pass() -> None:
    """First crawl and one nightly run of each default region, per seed."""
    firsts: dict[str, list[float]] = {r: [] for r in REGIONS}
    bounds: list[float] = []
    nightly: list[float] = []
    detail_per: list[float] = []
    unchanged_detail: list[int] = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-github-passes-"))
    for seed in SEEDS:
        started = time.monotonic()
        world = generate(seed, PASSES_PEOPLE)
        options = SandboxOptions(rate_limit=10_000_000)
        with SandboxServer(world, options) as server:
            dbs = {}
            for region in REGIONS:
                db = dbs[region] = f"sqlite:///{tmp / f'{seed}-{region}.db'}"
                now = _sandbox(server, "/_sandbox/day")["now"]
                _scout(db, server, "crawl", "github", "--region", region, now=now)
                st = _run_stats(db)
                firsts[region].append(st["new"] / max(1, st["quota_spent"]))
                bound = 1.1 * (st["new"] / 4.67 + st["discovery_pages"])
                bounds.append(st["quota_spent"] / bound)
            _sandbox(server, "/_sandbox/advance?days=1", method="POST")
            now = _sandbox(server, "/_sandbox/day")["now"]
            for region in REGIONS:
                _scout(dbs[region], server, "crawl", "github", "--region", region, now=now)
                st = _run_stats(dbs[region])
                touched = st["new"] + st["changed"]
                nightly.append(st["quota_spent"] / max(1, touched))
                detail_per.append(st.get("detail_points", 0) / max(1, touched))
                # Detail points no new or changed profile explains: what unchanged ones cost.
                asked = st.get("detail_points", 0)
                unchanged_detail.append(0 if touched or not asked else asked)
        print(f"   seed {seed}: {time.monotonic() - started:,.0f} s")
    for region in REGIONS:
        _spread(f"first crawl {region}: new profiles per point", firsts[region], "/pt", ">= 4.3")
    _spread("first crawl points / 1.1 x (new/4.67 + pages)", bounds, "x", "<= 1")
    _spread("nightly: points per new or changed profile", nightly, "pt", "<= 0.25")
    _spread("nightly: detail points per new or changed", detail_per, "pt")
    figure("nightly: detail points with nothing to detail", sum(unchanged_detail), "pt", "0")


if __name__ == "__main__":
    main()
