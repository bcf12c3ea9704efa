"""`scout browse`: metadata that fits the schema, queries that run, a server that answers."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import scout_popen
from sqlalchemy import inspect
from typer.testing import CliRunner

from scout.browse import FACETS, LABEL_COLUMNS, PUBLIC_PROFILES, SORT_DESC, metadata, queries
from scout.cli import app
from storage import db as storage_db
from storage.models import (
    Candidate,
    CandidateProfile,
    Profile,
    ProfileLocation,
    Score,
    Shortlist,
    ShortlistEntry,
    SkillTag,
)

runner = CliRunner()
NOW = datetime(2025, 6, 1, tzinfo=UTC)
PEOPLE = [
    # handle, source, regions, skills (skill, strength), score
    ("olena", "github", ["eastern_europe"], [("pytorch", 0.9), ("mlflow", 0.4)], 0.91),
    ("arjun", "stackoverflow", ["india"], [("pytorch", 0.5), ("kubeflow", 0.8)], 0.72),
    ("maria", "kaggle", ["latin_america"], [("xgboost", 0.7)], 0.55),
]


@pytest.fixture
def small_db(tmp_path) -> Path:
    """Three linked candidates with regions, skills, scores and a shortlist."""
    path = tmp_path / "scout.db"
    engine = storage_db.open_database(f"sqlite:///{path}")
    with storage_db.session_scope(engine) as session:
        shortlist = Shortlist(name="june", params={}, created_at=NOW)
        session.add(shortlist)
        for rank, (handle, source, regions, skills, score) in enumerate(PEOPLE, 1):
            profile = Profile(
                source=source,
                external_id=handle,
                handle=handle,
                email=f"{handle}@example.com",
                first_seen=NOW,
                last_seen=NOW,
            )
            candidate = Candidate(display_name=handle.title())
            session.add_all([profile, candidate])
            session.flush()
            session.add_all(
                [
                    CandidateProfile(
                        candidate_id=candidate.id,
                        profile_id=profile.id,
                        method="self",
                        confidence=1.0,
                        evidence={},
                    ),
                    ProfileLocation(profile_id=profile.id, regions=regions, evidence={}),
                    Score(
                        candidate_id=candidate.id,
                        model_version="heuristic-test",
                        score=score,
                        features={},
                        explanation={},
                    ),
                    ShortlistEntry(
                        shortlist_id=shortlist.id, candidate_id=candidate.id, rank=rank, score=score
                    ),
                    *[
                        SkillTag(profile_id=profile.id, skill=s, strength=w, evidence={})
                        for s, w in skills
                    ],
                ]
            )
    engine.dispose()
    return path


def run_query(path: Path, name: str, **params: str) -> list[dict]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        sql = queries()[name]["sql"]
        names = ("region", "skill", "shortlist", "source")
        wanted = {p: params.get(p, "") for p in names if f":{p}" in sql}
        return [dict(row) for row in conn.execute(sql, wanted)]
    finally:
        conn.close()


def test_metadata_names_real_tables_and_columns(small_db):
    engine = storage_db.make_engine(f"sqlite:///{small_db}")
    inspector = inspect(engine)
    names = inspector.get_table_names()
    columns = {t: {c["name"] for c in inspector.get_columns(t)} for t in names}
    engine.dispose()
    meta = metadata("scout")
    tables = meta["databases"]["scout"]["tables"]
    assert set(tables) <= set(columns), set(tables) - set(columns)
    for table, facets in FACETS.items():
        for facet in facets:
            column = facet["array"] if isinstance(facet, dict) else facet
            assert column in columns[table], (table, column)
    for table, column in {**LABEL_COLUMNS, **SORT_DESC}.items():
        assert column in columns[table], (table, column)
    assert {"array": "regions"} in tables["profile_locations"]["facets"]
    assert "skill" in tables["skill_tags"]["facets"]
    assert "source" in tables["profiles"]["facets"] and "site" in tables["profiles"]["facets"]
    json.dumps(meta)  # what goes into the metadata file


def test_canned_queries_run_and_filter(small_db):
    rows = run_query(small_db, "candidates")
    assert [r["display_name"] for r in rows] == ["Olena", "Arjun", "Maria"]  # by score
    assert rows[0]["regions"] == "Eastern Europe"  # by display name, as in the shortlist CSV
    assert rows[0]["top_skills"] == "pytorch, mlflow"  # strongest first
    assert rows[0]["profiles"] == "github:olena"
    by_skill = run_query(small_db, "candidates", skill="PyTorch")
    assert {r["display_name"] for r in by_skill} == {"Olena", "Arjun"}
    for region in ("eastern-europe", "Eastern Europe", "EASTERN_EUROPE", "eastern_europe"):
        both = run_query(small_db, "candidates", skill="pytorch", region=region)
        assert [r["display_name"] for r in both] == ["Olena"], region
    assert run_query(small_db, "candidates", region="Latin America")[0]["display_name"] == "Maria"
    assert run_query(small_db, "candidates", region="atlantis") == []
    shortlist = run_query(small_db, "shortlist")
    assert [(r["rank"], r["display_name"]) for r in shortlist] == [
        (1, "Olena"),
        (2, "Arjun"),
        (3, "Maria"),
    ]
    assert run_query(small_db, "shortlist", shortlist="no-such") == []
    counts = run_query(small_db, "profiles_by_region")
    assert {(r["region"], r["source"], r["profiles"]) for r in counts} == {
        ("Eastern Europe", "github", 1),
        ("India", "stackoverflow", 1),
        ("Latin America", "kaggle", 1),
    }
    skills = run_query(small_db, "skills_by_region", region="india")
    assert {r["skill"] for r in skills} == {"pytorch", "kubeflow"}
    assert run_query(small_db, "skills_by_region", region="India") == skills


def test_queries_read_and_show_regions_as_the_users_file_names_them(small_db):
    names = {"eastern_europe": "CEE (Central & Eastern Europe)", "india": "India"}
    sql = queries(names)["candidates"]["sql"]
    conn = sqlite3.connect(small_db)
    try:
        found = conn.execute(sql, {"region": "cee (central & eastern europe)", "skill": ""})
        rows = found.fetchall()
    finally:
        conn.close()
    assert len(rows) == 1 and "CEE (Central & Eastern Europe)" in rows[0]


def test_postgresql_is_refused_with_a_message():
    url = "postgresql+psycopg://scout:secretpw@127.0.0.1:5432/scout"
    result = runner.invoke(app, ["--db", url, "browse", "--no-open"])
    assert result.exit_code == 2
    assert "needs a SQLite database" in result.output
    assert "secretpw" not in result.output


def test_missing_datasette_says_how_to_install(small_db, monkeypatch):
    monkeypatch.setitem(sys.modules, "datasette", None)  # import datasette now fails
    result = runner.invoke(app, ["--db", f"sqlite:///{small_db}", "browse", "--no-open"])
    assert result.exit_code == 2
    assert "pip install 'talent-scout[browse]'" in result.output


def test_missing_database_file_is_a_message(tmp_path):
    result = runner.invoke(app, ["--db", f"sqlite:///{tmp_path / 'none.db'}", "browse"])
    assert result.exit_code == 2
    assert "run `scout init`" in result.output
    assert not (tmp_path / "none.db").exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@contextmanager
def datasette(small_db, *flags):
    pytest.importorskip("datasette", reason="needs the browse extra: pip install -e '.[browse]'")
    port = free_port()
    db = f"sqlite:///{small_db}"
    command = ("browse", "--no-open", "--port", str(port), *flags)
    proc = scout_popen(*command, db=db, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                get_json(base + "/-/versions.json")
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "datasette did not answer in 20 s"
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_server_answers_with_facets(small_db):
    with datasette(small_db) as base:
        data = get_json(base + "/scout/skill_tags.json?_extra=facet_results")
        facets = data["facet_results"]
        facets = facets.get("results", facets)  # Datasette 1.0 nests them
        skills = {item["value"]: item["count"] for item in facets["skill"]["results"]}
        assert skills["pytorch"] == 2
        data = get_json(base + "/scout/profile_locations.json?_extra=facet_results")
        facets = data["facet_results"]
        facets = facets.get("results", facets)
        regions = {item["value"] for item in facets["regions"]["results"]}
        assert regions == {"eastern_europe", "india", "latin_america"}
        rows = get_json(base + "/scout/candidates.json?_shape=array&skill=kubeflow&region=")
        assert [r["display_name"] for r in rows] == ["Arjun"]


def test_contact_fields_stay_closed_unless_turned_on(small_db):
    with datasette(small_db) as base:
        assert status(base + "/scout/profiles.json") == 403
        assert status(base + "/scout/raw_records.json") == 403
        assert status(base + "/scout.json?sql=select+email+from+profiles") == 403
        rows = get_json(base + f"/scout/{PUBLIC_PROFILES}.json?_shape=array&source=kaggle")
        assert [r["handle"] for r in rows] == ["maria"]
        assert "email" not in rows[0] and "website" not in rows[0]
        # The candidate queries read profiles and still run.
        assert get_json(base + "/scout/candidates.json?_shape=array&skill=&region=")
    with datasette(small_db, "--include-contacts") as base:
        rows = get_json(base + "/scout/profiles.json?_shape=array")
        assert {r["email"] for r in rows} == {f"{h}@example.com" for h, *_ in PEOPLE}
