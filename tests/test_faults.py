"""Faults between the crawler and the sandbox (tests/fault_proxy.py) or in the database
(tests/fault_db.py), against the real `scout crawl` in its own process.

For each fault: the run ends by itself (a hang fails the test at TIMEOUT), its crawl_runs
status and exit code tell the truth (storage/state.py: ok 0, partial 3, failed 4; never ok when
something was not stored), and `--resume` (GitHub) or a rerun (Stack Overflow) against the
clean sandbox ends with exactly the clean crawl's profiles, repositories and tag rows: 0 lost,
0 duplicated. One clean crawl per database is the reference for the whole module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import pg_schema
from fault_db import drop_connection, heal, prepare, refuse_writes
from fault_proxy import FaultProxy, Rule
from fault_rules import (
    corrupt_gzip,
    die,
    graphql_node,
    graphql_null_search,
    graphql_pages,
    graphql_partial,
    long_name,
    se_field,
    se_method,
    wrong_language,
)
from sqlalchemy import create_engine, text

from crawlers.sandbox.model import SandboxOptions
from crawlers.sandbox.server import SandboxServer
from crawlers.sandbox.world import generate
from storage.state import EXIT_CODES

SEED, PEOPLE = 7, 600  # GitHub: 556 people in 7 pages of one window; Stack Overflow: ~100
SE_TAGS = ("pytorch", "tensorflow", "keras", "scikit-learn", "langchain", "apache-spark")
SE_DEPTH = 2
TIMEOUT = 45  # seconds: a crawl still running then has hung (a clean one takes < 12)
GITHUB, SO = "github", "stackoverflow"


# -- the world, the sandbox and the reference crawl --------------------------------------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    options = SandboxOptions(rate_limit=10_000_000, quota=10_000_000)
    with SandboxServer(generate(SEED, PEOPLE), options) as server:
        yield server


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'scout.db'}"
    else:
        with pg_schema() as url:
            yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def clean(kind: str, sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """What a crawl without faults stores, per source, on this kind of database."""
    folder = tmp_path_factory.mktemp(f"clean-{kind}")
    with database(kind, folder) as url:
        for source, api in ((GITHUB, sandbox.github_url), (SO, sandbox.stackexchange_url)):
            run = crawl(url, source, api, folder)
            assert_run(run, "ok", sandbox)
        yield {source: snapshot(url, source) for source in (GITHUB, SO)}


@pytest.fixture
def db(kind: str, tmp_path: Path) -> Iterator[str]:
    with database(kind, tmp_path) as url:
        yield url


# -- running a crawl and reading what it left ---------------------------------------------------


@dataclass
class Run:
    code: int
    output: str
    status: str
    stats: dict[str, Any]
    errors: int


def crawl(url: str, source: str, api: str, cwd: Path, *extra: str, **env: str) -> Run:
    """`scout crawl SOURCE` in its own process; a run that does not end by itself fails."""
    full = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SCOUT_", "GITHUB_", "STACKEXCHANGE_", "KAGGLE_"))
        or k.startswith("SCOUT_TEST_")
    }
    full.update(
        GITHUB_TOKEN="ghp_" + "t" * 36,
        STACKEXCHANGE_KEY="goodkey-for-tests",
        SCOUT_HTTP_RETRIES="1",
        **env,
    )
    cmd = [sys.executable, "-m", "scout.cli", "--db", url, "crawl", source, *extra]
    if source == SO:
        cmd += [arg for tag in SE_TAGS for arg in ("--tag", tag)] + ["--depth", str(SE_DEPTH)]
    cmd += ["--api-url", api]
    started = time.monotonic()
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, env=full, cwd=cwd, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired as hung:
        said = hung.stderr or b""
        said = said.decode(errors="replace") if isinstance(said, bytes) else said
        pytest.fail(f"`scout crawl {source}` still running after {TIMEOUT}s: hung\n{said[-1500:]}")
    output = done.stdout + done.stderr
    status, stats, errors = last_run(url, source)
    print(f"{source} {' '.join(extra)}: exit {done.returncode}, {status}, "
          f"{time.monotonic() - started:.1f}s")  # fmt: skip
    return Run(done.returncode, output, status, stats, errors)


def query(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())
    finally:
        engine.dispose()


def last_run(url: str, source: str) -> tuple[str, dict[str, Any], int]:
    rows = query(
        url,
        "SELECT status, stats, errors FROM crawl_runs WHERE source = :s ORDER BY id DESC LIMIT 1",
        s=source,
    )
    if not rows:
        return "none", {}, 0
    status, stats, errors = rows[0]
    stats = json.loads(stats) if isinstance(stats, str) else dict(stats or {})
    return str(status), stats, int(errors or 0)


@dataclass(frozen=True)
class Snapshot:
    """What the acceptance compares: lists, not sets, so a duplicate shows."""

    profiles: list[str]
    repositories: list[tuple[str, str]]
    tags: list[tuple[Any, ...]]

    def diff(self, other: Snapshot) -> str:
        def delta(mine: list[Any], theirs: list[Any]) -> str:
            lost = sorted(set(theirs) - set(mine))
            extra = sorted(set(mine) - set(theirs))
            dup = len(mine) - len(set(mine))
            return f"{len(lost)} lost {lost[:3]}, {len(extra)} extra {extra[:3]}, {dup} twice"

        return (
            f"profiles: {delta(self.profiles, other.profiles)}; "
            f"repositories: {delta(self.repositories, other.repositories)}; "
            f"tags: {delta(self.tags, other.tags)}"
        )


def snapshot(url: str, source: str) -> Snapshot:
    profiles = query(url, "SELECT external_id FROM profiles WHERE source = :s", s=source)
    repos = query(
        url,
        "SELECT p.external_id, r.name FROM repositories r JOIN profiles p ON p.id = r.profile_id "
        "WHERE p.source = :s",
        s=source,
    )
    tags = query(
        url,
        "SELECT p.external_id, t.tag, t.answer_count, t.answer_score, t.question_count, "
        "t.question_score FROM so_tag_stats t JOIN profiles p ON p.id = t.profile_id "
        "WHERE p.source = :s",
        s=source,
    )
    return Snapshot(
        sorted(e for (e,) in profiles),
        sorted((e, n) for e, n in repos),
        sorted(tuple(row) for row in tags),
    )


def assert_same(url: str, source: str, clean: dict[str, Snapshot]) -> None:
    got = snapshot(url, source)
    assert got == clean[source], got.diff(clean[source])


def assert_truthful(run: Run, url: str, source: str, clean: dict[str, Snapshot]) -> None:
    """The exit code is the status's; ok only when everything was stored."""
    assert run.status in EXIT_CODES, f"status {run.status!r}\n{run.output[-3000:]}"
    assert run.code == EXIT_CODES[run.status], (
        f"status {run.status} but exit {run.code}\n{run.output[-3000:]}"
    )
    if run.status == "ok":
        assert run.errors == 0
        assert_same(url, source, clean)


def resume(url: str, source: str, sandbox: SandboxServer, cwd: Path, clean: Any) -> None:
    """`--resume` (GitHub) or a rerun (Stack Overflow) against the clean sandbox heals all."""
    if source == GITHUB:
        run = crawl(url, GITHUB, sandbox.github_url, cwd, "--resume")
    else:
        run = crawl(url, SO, sandbox.stackexchange_url, cwd)
    assert_run(run, "ok", sandbox)
    assert_same(url, source, clean)


_PERSONAL: dict[int, list[str]] = {}


def personal(world: Any) -> list[str]:
    """E-mail addresses, names and bios of the world's accounts: never in a crawl's output."""
    if id(world) not in _PERSONAL:
        values = [v for a in world.github.values() for v in (a.email, a.name, a.bio)]
        _PERSONAL[id(world)] = sorted({v for v in values if v and len(v) >= 8})
    return _PERSONAL[id(world)]


def assert_run(run: Run, status: str, sandbox: SandboxServer) -> None:
    """The run ended with `status` and its exit code, and logged nobody's personal fields."""
    assert (run.code, run.status) == (EXIT_CODES[status], status), run.output[-3000:]
    assert_private(run, sandbox)


def assert_private(run: Run, sandbox: SandboxServer) -> None:
    leaked = [v for v in personal(sandbox.world) if v in run.output]
    assert not leaked, f"{len(leaked)} personal fields in the output, e.g. {leaked[0][:20]!r}"


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


# -- GitHub ------------------------------------------------------------------------------------


def test_wrongly_typed_field_is_quarantined_and_resume_restores_it(sandbox, clean, db, tmp_path):
    rule = graphql_node(wrong_language, index=5, name="wrong_language")
    run = through(sandbox, db, tmp_path, GITHUB, rule)
    page, bad = rule.notes
    bad_id = str(bad["databaseId"])
    assert_private(run, sandbox)
    assert run.stats.get("quarantined") == 1, run.output[-3000:]
    stored = set(snapshot(db, GITHUB).profiles)
    # The rest of its page landed; the record itself is kept raw and named by its id only.
    assert {str(n["databaseId"]) for n in page} - {bad_id} <= stored
    assert query(db, "SELECT 1 FROM raw_records WHERE key = :k", k=bad["login"].lower())
    assert f"github:{bad_id}" in run.output
    assert_truthful(run, db, GITHUB, clean)
    if bad_id not in stored:
        assert run.status == "partial", "a record was not stored: the run cannot be ok"
    resume(db, GITHUB, sandbox, tmp_path, clean)


def test_a_10kb_name_is_fitted_to_the_column_and_the_run_is_ok(sandbox, clean, db, tmp_path):
    rule = graphql_node(long_name, index=3, name="long_name")
    run = through(sandbox, db, tmp_path, GITHUB, rule)
    _, bad = rule.notes
    assert_run(run, "ok", sandbox)
    assert_same(db, GITHUB, clean)
    sql = "SELECT name FROM profiles WHERE source = 'github' AND external_id = :e"
    ((name,),) = query(db, sql, e=str(bad["databaseId"]))
    assert name.startswith("NNN") and len(name) <= 300


@pytest.mark.parametrize("fault", ["partial", "null_search"])
def test_one_incomplete_graphql_answer_is_retried(sandbox, clean, db, tmp_path, fault):
    # A partial page (errors beside data, 20 null nodes) or a null search, once: asked again.
    rule = graphql_partial(nulls=20) if fault == "partial" else graphql_null_search()
    run = through(sandbox, db, tmp_path, GITHUB, rule)
    assert_run(run, "ok", sandbox)
    assert_same(db, GITHUB, clean)
    assert run.stats.get("retries", 0) >= 1


@pytest.mark.parametrize("fault", ["partial", "null_search"])
def test_incomplete_graphql_answers_leave_the_window_open(sandbox, clean, db, tmp_path, fault):
    # From the third page on every answer is incomplete: partial, and --resume fetches them.
    if fault == "partial":
        rule = graphql_partial(nulls=20, skip=2, times=None)
    else:
        rule = graphql_null_search(errors=True, match=graphql_pages, skip=2, times=None)
    run = through(sandbox, db, tmp_path, GITHUB, rule)
    assert_run(run, "partial", sandbox)
    assert run.errors >= 1
    cursors = query(db, "SELECT cursor FROM crawl_state WHERE source = 'github'")
    assert any(not (json.loads(c) if isinstance(c, str) else c).get("done") for (c,) in cursors)
    resume(db, GITHUB, sandbox, tmp_path, clean)


def test_github_dying_mid_crawl_ends_partial_and_resume_completes(sandbox, clean, db, tmp_path):
    # The count probe and two pages are answered, then connections are refused.
    run = through(sandbox, db, tmp_path, GITHUB, die("refuse", skip=3), dies=True)
    assert_run(run, "partial", sandbox)
    assert run.errors >= 1
    assert 0 < len(snapshot(db, GITHUB).profiles) < len(clean[GITHUB].profiles)
    resume(db, GITHUB, sandbox, tmp_path, clean)


@pytest.mark.parametrize("fault", ["refuse_writes", "drop_connection"])
def test_github_storage_failure_stops_the_crawl_and_resume_completes(
    sandbox, clean, db, tmp_path, kind, fault
):
    if fault == "drop_connection" and kind == "sqlite":
        pytest.skip("a SQLite database has no connection to lose")
    prepare(db)
    install = refuse_writes if fault == "refuse_writes" else drop_connection
    install(db, "raw_records", after=200)  # the third page of 84 cannot be stored
    run = crawl(db, GITHUB, sandbox.github_url, tmp_path)
    assert_run(run, "failed", sandbox)
    assert "Traceback" not in run.output
    assert len(snapshot(db, GITHUB).profiles) == 168, "the two pages before the failure only"
    heal(db, "raw_records")
    resume(db, GITHUB, sandbox, tmp_path, clean)


# -- Stack Overflow ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        lambda: corrupt_gzip(match=se_method(r"^/users/[\d;]+$")),
        lambda: se_field("quota_remaining", "plenty", match=se_method("/top-answerers/")),
        lambda: se_field("backoff", "soon", match=se_method("/top-answerers/")),
    ],
    ids=["corrupt_gzip", "quota_remaining_text", "backoff_text"],
)
def test_one_bad_stack_exchange_body_is_retried(sandbox, clean, db, tmp_path, fault):
    run = through(sandbox, db, tmp_path, SO, fault())
    assert_run(run, "ok", sandbox)
    assert_same(db, SO, clean)


def test_given_up_detail_calls_are_partial_and_the_rerun_repairs_the_tags(
    sandbox, clean, db, tmp_path
):
    rule = corrupt_gzip(match=se_method("/top-answer-tags"), times=None)
    run = through(sandbox, db, tmp_path, SO, rule)
    assert_run(run, "partial", sandbox)
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
    assert "Traceback" not in run.output
    assert snapshot(db, SO).profiles == []
    heal(db, "raw_records")
    resume(db, SO, sandbox, tmp_path, clean)
