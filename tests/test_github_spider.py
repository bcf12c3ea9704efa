"""The search spider's response handling, without a reactor: GraphQL errors, splitting, paging."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.http import Request, TextResponse

from crawlers.github.governor import RateGovernor
from crawlers.github.query import SearchPlan, Window
from crawlers.github.spider import GitHubSearchSpider
from crawlers.page_item import PageItem


class FakeEngine:
    pass


class NothingStored:
    """The database as the spider's detail pass reads it: no account stored yet."""

    def versions(self, ids):
        return {}

    def suppressed(self, node):
        return False


def user(i):
    """A discovery node (what the search page asks of each user)."""
    return {
        "__typename": "User",
        "databaseId": i,
        "id": f"U_{i}",
        "login": f"u{i}",
        "updatedAt": "2024-01-01T00:00:00Z",
    }


def settle(spider, outputs):
    """Answer the detail requests among `outputs` (every id known), as the sandbox would."""
    done, pending = [], [iter(outputs)]
    while pending:
        out = next(pending[-1], None)
        if out is None:
            pending.pop()
        elif isinstance(out, Request) and out.meta.get("kind") == "detail":
            ids = json.loads(out.body)["variables"]["ids"]
            nodes = [{**user(int(i[2:])), "name": "N"} for i in ids]
            pending.append(iter(spider.on_detail(response({"data": {"nodes": nodes}}, out.meta))))
        else:
            done.append(out)
    return done


@pytest.fixture
def spider(monkeypatch):
    s = GitHubSearchSpider(
        plan=SearchPlan(locations=("Kyiv",)),
        engine=FakeEngine(),
        graphql_url="http://gh.test/graphql",
        token="t",
        run_id=None,
        governor=RateGovernor(),
        cursors={},
    )
    s.lookup = NothingStored()
    committed = []
    monkeypatch.setattr(
        s,
        "_commit_cursor",
        lambda w, c, also=None: committed.extend((x, c) for x in (w, *(also or ()))),
    )
    s.committed = committed
    return s


def response(payload, meta, status=200):
    request = Request("http://gh.test/graphql", method="POST", meta=meta)
    return TextResponse(
        "http://gh.test/graphql",
        status=status,
        request=request,
        body=json.dumps(payload).encode(),
        encoding="utf-8",
    )


WINDOW = Window("location:Kyiv type:user", date(2010, 1, 1), date(2010, 12, 31))


def counts(*values, **extra):
    """A count batch's answer: window i's userCount under alias c{i} (None: a null alias)."""
    data = {f"c{i}": None if v is None else {"userCount": v} for i, v in enumerate(values)}
    return {"data": {**data, **extra}}


def counted(requests):
    """The windows the count batches among `requests` ask for, in order."""
    return [w for r in requests if r.meta.get("kind") == "count" for w in r.meta["windows"]]


def test_graphql_error_objects_end_the_crawl_with_their_message(spider):
    payload = {
        "errors": [
            {
                "message": "Field 'bogus' doesn't exist on type 'User'",
                "locations": [{"line": 3, "column": 5}],
            }
        ]
    }
    with pytest.raises(CloseSpider):
        list(spider.on_count(response(payload, {"windows": [WINDOW]})))
    assert spider.fatal == "GitHub GraphQL error: Field 'bogus' doesn't exist on type 'User'"


def test_rate_limited_graphql_answers_are_sent_again(spider):
    payload = {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}
    out = list(spider.on_page(response(payload, {"window": WINDOW, "cursor": {}})))
    assert len(out) == 1 and isinstance(out[0], Request) and spider.fatal is None


def test_a_window_over_the_cap_is_split_and_remembered(spider):
    rate = {"remaining": 4000, "resetAt": "2030-01-01T00:00:00Z"}
    out = list(spider.on_count(response(counts(1500, rateLimit=rate), {"windows": [WINDOW]})))
    # Both halves are counted together, in one query of one point.
    (batch,) = out
    assert batch.meta["windows"] == WINDOW.halves() and batch.meta["cost"] == 1
    assert json.loads(batch.body)["variables"] == {
        f"q{i}": w.query for i, w in enumerate(WINDOW.halves())
    }
    assert spider.committed == [(WINDOW, {"split": True, "count": 1500, "done": True})]
    assert spider.governor.snapshot("graphql").remaining == 4000


def test_a_page_yields_an_item_with_its_cursor_then_the_next_page(spider):
    nodes = [user(i) for i in range(3)]
    payload = {
        "data": {
            "search": {
                "userCount": 5,
                "nodes": nodes,
                "pageInfo": {"endCursor": "c3", "hasNextPage": True},
            }
        }
    }
    meta = {"window": WINDOW, "cursor": {"after": None, "count": 5}}
    item, nxt = settle(spider, spider.on_page(response(payload, meta)))
    assert isinstance(item, PageItem) and item.partition == WINDOW.partition
    assert item.cursor == {"after": "c3", "count": 5, "fetched": 3, "done": False}
    assert json.loads(nxt.body)["variables"] == {"q": WINDOW.query, "first": 2, "after": "c3"}


def test_resume_skips_done_windows_and_continues_split_ones(spider):
    left, right = WINDOW.halves()
    spider.cursors = {
        WINDOW.partition: {"split": True, "done": True},
        left.partition: {"done": True},
        right.partition: {"after": "c9", "count": 700, "fetched": 84},
    }
    (request,) = spider.window_requests(WINDOW)
    assert json.loads(request.body)["variables"]["after"] == "c9"


def page_payload(nodes, errors=None, cost=18):
    payload = {
        "data": {
            "rateLimit": {"cost": cost, "remaining": 4000, "resetAt": "2030-01-01T00:00:00Z"},
            "search": {
                "userCount": 200,
                "nodes": nodes,
                "pageInfo": {"endCursor": "c84", "hasNextPage": True},
            },
        }
    }
    if errors:
        payload["errors"] = errors
    return payload


NODES = [user(i) for i in range(84)]
TIMEOUT = [{"message": "Something went wrong", "path": ["search", "nodes", 3]}]
PREVIOUS = {"after": "c0", "count": 200, "fetched": 84}


def partial_answers():
    with_nulls = [None if i % 4 == 0 else n for i, n in enumerate(NODES)]
    null_search = page_payload(NODES)
    null_search["data"]["search"] = None
    return [
        page_payload(with_nulls, TIMEOUT),  # errors beside data, 21 null nodes
        page_payload(with_nulls),  # null nodes without an error object
        page_payload(NODES, TIMEOUT),  # an error beside a whole-looking page
        null_search,
    ]


@pytest.mark.parametrize("payload", partial_answers())
def test_a_partial_answer_is_asked_again_with_backoff_then_never_taken_for_done(spider, payload):
    meta = {"window": WINDOW, "cursor": PREVIOUS, "cost": 18}
    delays = []
    for attempt in range(3):
        (retry,) = spider.on_page(response(payload, meta))
        assert isinstance(retry, Request) and retry.meta["partial_retries"] == attempt + 1
        delays.append(retry.meta["retry_delay"])
        meta = retry.meta
    assert delays == sorted(delays) and delays[0] > 0
    out = settle(spider, spider.on_page(response(payload, meta)))
    (item,) = out  # the good nodes are stored, and no request for the page after
    assert isinstance(item, PageItem)
    assert item.cursor == {"after": "c0", "count": 200, "fetched": 84, "done": False}
    assert all(isinstance(n, dict) for n in item.records)
    assert spider.run_stats["errors"] == 1 and spider.run_stats["retries"] == 3


def test_a_partial_count_is_retried_then_skipped_without_a_cursor(spider):
    payload = counts(None)
    payload["errors"] = [{"message": "timeout", "path": ["c0"]}]
    meta = {"windows": [WINDOW]}
    for _ in range(3):
        (retry,) = spider.on_count(response(payload, meta))
        meta = retry.meta
    assert list(spider.on_count(response(payload, meta))) == []
    assert spider.committed == [] and spider.run_stats["errors"] == 1  # --resume counts again


def test_quota_spent_is_the_answers_cost_or_else_the_estimate(spider):
    meta = {"window": WINDOW, "cursor": PREVIOUS, "cost": 18}
    list(spider.on_page(response(page_payload(NODES, cost=7), meta)))
    no_rate = page_payload(NODES)
    del no_rate["data"]["rateLimit"]
    list(spider.on_page(response(no_rate, meta)))
    assert spider.run_stats["quota_spent"] == 7 + 18


def test_401_without_a_token_says_search_needs_one_and_how_to_set_it(spider):
    spider.token = None
    with pytest.raises(CloseSpider):
        list(spider.on_count(response({"message": "Requires authentication"}, {}, status=401)))
    assert "needs" in spider.fatal and "GITHUB_TOKEN" in spider.fatal
    assert "rejected the token" not in spider.fatal and spider.fatal_exit == 2


def test_401_with_a_token_says_it_was_rejected(spider):
    with pytest.raises(CloseSpider):
        list(spider.on_count(response({"message": "Bad credentials"}, {}, status=401)))
    assert "rejected the token" in spider.fatal


def test_a_next_page_pointing_back_at_this_one_is_partial_not_an_endless_loop(spider):
    payload = page_payload(NODES)
    payload["data"]["search"]["pageInfo"]["endCursor"] = "c0"  # the cursor it was asked with
    meta = {"window": WINDOW, "cursor": PREVIOUS, "cost": 18}
    for _ in range(3):
        (retry,) = spider.on_page(response(payload, meta))
        meta = retry.meta
    (item,) = settle(spider, spider.on_page(response(payload, meta)))
    assert item.cursor["after"] == "c0" and item.cursor["done"] is False


@pytest.mark.parametrize(
    "payload",
    [
        {"data": [1, 2]},
        {"data": {"search": {"nodes": NODES, "pageInfo": "next"}}},
        {"data": {"search": {"nodes": NODES, "pageInfo": {"hasNextPage": True, "endCursor": 7}}}},
        [],
        {"unexpected": True},
    ],
)
def test_an_unreadable_answer_is_counted_as_skipped_never_lost_silently(spider, payload):
    meta = {"window": WINDOW, "cursor": PREVIOUS, "cost": 18, "partial_retries": 3}
    out = settle(spider, spider.on_page(response(payload, meta)))
    assert spider.run_stats["errors"] == 1
    assert all(isinstance(o, PageItem) and o.cursor["after"] == "c0" for o in out)


def test_a_later_open_end_asks_only_for_the_days_after_a_done_window():
    night1 = SearchPlan(locations=("Kyiv",), created_to=date(2026, 5, 20))
    night2 = SearchPlan(locations=("Kyiv",), created_to=date(2026, 5, 22))
    (root,) = night1.roots()
    done = {"after": "c", "count": 300, "fetched": 300, "done": True, "to": "2026-05-20"}
    s = GitHubSearchSpider(
        plan=night2,
        engine=FakeEngine(),
        graphql_url="http://gh.test/graphql",
        token="t",
        run_id=None,
        governor=RateGovernor(),
        cursors={root.partition: done},
    )
    requests = list(s.window_requests(night2.roots()[0]))
    asked = [r.meta["window"] for r in requests]
    assert requests and all(r.meta["kind"] == "count" for r in requests)
    # Exactly the two new days, in windows that start after the done one's last day.
    assert asked[0].lo == date(2026, 5, 21)
    assert sum((w.hi - w.lo).days + 1 for w in asked) == 2
    # A window the open end still cuts (the day was going on) is asked again from that day.
    s.cursors = {root.partition: {**done, "open": True}}
    asked = [r.meta["window"] for r in s.window_requests(night2.roots()[0])]
    assert asked[0].lo == date(2026, 5, 20) and sum((w.hi - w.lo).days + 1 for w in asked) == 3


def test_a_window_left_mid_way_continues_its_own_query_on_a_later_day(spider):
    root = SearchPlan(locations=("Kyiv",), created_to=date(2026, 5, 20)).roots()[0]
    later = SearchPlan(locations=("Kyiv",), created_to=date(2026, 5, 21)).roots()[0]
    assert later.partition == root.partition
    spider.cursors = {
        root.partition: {"after": "c84", "count": 300, "fetched": 84, "to": "2026-05-20"}
    }
    (request,) = spider.window_requests(later)
    assert json.loads(request.body)["variables"]["q"] == root.query
    assert json.loads(request.body)["variables"]["after"] == "c84"


def test_a_split_records_the_nodes_it_skipped_so_a_later_night_counts_only_new_days(spider):
    night1 = SearchPlan(locations=("Kyiv",), created_to=date(2026, 5, 20))
    (root,) = night1.roots()
    over = counts(5000)
    window, halves = root, []
    while window.can_split():  # every window on the right edge holds more than the cap
        out = list(spider.on_count(response(over, {"windows": [window]})))
        assert counted(out) == window.halves()
        halves.append(counted(out)[0])
        window = counted(out)[-1]
    halves.append(window)
    # Nodes that ended after the open end were skipped; each is recorded as split.
    split = {w.partition for w, c in spider.committed if c.get("split")}
    assert len(split) > len(halves) and not split & {w.partition for w in halves}
    # A night much later: the skipped nodes are now asked for, but as split, not counted.
    spider.cursors = {w.partition: c for w, c in spider.committed}
    for half in halves:
        spider.cursors[half.partition] = {
            "after": "c",
            "count": 900,
            "fetched": 900,
            "done": True,
            "to": "2026-05-20",
        }
    spider.plan = SearchPlan(locations=("Kyiv",), created_to=date(2026, 9, 1))
    asked = [r.meta["window"] for r in spider.window_requests(spider.plan.roots()[0])]
    assert asked and min(w.lo for w in asked) == date(2026, 5, 21)
    assert sum((w.hi - w.lo).days + 1 for w in asked) == (date(2026, 9, 1) - date(2026, 5, 20)).days


def test_a_day_still_going_on_is_not_asked_again_the_same_day(spider):
    today = datetime.now(UTC).date()
    for until in (today, today + timedelta(days=30)):
        spider.plan = SearchPlan(locations=("Kyiv",), created_to=until)
        (root,) = spider.plan.roots()
        done = {"after": "c", "count": 5, "fetched": 5, "done": True}
        spider.cursors = {root.partition: {**done, "to": until.isoformat(), "open": True}}
        assert list(spider.window_requests(root)) == []
