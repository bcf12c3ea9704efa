"""The search spider's response handling, without a reactor: GraphQL errors, splitting, paging."""

from __future__ import annotations

import json
from datetime import date

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.http import Request, TextResponse

from crawlers.github.governor import RateGovernor
from crawlers.github.query import SearchPlan, Window
from crawlers.github.spider import GitHubSearchSpider
from crawlers.pipelines import PageItem


class FakeEngine:
    pass


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
    committed = []
    monkeypatch.setattr(s, "_commit_cursor", lambda w, c: committed.append((w, c)))
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
        list(spider.on_count(response(payload, {"window": WINDOW})))
    assert spider.fatal == "GitHub GraphQL error: Field 'bogus' doesn't exist on type 'User'"


def test_rate_limited_graphql_answers_are_sent_again(spider):
    payload = {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}
    out = list(spider.on_page(response(payload, {"window": WINDOW, "cursor": {}})))
    assert len(out) == 1 and isinstance(out[0], Request) and spider.fatal is None


def test_a_window_over_the_cap_is_split_and_remembered(spider):
    payload = {
        "data": {
            "search": {"userCount": 1500},
            "rateLimit": {"remaining": 4000, "resetAt": "2030-01-01T00:00:00Z"},
        }
    }
    out = list(spider.on_count(response(payload, {"window": WINDOW})))
    assert [r.meta["window"] for r in out] == list(WINDOW.halves())
    assert spider.committed == [(WINDOW, {"split": True, "count": 1500, "done": True})]
    assert spider.governor.snapshot("graphql").remaining == 4000


def test_a_page_yields_an_item_with_its_cursor_then_the_next_page(spider):
    nodes = [{"__typename": "User", "databaseId": i, "login": f"u{i}"} for i in range(3)]
    payload = {
        "data": {
            "search": {
                "userCount": 5,
                "nodes": nodes,
                "pageInfo": {"endCursor": "c3", "hasNextPage": True},
            }
        }
    }
    out = list(
        spider.on_page(response(payload, {"window": WINDOW, "cursor": {"after": None, "count": 5}}))
    )
    item, nxt = out
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
