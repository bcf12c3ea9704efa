"""Write the sandbox world's Kaggle users as Meta Kaggle CSV files.

The files have exactly the columns of `model.KAGGLE_*_COLUMNS`, dates as MM/DD/YYYY (the
format Meta Kaggle uses), empty cells for missing values, the csv module's standard quoting,
UTF-8 and "\\n" line ends. Rows are written in Id order, so the same world gives the same bytes.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from sandbox.model import (
    KAGGLE_ACHIEVEMENTS_COLUMNS,
    KAGGLE_SUBMISSIONS_COLUMNS,
    KAGGLE_USERS_COLUMNS,
    World,
)
from sandbox.world_accounts import NOW

Row = list[str | int]
START = NOW  # the first day's "now": no submission of the generated world is later


def kaggle_date(moment: datetime | None) -> str:
    """Meta Kaggle's date format, MM/DD/YYYY; an empty cell for no date."""
    return moment.strftime("%m/%d/%Y") if moment else ""


def _cell(value: int | None) -> str | int:
    return "" if value is None else value


def _users(world: World) -> Iterator[Row]:
    for k in world.kaggle.values():
        yield [k.id, k.user_name, k.display_name, kaggle_date(k.register_date), k.performance_tier]


def _achievements(world: World) -> Iterator[Row]:
    for k in world.kaggle.values():
        for a in k.achievements:
            yield [
                *(a.id, k.id, a.achievement_type, a.tier, kaggle_date(a.tier_achievement_date)),
                *(a.points, _cell(a.current_ranking), _cell(a.highest_ranking)),
                *(a.total_gold, a.total_silver, a.total_bronze),
            ]


def _submissions(world: World) -> Iterator[Row]:
    # The world keeps only submission dates; the scores, teams and kernels around them are
    # drawn from their own seeded generator so the file is still a pure function of the world.
    # Submissions made after the first day (sandbox.world_days) come last, in date
    # order, each from its own generator: a later snapshot changes no earlier row.
    rng = random.Random(world.seed * 1_000_003 + 17)
    row_id, team_id = 0, 100_000
    teams: dict[int, int] = {}
    later: list[tuple[datetime, int]] = []
    for k in world.kaggle.values():
        team_id += rng.randint(1, 50)
        teams[k.id] = team_id
        for when in k.submission_dates:
            if when > START:
                later.append((when, k.id))
                continue
            row_id += 1
            yield _submission(rng, row_id, k.id, team_id, when)
    for when, kid in sorted(later):
        row_id += 1
        yield _submission(random.Random(f"{world.seed}:{row_id}"), row_id, kid, teams[kid], when)


def _submission(rng: random.Random, row_id: int, kid: int, team_id: int, when: datetime) -> Row:
    public, private = rng.random(), rng.random()
    kernel = rng.randint(1_000_000, 9_999_999) if rng.random() < 0.4 else ""
    after = rng.random() < 0.2
    return [
        *(row_id, kid, team_id, kernel, kaggle_date(when)),
        *(kaggle_date(when + timedelta(hours=rng.randint(0, 30))), str(after)),
        *(f"{public:.5f}", repr(public), f"{private:.5f}", repr(private)),
    ]


def write_kaggle_csvs(world: World, folder: Path) -> dict[str, Path]:
    """Write Users.csv, UserAchievements.csv and Submissions.csv into `folder`.

    Returns the written paths keyed by file name ("Users.csv", ...). The folder must exist.
    """
    tables = [
        ("Users.csv", KAGGLE_USERS_COLUMNS, _users(world)),
        ("UserAchievements.csv", KAGGLE_ACHIEVEMENTS_COLUMNS, _achievements(world)),
        ("Submissions.csv", KAGGLE_SUBMISSIONS_COLUMNS, _submissions(world)),
    ]
    written: dict[str, Path] = {}
    for name, columns, rows in tables:
        path = folder / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(rows)
        written[name] = path
    return written
