"""Meta Kaggle snapshots read by difference: the result is the full read's, profile for
profile; departed users are marked, not deleted; anything the lines cannot express safely
falls back to a full read; a crash loses and duplicates nothing."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import pg_schema
from sqlalchemy import func, select

from crawlers.kaggle import spider, write
from crawlers.kaggle.index import PREFIX
from crawlers.kaggle.run import ingest_folder
from sandbox.kaggle_files import write_kaggle_csvs
from sandbox.world import generate
from sandbox.world_days import Timeline
from storage.db import open_database, session_scope
from storage.models import KaggleAchievement, Profile, RawRecord

DAY0 = datetime(2026, 6, 1, 1, tzinfo=UTC)  # when each snapshot is ingested
DAY1 = DAY0 + timedelta(days=1)


def snapshot(folder: Path, day: int, seed: int = 5, people: int = 300) -> Path:
    """The sandbox world's Meta Kaggle files of `day`, dated that day."""
    world = Timeline(generate(seed, people)).at(day)
    folder.mkdir(parents=True, exist_ok=True)
    write_kaggle_csvs(world, folder)
    stamp(folder, world.now)
    return folder


def stamp(folder: Path, when: datetime) -> None:
    for path in folder.glob("*.csv"):
        os.utime(path, (when.timestamp(), when.timestamp()))


def edit(folder: Path, name: str, change) -> None:
    """Rewrite one file line by line (`change(line) -> lines`), keeping its date."""
    path = folder / name
    when = path.stat().st_mtime
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(out for line in lines for out in change(line)), encoding="utf-8")
    os.utime(path, (when, when))


PROFILE = ("handle", "name", "profile_url", "created_at", "extra", "content_sha", "last_seen")
ACHIEVEMENT = [c.name for c in KaggleAchievement.__table__.columns]


def current(engine) -> dict[str, tuple]:
    """Kaggle profiles not marked gone, as stored (row ids and first_seen aside)."""
    with session_scope(engine) as session:
        kids: dict[int, list[tuple]] = {}
        for a in session.scalars(select(KaggleAchievement).order_by(KaggleAchievement.category)):
            kids.setdefault(a.profile_id, []).append(
                tuple(getattr(a, c) for c in ACHIEVEMENT if c not in ("id", "profile_id"))
            )
        return {
            p.external_id: (*(getattr(p, c) for c in PROFILE), kids.get(p.id, []))
            for p in session.scalars(select(Profile).where(Profile.source == "kaggle"))
            if write.GONE not in (p.extra or {})
        }


def gone(engine) -> dict[str, dict]:
    """The marked profiles; each carries the mark every source uses (gone_at), and only they."""
    with session_scope(engine) as session:
        profiles = list(session.scalars(select(Profile)))
        marks = {
            p.external_id: p.extra[write.GONE] for p in profiles if write.GONE in (p.extra or {})
        }
        assert {p.external_id for p in profiles if p.gone_at is not None} == set(marks)
        return marks


@pytest.fixture(params=["sqlite", "postgresql"])
def engines(request, tmp_path):
    """Two empty databases: one ingests day after day, the other only the newest day."""
    if request.param == "sqlite":
        yield (
            open_database(f"sqlite:///{tmp_path / 'a.db'}"),
            open_database(f"sqlite:///{tmp_path / 'b.db'}"),
        )
        return
    with pg_schema() as a, pg_schema() as b:
        pair = open_database(a), open_database(b)
        yield pair
        for engine in pair:
            engine.dispose()


def test_next_day_by_difference_equals_a_full_read(engines, tmp_path):
    by_days, fresh = engines
    day0, day1 = snapshot(tmp_path / "day0", 0), snapshot(tmp_path / "day1", 1)
    first = ingest_folder(by_days, day0, clock=lambda: DAY0)
    assert first.stats["mode"] == "full" and first.stats["profiles_stored"] > 50
    result = ingest_folder(by_days, day1, clock=lambda: DAY1)
    stats = result.stats
    assert stats["mode"] == "difference"
    # Day 1 changed a few users: only their lines were parsed and their profiles written.
    assert 0 < stats["new_lines"] < stats["rows_read"] / 10
    assert 0 < stats["profiles_stored"] <= stats["users_touched"]
    assert stats["profiles_unchanged"] > 10 * stats["profiles_stored"]
    # The index moved to the newest files' folder; the old one is gone.
    assert not list(day0.glob(PREFIX + "*")) and len(list(day1.glob(PREFIX + "*"))) == 1
    full = ingest_folder(fresh, day1, clock=lambda: DAY1)
    assert full.stats["mode"] == "full"
    assert current(by_days) == current(fresh)


def test_removed_renamed_new_and_aged_users_by_difference(engines, tmp_path):
    by_days, fresh = engines
    folder = snapshot(tmp_path / "mk", 0)
    ingest_folder(by_days, folder, clock=lambda: DAY0)
    stored = current(by_days)
    removed, renamed = sorted(stored, key=int)[:2]
    achiever = next(e for e, p in stored.items() if p[-1] and e not in (removed, renamed))

    def users(line: str) -> list[str]:
        uid, user_name, _display, rest = line.split(",", 3)
        if uid == removed:
            return []
        return [f"{uid},{user_name},Someone Else,{rest}" if uid == renamed else line]

    def points(line: str) -> list[str]:
        cells = line.split(",")
        if cells[1] == achiever:  # UserId; Points is the sixth column
            cells[5] = str(int(cells[5] or 0) + 100)
        return [",".join(cells)]

    edit(folder, "Users.csv", users)
    edit(folder, "UserAchievements.csv", points)
    with (folder / "Users.csv").open("a", encoding="utf-8") as out:
        out.write("999001,newcomer,New Comer,05/30/2026,2\n")
    # Two years on: everyone whose only signal was a recent submission has aged out.
    stamp(folder, DAY1 + timedelta(days=730))
    result = ingest_folder(by_days, folder, clock=lambda: DAY1)
    assert result.stats["mode"] == "difference"
    ingest_folder(fresh, folder, clock=lambda: DAY1)
    assert current(by_days) == current(fresh)
    marks = gone(by_days)
    assert marks[removed] == {"since": "2028-06-01", "reason": write.REMOVED}
    assert {m["reason"] for e, m in marks.items() if e != removed} == {write.NO_SIGNAL}
    assert current(by_days)[renamed][PROFILE.index("name")] == "Someone Else"
    assert "999001" in current(by_days)
    with session_scope(by_days) as session:  # marked, not deleted: what was exported stays
        left = session.scalars(select(Profile).where(Profile.external_id == removed)).one()
        assert left.handle == stored[removed][0] and left.last_seen == DAY0


def test_a_returning_user_loses_the_mark(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'scout.db'}")
    folder = snapshot(tmp_path / "mk", 0)
    ingest_folder(engine, folder, clock=lambda: DAY0)
    original = (folder / "Users.csv").read_text(encoding="utf-8")
    someone = sorted(current(engine), key=int)[0]
    edit(folder, "Users.csv", lambda line: [] if line.startswith(f"{someone},") else [line])
    stamp(folder, DAY1)
    ingest_folder(engine, folder, clock=lambda: DAY1)
    assert someone in gone(engine)
    (folder / "Users.csv").write_text(original, encoding="utf-8")
    stamp(folder, DAY1 + timedelta(days=1))
    result = ingest_folder(engine, folder, clock=lambda: DAY1 + timedelta(days=1))
    assert result.stats["mode"] == "difference" and someone not in gone(engine)
    assert current(engine)[someone][PROFILE.index("last_seen")] == DAY1 + timedelta(days=1)


def read_in_full_all_the_same(tmp_path, damage) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'a.db'}")
    fresh = open_database(f"sqlite:///{tmp_path / 'b.db'}")
    day0 = snapshot(tmp_path / "day0", 0)
    ingest_folder(engine, day0, clock=lambda: DAY0)
    day1 = snapshot(tmp_path / "day1", 1)
    damage(day0, day1, sorted(current(engine), key=int)[0])
    result = ingest_folder(engine, day1, clock=lambda: DAY1)
    assert result.stats["mode"] == "full"
    ingest_folder(fresh, day1, clock=lambda: DAY1)
    assert current(engine) == current(fresh)


def test_a_row_now_spanning_two_lines_is_read_in_full(tmp_path):
    def damage(_day0: Path, day1: Path, uid: str) -> None:
        # The lines alone cannot tell the second line of the name from a row of its own.
        def users(line: str) -> list[str]:
            uid_, user_name, _display, rest = line.split(",", 3)
            return [f'{uid_},{user_name},"Two\nLines",{rest}' if uid_ == uid else line]

        edit(day1, "Users.csv", users)

    read_in_full_all_the_same(tmp_path, damage)


def test_a_missing_index_means_a_full_read(tmp_path):
    def damage(day0: Path, _day1: Path, _uid: str) -> None:
        for index in day0.glob(PREFIX + "*"):
            index.unlink()

    read_in_full_all_the_same(tmp_path, damage)


def test_a_crash_mid_difference_loses_and_duplicates_nothing(tmp_path, monkeypatch):
    engine = open_database(f"sqlite:///{tmp_path / 'a.db'}")
    fresh = open_database(f"sqlite:///{tmp_path / 'b.db'}")
    day0, day1 = snapshot(tmp_path / "day0", 0), snapshot(tmp_path / "day1", 1)
    ingest_folder(engine, day0, clock=lambda: DAY0)

    def crash(*_args, **_kwargs):
        raise OSError("disk full")

    # The changed profiles are written, then the process dies before the run ends.
    monkeypatch.setattr(spider, "touch_current", crash)
    with pytest.raises(OSError):
        ingest_folder(engine, day1, clock=lambda: DAY1)
    monkeypatch.undo()
    again = ingest_folder(engine, day1, clock=lambda: DAY1)
    assert again.stats["mode"] == "difference"
    ingest_folder(fresh, day1, clock=lambda: DAY1)
    assert current(engine) == current(fresh)
    with session_scope(engine) as session:
        raw = session.execute(
            select(RawRecord.endpoint, RawRecord.key, RawRecord.payload_sha, func.count())
            .group_by(RawRecord.endpoint, RawRecord.key, RawRecord.payload_sha)
            .having(func.count() > 1)
        ).all()
    assert raw == []


def test_nightly_cli_reads_the_next_sandbox_day_by_difference(tmp_path):
    from typer.testing import CliRunner

    from scout.cli import app

    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    for day in (0, 1):
        folder = str(tmp_path / f"day{day}")
        made = ["sandbox", "export-kaggle", folder, "--people", "200", "--day", str(day)]
        assert runner.invoke(app, made).exit_code == 0
        ran = runner.invoke(app, ["--db", db, "crawl", "kaggle", "--from", folder])
        assert ran.exit_code == 0, ran.output
    assert "Read by difference from the last files" in ran.output
    assert "0 profiles written" not in ran.output
