"""`scout crawl huggingface` (crawlers/huggingface/spider.py, run.py, scout/cmd_huggingface.py)
against the sandbox: the right people and items against the hidden truth, organisations
skipped, unchanged authors free, and the same database after a kill -9, a fault or a budget
stop followed by --resume as after one clean crawl."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_crawl import assert_private, crawl, database, finish, launch, query
from fault_proxy import FaultProxy, Rule
from fault_rules import die
from helpers import invoke, shared_world
from sqlalchemy import create_engine

from config.settings import Settings
from crawlers.huggingface.parse import item_name
from crawlers.huggingface.run import (
    DEFAULT_LIBRARIES,
    DEFAULT_PIPELINE_TAGS,
    HubOptions,
    run_crawl,
)
from sandbox.hub_api import HubAPI
from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from sandbox.world_hub import HubWorld, hub_world
from storage.db import open_database, session_scope
from storage.state import EXIT_CODES
from storage.suppress import suppress

SEED, PEOPLE = 7, 600
HF = "huggingface"
Snapshot = tuple[list[Any], list[Any]]


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(shared_world(SEED, PEOPLE)) as running:
        yield running


def snapshot(url: str) -> Snapshot:
    profiles = query(
        url,
        "SELECT external_id, handle, name, bio, followers, content_sha FROM profiles "
        "WHERE source = 'huggingface' ORDER BY external_id",
    )
    items = query(
        url,
        "SELECT p.external_id, h.name, h.kind, h.downloads, h.likes, h.library, h.pipeline_tag "
        "FROM hub_items h JOIN profiles p ON p.id = h.profile_id ORDER BY p.external_id, h.name",
    )
    return [tuple(r) for r in profiles], [tuple(r) for r in items]


def expected_authors(hub: HubWorld) -> set[str]:
    """The users the default streams list (the truth: organisations excluded)."""
    tags, libraries = set(DEFAULT_PIPELINE_TAGS), set(DEFAULT_LIBRARIES)
    found = {
        r.author for r in hub.repos["model"] if r.pipeline_tag in tags or r.library in libraries
    }
    found |= {
        r.author
        for r in hub.repos["dataset"]
        if {f"task_categories:{t}" for t in tags} & set(r.tags)
    }
    found |= {r.author for r in hub.repos["space"] if tags & set(r.tags)}
    return {a for a in found if hub.owner[a] is not None}


@pytest.fixture(scope="module")
def clean(server: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any]:
    folder = tmp_path_factory.mktemp("hub-clean")
    url = f"sqlite:///{folder / 'scout.db'}"
    first = crawl(url, HF, server.huggingface_url, folder)
    return url, first


def test_a_crawl_stores_the_hub_users_with_their_items_and_skips_organisations(
    server: SandboxServer, clean: tuple[str, Any]
) -> None:
    url, run = clean
    assert (run.code, run.status) == (0, "ok"), run.output[-2000:]
    hub = hub_world(server.world)
    profiles, items = snapshot(url)
    stored = {row[0] for row in profiles}
    assert stored == expected_authors(hub)
    assert not stored & {o.name for o in hub.orgs()}
    assert run.stats["skipped_orgs"] >= len(hub.orgs())
    truth = {
        (r.author, item_name(r.kind, r.repo_id), r.kind, r.downloads, r.likes)
        for kind in hub.repos
        for r in hub.repos[kind]
        if r.author in stored
    }
    assert {row[:5] for row in items} == truth
    by_name = {row[0]: row for row in profiles}
    linked = [n for n in hub.linked if n in stored]
    assert linked and all(f"github.com/{hub.linked[n]}" in by_name[n][3] for n in linked)
    assert re.search(r"Run #\d+ huggingface ok: stored \d+ profiles", run.output)
    subjects = query(url, "SELECT DISTINCT subject FROM raw_records WHERE source = 'huggingface'")
    assert {s for (s,) in subjects} == stored  # every raw record names its author


def test_a_second_crawl_asks_only_the_listings(
    server: SandboxServer, clean: tuple[str, Any], tmp_path: Path
) -> None:
    url, first = clean
    before = snapshot(url)
    again = crawl(url, HF, server.huggingface_url, tmp_path)
    assert (again.code, again.status) == (0, "ok")
    assert again.stats["new"] == again.stats["changed"] == 0
    assert again.stats["unchanged"] == len(before[0])
    assert again.stats["requests"] == again.stats["pages"] < first.stats["requests"] / 5
    assert snapshot(url) == before


def stop_when_stored(proc: Any, url: str, at_least: int, signum: int) -> int:
    """Send `signum` once the crawl has stored `at_least` profiles; how many it had."""
    deadline = time.monotonic() + 30
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            stored = query(url, "SELECT count(*) FROM profiles")[0][0]
        except Exception:  # the schema is not there yet
            stored = 0
        if stored >= at_least:
            break
        time.sleep(0.02)
    proc.send_signal(signum)
    return int(stored)


def test_sigterm_then_kill_9_then_resume_equals_the_clean_crawl(
    clean: tuple[str, Any], tmp_path: Path
) -> None:
    options = SandboxOptions(latency_ms=4)
    with SandboxServer(shared_world(SEED, PEOPLE), options) as slow:
        url = f"sqlite:///{tmp_path / 'scout.db'}"
        proc = launch(url, HF, slow.huggingface_url, tmp_path)
        assert stop_when_stored(proc, url, 10, signal.SIGTERM) >= 10
        stopped = finish(proc, url, HF, "SIGTERM")
        assert (stopped.code, stopped.status) == (EXIT_CODES["interrupted"], "interrupted")
        first = len(snapshot(url)[0])
        proc = launch(url, HF, slow.huggingface_url, tmp_path, "--resume")
        assert stop_when_stored(proc, url, first + 10, signal.SIGKILL) >= first + 10
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        assert len(snapshot(url)[0]) < len(snapshot(clean[0])[0])  # killed part-way
        resumed = crawl(url, HF, slow.huggingface_url, tmp_path, "--resume")
    assert resumed.status == "ok", resumed.output[-2000:]
    assert snapshot(url) == snapshot(clean[0])


def test_a_dead_upstream_ends_partial_and_a_resume_completes(
    server: SandboxServer, clean: tuple[str, Any], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'scout.db'}"
    rule: Rule = die("reset", skip=40)
    with FaultProxy(server.base_url, [rule]) as proxy:
        broken = crawl(url, HF, proxy.huggingface_url, tmp_path)
    assert (broken.code, broken.status) == (EXIT_CODES["partial"], "partial")
    assert broken.errors > 0 and rule.fired > 0
    assert "gave no answer 3 times in a row" in broken.output
    assert_private(broken, server)  # no name, bio or traceback in what it printed
    resumed = crawl(url, HF, server.huggingface_url, tmp_path, "--resume")
    assert (resumed.code, resumed.status) == (0, "ok")
    assert snapshot(url) == snapshot(clean[0])


def test_a_budget_stops_cleanly_and_resume_finishes_the_same(
    server: SandboxServer, clean: tuple[str, Any], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'scout.db'}"
    cut = crawl(url, HF, server.huggingface_url, tmp_path, "--budget", "40")
    assert (cut.code, cut.status) == (0, "ok") and cut.stats["requests"] <= 40
    assert "budget of 40 requests is reached" in cut.output
    rest = crawl(url, HF, server.huggingface_url, tmp_path, "--resume")
    assert rest.status == "ok"
    assert snapshot(url) == snapshot(clean[0])


def test_suppressed_authors_are_never_stored_and_a_malformed_overview_is_quarantined(
    server: SandboxServer, clean: tuple[str, Any], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'scout.db'}"
    capped = crawl(url, HF, server.huggingface_url, tmp_path, "--max-users", "7")
    assert capped.stats["profiles_stored"] == 7
    first = {row[0] for row in snapshot(url)[0]}
    stored = [row[0] for row in snapshot(clean[0])[0] if row[0] not in first]
    hidden, broken = stored[0], stored[1]
    engine = create_engine(url)
    with session_scope(engine) as session:
        suppress(session, HF, [hidden])
    engine.dispose()

    def bad_followers(exchange: Any) -> None:
        body = json.loads(exchange.response_body)
        body["numFollowers"] = "many"
        exchange.response_body = json.dumps(body).encode()

    match = lambda exchange: f"/api/users/{broken}/overview" in exchange.path  # noqa: E731
    with FaultProxy(server.base_url, [Rule("bad", match, bad_followers, times=None)]) as proxy:
        run = crawl(url, HF, proxy.huggingface_url, tmp_path, "--resume")
    assert run.stats["quarantined"] == 1 and run.stats["suppressed"] >= 1
    ids = {row[0] for row in snapshot(url)[0]}
    assert ids == first | set(stored) - {hidden, broken}
    raw = query(url, "SELECT subject FROM raw_records WHERE source = 'huggingface'")
    assert (broken,) in raw and (hidden,) not in raw  # the bad record kept for rebuild


def test_a_changed_author_is_fetched_again_on_a_later_day(
    server: SandboxServer, clean: tuple[str, Any], tmp_path: Path
) -> None:
    copy = tmp_path / "scout.db"
    with (
        sqlite3.connect(clean[0].removeprefix("sqlite:///")) as source,
        sqlite3.connect(copy) as target,
    ):
        source.backup(target)  # the write-ahead log included
    server.set_day(4)
    try:
        later = crawl(f"sqlite:///{copy}", HF, server.huggingface_url, tmp_path)
    finally:
        server.set_day(0)
    assert later.status == "ok"
    assert later.stats["changed"] >= 1 and later.stats["unchanged"] >= 1
    assert later.stats["requests"] < clean[1].stats["requests"] / 2


def test_the_hubs_rate_limit_is_waited_out(clean: tuple[str, Any], tmp_path: Path) -> None:
    with SandboxServer(shared_world(SEED, PEOPLE)) as limited:
        window = next(api for api in limited.apis if isinstance(api, HubAPI))
        window.limit, window.window_s = 150, 2
        engine = open_database(f"sqlite:///{tmp_path / 'scout.db'}")
        result = run_crawl(engine, Settings(), HubOptions(endpoint=limited.huggingface_url))
        refused = limited.stats.snapshot().get("huggingface.rate_limited", 0)
    assert result.status == "ok" and refused >= 1
    assert result.stats["rate_limited"] == refused == result.stats["retries"]
    assert snapshot(f"sqlite:///{tmp_path / 'scout.db'}") == snapshot(clean[0])
    engine.dispose()


def test_postgresql_stores_what_sqlite_stores(
    server: SandboxServer, clean: tuple[str, Any], tmp_path: Path
) -> None:
    with database("pg", tmp_path) as url:
        run = crawl(url, HF, server.huggingface_url, tmp_path)
        assert (run.code, run.status) == (0, "ok"), run.output[-2000:]
        assert snapshot(url) == snapshot(clean[0])


def test_an_unknown_sort_order_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = invoke(
        "crawl", "huggingface", "--sort", "stars", db=f"sqlite:///{tmp_path / 'scout.db'}"
    )
    assert result.exit_code == 2
    assert "--sort must be one of downloads, likes, recent, not 'stars'" in result.output
    assert "Traceback" not in result.output
