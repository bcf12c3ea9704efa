"""Faults between the crawler and the sandbox (tests/fault_proxy.py) or in the database
(tests/fault_db.py, or SQLite's own full disk), against the real `scout crawl` in its own
process (tests/fault_crawl.py).

For each fault: the run ends by itself (a hang fails the test at TIMEOUT), its crawl_runs
status and exit code tell the truth (storage/state.py: ok 0, partial 3, failed 4, interrupted
130; never ok when something was not stored), nothing private reaches the output, and `--resume`
(GitHub) or a rerun (Stack Overflow) against the clean sandbox ends with exactly the clean
crawl's profiles, repositories and tag rows: 0 lost, 0 duplicated, every field alike. One clean
crawl per database is the reference for the whole module.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fault_crawl import (
    GITHUB,
    PEOPLE,
    SE_TAGS,
    SEED,
    SO,
    TIMEOUT,
    Run,
    Snapshot,
    assert_run,
    crawl,
    database,
    finish,
    launch,
    page_count,
    query,
    snapshot,
)
from fault_db import MESSAGE, drop_connection, heal, prepare, refuse_writes
from fault_proxy import FaultProxy, Rule
from fault_rules import (
    corrupt_gzip,
    deep_json,
    die,
    graphql_node,
    graphql_null_search,
    graphql_pages,
    graphql_partial,
    hold,
    long_name,
    se_field,
    se_method,
    stuck_page,
    wrong_language,
)
from helpers import shared_world

from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from storage.state import STANDARD_STATS

FULL_DISK = """
import sqlite3
from sqlalchemy import event
from sqlalchemy.engine import Engine

@event.listens_for(Engine, "connect")
def full(dbapi_conn, _record):
    if isinstance(dbapi_conn, sqlite3.Connection):
        dbapi_conn.execute("PRAGMA max_page_count = {pages}")
"""


# -- the world, the sandbox and the reference crawl --------------------------------------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    options = SandboxOptions(rate_limit=10_000_000, quota=10_000_000)
    with SandboxServer(shared_world(SEED, PEOPLE), options) as server:
        yield server


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Clean:
    """What a crawl without faults stores and says, per source; on SQLite also how many
    database pages the GitHub crawl adds (to fill a disk half way)."""

    stored: dict[str, Snapshot]
    runs: dict[str, Run]
    github_pages: int

    def __getitem__(self, source: str) -> Snapshot:
        return self.stored[source]


@pytest.fixture(scope="module")
def clean(
    kind: str, sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Clean]:
    folder = tmp_path_factory.mktemp(f"clean-{kind}")
    with database(kind, folder) as url:
        prepare(url)
        empty = page_count(url) if kind == "sqlite" else 0
        runs = {GITHUB: crawl(url, GITHUB, sandbox.github_url, folder)}
        github_pages = page_count(url) - empty if kind == "sqlite" else 0
        runs[SO] = crawl(url, SO, sandbox.stackexchange_url, folder)
        for run in runs.values():
            assert_run(run, "ok", sandbox)
        yield Clean({s: snapshot(url, s) for s in (GITHUB, SO)}, runs, github_pages)


@pytest.fixture
def db(kind: str, tmp_path: Path) -> Iterator[str]:
    with database(kind, tmp_path) as url:
        yield url


def assert_same(url: str, source: str, clean: Clean) -> None:
    got = snapshot(url, source)
    assert got == clean[source], got.diff(clean[source])


def resume(url: str, source: str, sandbox: SandboxServer, cwd: Path, clean: Clean) -> None:
    """`--resume` (GitHub) or a rerun (Stack Overflow) against the clean sandbox heals all."""
    if source == GITHUB:
        run = crawl(url, GITHUB, sandbox.github_url, cwd, "--resume")
    else:
        run = crawl(url, SO, sandbox.stackexchange_url, cwd)
    assert_run(run, "ok", sandbox)
    assert_same(url, source, clean)


def through(
    sandbox: SandboxServer, db: str, cwd: Path, source: str, *rules: Rule, dies: bool = False
) -> Run:
    """A crawl of `source` through a fault proxy with `rules`; each rule must have acted."""
    with FaultProxy(sandbox.base_url, list(rules)) as proxy:
        api = proxy.github_url if source == GITHUB else proxy.stackexchange_url
        run = crawl(db, source, api, cwd)
        assert proxy.dead == dies
    for rule in rules:
        assert rule.fired, f"the fault {rule.name} never happened: {proxy.seen}"
    return run


def test_a_clean_run_is_ok_and_counts_its_requests_and_quota(clean):
    for source, run in clean.runs.items():
        stats = run.stats
        assert set(STANDARD_STATS) <= set(stats), (source, stats)
        assert stats["requests"] >= stats["pages"] > 0 and stats["quota_spent"] >= stats["pages"]
        assert stats["retries"] == stats["quarantined"] == stats["errors"] == run.errors == 0
        assert stats["profiles_stored"] == len(clean[source].ids), (source, stats)
    windows = clean[GITHUB].windows
    assert windows and all(done for _, done in windows), "a clean crawl closes every window"


# -- GitHub ------------------------------------------------------------------------------------


def test_wrongly_typed_field_is_quarantined_and_resume_restores_it(sandbox, clean, db, tmp_path):
    rule = graphql_node(wrong_language, index=5, name="wrong_language")
    run = through(sandbox, db, tmp_path, GITHUB, rule)
    page, bad = rule.notes
    bad_id = str(bad["databaseId"])
    # One record is lost, not its page; its page is held for --resume: partial, not ok.
    assert_run(run, "partial", sandbox)
    assert run.stats.get("quarantined") == 1, run.output[-3000:]
    stored = set(snapshot(db, GITHUB).ids)
    assert bad_id not in stored and {str(n["databaseId"]) for n in page} - {bad_id} <= stored
    # The record itself is kept raw and named by its id only.
    assert query(db, "SELECT 1 FROM raw_records WHERE key = :k", k=bad["login"].lower())
    assert f"github:{bad_id}" in run.output
    resume(db, GITHUB, sandbox, tmp_path, clean)


def test_github_answers_that_heal_are_retried_and_the_run_is_ok(sandbox, clean, db, tmp_path):
    # Once each: a null search (the count probe), a 10 KB name, a partial page (errors beside
    # data, 20 null nodes). The incomplete answers are asked again; the name is fitted.
    name = graphql_node(long_name, index=3, name="long_name")
    rules = [graphql_null_search(), name, graphql_partial(nulls=20)]
    run = through(sandbox, db, tmp_path, GITHUB, *rules)
    assert_run(run, "ok", sandbox)
    assert run.stats["retries"] >= 2 and run.stats["quarantined"] == 0
    _, bad = name.notes
    sql = "SELECT name FROM profiles WHERE source = 'github' AND external_id = :e"
    ((fitted,),) = query(db, sql, e=str(bad["databaseId"]))
    assert fitted.startswith("NNN") and len(fitted) <= 300
    stored = snapshot(db, GITHUB)
    assert [p for p in stored.profiles if p[0] != str(bad["databaseId"])] == [
        p for p in clean[GITHUB].profiles if p[0] != str(bad["databaseId"])
    ]
    assert (stored.ids, stored.repositories) == (clean[GITHUB].ids, clean[GITHUB].repositories)


@pytest.mark.parametrize("fault", ["partial", "null_search"])
def test_incomplete_graphql_answers_leave_the_window_open(sandbox, clean, db, tmp_path, fault):
    # From the third page on every answer is incomplete: partial, and --resume fetches them.
    if fault == "partial":
        rule = graphql_partial(nulls=20, skip=2, times=None)
    else:
        rule = graphql_null_search(errors=True, match=graphql_pages, skip=2, times=None)
    run = through(sandbox, db, tmp_path, GITHUB, rule)
    assert_run(run, "partial", sandbox)
    assert run.errors >= 1 and run.stats["retries"] >= 1
    assert 0 < len(snapshot(db, GITHUB).ids) < len(clean[GITHUB].ids)
    assert not all(done for _, done in snapshot(db, GITHUB).windows), "the window stays open"
    resume(db, GITHUB, sandbox, tmp_path, clean)


def test_github_dying_mid_crawl_ends_partial_and_resume_completes(sandbox, clean, db, tmp_path):
    # The count probe and two pages are answered, then connections are refused.
    run = through(sandbox, db, tmp_path, GITHUB, die("refuse", skip=3), dies=True)
    assert_run(run, "partial", sandbox)
    assert run.errors >= 1
    assert 0 < len(snapshot(db, GITHUB).ids) < len(clean[GITHUB].ids)
    resume(db, GITHUB, sandbox, tmp_path, clean)


def test_ctrl_c_mid_crawl_is_interrupted_and_resume_completes(sandbox, clean, db, tmp_path):
    # The third page is held back until the crawl has had its Ctrl-C.
    release = threading.Event()
    rule = hold(release, match=graphql_pages, skip=2)
    with FaultProxy(sandbox.base_url, [rule]) as proxy:
        proc = launch(db, GITHUB, proxy.github_url, tmp_path)
        try:
            deadline = time.monotonic() + TIMEOUT
            while not rule.fired and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert rule.fired and proc.poll() is None, "the crawl never reached its third page"
            proc.send_signal(signal.SIGINT)
        finally:
            release.set()
        run = finish(proc, db, GITHUB, "ctrl-c")
    assert_run(run, "interrupted", sandbox)
    assert 0 < len(snapshot(db, GITHUB).ids) < len(clean[GITHUB].ids)
    resume(db, GITHUB, sandbox, tmp_path, clean)


@pytest.mark.parametrize("fault", ["refuse_writes", "drop_connection", "full_disk"])
def test_github_storage_failure_stops_the_crawl_and_resume_completes(
    sandbox, clean, db, tmp_path, kind, fault
):
    if fault == "drop_connection" and kind == "sqlite":
        pytest.skip("a SQLite database has no connection to lose")
    if fault == "full_disk" and kind != "sqlite":
        pytest.skip("a real full disk is SQLite's max_page_count; PostgreSQL's is refuse_writes")
    prepare(db)
    if fault == "full_disk":
        # The disk fills half way through the crawl: SQLite's own "database or disk is full".
        pages = page_count(db) + clean.github_pages // 2
        full = FULL_DISK.format(pages=pages)
        proc = launch(db, GITHUB, sandbox.github_url, tmp_path, prelude=full)
        run = finish(proc, db, GITHUB, "full disk")
    else:
        install = refuse_writes if fault == "refuse_writes" else drop_connection
        install(db, "raw_records", after=200)  # the third page of 100 cannot be stored
        run = crawl(db, GITHUB, sandbox.github_url, tmp_path)
    assert_run(run, "failed", sandbox)
    stored = len(snapshot(db, GITHUB).ids)
    if fault == "full_disk":
        assert "disk is full" in run.output and 0 < stored < len(clean[GITHUB].ids)
    else:
        assert stored == 200, "the two pages before the failure only"
        heal(db, "raw_records")
    if fault == "refuse_writes":
        assert MESSAGE in run.output, "the database's reason is said"
    resume(db, GITHUB, sandbox, tmp_path, clean)


# -- Stack Overflow ----------------------------------------------------------------------------


def test_stack_exchange_answers_that_heal_are_retried_and_the_run_is_ok(
    sandbox, clean, db, tmp_path
):
    # Once each, on four methods: a broken gzip stream, a quota and a backoff that are not
    # numbers, JSON nested 200,000 deep.
    rules = [
        corrupt_gzip(match=se_method(r"^/users/[\d;]+$")),
        se_field("quota_remaining", "plenty", match=se_method("/top-answerers/")),
        se_field("backoff", "soon", match=se_method("/top-answer-tags$")),
        deep_json(match=se_method(r"^/users/[\d;]+/tags$")),
    ]
    run = through(sandbox, db, tmp_path, SO, *rules)
    assert_run(run, "ok", sandbox)
    assert run.stats["retries"] >= len(rules) and run.errors == 0
    assert_same(db, SO, clean)


def test_detail_calls_that_never_succeed_are_partial_and_the_rerun_repairs_them(
    sandbox, clean, db, tmp_path
):
    # Every top-answer-tags answer is a broken gzip stream; every /users/{ids}/tags answer
    # repeats its first page with has_more true, forever. The run still ends by itself.
    rules = [
        corrupt_gzip(match=se_method("/top-answer-tags$"), times=None),
        stuck_page(match=se_method(r"^/users/[\d;]+/tags$")),
    ]
    run = through(sandbox, db, tmp_path, SO, *rules)
    assert_run(run, "partial", sandbox)
    stats = run.stats
    assert set(STANDARD_STATS) <= set(stats) and stats["errors"] == run.errors >= len(rules)
    assert stats["retries"] >= 1 and stats["quota_spent"] == stats["requests"] > 0
    assert stats["pages"] >= len(SE_TAGS)
    resume(db, SO, sandbox, tmp_path, clean)


def test_stack_exchange_dying_mid_crawl_ends_partial_and_rerun_completes(
    sandbox, clean, db, tmp_path
):
    # The filter and three tag pages are answered, then every connection is reset.
    run = through(sandbox, db, tmp_path, SO, die("reset", skip=4), dies=True)
    assert_run(run, "partial", sandbox)
    assert run.errors >= 1
    resume(db, SO, sandbox, tmp_path, clean)


@pytest.mark.parametrize("stage", ["discovery", "profiles"])
def test_stack_exchange_storage_failure_stops_the_crawl_and_rerun_completes(
    sandbox, clean, db, tmp_path, stage
):
    prepare(db)
    # Three of the six tag pages, or every tag page and not the first profile batch.
    refuse_writes(db, "raw_records", after=3 if stage == "discovery" else len(SE_TAGS))
    run = crawl(db, SO, sandbox.stackexchange_url, tmp_path)
    assert_run(run, "failed", sandbox)
    assert MESSAGE in run.output, "the database's reason is said"
    assert snapshot(db, SO).profiles == [], "nothing half-written"
    heal(db, "raw_records")
    resume(db, SO, sandbox, tmp_path, clean)
