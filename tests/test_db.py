"""Migrations and schema checks on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from config.errors import ScoutError
from storage import db as storage_db
from storage.models import Base, Score
from storage.types import JSONType


def test_upgrade_creates_every_table_then_downgrade_removes_them(db_url):
    engine = storage_db.make_engine(db_url)
    storage_db.upgrade(engine)
    names = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= names
    assert storage_db.current_revision(engine) == storage_db.head_revision()
    storage_db.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert storage_db.current_revision(engine) is None
    storage_db.upgrade(engine)  # and back up again, cleanly
    assert storage_db.current_revision(engine) == storage_db.head_revision()
    engine.dispose()


def test_migrated_schema_matches_the_models(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = storage_db.make_engine(db_url)
    storage_db.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    engine.dispose()


def test_sqlite_uses_wal(sqlite_url):
    engine = storage_db.open_database(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_database_newer_than_code_is_refused(sqlite_url):
    engine = storage_db.open_database(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    with pytest.raises(ScoutError, match="newer than this talent-scout"):
        storage_db.ensure_schema(engine)


def test_old_database_is_upgraded_or_named(sqlite_url):
    engine = storage_db.make_engine(sqlite_url)
    storage_db.upgrade(engine)
    storage_db.downgrade(engine, "base")
    with pytest.raises(ScoutError, match="scout db upgrade"):
        storage_db.ensure_schema(engine, auto_upgrade=False)
    assert storage_db.ensure_schema(engine, auto_upgrade=True) == storage_db.head_revision()


def test_unreachable_database_is_one_clear_error():
    engine = storage_db.make_engine("postgresql+psycopg://u:secretpw@127.0.0.1:1/none")
    with pytest.raises(ScoutError, match="cannot reach the database") as info:
        storage_db.ensure_schema(engine)
    assert "secretpw" not in str(info.value)


def test_not_a_url_is_one_clear_error():
    with pytest.raises(ScoutError, match="not a database URL"):
        storage_db.make_engine("nonsense")


def _open(url: str) -> None:
    storage_db.open_database(url)


def test_workers_opening_a_new_postgres_database_together_all_succeed(pg_url):
    # Distributed crawl workers start at once on an empty database; one migrates, the rest wait.
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_open, args=(pg_url,)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    current, head, _known = storage_db.schema_status(storage_db.make_engine(pg_url))
    assert current == head


def test_sqlite_timestamps_are_utc_text_and_read_back_aware(tmp_path):
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import select

    from storage.models import CrawlRun

    engine = storage_db.open_database(f"sqlite:///{tmp_path / 't.db'}")
    kyiv = timezone(timedelta(hours=2))
    with storage_db.session_scope(engine) as s:
        s.add(CrawlRun(source="x", started_at=datetime(2026, 1, 2, 3, 4, 5, 6789, tzinfo=kyiv)))
    with engine.connect() as conn:
        # The text SQLAlchemy's own SQLite DateTime writes: old databases read the same.
        assert conn.execute(text("SELECT started_at FROM crawl_runs")).scalar() == (
            "2026-01-02 01:04:05.006789"
        )
    with storage_db.session_scope(engine) as s:
        got = s.scalar(select(CrawlRun.started_at))
        assert got == datetime(2026, 1, 2, 1, 4, 5, 6789, tzinfo=UTC) and got.tzinfo is UTC
        cutoff = datetime(2026, 1, 2, 2, 0, tzinfo=UTC)
        assert s.scalar(select(func.count()).where(CrawlRun.started_at < cutoff)) == 1
    with pytest.raises(Exception, match="naive datetime"), storage_db.session_scope(engine) as s:
        s.add(CrawlRun(source="y", started_at=datetime(2026, 1, 1)))


def test_0003_adds_the_run_owner_columns_and_downgrade_removes_them(db_url):
    engine = storage_db.make_engine(db_url)
    storage_db.upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO crawl_runs (source, args, started_at, status, stats, errors) "
                "VALUES ('github', '{}', CURRENT_TIMESTAMP, 'running', '{}', 0)"
            )
        )
    storage_db.upgrade(engine, "0003")

    def columns() -> set[str]:
        return {c["name"] for c in inspect(engine).get_columns("crawl_runs")}

    assert {"heartbeat_at", "pid", "host"} <= columns()
    with engine.connect() as conn:  # a row from before keeps everything, owner unknown
        row = conn.execute(text("SELECT status, pid, host, heartbeat_at FROM crawl_runs")).one()
    assert tuple(row) == ("running", None, None, None)
    storage_db.downgrade(engine, "0002")
    assert not {"heartbeat_at", "pid", "host"} & columns()
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(text("crawl_runs"))) == 1
    engine.dispose()


def test_0004_adds_gone_at_to_profiles_and_downgrade_removes_it(db_url):
    engine = storage_db.make_engine(db_url)
    storage_db.upgrade(engine, "0003")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO profiles (source, external_id, handle, first_seen, last_seen) "
                "VALUES ('github', '7', 'ann', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    storage_db.upgrade(engine, "0004")

    def columns() -> set[str]:
        return {c["name"] for c in inspect(engine).get_columns("profiles")}

    assert "gone_at" in columns()
    with engine.connect() as conn:  # a profile from before is not gone
        assert conn.execute(text("SELECT handle, gone_at FROM profiles")).one() == ("ann", None)
    storage_db.downgrade(engine, "0003")
    assert "gone_at" not in columns()
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(text("profiles"))) == 1
    engine.dispose()


def test_0005_moves_stack_overflow_profiles_to_their_site_and_downgrade_drops_it(db_url):
    engine = storage_db.make_engine(db_url)
    storage_db.upgrade(engine, "0004")
    rows = [  # (source, external_id, profile_url) as a 0004 database holds them
        ("stackoverflow", "123", "https://stackoverflow.com/users/123/ann"),
        ("stackoverflow", "124", None),
        # Crawled with SCOUT_STACKEXCHANGE_SITE=datascience before profiles had a site.
        ("stackoverflow", "125", "https://datascience.stackexchange.com/users/125/bob"),
        ("github", "123", "https://github.com/ann"),
    ]
    with engine.begin() as conn:
        for source, external_id, url in rows:
            conn.execute(
                text(
                    "INSERT INTO profiles (source, external_id, profile_url, content_sha, "
                    "first_seen, last_seen) VALUES (:s, :e, :u, 'sha', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"
                ),
                {"s": source, "e": external_id, "u": url},
            )
    storage_db.upgrade(engine, "0005")
    query = text("SELECT source, external_id, site, content_sha FROM profiles ORDER BY id")
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(query)] == [
            ("stackoverflow", "123", "stackoverflow", "sha"),
            ("stackoverflow", "124", "stackoverflow", "sha"),
            ("stackoverflow", "datascience:125", "datascience", "sha"),
            ("github", "123", None, "sha"),  # one site: none named
        ]
    assert "ix_profiles_source_site" in {i["name"] for i in inspect(engine).get_indexes("profiles")}
    storage_db.downgrade(engine, "0004")
    assert "site" not in {c["name"] for c in inspect(engine).get_columns("profiles")}
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(text("profiles"))) == 4
    engine.dispose()


def test_0006_adds_city_and_admin1_to_locations_and_downgrade_removes_them(db_url):
    engine = storage_db.make_engine(db_url)
    storage_db.upgrade(engine, "0005")
    with engine.begin() as conn:  # a location resolved before cities were stored
        conn.execute(
            text(
                "INSERT INTO locations (text, status, country, confidence, reason, candidates, "
                "resolver_version) VALUES ('Kyiv', 'resolved', 'UA', 0.9, 'r', '[]', '1')"
            )
        )
    storage_db.upgrade(engine, "0006")

    def columns(table: str) -> set[str]:
        return {c["name"] for c in inspect(engine).get_columns(table)}

    for table in ("locations", "profile_locations"):
        assert {"city", "admin1"} <= columns(table)
    with engine.connect() as conn:  # left for the new resolver version to fill
        row = conn.execute(text("SELECT country, city, admin1, resolver_version FROM locations"))
        assert row.one() == ("UA", None, None, "1")
    storage_db.downgrade(engine, "0005")
    for table in ("locations", "profile_locations"):
        assert not {"city", "admin1"} & columns(table)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(text("locations"))) == 1
    engine.dispose()


def test_0008_fills_the_score_filter_columns_from_the_stored_json(db_url):
    engine = storage_db.make_engine(db_url)
    storage_db.upgrade(engine, "0007")
    scores = [  # scored before the columns existed: what the shortlist read back by name
        (1, {"ml_repos": 2.0, "mlops_repos": 0.0}, {"last_activity": "2026-05-01T12:00:00+00:00"}),
        (2, {"ml_repos": 0.0, "mlops_repos": 1.0}, {"last_activity": "2026-04-30T23:00:00-02:00"}),
        (3, {"so_ml_answers": 4.0}, {"last_activity": None}),
    ]
    old = sa.table(  # the table as 0007 left it
        "scores",
        *(sa.column(c) for c in ("candidate_id", "model_version", "score", "scored_at")),
        sa.column("features", JSONType),
        sa.column("explanation", JSONType),
    )
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.table(
                "candidates", *(sa.column(c) for c in ("id", "created_at", "updated_at"))
            ).insert(),
            [{"id": cid, "created_at": now, "updated_at": now} for cid, _, _ in scores],
        )
        conn.execute(
            old.insert(),
            [
                {"candidate_id": c, "model_version": "h", "score": 1.0, "scored_at": now}
                | {"features": f, "explanation": e}
                for c, f, e in scores
            ],
        )
    storage_db.upgrade(engine, "0008")
    with Session(engine) as session:
        got = {
            cid: rest
            for cid, *rest in session.execute(
                select(Score.candidate_id, Score.ml_activity, Score.mlops_activity)
            )
        }
        assert got == {1: [True, False], 2: [False, True], 3: [True, False]}
        since = datetime(2026, 5, 1, tzinfo=UTC)  # 2's activity is 2026-05-01 01:00 in UTC
        active = session.scalars(select(Score.candidate_id).where(Score.last_activity >= since))
        assert sorted(active) == [1, 2]
    storage_db.downgrade(engine, "0007")
    columns = {c["name"] for c in inspect(engine).get_columns("scores")}
    assert not {"last_activity", "ml_activity", "mlops_activity"} & columns
    engine.dispose()


def _open_and_report(url: str) -> str:
    try:
        storage_db.open_database(url).dispose()
    except Exception as exc:  # the parent reports what a crawl would have printed
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def test_crawls_started_together_on_a_new_sqlite_file_both_get_the_schema(tmp_path):
    # Two crawls started at once on a fresh database used to race to create the tables
    # ("table candidates already exists"); they now take turns migrating.
    import multiprocessing

    url = f"sqlite:///{tmp_path / 'new.db'}"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        outcomes = pool.map(_open_and_report, [url] * 4)
    assert outcomes == ["ok"] * 4
    engine = storage_db.open_database(url)
    assert storage_db.schema_status(engine)[0] == storage_db.head_revision()


def test_0007_backfills_the_subject_of_raw_records_saved_before(db_url):
    engine = storage_db.make_engine(db_url)
    storage_db.upgrade(engine, "0006")
    page = {"items": [{"user": {"user_id": 7}}, {"user": {}}, {"user": {"user_id": 9}}]}
    rows = [  # (source, endpoint, key, fetched_at, payload) as a 0006 database holds them
        ("github", "graphql:search", "ann", "2026-01-01", {"databaseId": 11, "id": "MDQ6"}),
        ("github", "rest:/users", "ann-old", "2026-01-02", {"id": 11, "login": "ann-old"}),
        ("github", "rest:/users/repos", "ann-old", "2026-01-02", [{"owner": {"id": 11}}]),
        ("github", "rest:/users", "bo", "2026-01-03", {"id": 12}),
        ("github", "rest:/users/repos", "bo", "2026-01-03", []),  # no owner: the lookup's user
        ("github", "graphql:search", "nobody", "2026-01-03", {"login": "nobody"}),
        ("stackoverflow", "/users/{ids}", "stackoverflow:7", "2026-01-04", {"user": {}}),
        ("stackoverflow", "/users/{ids}", "datascience:9", "2026-01-04", {"user": {}}),
        (
            "stackoverflow",
            "/tags/{tag}/top-answerers/{period}",
            "datascience:nlp:month:page=1",
            "2026-01-04",
            page,
        ),
        ("kaggle", "Users.csv", "901", "2026-01-05", {"row_sha": "a"}),
    ]
    insert = text(
        "INSERT INTO raw_records (source, endpoint, key, fetched_at, payload_sha, payload) "
        "VALUES (:s, :e, :k, :t, :sha, :p)"
    )
    with engine.begin() as conn:
        for n, (source, endpoint, key, when, payload) in enumerate(rows):
            conn.execute(
                insert,
                {
                    "s": source,
                    "e": endpoint,
                    "k": key,
                    "t": when,
                    "sha": str(n),
                    "p": json.dumps(payload),
                },
            )
    storage_db.upgrade(engine, "0007")
    with engine.connect() as conn:
        subjects = conn.execute(text("SELECT key, endpoint, subject FROM raw_records ORDER BY id"))
        assert [r[2] for r in subjects] == [
            "11",
            "11",
            "11",
            "12",
            "12",
            None,
            "7",
            "datascience:9",
            None,
            "901",
        ]
        entries = conn.execute(text("SELECT pointer, subject FROM raw_record_entries"))
        assert sorted(tuple(r) for r in entries) == [
            ("/items/0", "datascience:7"),
            ("/items/2", "datascience:9"),
        ]
    indexes = {i["name"] for i in inspect(engine).get_indexes("raw_records")}
    assert "ix_raw_records_source_subject" in indexes
    storage_db.downgrade(engine, "0006")
    assert "subject" not in {c["name"] for c in inspect(engine).get_columns("raw_records")}
    assert "raw_record_entries" not in inspect(engine).get_table_names()
    engine.dispose()
