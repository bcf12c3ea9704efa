"""A season benchmark: 30 simulated days of config/jobs.example.toml against a 5,000-person
world (scout.season), on several seeds: per-day figures, then the season checks and totals.

BENCH_SEASON_PEOPLE (5000), BENCH_SEASON_DAYS (30), BENCH_SEASON_SEEDS (7,8,9) change it.
Every fire time is one `scout schedule run --once` (about 200 of them a season), so a seed
takes minutes; the jobs are unchanged but for the Kaggle download's URL.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

from bench.common import figure
from scout import season_check
from scout.season import DayFigures, Season, SeasonSpec

PEOPLE = int(os.environ.get("BENCH_SEASON_PEOPLE", "5000"))
DAYS = int(os.environ.get("BENCH_SEASON_DAYS", "30"))
SEEDS = [int(s) for s in os.environ.get("BENCH_SEASON_SEEDS", "7,8,9").split(",")]


def _day(d: DayFigures) -> None:
    gained = d.new["github"] + d.changed["github"]
    per = f"{d.points / gained:6.2f}" if gained else "     -"
    failed = sum(1 for t in d.ticks if t.exit_code)
    print(
        f"   day {d.day:>2}: github {d.profiles['github']:>5} (+{d.new['github']:<4} "
        f"~{d.changed['github']:<4}) points {d.points:>5} ({d.graphql_points} GraphQL, "
        f"{d.rest_billed} REST)  {per}/profile   SO +{d.new['stackoverflow']} "
        f"~{d.changed['stackoverflow']} in {d.se_requests} requests   kaggle "
        f"+{d.new['kaggle']} ~{d.changed['kaggle']}   {len(d.ticks)} passes "
        f"{sum(t.seconds for t in d.ticks):5.1f}s" + (f"  {failed} FAILED" if failed else ""),
        flush=True,
    )


def one(seed: int) -> dict[str, float]:
    spec = SeasonSpec(seed=seed, people=PEOPLE, days=tuple(range(DAYS + 1)))
    season = Season(spec, Path(tempfile.mkdtemp(prefix=f"bench-season-{seed}-")))
    print(f"   seed {seed}: {PEOPLE:,} people, days 0..{DAYS}, {season.workdir}")
    season.run(_day)
    out: dict[str, float] = {"wall time s": season.seconds}
    checks = [
        season_check.regions(season),
        season_check.current(season, stale_days=7),
        season_check.renames(season),
        season_check.gone(season),
        season_check.duplicates(season),
        season_check.runs(season),
        season_check.quota(season, bound=float("inf")),
    ]
    for check in checks:
        print(f"   {'ok  ' if check.ok else 'FAIL'} {check.name}")
        for problem in check.problems:
            print(f"          {problem}")
        for name, value in check.figures.items():
            figure(name, value, "")
            out[name] = value
    nightly = season.days[1:]
    points = [d.points for d in nightly]
    out["median nightly points"] = statistics.median(points) if points else 0
    figure("median nightly points (days 1..)", out["median nightly points"], "points")
    figure("season wall time", season.seconds, "s")
    return out


def main() -> None:
    results = [one(seed) for seed in SEEDS]
    keys = [
        "points per new or changed profile",
        "after day one: points per new or changed",
        "SE requests per new or changed profile",
        "median nightly points",
        "wall time s",
    ]
    print(f"   spread over seeds {SEEDS}:")
    for key in keys:
        values = [r.get(key, 0.0) for r in results]
        print(
            f"   {key:<48} min {min(values):8.2f}  median {statistics.median(values):8.2f}  "
            f"max {max(values):8.2f}"
        )


if __name__ == "__main__":
    main()
