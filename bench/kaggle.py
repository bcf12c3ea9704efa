"""Ingest a Meta-Kaggle-sized folder: 2,000,000 users plus achievements and submissions.

Goals: >= 200k rows/s read; a first full ingest >= 150k rows/s with peak RSS < 500 MB; a
newer snapshot with 1% of its rows changed (edited names, new tiers, new and removed users,
new achievements and submissions) in < 10% of the first ingest's time. The files come from a
fast seeded generator (not the sandbox world, which is built for realism, not size), three
seeds for the spread. BENCH_KAGGLE_USERS scales it, BENCH_KAGGLE_SEEDS sets the seeds.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import figure, peak_rss_mb
from crawlers.kaggle.run import ingest_folder
from storage.db import open_database

USERS = int(os.environ.get("BENCH_KAGGLE_USERS", "2000000"))
SEEDS = [int(s) for s in os.environ.get("BENCH_KAGGLE_SEEDS", "1,2,3").split(",")]
CHANGED = 0.01  # share of rows a newer snapshot changes
ACHIEVEMENT_USERS = USERS // 4  # real Meta Kaggle: a row per category for active users
SUBMISSIONS = USERS // 2
FILE_DATE = datetime(2025, 6, 1, tzinfo=UTC).timestamp()
NEXT_DAY = FILE_DATE + 86400
CATEGORIES = ("Competitions", "Datasets", "Scripts", "Discussion")


def _date(rng: random.Random, first_year: int = 2010) -> str:
    return f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(first_year, 2025)}"


def _write(path: Path, header: str, lines: object, when: float = FILE_DATE) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header + "\n")
        block: list[str] = []
        for line in lines:  # type: ignore[attr-defined]
            block.append(line)
            if len(block) >= 100_000:
                handle.writelines(block)
                block = []
        handle.writelines(block)
    os.utime(path, (when, when))


def generate(folder: Path, seed: int = 1) -> int:
    """Write the three files; returns their total data rows."""
    rng = random.Random(seed)
    tiers = (0,) * 90 + (1,) * 7 + (2,) * 2 + (3,)
    _write(
        folder / "Users.csv",
        "Id,UserName,DisplayName,RegisterDate,PerformanceTier",
        (
            f'{i},user{i},"User {i}, Jr",{_date(rng)},{rng.choice(tiers)}\n'
            for i in range(1, USERS + 1)
        ),
    )

    def achievements():
        row = 0
        for _ in range(ACHIEVEMENT_USERS):
            uid = rng.randint(1, USERS)
            for category in CATEGORIES:
                row += 1
                if rng.random() < 0.9:  # most rows: Novice, nothing earned
                    yield f"{row},{uid},{category},0,,0,,,0,0,0\n"
                else:
                    rank = rng.randint(1, 200_000)
                    yield (
                        f"{row},{uid},{category},{rng.randint(1, 4)},{_date(rng, 2015)},"
                        f"{rng.randint(1, 50_000)},{rank},{rank // 2 + 1},"
                        f"{rng.randint(0, 3)},{rng.randint(0, 5)},{rng.randint(0, 9)}\n"
                    )

    _write(
        folder / "UserAchievements.csv",
        "Id,UserId,AchievementType,Tier,TierAchievementDate,Points,CurrentRanking,"
        "HighestRanking,TotalGold,TotalSilver,TotalBronze",
        achievements(),
    )
    _write(
        folder / "Submissions.csv",
        "Id,SubmittedUserId,TeamId,SourceKernelVersionId,SubmissionDate,ScoreDate,"
        "IsAfterDeadline,PublicScoreLeaderboardDisplay,PublicScoreFullPrecision,"
        "PrivateScoreLeaderboardDisplay,PrivateScoreFullPrecision",
        (
            f"{i},{rng.randint(1, USERS)},{i // 7},,{_date(rng, 2018)},,False,0.5,0.5,0.5,0.5\n"
            for i in range(1, SUBMISSIONS + 1)
        ),
    )
    return USERS + ACHIEVEMENT_USERS * len(CATEGORIES) + SUBMISSIONS


def read_only(folder: Path) -> int:
    """Read, validate and aggregate all three files without building profiles; rows read."""
    from crawlers.kaggle import parse
    from crawlers.kaggle.aggregate import Achievements, Activity
    from crawlers.kaggle.reader import FileReport, read_records

    achievements, activity, rows = Achievements(), Activity(), 0
    for name, make in (
        ("UserAchievements.csv", parse.achievement_parser),
        ("Submissions.csv", parse.submission_parser),
        ("Users.csv", parse.user_parser),
    ):
        report = FileReport(name)
        positions, records = read_records(folder / name, name, report)
        parser = make(positions)
        for _line, fields in records:
            row = parser(fields)
            if row is None:
                continue
            if name == "UserAchievements.csv":
                achievements.add(row)
            elif name == "Submissions.csv":
                activity.add(*row)
        achievements.finish()
        activity.finish()
        rows += report.rows + report.malformed
    return rows


def mutate(folder: Path, seed: int, share: float = CHANGED) -> int:
    """The next day's snapshot: `share` of each file's rows edited, removed or added (Users:
    display names edited, tiers raised, users removed, new users; achievements: points and
    tiers moved, new rows; submissions: new ones). Returns the rows changed."""
    rng = random.Random(seed * 7919)
    changed = 0
    users = (folder / "Users.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    out = [users[0]]
    for line in users[1:]:
        if rng.random() >= share:
            out.append(line)
            continue
        changed += 1
        uid, name, rest = line.split(",", 2)
        what = rng.random()
        if what < 0.25:
            continue  # the account was deleted
        if what < 0.65:
            out.append(f'{uid},{name},"Renamed {uid}",{rest.rsplit(",", 2)[-2]},1\n')
        else:
            out.append(line[: line.rstrip().rfind(",") + 1] + f"{rng.randint(1, 4)}\n")
    new_users = int(USERS * share / 4)
    out.extend(
        f"{i},user{i},New {i},05/31/2025,{rng.choice((0, 0, 1))}\n"
        for i in range(USERS + 1, USERS + new_users + 1)
    )
    changed += new_users
    _write(folder / "Users.csv", out[0].rstrip("\n"), iter(out[1:]), NEXT_DAY)
    rows = (folder / "UserAchievements.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    out = [rows[0]]
    for line in rows[1:]:
        if rng.random() >= share:
            out.append(line)
            continue
        changed += 1
        cells = line.rstrip("\n").split(",")
        cells[3], cells[5] = str(rng.randint(1, 4)), str(rng.randint(1, 60_000))
        out.append(",".join(cells) + "\n")
    _write(folder / "UserAchievements.csv", out[0].rstrip("\n"), iter(out[1:]), NEXT_DAY)
    rows = (folder / "Submissions.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    added = int((len(rows) - 1) * share)
    first = len(rows)
    rows.extend(
        f"{i},{rng.randint(1, USERS)},{i // 7},,05/31/2025,,False,0.5,0.5,0.5,0.5\n"
        for i in range(first, first + added)
    )
    changed += added
    _write(folder / "Submissions.csv", rows[0].rstrip("\n"), iter(rows[1:]), NEXT_DAY)
    return changed


def spread(values: list[float]) -> str:
    low, high = min(values), max(values)
    return f"{sum(values) / len(values):,.1f} (min {low:,.1f}, max {high:,.1f}, n={len(values)})"


@dataclass
class Snapshots:
    """One seed: the first full ingest and the 1% changed one after it, wall and CPU time."""

    first: dict[str, Any]
    second: dict[str, Any]
    full: float
    full_cpu: float
    by_difference: float
    by_difference_cpu: float

    @property
    def figures(self) -> dict[str, float]:
        rows = self.first["rows_read"]
        return {
            "rate": rows / self.full,
            "rate_cpu": rows / self.full_cpu,
            "share": 100 * self.by_difference / self.full,
            "share_cpu": 100 * self.by_difference_cpu / self.full_cpu,
        }


def _timed(run: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], float, float]:
    """run()'s result, its wall time and this process's CPU time (the machine may be shared:
    CPU time is what the code costs, wall time what a user waits)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def snapshots(seed: int) -> Snapshots:
    """First full ingest of a generated snapshot, then the next day's with 1% changed rows."""
    with tempfile.TemporaryDirectory(prefix="bench-kaggle-") as tmp:
        folder = Path(tmp)
        generate(folder, seed)
        engine = open_database(f"sqlite:///{folder / 'bench.db'}")
        first, full, full_cpu = _timed(lambda: ingest_folder(engine, folder).stats)
        mutate(folder, seed)
        second, diff, diff_cpu = _timed(lambda: ingest_folder(engine, folder).stats)
        if seed == SEEDS[0]:
            forced, elapsed, _cpu = _timed(lambda: ingest_folder(engine, folder, force=True).stats)
            figure(
                "forced re-run (read, join, hash; no writes): rows/s",
                forced["rows_read"] / elapsed,
                "rows/s",
            )
            assert forced["profiles_stored"] == 0, forced
            started = time.perf_counter()
            assert ingest_folder(engine, folder).unchanged
            figure(
                "same files again (hash check only): seconds", time.perf_counter() - started, "s"
            )
        engine.dispose()
    assert second["mode"] == "difference", second
    return Snapshots(first, second, full, full_cpu, diff, diff_cpu)


GOALS = (
    ("rate", "first full ingest rows/s, wall", ">= 150k"),
    ("rate_cpu", "first full ingest rows/s of CPU time", ">= 150k"),
    ("share", "1% changed: time as % of first ingest, wall", "< 10%"),
    ("share_cpu", "1% changed: CPU time as % of first ingest's", "< 10%"),
)


def main() -> None:
    print(f"   cpu: {cpu_model()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="bench-kaggle-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        rows = generate(folder)
        size = sum(p.stat().st_size for p in folder.glob("*.csv")) / 1e6
        print(
            f"   generated {rows:,} rows ({size:,.0f} MB) in {time.perf_counter() - started:.1f}s"
        )
        started = time.perf_counter()
        read = read_only(folder)
        elapsed = time.perf_counter() - started
        figure("read + validate + aggregate: rows/s", read / elapsed, "rows/s", ">= 200k")
    runs = []
    for seed in SEEDS:
        run = snapshots(seed)
        runs.append(run)
        first, second = run.first, run.second
        print(
            f"   seed {seed}: first {first['rows_read']:,} rows, {first['profiles_stored']:,} "
            f"profiles in {run.full:.1f}s wall / {run.full_cpu:.1f}s CPU; 1% changed: "
            f"{second['new_lines']:,} new lines, {second['users_touched']:,} users touched, "
            f"{second['profiles_stored']:,} written, {second['profiles_gone']:,} marked gone "
            f"in {run.by_difference:.2f}s wall / {run.by_difference_cpu:.2f}s CPU "
            f"(load {os.getloadavg()[0]:.1f})"
        )
    for key, what, goal in GOALS:
        print(f"   {what}: {spread([r.figures[key] for r in runs])}   (goal {goal})")
    figure("peak RSS", peak_rss_mb(), "MB", "< 500 MB")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
