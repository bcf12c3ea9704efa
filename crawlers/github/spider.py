"""Bulk discovery: a Scrapy spider over GitHub GraphQL user search.

Each window of the plan is first sized with a one-point count query; a window holding more
than the 1,000 results search will return is split in two by `created:` date, recursively.
A window that fits is paged 100 users at a time with their top repositories and topics, so one
rate-limit point describes about five people. Every page is committed with its cursor (see
crawlers/pipelines.py), which is what `--resume` continues from.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from sqlalchemy import Engine
from twisted.python.failure import Failure

from crawlers.github import parse
from crawlers.github.governor import GRAPHQL, RateGovernor
from crawlers.github.query import (
    COUNT_QUERY,
    PAGE_QUERY,
    PAGE_SIZE,
    SEARCH_CAP,
    SearchPlan,
    Window,
    page_cost,
)
from crawlers.pipelines import PageItem, SourceRules
from storage.db import session_scope
from storage.state import set_cursor

log = logging.getLogger(__name__)

STREAM = "search"


def github_rules(exclude: tuple[str, ...] = ()) -> SourceRules:
    """How GitHub search nodes are keyed, suppressed, parsed and filtered."""
    return SourceRules(
        source=parse.SOURCE,
        endpoint="graphql:search",
        key_of=lambda node: str(node.get("login", "")).lower(),
        suppress_keys=lambda node: (node.get("login"), parse.external_id(node)),
        why_dropped=parse.classify,
        parse=lambda node, seen_at: parse.parse_user(node, seen_at),
        location_excluded=lambda location: parse.location_excluded(location, exclude),
    )


class _RetryLater(Exception):
    """GraphQL said RATE_LIMITED: send the same request again once the governor allows."""


class GitHubSearchSpider(scrapy.Spider):
    name = "github_search"
    source = parse.SOURCE

    def __init__(
        self,
        *,
        plan: SearchPlan,
        engine: Engine,
        graphql_url: str,
        token: str | None,
        governor: RateGovernor,
        run_id: int | None,
        cursors: dict[str, Any],
        max_users: int | None = None,
        on_progress: Callable[[GitHubSearchSpider], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self.engine = engine
        self.graphql_url = graphql_url
        self.token = token
        self.governor = governor
        self.run_id = run_id
        self.cursors = cursors
        self.max_users = max_users
        self.progress = on_progress
        self.rules = github_rules(plan.exclude)
        self.run_stats: Counter[str] = Counter()
        self.seen_ids: set[str] = set()
        self.fatal: str | None = None
        self.wait_s = 0.0
        self.truncated: list[str] = []

    # -- requests -----------------------------------------------------------------------------
    def _post(
        self, query: str, variables: dict[str, Any], cost: int, **meta: Any
    ) -> scrapy.Request:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"bearer {self.token}"
        callback = self.on_count if meta.get("kind") == "count" else self.on_page
        return scrapy.Request(
            self.graphql_url,
            method="POST",
            body=json.dumps({"query": query, "variables": variables}),
            headers=headers,
            callback=callback,
            errback=self.on_error,
            dont_filter=True,
            meta={"resource": GRAPHQL, "cost": cost, "handle_httpstatus_all": True, **meta},
        )

    def count_request(self, window: Window) -> scrapy.Request:
        return self._post(COUNT_QUERY, {"q": window.query}, 1, kind="count", window=window)

    def page_request(self, window: Window, cursor: dict[str, Any]) -> scrapy.Request:
        first = PAGE_SIZE
        total = cursor.get("count")
        if isinstance(total, int) and total > 0:
            # The last page asks only for what is left: a smaller `first` costs fewer points.
            first = max(1, min(PAGE_SIZE, total - int(cursor.get("fetched", 0))))
        if self.max_users:
            first = max(1, min(first, self.max_users - self.run_stats["profiles_stored"]))
        variables = {"q": window.query, "first": first, "after": cursor.get("after")}
        return self._post(
            PAGE_QUERY, variables, page_cost(first), kind="page", window=window, cursor=cursor
        )

    async def start(self) -> AsyncIterator[Any]:
        for root in self.plan.roots():
            for request in self.window_requests(root):
                yield request

    def window_requests(self, window: Window) -> Iterator[scrapy.Request]:
        """What a window needs next, given what earlier runs committed (empty when done)."""
        cursor = self.cursors.get(window.partition)
        if not isinstance(cursor, dict):
            yield self.count_request(window)
        elif cursor.get("split"):
            for half in window.halves():
                yield from self.window_requests(half)
        elif not cursor.get("done"):
            yield self.page_request(window, cursor)

    def _enough(self) -> bool:
        return bool(self.max_users) and self.run_stats["profiles_stored"] >= (self.max_users or 0)

    # -- responses ----------------------------------------------------------------------------
    def _payload(self, response: Response) -> dict[str, Any] | None:
        """The JSON body; None after counting the page as skipped; raises on fatal errors.

        A GraphQL RATE_LIMITED answer raises _RetryLater: the request goes again after reset.
        """
        meta = response.meta
        if response.status == 401:
            self.fatal = (
                "GitHub rejected the token (401 Bad credentials): check GITHUB_TOKEN "
                "or unset it to crawl at the anonymous limit"
            )
            raise CloseSpider("bad_credentials")
        failure = meta.get("failure")
        if failure or response.status != 200:
            self._skip(meta["window"], failure or f"HTTP {response.status}")
            return None
        payload = meta.get("json")
        if payload is None:
            try:
                payload = json.loads(response.body)
            except ValueError:
                self._skip(meta["window"], "body is not JSON")
                return None
        if not isinstance(payload, dict):
            self._skip(meta["window"], "unexpected JSON")
            return None
        self.governor.observe_graphql((payload.get("data") or {}).get("rateLimit"))
        errors = payload.get("errors") or []
        if errors and not (payload.get("data") or {}).get("search"):
            messages = "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict))
            if any(isinstance(e, dict) and e.get("type") == "RATE_LIMITED" for e in errors):
                self.governor.observe_exhausted(GRAPHQL, None)
                raise _RetryLater
            self.fatal = f"GitHub GraphQL error: {messages or errors}"
            raise CloseSpider("graphql_error")
        return payload

    def _skip(self, window: Window, reason: str) -> None:
        self.run_stats["errors"] += 1
        self.run_stats["pages_skipped"] += 1
        log.warning("skipped a page of %r: %s", window.query, reason)

    def _rate_limited_retry(self, response: Response) -> scrapy.Request:
        retry = response.request.replace(dont_filter=True)  # type: ignore[union-attr]
        retry.meta.pop("json", None)
        return retry

    def on_count(self, response: Response) -> Iterator[Any]:
        try:
            payload = self._payload(response)
        except _RetryLater:
            yield self._rate_limited_retry(response)
            return
        if payload is None:
            return
        window: Window = response.meta["window"]
        count = int(((payload.get("data") or {}).get("search") or {}).get("userCount") or 0)
        if count > SEARCH_CAP and window.can_split():
            cursor: dict[str, Any] = {"split": True, "count": count, "done": True}
            self._commit_cursor(window, cursor)
            for half in window.halves():
                yield self.count_request(half)
            return
        if count > SEARCH_CAP:
            # One day holds more than search will show: take the first 1,000 and say so.
            self.truncated.append(window.query)
            self.run_stats["windows_truncated"] += 1
            log.warning(
                "%r holds %d accounts; search shows only %d", window.query, count, SEARCH_CAP
            )
        if count == 0:
            self._commit_cursor(window, {"after": None, "count": 0, "fetched": 0, "done": True})
            return
        if not self._enough():
            yield self.page_request(window, {"after": None, "count": min(count, SEARCH_CAP)})

    def on_page(self, response: Response) -> Iterator[Any]:
        try:
            payload = self._payload(response)
        except _RetryLater:
            yield self._rate_limited_retry(response)
            return
        if payload is None:
            return
        window: Window = response.meta["window"]
        previous: dict[str, Any] = response.meta["cursor"]
        search = (payload.get("data") or {}).get("search") or {}
        nodes = parse.search_nodes(payload)
        info = search.get("pageInfo") or {}
        has_next = bool(info.get("hasNextPage")) and bool(nodes)
        cursor = {
            "after": info.get("endCursor") or previous.get("after"),
            "count": previous.get("count"),
            "fetched": int(previous.get("fetched", 0)) + len(nodes),
            "done": not has_next,
        }
        yield PageItem(
            rules=self.rules,
            stream=STREAM,
            partition=window.partition,
            cursor=cursor,
            fetched_at=datetime.now(UTC),
            records=nodes,
        )
        if has_next and not self._enough():
            yield self.page_request(window, cursor)

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        window = request.meta.get("window") if request is not None else None
        self._skip(
            window or Window("?", self.plan.created_from, self.plan.created_to),
            failure.getErrorMessage() or type(failure.value).__name__,
        )

    def _commit_cursor(self, window: Window, cursor: dict[str, Any]) -> None:
        with session_scope(self.engine) as session:
            set_cursor(session, self.source, STREAM, window.partition, cursor)

    def on_page_stored(self, item: PageItem) -> None:
        if self.progress is not None:
            self.progress(self)

    def on_wait(self, seconds: float) -> None:
        self.wait_s = seconds
        if self.progress is not None:
            self.progress(self)
