"""Region discovery (issue 20): how many of the sandbox truth's people in each default region a
`scout crawl github --region NAME` finds with the generated terms, against the hand terms of
regions.toml alone, and what the extra terms cost.

For each seed (BENCH_REGIONS_SEEDS, default 7,11,23) a world of BENCH_REGIONS_PEOPLE (default
5,000) is served; each default region is crawled twice into its own database: once with the
generated terms (`--region`) and once with regions.toml's `include` / `exclude` alone
(`--location` / `--exclude`, as the crawl searched before issue 20). Figures:
- recall: of the GitHub users the truth places in the region whose typed location names one
  place (Truth.resolvable), the share stored;
- precision: of the stored users, the share the truth places in the region (a namesake found
  by a term is stored and left out of the region by the resolver afterwards);
- points: GraphQL points the crawl spent (its run's `quota_spent`), terms searched, and the
  extra points per extra term and per 100 extra users found.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text

from config.regions import load_regions_file
from enrich.location.region_terms import region_search_terms
from sandbox.model import SandboxOptions, World
from sandbox.server import SandboxServer
from sandbox.world import generate

TOKEN = "ghp_" + "b" * 36
SCOUT = str(Path(sys.executable).with_name("scout"))
REGIONS = ("eastern-europe", "india", "latin-america")


def _crawl(db_url: str, server: SandboxServer, *args: str) -> dict[str, int]:
    env = {**os.environ, "GITHUB_TOKEN": TOKEN}
    cmd = [SCOUT, "--db", db_url, "crawl", "github", *args, "--api-url", server.github_url]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"crawl {' '.join(args[:3])} failed: {done.stderr.strip()[-400:]}")
    engine = create_engine(db_url)
    with engine.connect() as conn:
        stats = conn.execute(text("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")).one()
        ids = {str(e) for (e,) in conn.execute(text("SELECT external_id FROM profiles"))}
    engine.dispose()
    raw = stats[0] if isinstance(stats[0], dict) else json.loads(stats[0])
    return {"points": int(raw.get("quota_spent", 0)), "stored": len(ids), "ids": ids}  # type: ignore[dict-item]


def _truth(world: World, countries: set[str]) -> tuple[set[str], set[str]]:
    """(users the truth places in the region with a resolvable location, all users there)."""
    placed, there = set(), set()
    for account in world.github.values():
        truth = world.truth.get(account.person_id or 0)
        if truth is None or account.type != "User" or truth.country not in countries:
            continue
        there.add(str(account.id))
        if truth.resolvable:
            placed.add(str(account.id))
    return placed, there


def main() -> None:
    seeds = [int(s) for s in os.environ.get("BENCH_REGIONS_SEEDS", "7,11,23").split(",")]
    people = int(os.environ.get("BENCH_REGIONS_PEOPLE", "5000"))
    regions = load_regions_file()
    tmp = Path(tempfile.mkdtemp(prefix="bench-regions-"))
    rows: dict[str, list[dict[str, float]]] = {r: [] for r in REGIONS}
    for seed in seeds:
        world = generate(seed, people)
        with SandboxServer(world, SandboxOptions(rate_limit=10_000_000)) as server:
            for region in REGIONS:
                terms = region_search_terms(region)
                model = regions.regions[terms.key]
                placed, there = _truth(world, set(model.countries))
                new = _crawl(f"sqlite:///{tmp}/{seed}-{region}-gen.db", server, "--region", region)
                hand_args = [a for t in model.include for a in ("--location", t)]
                hand_args += [a for t in model.exclude for a in ("--exclude", t)]
                old = _crawl(f"sqlite:///{tmp}/{seed}-{region}-hand.db", server, *hand_args)
                row: dict[str, float] = {"terms": len(terms.terms), "hand": len(model.include)}
                for name, got in (("gen", new), ("hand", old)):
                    ids = got["ids"]
                    assert isinstance(ids, set)
                    row[f"{name}_recall"] = len(placed & ids) / len(placed)
                    row[f"{name}_precision"] = len(there & ids) / max(1, len(ids))
                    row[f"{name}_points"] = got["points"]
                    row[f"{name}_stored"] = len(ids)
                extra_terms = row["terms"] - row["hand"]
                extra_found = max(0.0, row["gen_stored"] - row["hand_stored"])
                row["extra_points"] = row["gen_points"] - row["hand_points"]
                row["allowed"] = extra_terms + extra_found / 100
                rows[region].append(row)
                print(
                    f"   seed {seed} {region:<15} truth {len(placed):>5}  generated: recall "
                    f"{row['gen_recall']:.2%} precision {row['gen_precision']:.2%} "
                    f"{row['gen_points']:.0f} points, {row['terms']:.0f} terms | hand: recall "
                    f"{row['hand_recall']:.2%} precision {row['hand_precision']:.2%} "
                    f"{row['hand_points']:.0f} points, {row['hand']:.0f} terms"
                )
    print()
    for region, found in rows.items():

        def spread(key: str, found: list[dict[str, float]] = found) -> str:
            values = [r[key] for r in found]
            return f"{statistics.mean(values):.4f} (min {min(values):.4f}, max {max(values):.4f})"

        extra = [r["extra_points"] for r in found]
        allowed = [r["allowed"] for r in found]
        pad = " " * len(region)
        hand_recall, hand_precision = spread("hand_recall"), spread("hand_precision")
        print(f"   {region}: recall {spread('gen_recall')} (goal >= 0.99; hand {hand_recall})")
        print(f"   {pad}  precision {spread('gen_precision')} (hand {hand_precision})")
        print(
            f"   {pad}  extra points {min(extra):.0f}-{max(extra):.0f} for "
            f"{found[0]['terms'] - found[0]['hand']:.0f} extra terms (goal <= one a term plus one "
            f"per 100 users found: {min(allowed):.0f}-{max(allowed):.0f})"
        )
