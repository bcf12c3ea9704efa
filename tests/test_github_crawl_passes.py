"""`scout crawl github` in two passes, end to end: details paid once per user, unchanged users
cost no details and keep their ETag and repositories, --budget stops cleanly and continues, a
re-walk (--rewalk-days) of an unchanged region pays discovery pages only."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from fault_proxy import FaultProxy, Rule
from fault_rules import graphql_any
from sqlalchemy import create_engine, text
from test_github_crawl import last_run, people, scout, stored

from crawlers.github.query import COUNT_BATCH
from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer

INDIA = (["India", "Bengaluru", "Bangalore"], ["Indiana"])


@pytest.fixture(scope="module")
def world(worlds):
    return worlds(7, 2000)


@pytest.fixture(scope="module")
def upstream(world):
    with SandboxServer(world, SandboxOptions(rate_limit=1_000_000)) as server:
        yield server


@pytest.fixture
def sandbox(upstream):
    """The sandbox behind a proxy noting the ids every detail request asked for
    (`proxy.detailed`), how many users discovery pages showed (`proxy.discovered`) and which
    pages they were (`proxy.pages`: query and `after`)."""
    detailed: list[str] = []
    discovered: list[int] = []
    pages: list[tuple[str, str | None]] = []

    def note(exchange):
        variables = (exchange.json_request() or {}).get("variables") or {}
        if "ids" in variables:
            detailed.extend(variables["ids"])
        elif "first" in variables and exchange.response_body:
            answer = json.loads(exchange.response_body)
            discovered.append(len(answer["data"]["search"]["nodes"]))
            pages.append((variables["q"], variables.get("after")))

    rule = Rule("note", graphql_any, note, times=None)
    with FaultProxy(upstream.base_url, [rule]) as proxy:
        proxy.detailed, proxy.discovered, proxy.pages = detailed, discovered, pages
        yield proxy


def crawl(url, sandbox, tmp_path, *extra, env=None):
    result = scout(
        url,
        "crawl",
        "github",
        "--region",
        "india",
        *extra,
        api=sandbox.github_url,
        tmp=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result


def sql(url, statement, **params):
    engine = create_engine(url)
    with engine.begin() as conn:
        rows = conn.execute(text(statement), params)
        out = rows.all() if rows.returns_rows else None
    engine.dispose()
    return out


def test_details_are_paid_once_and_a_second_crawl_pays_only_for_the_changed(
    world, sandbox, tmp_path
):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    first = crawl(url, sandbox, tmp_path)
    ids = {e for e, _ in stored(url)}
    assert ids == people(world, *INDIA)
    # Users under two terms (e.g. "Bengaluru, India") were shown twice, detailed once.
    assert sum(sandbox.discovered) > len(ids)
    assert len(sandbox.detailed) == len(set(sandbox.detailed)) == len(ids)
    _, stats, _ = last_run(url)
    assert (stats["new"], stats["changed"], stats["unchanged"]) == (len(ids), 0, 0)
    assert stats["detail_requests"] > 0 and stats["discovery_pages"] > 0
    assert f"{len(ids):,} new, 0 changed, 0 unchanged" in first.stdout

    # What a refresh leaves: ETags, and repositories a crawl would not have written.
    changed = sorted(ids)[0]
    sql(url, "UPDATE profiles SET etag = 'W/\"e-' || external_id || '\"'")
    # An older stored version of one user: GitHub's updatedAt is later, and its content differs.
    sql(
        url,
        "UPDATE profiles SET updated_at = '2010-01-01 00:00:00.000000', "
        "content_sha = 'older' WHERE external_id = :e",
        e=changed,
    )
    sql(
        url,
        "INSERT INTO repositories (profile_id, name, topics, stars, forks, is_fork) "
        "SELECT id, 'kept-by-refresh', '[]', 0, 0, 0 FROM profiles",
    )
    before = dict(sql(url, "SELECT external_id, last_seen FROM profiles"))
    sandbox.detailed.clear()
    crawl(url, sandbox, tmp_path)  # not --resume: every window walked again
    _, stats, _ = last_run(url)
    assert sandbox.detailed and len(sandbox.detailed) == 1  # only the changed user
    assert (stats["new"], stats["changed"], stats["unchanged"]) == (0, 1, len(ids) - 1)
    assert stats["profiles_stored"] == 1
    etags = dict(sql(url, "SELECT external_id, etag FROM profiles"))
    assert etags[changed] is None  # the account changed since its ETag
    assert all(etags[e] == f'W/"e-{e}"' for e in ids - {changed})
    kept_by_refresh = (
        "SELECT p.external_id FROM repositories r JOIN profiles p ON p.id = r.profile_id "
        "WHERE r.name = 'kept-by-refresh'"
    )
    kept = {e for (e,) in sql(url, kept_by_refresh)}
    assert kept == ids - {changed}  # the changed user's repositories were replaced
    after = dict(sql(url, "SELECT external_id, last_seen FROM profiles"))
    assert all(after[e] > before[e] for e in ids)  # everyone was seen


def test_budget_stops_cleanly_and_the_next_runs_continue_losing_and_repeating_nothing(
    world, sandbox, tmp_path
):
    url = f"sqlite:///{tmp_path / 'b.db'}"
    budget, runs = 25, 0
    while True:
        runs += 1
        assert runs < 60, "the crawl does not progress under --budget"
        result = crawl(url, sandbox, tmp_path, "--budget", str(budget), "--resume")
        status, stats, errors = last_run(url)
        assert status == "ok" and errors == 0
        assert stats["quota_spent"] <= budget
        if "budget reached" not in result.stdout:
            break
    assert runs > 2
    ids = [e for e, _ in stored(url)]
    assert len(ids) == len(set(ids)) and set(ids) == people(world, *INDIA)
    # No user was detailed twice over all the runs (a page asked again finds them stored).
    assert len(sandbox.detailed) == len(set(sandbox.detailed)) == len(ids)


def test_a_rewalk_of_an_unchanged_region_pays_discovery_pages_only(world, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    crawl(url, sandbox, tmp_path, "--resume")
    _, walk, _ = last_run(url)
    ids = {e for e, _ in stored(url)}
    crawl(url, sandbox, tmp_path, "--resume")  # walked today: nothing is asked again
    _, fresh, _ = last_run(url)
    assert (fresh["requests"], fresh["windows_rewalked"]) == (0, 0)

    sandbox.detailed.clear()
    before = dict(sql(url, "SELECT external_id, last_seen FROM profiles"))
    crawl(url, sandbox, tmp_path, "--resume", "--rewalk-days", "0")
    _, again, _ = last_run(url)
    assert again["windows_rewalked"] > 0 and again["errors"] == 0
    assert sandbox.detailed == [] and again["detail_requests"] == 0
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, len(ids))
    # Each window walked again: its pages, as many as the first walk, and its count, asked
    # with the other windows' (one point per COUNT_BATCH windows, not one a window).
    assert again["discovery_pages"] == walk["discovery_pages"]
    assert again["windows_counted"] == again["windows_rewalked"]
    points = math.ceil(again["windows_rewalked"] / COUNT_BATCH)
    assert again["count_points"] == points < again["windows_rewalked"]
    assert again["quota_spent"] == again["discovery_pages"] + points
    after = dict(sql(url, "SELECT external_id, last_seen FROM profiles"))
    assert all(after[e] > before[e] for e in ids)  # everyone seen again


def test_a_rewalk_stopped_by_budget_continues_where_it_stopped(world, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'i.db'}"
    crawl(url, sandbox, tmp_path, "--resume")
    ids = {e for e, _ in stored(url)}
    # The next day, with --rewalk-days 1: every window is due; --budget cuts the walk short.
    tomorrow = {"SCOUT_NOW": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    sandbox.pages.clear()
    sandbox.detailed.clear()
    before = dict(sql(url, "SELECT external_id, last_seen FROM profiles"))
    runs = 0
    while True:
        runs += 1
        assert runs < 30, "the re-walk does not progress under --budget"
        result = crawl(
            url, sandbox, tmp_path, "--resume", "--rewalk-days", "1", "--budget", "10", env=tomorrow
        )
        status, stats, errors = last_run(url)
        assert status == "ok" and errors == 0 and stats["quota_spent"] <= 10
        if "budget reached" not in result.stdout:
            break
    assert runs > 2
    # Continued, never started over: no page asked twice, no details, everyone seen again.
    assert sandbox.pages and len(sandbox.pages) == len(set(sandbox.pages))
    assert sandbox.detailed == []
    after = dict(sql(url, "SELECT external_id, last_seen FROM profiles"))
    assert {e for e, _ in stored(url)} == ids and all(after[e] > before[e] for e in ids)
    crawl(url, sandbox, tmp_path, "--resume", "--rewalk-days", "1", env=tomorrow)
    _, done, _ = last_run(url)
    assert (done["requests"], done["windows_rewalked"]) == (0, 0)  # walked that day
