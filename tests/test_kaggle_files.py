"""Tests for the Meta Kaggle CSV export of the sandbox world."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from sandbox.kaggle_files import kaggle_date, write_kaggle_csvs
from sandbox.model import (
    KAGGLE_ACHIEVEMENTS_COLUMNS,
    KAGGLE_SUBMISSIONS_COLUMNS,
    KAGGLE_USERS_COLUMNS,
    World,
)
from sandbox.world import generate

DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")


@pytest.fixture(scope="module")
def world(worlds) -> World:
    return worlds(5, 600)


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def test_writes_the_three_files_with_exact_headers(world: World, tmp_path: Path) -> None:
    written = write_kaggle_csvs(world, tmp_path)
    assert list(written) == ["Users.csv", "UserAchievements.csv", "Submissions.csv"]
    expected = [KAGGLE_USERS_COLUMNS, KAGGLE_ACHIEVEMENTS_COLUMNS, KAGGLE_SUBMISSIONS_COLUMNS]
    for path, columns in zip(written.values(), expected, strict=True):
        assert path.parent == tmp_path
        header, _ = read(path)
        assert header == columns
        assert path.read_bytes().startswith(",".join(columns).encode() + b"\n")


def test_row_counts_and_round_trip(world: World, tmp_path: Path) -> None:
    written = write_kaggle_csvs(world, tmp_path)
    _, users = read(written["Users.csv"])
    _, achievements = read(written["UserAchievements.csv"])
    _, submissions = read(written["Submissions.csv"])
    assert len(users) == len(world.kaggle)
    assert len(achievements) == sum(len(k.achievements) for k in world.kaggle.values())
    assert len(submissions) == sum(len(k.submission_dates) for k in world.kaggle.values())
    for row in users:
        k = world.kaggle[int(row["Id"])]
        assert row["UserName"] == k.user_name and row["DisplayName"] == k.display_name
        assert int(row["PerformanceTier"]) == k.performance_tier
        assert row["RegisterDate"] == k.register_date.strftime("%m/%d/%Y")
    by_id = {a.id: (k, a) for k in world.kaggle.values() for a in k.achievements}
    for row in achievements:
        k, a = by_id[int(row["Id"])]
        assert int(row["UserId"]) == k.id and row["AchievementType"] == a.achievement_type
        assert int(row["Tier"]) == a.tier and int(row["TotalGold"]) == a.total_gold
        assert row["CurrentRanking"] == (
            "" if a.current_ranking is None else str(a.current_ranking)
        )
        assert row["TierAchievementDate"] == kaggle_date(a.tier_achievement_date)
    for row in submissions:
        k = world.kaggle[int(row["SubmittedUserId"])]
        assert row["SubmissionDate"] in {kaggle_date(s) for s in k.submission_dates}
        assert row["IsAfterDeadline"] in ("True", "False")
        float(row["PublicScoreFullPrecision"])


def test_dates_are_month_day_year(world: World, tmp_path: Path) -> None:
    written = write_kaggle_csvs(world, tmp_path)
    date_columns = {"RegisterDate", "TierAchievementDate", "SubmissionDate", "ScoreDate"}
    seen = 0
    for path in written.values():
        _, rows = read(path)
        for row in rows:
            for column in date_columns & set(row):
                value = row[column]
                assert value == "" or DATE.match(value), value
                if value:
                    month, day, _ = value.split("/")
                    assert 1 <= int(month) <= 12 and 1 <= int(day) <= 31
                    seen += 1
    assert seen > 100
    assert any(
        int(r.split("/")[1]) > 12
        for r in (k.register_date.strftime("%m/%d/%Y") for k in world.kaggle.values())
    )


def test_non_ascii_names_survive_and_output_is_deterministic(world: World, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_kaggle_csvs(world, tmp_path / "a")
    second = write_kaggle_csvs(generate(5, 600), tmp_path / "b")
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes()
    text = first["Users.csv"].read_text(encoding="utf-8")
    assert re.search(r"[^\x00-\x7f]", text)


def test_quoting_of_awkward_display_names(tmp_path: Path) -> None:
    world = generate(5, 30)
    k = next(iter(world.kaggle.values()))
    k.display_name = 'Ana "the, tester" Silva'
    written = write_kaggle_csvs(world, tmp_path)
    _, users = read(written["Users.csv"])
    assert users[0]["DisplayName"] == 'Ana "the, tester" Silva'
