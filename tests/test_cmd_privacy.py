"""`scout forget`, `scout export-person`, `scout purge` on a crawled sandbox world.

One small world is crawled once per module (GitHub and Stack Overflow as subprocesses, since
Scrapy's reactor cannot restart; Meta Kaggle in process), enriched and ranked; each test works
on its own copy of that database.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import invoke, scout_popen, shared_world
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from sandbox.kaggle_files import write_kaggle_csvs
from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from storage.models import ALL_TABLES

TOKEN = "ghp_" + "s3cr3t" * 6
SO_KEY = "sandboxkey-not-to-be-stored"
REGION = "eastern-europe"
SO_TAGS = ("--tag", "machine-learning", "--tag", "pytorch", "--tag", "tensorflow")
runner = CliRunner()


def scout(db: str, *args: str, **kwargs):
    """One command in process (anything that does not start a Scrapy reactor)."""
    return invoke(*args, db=db, **kwargs)


def crawl_everything(db: str, server: SandboxServer, kaggle: Path) -> None:
    """GitHub and Stack Overflow side by side (each in its own process), then Meta Kaggle."""
    env = {"GITHUB_TOKEN": TOKEN, "STACKEXCHANGE_KEY": SO_KEY}
    commands = [
        ("github", "--region", REGION, "--api-url", server.github_url),
        ("stackoverflow", *SO_TAGS, "--depth", "2", "--api-url", server.stackexchange_url),
    ]
    running = [scout_popen("crawl", *c, db=db, env=env, text=True) for c in commands]
    for process in running:
        _out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err[-2000:]
    # --force: a full re-read even when the files did not change.
    result = scout(db, "crawl", "kaggle", "--from", str(kaggle), "--force")
    assert result.exit_code == 0, result.output
    result = scout(db, "enrich")
    assert result.exit_code == 0, result.output


def rows(db: str, sql: str, **params) -> list[tuple]:
    engine = create_engine(db)
    with engine.connect() as conn:
        out = [tuple(r) for r in conn.execute(text(sql), params)]
    engine.dispose()
    return out


def table_counts(db: str) -> dict[str, int]:
    return {t: rows(db, f'SELECT count(*) FROM "{t}"')[0][0] for t in ALL_TABLES}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """(db file, sandbox server, Kaggle folder, the person linked on all three platforms)."""
    folder = tmp_path_factory.mktemp("privacy")
    world = shared_world(5, 400)
    kaggle = folder / "meta-kaggle"
    kaggle.mkdir()
    write_kaggle_csvs(world, kaggle)
    db_file = folder / "scout.db"
    db = f"sqlite:///{db_file}"
    options = SandboxOptions(rate_limit=100_000, search_per_minute=10_000, quota=100_000)
    with SandboxServer(world, options) as server:
        crawl_everything(db, server, kaggle)
        result = scout(db, "shortlist", "--top", "500", "-o", str(folder / "shortlist.csv"))
        assert result.exit_code == 0, result.output
        linked = rows(
            db,
            "SELECT cp.candidate_id, p.source, p.external_id, p.handle FROM candidate_profiles cp"
            " JOIN profiles p ON p.id = cp.profile_id WHERE cp.candidate_id IN ("
            "  SELECT c.candidate_id FROM candidate_profiles c JOIN profiles q ON q.id ="
            "  c.profile_id GROUP BY c.candidate_id HAVING count(DISTINCT q.source) = 3)"
            " ORDER BY cp.candidate_id",
        )
        assert linked, "the sandbox world should hold someone on all three platforms"
        first = linked[0][0]
        person = {source: (eid, handle) for cid, source, eid, handle in linked if cid == first}
        yield db_file, server, kaggle, person


@pytest.fixture
def db(crawled, tmp_path) -> str:
    """A private copy of the crawled database."""
    db_file = crawled[0]
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{db_file}{suffix}")
        if source.exists():
            shutil.copy(source, tmp_path / f"copy.db{suffix}")
    return f"sqlite:///{tmp_path / 'copy.db'}"


def held_on(db: str, person: dict) -> dict[str, int]:
    """Rows anywhere that belong to the person: profiles, raw records, entries in shared pages."""
    gh_id, login = person["github"]
    so_id = person["stackoverflow"][0]
    kg_id, kg_name = person["kaggle"]
    ids = {
        "gh": gh_id,
        "login": login.lower(),
        "so": so_id,
        "so_key": f"%:{so_id}",
        "kg": kg_id,
        "kg_name": kg_name.lower(),
    }
    profiles = rows(
        db,
        "SELECT count(*) FROM profiles WHERE (source = 'github' AND (external_id = :gh OR"
        " lower(handle) = :login)) OR (source = 'stackoverflow' AND external_id = :so) OR"
        " (source = 'kaggle' AND (external_id = :kg OR lower(handle) = :kg_name))",
        **ids,
    )[0][0]
    raw = rows(
        db,
        "SELECT count(*) FROM raw_records WHERE (source = 'github' AND key = :login) OR"
        " (source = 'stackoverflow' AND key LIKE :so_key) OR (source = 'kaggle' AND key = :kg)",
        **ids,
    )[0][0]
    pages = rows(db, "SELECT payload FROM raw_records WHERE endpoint LIKE '/tags/%'")
    entries = sum(
        1
        for (payload,) in pages
        for item in json.loads(payload).get("items", [])
        if str(item["user"].get("user_id")) == so_id
    )
    cursors = rows(db, "SELECT cursor FROM crawl_state WHERE source = 'stackoverflow'")
    in_cursors = sum(
        so_id in json.loads(c).get("scores", {}) or int(so_id) in json.loads(c).get("done_ids", [])
        for (c,) in cursors
    )
    return {"profiles": profiles, "raw": raw, "page_entries": entries, "cursors": in_cursors}


def test_forget_then_a_full_recrawl_does_not_bring_the_person_back(crawled, db, tmp_path):
    _db_file, server, kaggle, person = crawled
    login = person["github"][1]
    before = held_on(db, person)
    assert before["profiles"] == 3 and before["raw"] >= 5 and before["page_entries"] >= 1
    others = set(rows(db, "SELECT source, external_id FROM profiles")) - {
        (s, eid) for s, (eid, _h) in person.items()
    }
    counts = table_counts(db)

    dry = scout(db, "forget", f"github:{login}", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Dry run: nothing was deleted" in dry.output and "skill_tags" in dry.output
    declined = scout(db, "forget", f"github:{login}", input="n\n")
    assert declined.exit_code == 1 and "Will delete" in declined.output
    assert table_counts(db) == counts  # neither the dry run nor a "no" deleted anything

    done = scout(db, "forget", f"github:{login}", "--yes")
    assert done.exit_code == 0, done.output
    assert "Forgot" in done.output and "suppressions" in done.output
    assert held_on(db, person) == {"profiles": 0, "raw": 0, "page_entries": 0, "cursors": 0}

    recrawled_at = datetime.now(UTC)
    crawl_everything(db, server, kaggle)
    assert held_on(db, person) == {"profiles": 0, "raw": 0, "page_entries": 0, "cursors": 0}
    assert set(rows(db, "SELECT source, external_id FROM profiles")) == others
    # Every crawler met the person and refused them (the test is not passing by absence).
    runs = rows(db, "SELECT source, stats FROM crawl_runs ORDER BY id DESC LIMIT 3")
    assert {s: json.loads(stats).get("suppressed", 0) > 0 for s, stats in runs} == {
        "github": True,
        "stackoverflow": True,
        "kaggle": True,
    }
    # Everyone still present was seen by the re-crawl, so a purge would keep them.
    stale = rows(db, "SELECT source, last_seen FROM profiles")
    assert all(datetime.fromisoformat(at).replace(tzinfo=UTC) >= recrawled_at for _s, at in stale)
    # Secrets reach neither the database nor anything exported.
    dump = "\n".join(str(r) for t in ALL_TABLES for r in rows(db, f'SELECT * FROM "{t}"'))
    assert TOKEN not in dump and SO_KEY not in dump


def test_export_person_writes_every_section_as_json(crawled, db, tmp_path, monkeypatch):
    person = crawled[3]
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    out = tmp_path / "person.json"
    result = scout(db, "export-person", f"kaggle:{person['kaggle'][1]}", "--out", str(out))
    assert result.exit_code == 0, result.output
    text_ = out.read_text(encoding="utf-8")
    doc = json.loads(text_)
    assert {p["source"] for p in doc["profiles"]} == {"github", "stackoverflow", "kaggle"}
    for profile in doc["profiles"]:
        for key in (
            "repositories",
            "so_tag_stats",
            "kaggle_achievements",
            "location",
            "skill_tags",
            "identity_link",
            "link_rejections",
        ):
            assert key in profile
        assert profile["identity_link"]["evidence"]
    assert any(p["skill_tags"] for p in doc["profiles"])
    [candidate] = doc["candidates"]
    assert candidate["scores"] and candidate["shortlist_entries"]
    assert "feedback_labels" in candidate
    assert len(doc["raw_records"]) >= 5 and doc["crawl_state"]
    assert TOKEN not in text_ and SO_KEY not in text_
    # Standard output gives the same document.
    printed = scout(db, "export-person", f"stackoverflow:{person['stackoverflow'][0]}")
    assert printed.exit_code == 0
    assert json.loads(printed.stdout)["profiles"] == doc["profiles"]


def test_unknown_or_unreadable_person_is_one_message_and_exit_2(db):
    counts = table_counts(db)
    for args, message in (
        (["forget", "github:no-such-person-here", "--yes"], "nothing is held"),
        (["export-person", "kaggle:no-such-person-here"], "nothing is held"),
        (["forget", "12345", "--yes"], "ambiguous"),
        (["forget", "linkedin:someone"], "cannot read"),
    ):
        result = scout(db, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
    assert table_counts(db) == counts


def test_purge_deletes_only_people_no_crawl_has_seen(db, crawled):
    engine = create_engine(db)
    old = (datetime.now(UTC) - timedelta(days=200)).isoformat()
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE profiles SET last_seen = :old WHERE source = 'kaggle'"), {"old": old}
        )
    engine.dispose()
    kaggle_count = rows(db, "SELECT count(*) FROM profiles WHERE source = 'kaggle'")[0][0]
    total = rows(db, "SELECT count(*) FROM profiles")[0][0]

    dry = scout(db, "purge", "--not-seen-days", "180", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"{kaggle_count:,} profile(s) not seen for 180 days" in dry.output
    assert rows(db, "SELECT count(*) FROM profiles")[0][0] == total

    kept = scout(db, "purge", "--not-seen-days", "365")
    assert kept.exit_code == 0 and "0 profile(s)" in kept.output
    done = scout(db, "purge", "--not-seen-days", "180")
    assert done.exit_code == 0, done.output
    assert rows(db, "SELECT DISTINCT source FROM profiles ORDER BY source") == [
        ("github",),
        ("stackoverflow",),
    ]
    assert rows(db, "SELECT count(*) FROM profiles")[0][0] == total - kaggle_count
    assert rows(db, "SELECT count(*) FROM raw_records WHERE source = 'kaggle'")[0][0] == 0
    assert rows(db, "SELECT count(*) FROM kaggle_achievements")[0][0] == 0
    # The linked person keeps their candidate through their other profiles, and nothing is
    # suppressed: a purged person seen again is collected again.
    gh_id = crawled[3]["github"][0]
    assert rows(
        db,
        "SELECT count(*) FROM candidate_profiles cp JOIN profiles p ON p.id = cp.profile_id "
        f"WHERE p.source = 'github' AND p.external_id = '{gh_id}'",
    ) == [(1,)]
    assert rows(db, "SELECT count(*) FROM suppressions") == [(0,)]


def test_every_raw_record_a_crawl_saved_names_whom_it_describes(crawled, db):
    """Forget and export find a person's raw records by the subject the crawlers saved."""
    profiles = set(rows(db, "SELECT source, external_id FROM profiles"))
    records = rows(db, "SELECT id, source, endpoint, subject, payload FROM raw_records")
    entries = rows(db, "SELECT raw_id, pointer, subject FROM raw_record_entries")
    about_one = [(source, subject) for _id, source, _e, subject, _p in records if subject]
    assert {source for source, _s in about_one} == {"github", "stackoverflow", "kaggle"}
    assert set(about_one) <= profiles
    many = [
        (rid, endpoint, payload) for rid, _s, endpoint, subject, payload in records if not subject
    ]
    assert many and all(endpoint.startswith("/tags/") for _rid, endpoint, _p in many)
    pages = {rid: json.loads(payload) for rid, _endpoint, payload in many}
    assert {rid for rid, _pointer, _subject in entries} == set(pages)
    for rid, pointer, subject in entries:  # e.g. "/items/3" -> that item's user
        item = pages[rid]["items"][int(pointer.removeprefix("/items/"))]
        assert str(item["user"]["user_id"]) == subject  # Stack Overflow's own users: plain ids
