"""`scout rebuild` against a database crawled from the sandbox (GitHub, Stack Overflow, Kaggle).

One crawl per module (each command in its own process, as a user runs them); every test works
on a copy. Snapshots compare what the stages derive by natural keys (source, external_id), so
a database rebuilt from its raw records alone can be compared with the original.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import scout as run_scout
from sqlalchemy import Engine, func, insert, select, update

from config.settings import Settings
from crawlers.kaggle.run import ingest_folder
from enrich.identity.user import unlink
from enrich.pipeline import run_enrich
from sandbox.kaggle_files import write_kaggle_csvs
from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from sandbox.world import generate
from scoring.rank import rank_all
from scoring.ranking import load_ranking
from scout.rebuild import rebuild
from storage.db import open_database, session_scope
from storage.models import (
    Candidate,
    CandidateProfile,
    FeedbackLabel,
    KaggleAchievement,
    LinkRejection,
    Location,
    Profile,
    ProfileLocation,
    RawRecord,
    Repository,
    Score,
    SkillTag,
    SOTagStat,
)
from storage.person import resolve_profile
from storage.save import sha256_of

PEOPLE = 500
SO_TAGS = ("pytorch", "tensorflow", "scikit-learn", "machine-learning", "mlflow", "airflow")


def scout(db: str, *args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    env = {"GITHUB_TOKEN": "sandbox-rebuild-token", "STACKEXCHANGE_KEY": "goodkey-rebuild"}
    drop = ("SCOUT_", "GITHUB_", "STACKEXCHANGE_", "KAGGLE_")
    return run_scout(*args, db=db, env=env, drop=drop, timeout=timeout, check=True)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> dict[str, Any]:
    """A database with all three sources crawled, enriched and ranked, and the Kaggle files."""
    root = tmp_path_factory.mktemp("crawled")
    world = generate(7, PEOPLE)
    kaggle_dir = root / "meta-kaggle"
    kaggle_dir.mkdir()
    write_kaggle_csvs(world, kaggle_dir)
    db = f"sqlite:///{root / 'scout.db'}"
    options = SandboxOptions(rate_limit=1_000_000, search_per_minute=10_000, quota=100_000)
    with SandboxServer(world, options) as server:
        scout(db, "crawl", "github", "--region", "india", "--api-url", server.github_url)
        # REST lookups and refreshes add raw records a rebuild must merge with the search's.
        with sqlite3.connect(root / "scout.db") as conn:
            login = conn.execute("SELECT handle FROM profiles ORDER BY id LIMIT 1").fetchone()[0]
        scout(db, "lookup", "github", login, "--api-url", server.github_url)
        refresh = ("--stale-days", "0", "--limit", "5", "--api-url", server.github_url)
        scout(db, "refresh", "github", *refresh)
        tags = [a for tag in SO_TAGS for a in ("--tag", tag)]
        scout(db, "crawl", "stackoverflow", *tags, "--api-url", server.stackexchange_url)
    # The rest in this process, through what `scout crawl kaggle`, `enrich` and `rank` call:
    # only crawls need a process of their own (Twisted's reactor cannot restart).
    engine = open_database(db)
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("SCOUT_")]:
            env.delenv(name)
        ingest_folder(engine, kaggle_dir)
        run_enrich(engine, Settings(db_url=db))
        with session_scope(engine) as s:
            rank_all(s, load_ranking(None))
    snap = snapshot(engine)
    engine.dispose()
    return {"path": root / "scout.db", "kaggle": kaggle_dir, "snapshot": snap}


def copy_db(crawled: dict[str, Any], tmp_path: Path) -> str:
    target = tmp_path / "copy.db"
    with sqlite3.connect(crawled["path"]) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


# -- snapshots by natural keys ---------------------------------------------------------------


def _row(obj: Any, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    cols = [c.key for c in obj.__table__.columns]
    return {c: getattr(obj, c) for c in cols if c not in ("id", "profile_id", *drop)}


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything crawl, enrich and rank derive, keyed so that row ids do not matter."""
    with session_scope(engine) as s:
        key = {p.id: (p.source, p.external_id) for p in s.scalars(select(Profile))}
        members: dict[int, list[tuple[str, str]]] = {}
        for cp in s.scalars(select(CandidateProfile)):
            members.setdefault(cp.candidate_id, []).append(key[cp.profile_id])
        person = {cid: tuple(sorted(m)) for cid, m in members.items()}
        snap: dict[str, Any] = {
            "profiles": {key[p.id]: _row(p) for p in s.scalars(select(Profile))},
            "locations": {r.text: _row(r) for r in s.scalars(select(Location))},
        }
        children = {
            "repositories": (Repository, "name"),
            "so_tag_stats": (SOTagStat, "tag"),
            "kaggle_achievements": (KaggleAchievement, "category"),
            "skill_tags": (SkillTag, "skill"),
            "profile_locations": (ProfileLocation, None),
        }
        for name, (model, natural) in children.items():
            snap[name] = {
                (key[r.profile_id], getattr(r, natural) if natural else None): _row(r)
                for r in s.scalars(select(model))
            }
        links = {}
        for cp in s.scalars(select(CandidateProfile)):
            evidence = dict(cp.evidence or {})
            if "linked_to" in evidence:
                evidence["linked_to"] = key[evidence["linked_to"]]
            who = person[cp.candidate_id]
            links[key[cp.profile_id]] = (who, cp.method, cp.confidence, evidence)
        snap["links"] = links
        snap["candidates"] = {
            person[c.id]: c.display_name for c in s.scalars(select(Candidate)) if c.id in person
        }
        snap["scores"] = {
            (person[r.candidate_id], r.model_version): _row(r, ("candidate_id", "scored_at"))
            for r in s.scalars(select(Score))
        }
    return snap


def _close(a: Any, b: Any, tol: float) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tol) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, abs_tol=tol)
    return bool(a == b)


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Equal table by table; scores within 0.002 (recency moves with the clock while ranking)."""
    assert got.keys() == want.keys()
    for table in want:
        if table == "scores":
            assert got[table].keys() == want[table].keys()
            for k, row in want[table].items():
                other = {c: v for c, v in got[table][k].items() if c != "input_sha"}
                mine = {c: v for c, v in row.items() if c != "input_sha"}
                assert _close(other, mine, 0.002), (k, other, mine)
            continue
        missing = want[table].keys() - got[table].keys()
        extra = got[table].keys() - want[table].keys()
        assert not missing and not extra, (table, sorted(missing)[:3], sorted(extra)[:3])
        diff = [k for k in want[table] if got[table][k] != want[table][k]]
        assert not diff, (table, diff[:3], [(got[table][k], want[table][k]) for k in diff[:2]])


def report_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# -- tests -----------------------------------------------------------------------------------


def test_crawled_world_has_what_the_comparison_needs(crawled):
    snap = crawled["snapshot"]
    sources = {source for source, _ in snap["profiles"]}
    assert sources == {"github", "stackoverflow", "kaggle"}
    assert snap["repositories"] and snap["so_tag_stats"] and snap["kaggle_achievements"]
    assert snap["skill_tags"] and snap["scores"]
    assert any(len(person) > 1 for person in snap["candidates"])


def test_rebuild_in_place_restores_what_a_parser_or_taxonomy_change_would_touch(crawled, tmp_path):
    db = copy_db(crawled, tmp_path)
    engine = open_database(db)
    with session_scope(engine) as s:
        pair = (
            s.execute(
                select(CandidateProfile.candidate_id)
                .group_by(CandidateProfile.candidate_id)
                .having(func.count() == 2)
                .order_by(CandidateProfile.candidate_id)
            )
            .scalars()
            .first()
        )
        assert pair is not None
        a, b = sorted(
            s.execute(
                select(Profile.source, Profile.external_id)
                .join(CandidateProfile, CandidateProfile.profile_id == Profile.id)
                .where(CandidateProfile.candidate_id == pair)
            ).all()
        )
    # A user rejects one link (what `scout unlink` does), the candidates are re-ranked, and a
    # recruiter labels another candidate.
    with session_scope(engine) as s:
        unlink(s, resolve_profile(s, f"{a[0]}:{a[1]}"), resolve_profile(s, f"{b[0]}:{b[1]}"))
    with session_scope(engine) as s:
        rank_all(s, load_ranking(None))
    with session_scope(engine) as s:
        labelled = s.scalars(
            select(Candidate.id).where(Candidate.id != pair).order_by(Candidate.id)
        ).first()
        s.execute(
            insert(FeedbackLabel).values(
                candidate_id=labelled, decision="yes", label=1.0, source_file="shortlist.csv"
            )
        )
    before = snapshot(engine)
    # What an older parser or taxonomy left behind: stale profile fields, children and tags.
    with session_scope(engine) as s:
        gh = s.scalars(
            select(Profile).where(Profile.source == "github").order_by(Profile.id)
        ).first()
        so = s.scalars(
            select(Profile).where(Profile.source == "stackoverflow").order_by(Profile.id)
        ).first()
        assert gh is not None and so is not None
        gh.location_raw, gh.name, gh.content_sha = "Atlantis", "Old Parser", "stale"
        so.content_sha = "stale"
        s.execute(update(Repository).where(Repository.profile_id == gh.id).values(stars=-1))
        s.execute(update(SOTagStat).where(SOTagStat.profile_id == so.id).values(answer_score=0))
        s.execute(
            update(ProfileLocation)
            .where(ProfileLocation.profile_id == so.id)
            .values(country="ZZ", regions=["nowhere"])
        )
        tagged = s.scalars(select(SkillTag.profile_id).order_by(SkillTag.id)).first()
        s.query(SkillTag).filter(SkillTag.profile_id == tagged).delete()
    assert snapshot(engine) != before

    report = report_of(scout(db, "rebuild", "--json"))

    assert_same(snapshot(engine), before)
    github, stackoverflow = report["sources"]["github"], report["sources"]["stackoverflow"]
    github_count = sum(1 for source, _ in before["profiles"] if source == "github")
    assert github["profiles"] == github_count and github["new"] == 0
    assert github["changed"] == 1 and stackoverflow["changed"] == 1
    assert github["unparseable"] == stackoverflow["unparseable"] == 0
    assert report["enriched"] == len(before["profiles"])
    kaggle = report["sources"]["kaggle"]
    kaggle_count = sum(1 for source, _ in before["profiles"] if source == "kaggle")
    assert kaggle["kept"] == kaggle_count and "--kaggle-from" in kaggle["note"]
    with session_scope(engine) as s:
        # The rejected link and the feedback label survive, on the same people.
        assert s.scalar(select(func.count()).select_from(LinkRejection)) == 1
        assert s.scalar(select(FeedbackLabel.candidate_id)) == labelled
    assert before["candidates"] == snapshot(engine)["candidates"]
    assert not any(a in person and b in person for person in before["candidates"])

    # A second rebuild (here through the function the command calls) has nothing to change.
    again = rebuild(engine, Settings(db_url=db))
    assert all(src.new == src.changed == 0 for src in again.sources.values())
    assert again.rank is not None
    # (Recency moves with the clock: a feature may cross a rounding step meanwhile.)
    assert again.rank.unchanged >= again.rank.candidates - 5
    assert_same(snapshot(engine), before)
    engine.dispose()


def _copy_raw(source_path: Path, target: Engine) -> int:
    origin = open_database(f"sqlite:///{source_path}")
    with session_scope(origin) as s:
        rows = [
            {c.key: getattr(r, c.key) for c in RawRecord.__table__.columns if c.key != "id"}
            for r in s.scalars(select(RawRecord).order_by(RawRecord.id))
        ]
    origin.dispose()
    with session_scope(target) as s:
        s.execute(insert(RawRecord), rows)
    return len(rows)


BROKEN = [
    ("github", "graphql:search", "zz-broken", "<html>502 Bad Gateway</html>"),
    ("github", "graphql:search", "zz-nobody", {"__typename": "User", "login": "zz-nobody"}),
    ("stackoverflow", "/users/{ids}", "stackoverflow:424242", {"user": {"user_id": 424242}}),
]


def test_rebuild_from_raw_records_alone_reproduces_the_database(crawled, db_url):
    engine = open_database(db_url)
    copied = _copy_raw(crawled["path"], engine)
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        s.execute(
            insert(RawRecord),
            [
                {
                    "source": src,
                    "endpoint": ep,
                    "key": key,
                    "fetched_at": now,
                    "etag": None,
                    "payload_sha": sha256_of(payload),
                    "payload": payload,
                }
                for src, ep, key, payload in BROKEN
            ],
        )

    # In this process, through the function `scout rebuild` calls (the command itself is
    # exercised above): what `--json` prints is this report.
    report = rebuild(engine, Settings(db_url=db_url), kaggle_from=crawled["kaggle"]).as_dict()

    assert report["raw_records"] == copied + len(BROKEN)
    github, stackoverflow = report["sources"]["github"], report["sources"]["stackoverflow"]
    assert github["unparseable"] == 2 and stackoverflow["unparseable"] == 1
    assert set(github["unparseable_reasons"]) == {
        "graphql:search payload is not a JSON object",
        "user record without a login or an id",
    }
    assert any("'zz-broken'" in sample for sample in github["samples"])
    # The parser's own reason (a PayloadError naming the field), not a Python exception's name.
    assert list(stackoverflow["unparseable_reasons"]) == [
        "tag_scores: expected an object, got null"
    ]
    want = crawled["snapshot"]
    for source in ("github", "stackoverflow", "kaggle"):
        count = sum(1 for s, _ in want["profiles"] if s == source)
        assert report["sources"][source]["new"] == count
    assert_same(snapshot(engine), want)
    engine.dispose()


def test_rebuild_after_a_taxonomy_change_retags_every_profile(crawled, tmp_path):
    db = copy_db(crawled, tmp_path)
    skills = (Path(__file__).parents[1] / "config" / "skills.toml").read_text()
    start, end = (
        skills.index("[skills.go]"),
        skills.index("[skills.", skills.index("[skills.go]") + 1),
    )
    edited = tmp_path / "skills.toml"
    edited.write_text(skills[:start] + skills[end:])  # the user dropped the Go skill
    before = crawled["snapshot"]["skill_tags"]
    assert any(skill == "go" for _key, skill in before)
    engine = open_database(db)

    report = rebuild(engine, Settings(db_url=db, skills_file=edited))

    after = snapshot(engine)["skill_tags"]
    engine.dispose()
    assert report.enrich is not None and report.enrich.enriched == len(
        crawled["snapshot"]["profiles"]
    )
    assert after == {k: v for k, v in before.items() if k[1] != "go"}
