"""Meta Kaggle ingest: signal filter, idempotence, incremental writes, suppression, errors."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import shared_world
from sqlalchemy import select, text
from typer.testing import CliRunner

from config.errors import ScoutError
from crawlers.kaggle.options import KaggleOptions
from crawlers.kaggle.run import ingest_folder
from storage.db import open_database, session_scope
from storage.models import ALL_TABLES, CrawlRun, Profile, Suppression
from storage.save import content_sha
from storage.suppress import suppression_key

FIXTURES = Path(__file__).parent / "fixtures" / "kaggle"
FILE_DATE = datetime(2024, 7, 1).timestamp()  # mtime = the files' date
NEWER = datetime(2024, 8, 1).timestamp()


def stamp(folder: Path, when: float = FILE_DATE) -> None:
    for path in folder.glob("*.csv"):
        os.utime(path, (when, when))


@pytest.fixture
def folder(tmp_path) -> Path:
    out = tmp_path / "mk"
    shutil.copytree(FIXTURES, out)
    stamp(out)
    return out


@pytest.fixture
def engine(sqlite_url):
    return open_database(sqlite_url)


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table but the run log (each run is logged by design)."""
    with engine.connect() as conn:
        return {
            t: sorted(map(tuple, conn.execute(text(f'SELECT * FROM "{t}"'))), key=repr)
            for t in ALL_TABLES
            if t != "crawl_runs"
        }


def profiles(engine) -> dict[str, Profile]:
    with session_scope(engine) as session:
        rows = session.scalars(select(Profile).where(Profile.source == "kaggle")).all()
        return {p.external_id: p for p in rows}


def test_fixture_folder_lands_users_with_signal(engine, folder):
    result = ingest_folder(engine, folder)
    stats = result.stats
    # 1 Expert, 2 a bronze medal, 3 a recent submission, 5 Contributor, 11 Master;
    # 4 and 6 (old submission only) have no signal.
    assert set(profiles(engine)) == {"1", "2", "3", "5", "11"}
    assert stats["skipped_no_signal"] == 2 and stats["users_with_signal"] == 5
    assert stats["malformed_rows"] == 4
    assert [s.split(":")[0] for s in stats["malformed_samples"]] == [
        f"Users.csv line {n}" for n in (8, 9, 10, 11)
    ]
    alice = profiles(engine)["1"]
    assert alice.handle == "alice" and alice.profile_url == "https://www.kaggle.com/alice"
    assert alice.created_at is not None and alice.created_at.date().isoformat() == "2015-01-15"
    assert alice.extra["performance_tier"] == 2 and alice.extra["last_activity"] == "2024-03-01"
    assert alice.content_sha == content_sha_of_stored(engine, "1")
    with engine.connect() as conn:
        cats = conn.execute(
            text(
                "SELECT category, tier, gold, silver, bronze, current_ranking FROM "
                "kaggle_achievements JOIN profiles p ON p.id = profile_id "
                "WHERE p.external_id = '1' ORDER BY category"
            )
        ).all()
        assert [tuple(c) for c in cats] == [
            ("Competitions", 2, 1, 2, 3, 120),
            ("Scripts", 1, 0, 0, 0, None),
        ]
        raw = conn.execute(text("SELECT endpoint, payload FROM raw_records WHERE key = '1'")).all()
    assert {r[0] for r in raw} == {"Users.csv", "UserAchievements.csv", "Submissions.csv"}
    with session_scope(engine) as session:
        run = session.get(CrawlRun, result.run_id)
        assert run is not None and run.status == "ok" and run.stats["profiles_stored"] == 5
        assert run.stats["rows_read"] == 22


def content_sha_of_stored(engine, external_id: str) -> str:
    # The hash the ingest compares with must be the one storage keeps.
    from storage.items import KaggleAchievementItem, ProfileItem

    with session_scope(engine) as session:
        p = session.scalars(select(Profile).where(Profile.external_id == external_id)).one()
        achievements = session.execute(
            text(
                "SELECT category, tier, tier_achieved_at, points, current_ranking, "
                "highest_ranking, gold, silver, bronze FROM kaggle_achievements "
                "WHERE profile_id = :p ORDER BY category"
            ),
            {"p": p.id},
        ).all()
    from storage.types import UTCDateTime

    conv = UTCDateTime()
    items = [
        KaggleAchievementItem(
            a[0],
            a[1],
            conv.process_result_value(datetime.fromisoformat(a[2]), None) if a[2] else None,
            *a[3:],
        )
        for a in achievements
    ]
    item = ProfileItem(
        source="kaggle",
        external_id=p.external_id,
        seen_at=p.last_seen,
        handle=p.handle,
        name=p.name,
        profile_url=p.profile_url,
        extra=p.extra,
        created_at=p.created_at,
        kaggle=items,
    )
    return content_sha(item)


def test_same_files_twice_change_nothing(engine, folder):
    ingest_folder(engine, folder)
    before = snapshot(engine)
    again = ingest_folder(engine, folder)
    assert again.unchanged
    assert snapshot(engine) == before
    # A forced full re-read writes no profile or raw record (every hash matches); it only
    # moves last_seen, since everyone was seen again, and names the index it wrote anew.
    forced = ingest_folder(engine, folder, force=True)
    assert forced.stats["profiles_stored"] == 0 and forced.stats["raw_records"] == 0
    after = snapshot(engine)

    def data(tables):
        out = {t: rows for t, rows in tables.items() if t != "profiles"}
        out["crawl_state"] = [r for r in out["crawl_state"] if r[2] != "index"]
        return out

    assert data(after) == data(before)
    assert len(after["profiles"]) == len(before["profiles"])


def test_every_profile_still_in_newer_files_gets_last_seen(engine, folder):
    first = datetime(2024, 7, 2, tzinfo=UTC)
    second = datetime(2024, 8, 2, tzinfo=UTC)
    ingest_folder(engine, folder, clock=lambda: first)
    # Newer files: Jack (11) renamed, Eve (5, Contributor) gone, everyone else unchanged.
    users = (folder / "Users.csv").read_text().replace("Jack,07/07/2021,3", "Jack R,07/07/2021,3")
    users = "".join(line for line in users.splitlines(True) if not line.startswith("5,"))
    (folder / "Users.csv").write_text(users)
    stamp(folder, NEWER)
    result = ingest_folder(engine, folder, clock=lambda: second)
    assert result.stats["profiles_stored"] == 1 and result.stats["profiles_unchanged"] == 3
    seen = {eid: p.last_seen for eid, p in profiles(engine).items()}
    # Unchanged rows were not rewritten, yet they were seen: a purge must not drop them.
    assert {eid for eid, at in seen.items() if at == second} == {"1", "2", "3", "11"}
    assert seen["5"] == first
    assert profiles(engine)["1"].first_seen == first


def test_newer_files_write_only_what_changed(engine, folder):
    ingest_folder(engine, folder)
    before = snapshot(engine)
    users = (folder / "Users.csv").read_text().replace("Jack,07/07/2021,3", "Jack R,07/07/2021,3")
    (folder / "Users.csv").write_text(users + "12,kim,Kim,01/01/2024,2\n")
    stamp(folder, NEWER)
    result = ingest_folder(engine, folder)
    assert result.stats["profiles_stored"] == 2 and result.stats["profiles_unchanged"] == 4
    # Every run's counts, in the words `scout runs` reads: Kim is new, Jack changed.
    counts = {k: result.stats[k] for k in ("new", "changed", "unchanged")}
    assert counts == {"new": 1, "changed": 1, "unchanged": 4}
    assert result.stats["raw_records"] == 2  # Users.csv rows of jack and kim only
    after = snapshot(engine)
    # Rows compared without last_seen, which moves for everyone still in the files.
    at = [c.name for c in Profile.__table__.columns].index("last_seen")

    def content(rows):
        return {row[:at] + row[at + 1 :] for row in rows}

    changed = {row[2] for row in content(after["profiles"]) - content(before["profiles"])}
    assert changed == {"11", "12"}  # external_id column
    assert set(before["kaggle_achievements"]) == set(after["kaggle_achievements"])
    assert profiles(engine)["11"].name == "Jack R"
    # The cursor moved to the new file date.
    with engine.connect() as conn:
        cursors = dict(conn.execute(text("SELECT partition, cursor FROM crawl_state")).all())
    assert "2024-08-01" in cursors["Users.csv"]


def test_older_files_are_refused_unless_forced(engine, folder):
    stamp(folder, NEWER)
    ingest_folder(engine, folder)
    (folder / "Users.csv").write_text((folder / "Users.csv").read_text() + "13,x,X,01/01/2024,2\n")
    stamp(folder, FILE_DATE)
    with pytest.raises(ScoutError, match="older than the last ingested"):
        ingest_folder(engine, folder)
    assert ingest_folder(engine, folder, force=True).stats["profiles_stored"] == 1


def test_suppressed_user_is_never_stored(engine, folder):
    with session_scope(engine) as session:
        # By user name (any case) and by id; rows added as `scout forget` leaves them.
        for key in ("ALICE", "11"):
            session.add(Suppression(source="kaggle", key_sha=suppression_key("kaggle", key)))
    result = ingest_folder(engine, folder)
    assert result.stats["suppressed"] == 2
    assert set(profiles(engine)) == {"2", "3", "5"}
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM raw_records WHERE key IN ('1','11')")).scalar()
            == 0
        )


def test_thresholds_are_options(engine, folder):
    result = ingest_folder(engine, folder, KaggleOptions(min_tier=3, recent_days=0))
    # Master (11) by tier, bob (2) and alice (1) by medals; nobody by recency.
    assert set(profiles(engine)) == {"1", "2", "11"}
    assert result.stats["skipped_no_signal"] == 4


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / "Submissions.csv").unlink(), r"Submissions\.csv is missing from"),
        (
            lambda f: (f / "UserAchievements.csv").write_text("Id,UserId,Type\n1,2,3\n"),
            r"UserAchievements\.csv: missing column\(s\) AchievementType, Tier",
        ),
    ],
)
def test_missing_file_or_wrong_header_is_one_clear_error(engine, folder, damage, message):
    damage(folder)
    with pytest.raises(ScoutError, match=message):
        ingest_folder(engine, folder)
    with session_scope(engine) as session:
        assert session.scalar(select(Profile.id).limit(1)) is None


def test_world_folder_matches_the_world(engine, tmp_path):
    from sandbox.kaggle_files import write_kaggle_csvs

    world = shared_world(11, 400)
    out = tmp_path / "world"
    out.mkdir()
    write_kaggle_csvs(world, out)
    stamp(out, world.now.timestamp())
    result = ingest_folder(engine, out)
    cutoff = world.now.date().toordinal() - 365
    expected = {
        str(u.id)
        for u in world.kaggle.values()
        if u.performance_tier >= 1
        or any(
            a.tier >= 1 or a.total_gold + a.total_silver + a.total_bronze for a in u.achievements
        )
        or any(d.date().toordinal() >= cutoff for d in u.submission_dates)
    }
    assert expected and set(profiles(engine)) == expected
    assert result.stats["malformed_rows"] == 0
    assert result.stats["skipped_no_signal"] == len(world.kaggle) - len(expected)


def test_cli_from_folder_and_errors(folder, tmp_path):
    from scout.cli import app

    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    first = runner.invoke(app, ["--db", db, "crawl", "kaggle", "--from", str(folder)])
    assert first.exit_code == 0, first.output
    assert "5 profiles written" in first.output and "Users.csv line 8" in first.output
    second = runner.invoke(app, ["--db", db, "crawl", "kaggle", "--from", str(folder)])
    assert second.exit_code == 0 and "unchanged" in second.output
    neither = runner.invoke(app, ["--db", db, "crawl", "kaggle"])
    assert neither.exit_code == 2 and "exactly one of --from DIR or --download" in neither.output
    (folder / "Users.csv").unlink()
    missing = runner.invoke(app, ["--db", db, "crawl", "kaggle", "--from", str(folder)])
    assert missing.exit_code == 2 and "Users.csv is missing" in missing.output
    assert "Traceback" not in missing.output


def test_ctrl_c_mid_ingest_records_the_run_interrupted(engine, folder):
    def progress(name: str, done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_folder(engine, folder, progress=progress)
    with session_scope(engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert (run.status, run.message) == ("interrupted", "KeyboardInterrupt")


@pytest.mark.parametrize(
    ("file", "row", "reason"),
    [
        ("Users.csv", f"12,kim,Kim,01/01/2020,{10**30}", "PerformanceTier is out of range"),
        ("Users.csv", f"{10**30},lee,Lee,01/01/2020,1", "Id is out of range"),
        ("Users.csv", "13,max,Max,01/01/99999999999999999999,1", "RegisterDate is not a"),
        (
            "UserAchievements.csv",
            f"9,1,Datasets,1,01/01/2020,{10**30},,,0,0,0",
            "Points is out of range",
        ),
    ],
)
def test_one_huge_integer_is_one_malformed_row_not_an_aborted_ingest(
    engine, folder, file, row, reason
):
    path = folder / file
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, row]) + "\n")
    stamp(folder)
    result = ingest_folder(engine, folder)
    line = len(lines) + 1
    assert f"{file} line {line}: {reason}" in " | ".join(result.stats["malformed_samples"])
    assert set(profiles(engine)) == {"1", "2", "3", "5", "11"}  # the other rows all landed
    with session_scope(engine) as session:
        assert session.get(CrawlRun, result.run_id).status == "ok"  # type: ignore[union-attr]


def test_a_crash_mid_first_ingest_loses_and_duplicates_nothing(
    engine, folder, tmp_path, monkeypatch
):
    from crawlers.kaggle import write

    calls = {"n": 0}
    real = write.insert_new

    def dies_on_the_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # profiles, achievements and raw records of batch 1 went in
            raise OSError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(write, "insert_new", dies_on_the_second_batch)
    with pytest.raises(OSError):
        ingest_folder(engine, folder, KaggleOptions(batch_size=2))
    assert 0 < len(profiles(engine)) < 5  # the first batch is stored, the rest is not
    monkeypatch.undo()
    ingest_folder(engine, folder, KaggleOptions(batch_size=2))
    clean = open_database(f"sqlite:///{tmp_path / 'clean.db'}")
    ingest_folder(clean, folder)
    assert {e: p.content_sha for e, p in profiles(engine).items()} == {
        e: p.content_sha for e, p in profiles(clean).items()
    }
    tables = snapshot(engine)
    assert len(tables["raw_records"]) == len(snapshot(clean)["raw_records"])
    assert len(tables["kaggle_achievements"]) == len(snapshot(clean)["kaggle_achievements"])


def test_raw_records_hash_their_payload_as_save_raw_does(engine, folder):
    from storage.models import RawRecord
    from storage.save import fitted_payload

    ingest_folder(engine, folder)
    with session_scope(engine) as session:
        records = session.scalars(select(RawRecord)).all()
        assert records and all(r.payload_sha == fitted_payload(r.payload)[1] for r in records)
