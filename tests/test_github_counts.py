"""Windows counted in batches (crawlers/github/counts.py): one aliased query of one point for
the windows due at one moment, each window's count read on its own, a failed alias leaving only
its window, and --budget reserving what a batch costs."""

from __future__ import annotations

import asyncio
import json
import math
from datetime import date

import pytest
from fault_proxy import FaultProxy, Rule
from fault_rules import graphql_any
from test_github_crawl import last_run, people, scout, stored
from test_github_spider import FakeEngine, NothingStored, response

from crawlers.github.counts import batches, count_key, read_counts
from crawlers.github.detail import Budget
from crawlers.github.governor import RateGovernor
from crawlers.github.query import COUNT_BATCH, SearchPlan, Window, count_query
from crawlers.github.spider import GitHubSearchSpider
from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer

TERMS = tuple(f"City{i}" for i in range(COUNT_BATCH + 7))


def windows(n):
    return [
        Window(f"location:City{i} type:user", date(2010, 1, 1), date(2010, 12, 31))
        for i in range(n)
    ]


def answer(*values, errors=None):
    """A count batch's answer: window i's userCount as alias c{i} (None: the alias is null)."""
    data = {f"c{i}": None if v is None else {"userCount": v} for i, v in enumerate(values)}
    return {"data": data, **({"errors": errors} if errors else {})}


@pytest.fixture
def spider(monkeypatch):
    s = GitHubSearchSpider(
        plan=SearchPlan(locations=TERMS, created_to=date(2026, 5, 20)),
        engine=FakeEngine(),
        graphql_url="http://gh.test/graphql",
        token="t",
        run_id=None,
        governor=RateGovernor(),
        cursors={},
    )
    s.lookup = NothingStored()
    s.committed = []
    monkeypatch.setattr(
        s,
        "_commit_cursor",
        lambda w, c, also=None: s.committed.extend((x, c) for x in (w, *(also or ()))),
    )
    return s


def start(spider):
    async def collect():
        return [r async for r in spider.start()]

    return asyncio.run(collect())


# -- reading an answer -------------------------------------------------------------------------


def test_each_alias_is_read_on_its_own():
    counts, partial = read_counts(answer(0, 1500, None, "7"), 4)
    assert counts == {0: 0, 1: 1500, 3: 0} and partial == {2: "search is null"}


def test_an_error_naming_an_alias_leaves_only_that_window():
    errors = [{"type": "SERVICE_UNAVAILABLE", "message": "Search timed out", "path": ["c1"]}]
    counts, partial = read_counts(answer(3, None, 5, errors=errors), 3)
    assert counts == {0: 3, 2: 5} and list(partial) == [1] and "timed out" in partial[1]


def test_an_error_naming_no_alias_leaves_every_window_of_the_batch():
    counts, partial = read_counts(answer(3, 4, errors=[{"message": "Something went wrong"}]), 2)
    assert counts == {} and set(partial) == {0, 1}


def test_batches_hold_each_window_once_and_at_most_count_batch():
    ws = windows(COUNT_BATCH + 7)
    got = list(batches([*ws, ws[0]]))
    assert [len(b) for b in got] == [COUNT_BATCH, 7] and [w for b in got for w in b] == ws
    assert count_key(got[0]) != count_key(got[1]) and count_key(got[0]) == count_key(list(got[0]))


# -- asking ------------------------------------------------------------------------------------


def test_the_windows_due_at_the_start_are_counted_together_one_point_a_batch(spider):
    requests = start(spider)
    assert [r.meta["kind"] for r in requests] == ["count", "count"]
    assert [len(r.meta["windows"]) for r in requests] == [COUNT_BATCH, len(TERMS) - COUNT_BATCH]
    assert all(r.meta["cost"] == r.meta["reserve"] == 1 for r in requests)
    body = json.loads(requests[0].body)
    assert body["query"] == count_query(COUNT_BATCH)
    assert body["variables"]["q0"] == requests[0].meta["windows"][0].query


def test_the_budget_reserves_what_a_batch_costs_and_stops_at_the_next(spider):
    spider.budget = Budget(1)
    (request,) = start(spider)  # the second batch would pass --budget 1
    assert len(request.meta["windows"]) == COUNT_BATCH and spider.budget.reached
    assert spider.budget.reserved == {request.meta["key"]: 1}
    # The answer frees the batch's point; each window then reserves its own pages.
    list(spider.on_count(response(answer(*[0] * COUNT_BATCH), request.meta)))
    assert spider.budget.reserved == {}
    assert len(spider.committed) == COUNT_BATCH  # every window empty: done


def test_counted_windows_go_on_and_a_failed_alias_is_asked_again_alone(spider):
    ws = windows(3)
    errors = [{"type": "SERVICE_UNAVAILABLE", "message": "Search timed out", "path": ["c1"]}]
    meta = {"windows": ws, "key": count_key(ws)}
    out = list(spider.on_count(response(answer(0, None, 1500, errors=errors), meta)))
    # Window 0 is done (empty); window 1 alone is asked again, after a pause; window 2 is
    # split and its halves counted together (windows due are asked when the answer is read).
    assert [w for w, c in spider.committed if c.get("done") and not c.get("split")] == [ws[0]]
    assert next(w for w, c in spider.committed if c.get("split")) == ws[2]
    retry, halves = out
    assert halves.meta["windows"] == ws[2].halves() and "partial_retries" not in halves.meta
    assert retry.meta["windows"] == [ws[1]] and retry.meta["partial_retries"] == 1
    assert retry.meta["retry_delay"] > 0 and spider.run_stats["retries"] == 1
    # Still failing after the retries: only that window is skipped (no cursor: --resume).
    meta = retry.meta
    for _ in range(2):
        (retry,) = spider.on_count(response(answer(None, errors=[{"path": ["c0"]}]), meta))
        meta = retry.meta
    assert list(spider.on_count(response(answer(None, errors=[{"path": ["c0"]}]), meta))) == []
    assert spider.run_stats["errors"] == 1 and ws[1] not in {w for w, _ in spider.committed}
    assert spider.run_stats["windows_counted"] == 2


def test_a_failed_batch_skips_each_of_its_windows(spider):
    ws = windows(3)
    meta = {"windows": ws, "key": count_key(ws), "failure": "HTTP 502"}
    assert list(spider.on_count(response({}, meta, status=502))) == []
    assert spider.run_stats["errors"] == spider.run_stats["pages_skipped"] == 3


# -- a crawl against the sandbox ---------------------------------------------------------------

INDIA = (["India", "Bengaluru", "Bangalore"], ["Indiana"])


@pytest.fixture(scope="module")
def upstream(worlds):
    with SandboxServer(worlds(7, 2000), SandboxOptions(rate_limit=1_000_000)) as server:
        yield server


def crawl(url, api, tmp_path, until, *extra):
    result = scout(
        url,
        "crawl",
        "github",
        "--region",
        "india",
        "--created-until",
        until,
        *extra,
        api=api,
        tmp=tmp_path,
    )
    assert result.returncode in (0, 3), result.stderr
    return last_run(url)


def created_by(world, until, include, exclude=INDIA[1]):
    ids = people(world, include, exclude)
    end = date.fromisoformat(until)
    return {
        str(a.id) for a in world.github.values() if str(a.id) in ids and a.created_at.date() <= end
    }


def is_count(exchange):
    """A count batch (a page asks for its search's userCount too, unaliased)."""
    return graphql_any(exchange) and "c0: search(" in str(
        (exchange.json_request() or {}).get("query")
    )


def fail_alias(term):
    """Every count query's alias for a window of location `term` answers null with an error
    naming it (a search GitHub timed out); the other aliases answer as usual."""

    def action(exchange):
        variables = exchange.json_request()["variables"]
        body = json.loads(exchange.response_body)
        for name, query in variables.items():
            if f"location:{term} " in query:
                alias = "c" + name[1:]
                body["data"][alias] = None
                error = {
                    "type": "SERVICE_UNAVAILABLE",
                    "message": "Search timed out",
                    "path": [alias],
                }
                body.setdefault("errors", []).append(error)
        exchange.response_body = json.dumps(body).encode()

    return Rule("fail_alias", is_count, action, times=None)


def test_nights_pay_a_point_a_batch_and_a_failed_alias_waits_alone(upstream, worlds, tmp_path):
    world, url = worlds(7, 2000), f"sqlite:///{tmp_path / 'n.db'}"
    # Night 1: every count of a Bengaluru window fails (after its retries, alone).
    rule = fail_alias("Bengaluru")
    with FaultProxy(upstream.base_url, [rule]) as proxy:
        status, first, _ = crawl(url, proxy.github_url, tmp_path, "2026-05-20")
    assert rule.fired >= 4 and status == "partial"
    assert first["errors"] == 1 and first["retries"] >= 3  # the Bengaluru root, never counted
    others = created_by(world, "2026-05-20", ["India", "Bangalore"])
    assert {e for e, _ in stored(url)} == others  # every other window done
    assert created_by(world, "2026-05-20", INDIA[0]) - others  # people only Bengaluru finds

    # Night 2: the Bengaluru tree and each term's new day, counted together.
    counted = []

    def note(exchange):
        if is_count(exchange):
            counted.append(list(exchange.json_request()["variables"].values()))
        return False

    with FaultProxy(upstream.base_url, [Rule("note", note, lambda e: None)]) as proxy:
        status, night, _ = crawl(url, proxy.github_url, tmp_path, "2026-05-21", "--resume")
    assert status == "ok" and night["errors"] == 0
    assert {e for e, _ in stored(url)} == created_by(world, "2026-05-21", INDIA[0])
    first_batch = counted[0]
    assert any("location:Bengaluru " in q for q in first_batch)
    assert any("location:India " in q and "2026-05-21" in q for q in first_batch)
    assert night["count_points"] == len(counted) < night["windows_counted"]

    # The weekly re-walk night: every window is counted again, COUNT_BATCH a point.
    _, rewalk, _ = crawl(
        url, upstream.github_url, tmp_path, "2026-05-22", "--resume", "--rewalk-days", "0"
    )
    assert rewalk["windows_counted"] == rewalk["windows_rewalked"] >= len(INDIA[0])
    assert rewalk["count_points"] == math.ceil(rewalk["windows_counted"] / COUNT_BATCH) == 1
    assert rewalk["quota_spent"] == rewalk["count_points"] + rewalk["discovery_pages"]
