"""Ingest a Meta-Kaggle-sized folder: 2,000,000 users plus achievements and submissions.

Goals: >= 200k rows/s read, peak RSS < 500 MB. The files come from a fast seeded generator
(not the sandbox world, which is built for realism, not size). BENCH_KAGGLE_USERS scales it.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import figure, peak_rss_mb
from crawlers.kaggle.ingest import ingest_folder
from storage.db import open_database

USERS = int(os.environ.get("BENCH_KAGGLE_USERS", "2000000"))
ACHIEVEMENT_USERS = USERS // 4  # real Meta Kaggle: a row per category for active users
SUBMISSIONS = USERS // 2
FILE_DATE = datetime(2025, 6, 1, tzinfo=UTC).timestamp()
CATEGORIES = ("Competitions", "Datasets", "Scripts", "Discussion")


def _date(rng: random.Random, first_year: int = 2010) -> str:
    return f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(first_year, 2025)}"


def _write(path: Path, header: str, lines: object) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header + "\n")
        block: list[str] = []
        for line in lines:  # type: ignore[attr-defined]
            block.append(line)
            if len(block) >= 100_000:
                handle.writelines(block)
                block = []
        handle.writelines(block)
    os.utime(path, (FILE_DATE, FILE_DATE))


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


def main() -> None:
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
        engine = open_database(f"sqlite:///{folder / 'bench.db'}")

        started = time.perf_counter()
        first = ingest_folder(engine, folder).stats
        elapsed = time.perf_counter() - started
        figure(
            "first ingest end to end (25% users written): rows/s",
            first["rows_read"] / elapsed,
            "rows/s",
            ">= 200k",
        )
        figure("first ingest: profiles written", first["profiles_stored"], "profiles")
        figure("first ingest: seconds", elapsed, "s")

        started = time.perf_counter()
        forced = ingest_folder(engine, folder, force=True).stats
        elapsed = time.perf_counter() - started
        figure(
            "forced re-run (read, join, hash; no writes): rows/s",
            forced["rows_read"] / elapsed,
            "rows/s",
            ">= 200k",
        )
        assert forced["profiles_stored"] == 0, forced

        started = time.perf_counter()
        same = ingest_folder(engine, folder)
        figure("same files again (hash check only): seconds", time.perf_counter() - started, "s")
        assert same.unchanged
        figure("peak RSS", peak_rss_mb(), "MB", "< 500 MB")
        engine.dispose()


if __name__ == "__main__":
    main()
