"""What the GitHub search spider asks next: its state, the count, page and detail requests,
the walk of the plan's windows from their cursors, --max-users and --budget.

The answers are read by GitHubSearchSpider (crawlers/github/spider.py), its subclass.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from typing import Any, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.http import Response
from sqlalchemy import Engine
from twisted.python.failure import Failure

from config.clock import utcnow
from crawlers.github import parse
from crawlers.github.counts import CountBatches
from crawlers.github.detail import Budget, Lookup, worst_cost
from crawlers.github.governor import GRAPHQL, RateGovernor
from crawlers.github.query import (
    DETAIL_QUERY,
    PAGE_QUERY,
    PAGE_SIZE,
    SearchPlan,
    Window,
    detail_cost,
    page_cost,
)
from crawlers.github.windows import STREAM, asked_until, beyond, covered_until, walk_is_stale
from crawlers.page_item import PageItem, SourceRules
from crawlers.page_store import storage_failure
from storage.db import session_scope
from storage.state import set_cursor

log = logging.getLogger(__name__)


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
        subject_of=parse.external_id,
    )


class SearchRequests(CountBatches, scrapy.Spider):
    """The search spider's state and requests; its answers are read by the subclass
    (crawlers/github/spider.py), through the callbacks declared here."""

    source = parse.SOURCE
    on_count: Callable[[Response], Iterator[Any]]
    on_page: Callable[[Response], Iterator[Any]]
    on_detail: Callable[[Response], Iterator[Any]]
    on_error: Callable[[Failure], Iterator[Any]]

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
        on_progress: Callable[[Any], None] | None = None,
        budget: int | None = None,
        rewalk_days: int | None = None,
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
        self.fatal_exit = 4  # a credential the user must fix exits 2
        self.storage_failure: str | None = None
        # Windows kept on a page with a quarantined record (crawlers/pipelines.py): this run
        # commits no later cursor for them and asks for no next page.
        self.held_partitions: set[str] = set()
        self.wait_s = 0.0
        self.truncated: list[str] = []
        # Users asked for by the page in flight of each window (with --max-users).
        self.reserved: dict[str, int] = {}
        # When this run began: a walk begun before it is walked again when it ends.
        self.began = utcnow()
        # GraphQL points (--budget), and the accounts a page of this run asked details for or
        # found unchanged: a user under two terms or windows is detailed once.
        self.budget = Budget(budget)
        self.claimed: set[str] = set()
        # Windows whose cursor stays on a page with failed details while later pages land.
        self.unsettled: set[str] = set()
        self.lookup = Lookup(engine)
        # --rewalk-days: a done window whose last walk is this many days old is walked again.
        self.rewalk_days = rewalk_days
        # With --max-users: windows whose next page had no room only because pages of other
        # windows were in flight; asked when the crawl goes idle if room is left then.
        self.deferred: dict[str, tuple[Window, dict[str, Any]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider: Self = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.ask_deferred, signal=signals.spider_idle)
        return spider

    def _post(
        self, query: str, variables: dict[str, Any], cost: int, reserve: int, **meta: Any
    ) -> scrapy.Request | None:
        """The request, or None when --budget cannot cover `reserve` (what this request and
        the rest of its window's chain may cost), reserved under `meta["key"]` (by default
        its window's partition)."""
        key: str = meta.get("key") or meta["window"].partition
        if not self.budget.take(key, reserve, self.run_stats["quota_spent"]):
            return None
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"bearer {self.token}"
        callback = {"count": self.on_count, "detail": self.on_detail}.get(
            meta.get("kind", ""), self.on_page
        )
        meta["reserve"] = reserve
        meta["key"] = key
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

    def page_request(self, window: Window, cursor: dict[str, Any]) -> Iterator[scrapy.Request]:
        if self.budget.reached:
            return
        first = PAGE_SIZE
        total = cursor.get("count")
        if isinstance(total, int) and total > 0:
            # The last page asks only for what is left: a smaller `first` costs fewer points.
            first = max(1, min(PAGE_SIZE, total - int(cursor.get("fetched", 0))))
        if self.max_users:
            first = max(1, min(first, self._room()))
            # Pages in flight for other windows may not overshoot --max-users: a page cut
            # short by the pipeline would skip the people it left out.
            self.reserved[window.partition] = first
        left = self.budget.left(window.partition, self.run_stats["quota_spent"])
        while left is not None and first > 1 and page_cost(first) + worst_cost(first) > left:
            first -= 1  # a smaller page whose details fit what is left of --budget
        if self.max_users:
            self.reserved[window.partition] = first
        # A cursor continues the query it started with, even after the open end moved.
        query = window.query_until(asked_until(window, cursor))
        variables = {"q": query, "first": first, "after": cursor.get("after")}
        cost = page_cost(first)
        request = self._post(
            PAGE_QUERY,
            variables,
            cost,
            cost + worst_cost(first),
            kind="page",
            window=window,
            cursor=cursor,
        )
        if request is None:
            self.reserved.pop(window.partition, None)
        else:
            yield request

    def detail_request(self, chain: dict[str, Any]) -> scrapy.Request | None:
        """The chain's next nodes(ids:) batch (its later batches reserved with it)."""
        batches: list[list[str]] = chain["batches"]
        costs = [detail_cost(len(batch)) for batch in batches]
        return self._post(
            DETAIL_QUERY,
            {"ids": batches[0]},
            costs[0],
            sum(costs),
            kind="detail",
            window=chain["window"],
            chain=chain,
        )

    async def start(self) -> AsyncIterator[Any]:
        due = (request for root in self.plan.roots() for request in self.window_requests(root))
        for request in self.batched(due):
            yield request

    def window_requests(
        self, window: Window, covered: date | None = None
    ) -> Iterator[scrapy.Request]:
        """What a window needs next, given what earlier runs committed (empty when done).

        `covered`: an enclosing window's pages already held every account created up to
        that day, so only later days are asked for.
        """
        cursor = self.cursors.get(window.partition)
        stored = isinstance(cursor, dict)
        if covered is not None and covered >= window.lo and not beyond(window, covered, cursor):
            # The enclosing window's walk holds these days (and is what re-walks them).
            cursor, stored = {"done": True, "to": min(covered, window.hi).isoformat()}, False
        if not isinstance(cursor, dict):
            yield from self.count_request(window)
        elif cursor.get("split"):
            for half in window.halves():
                yield from self.window_requests(half, covered)
        elif not cursor.get("done"):
            yield from self._page_or_defer(window, cursor)
        elif stored and walk_is_stale(cursor, self.rewalk_days):
            # Accounts that came into the query after this walk (a move, a first repository
            # in the language) are found only by walking it again: count, then pages.
            self.run_stats["windows_rewalked"] += 1
            yield from self.count_request(window)
        else:
            yield from self.later_days(window, cursor)

    def later_days(self, window: Window, cursor: dict[str, Any]) -> Iterator[scrapy.Request]:
        """The days of a done window after those its query asked for (the open end moved)."""
        until = covered_until(window, cursor)
        if until >= window.hi:
            return
        if until < window.lo or not window.can_split():
            yield from self.count_request(window)
        else:
            for half in window.halves():
                yield from self.window_requests(half, until)

    def _setting(self, name: str, default: float) -> float:
        crawler = getattr(self, "crawler", None)
        return default if crawler is None else float(crawler.settings.getfloat(name, default))

    def _stopping(self) -> bool:
        return self.storage_failure is not None or self.fatal is not None

    def _room(self) -> int:
        """--max-users left for new page requests: stored and asked-for users count."""
        asked = self.run_stats["profiles_stored"] + sum(self.reserved.values())
        return (self.max_users or 0) - asked

    def _enough(self) -> bool:
        return bool(self.max_users) and self._room() <= 0

    def _page_or_defer(self, window: Window, cursor: dict[str, Any]) -> Iterator[scrapy.Request]:
        """The window's next page; or, when --max-users has no room only because pages of
        other windows are in flight (they may store fewer new users than they reserved), the
        window is kept for `ask_deferred` rather than left for the next run."""
        if not self._enough():
            yield from self.page_request(window, cursor)
        elif self.run_stats["profiles_stored"] < (self.max_users or 0):
            self.deferred[window.partition] = (window, cursor)

    def ask_deferred(self) -> None:
        """On spider_idle: ask the deferred windows' pages --max-users still has room for.

        Idle means no request is in flight and every page is stored, so a deferred window's
        cursor is the one its last page committed and no page of it can be asked twice."""
        if not self.deferred or self._stopping() or self.budget.reached:
            return
        self.reserved.clear()  # nothing is in flight: no page holds room any more
        requests: list[scrapy.Request] = []
        while self.deferred and not self._enough():
            partition = next(iter(self.deferred))
            window, cursor = self.deferred.pop(partition)
            requests.extend(self.page_request(window, cursor))
        if requests:
            for request in requests:
                self.crawler.engine.crawl(request)
            raise DontCloseSpider

    def given_up(self, window: Window) -> None:
        """This run will not finish `window` (its cursor says where --resume starts)."""

    def _backoff(self, tries: int) -> float | None:
        """The pause before asking a partial answer again, or None once retries are spent."""
        if tries >= int(self._setting("RETRY_TIMES", 3)):
            return None
        base = self._setting("RETRY_BACKOFF_BASE", 0.5)
        return float(min(self._setting("RETRY_BACKOFF_MAX", 30.0), base * 2**tries))

    def _partial_retry(self, response: Response, reason: str) -> scrapy.Request | None:
        """The same request again after a backoff, or None once the retries are spent."""
        tries = int(response.meta.get("partial_retries", 0))
        delay = self._backoff(tries)
        if delay is None:
            return None
        retry = response.request.replace(dont_filter=True)  # type: ignore[union-attr]
        for key in ("json", "failure"):
            retry.meta.pop(key, None)
        retry.meta["partial_retries"] = tries + 1
        retry.meta["retry_delay"] = delay
        if not self._reserve_again(retry):
            return None
        self.run_stats["retries"] += 1
        log.info(
            "partial GraphQL answer for %r (%s): asking again in %.1fs (retry %d)",
            response.meta["window"].query,
            reason,
            delay,
            tries + 1,
        )
        return retry

    def _rate_limited_retry(self, response: Response) -> Iterator[scrapy.Request]:
        retry = response.request.replace(dont_filter=True)  # type: ignore[union-attr]
        retry.meta.pop("json", None)
        if self._reserve_again(retry):
            yield retry
        else:  # --budget: the page is not stored, its cursor stays for the next run
            self._drop(retry.meta)

    def _reserve_again(self, request: scrapy.Request) -> bool:
        """A request sent again reserves its chain's cost again (--budget)."""
        key: str = request.meta.get("key") or request.meta["window"].partition
        reserve = int(request.meta.get("reserve", request.meta.get("cost", 1)))
        return self.budget.take(key, reserve, self.run_stats["quota_spent"])

    def _drop(self, meta: dict[str, Any]) -> None:
        """A chain stopped by --budget: nothing stored, nothing counted as an error (windows
        of a count batch keep no cursor: the next run counts them)."""
        window = meta.get("window")
        if isinstance(window, Window):
            self.reserved.pop(window.partition, None)
        chain = meta.get("chain")
        if chain is not None:
            self.claimed.difference_update(chain["asked"])

    def _commit_cursor(
        self, window: Window, cursor: dict[str, Any], also: list[Window] | None = None
    ) -> None:
        """A window's cursor outside a page (split, empty), and the same for the windows
        `also`, in one transaction; none after a storage failure."""
        if self.storage_failure is not None:
            raise CloseSpider("storage_failure")
        try:
            with session_scope(self.engine) as session:
                for each in (window, *(also or ())):
                    set_cursor(session, self.source, STREAM, each.partition, cursor)
        except Exception as exc:  # the database's fault (crawlers/page_store.py): stop, logged
            self.storage_failure = storage_failure(exc, "writing a cursor").message
            log.error("%s; the cursor stays on the last stored page", self.storage_failure)
            raise CloseSpider("storage_failure") from exc

    def on_page_stored(self, item: PageItem) -> None:
        self.reserved.pop(item.partition, None)
        if self.progress is not None:
            self.progress(self)

    def on_wait(self, seconds: float) -> None:
        self.wait_s = seconds
        if self.progress is not None:
            self.progress(self)
