"""Bulk discovery: a Scrapy spider over GitHub GraphQL user search, in two passes.

Each window of the plan is first sized with a one-point count query; a window holding more
than the 1,000 results search will return is split in two by `created:` date, recursively.
A window that fits is paged 100 users at a time with ids, logins and `updatedAt` only (one
point a page). The users of a page that are new or changed since stored, and not asked for
already in this run, get their top repositories and topics through `nodes(ids:)` in batches
(crawlers/github/detail.py: about five users a point); unchanged ones are recorded as seen.
The page and its details are one item, committed with its cursor (crawlers/pipelines.py), which
is what `--resume` continues from: a crash between the passes asks for the page again.
The detail batches of a page go one after another, their state in the request's meta, so a
distributed worker (crawlers/github/distributed.py) can answer any of them.

`--budget N` stops asking once the next request could take the points spent past N: a
discovery page is asked only when its worst-case details fit too, so no page is left half
paid for; the run ends ok, its cursors where they stand.

A partial answer (a 200 with `errors` beside `data`, null nodes, a null `search`) is never
taken for a done page: it is asked again with backoff, a few times; still partial, its good
nodes are stored but the window's cursor stays where it was (not done), the page counts as an
error (the run ends `partial`) and `--resume` asks for it again.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.http import Response
from sqlalchemy import Engine
from twisted.python.failure import Failure

from config.clock import utcnow
from config.errors import PayloadError
from crawlers.github import parse
from crawlers.github.answers import BAD_TOKEN, NO_TOKEN, count_of, has_path, partial_reason
from crawlers.github.detail import (
    Budget,
    Lookup,
    detail_nodes,
    mark_seen,
    plan_batches,
    sort_nodes,
    worst_cost,
)
from crawlers.github.governor import GRAPHQL, RateGovernor
from crawlers.github.query import (
    COUNT_QUERY,
    DETAIL_QUERY,
    PAGE_QUERY,
    PAGE_SIZE,
    SEARCH_CAP,
    SearchPlan,
    Window,
    detail_cost,
    page_cost,
)
from crawlers.page_store import storage_failure
from crawlers.payload import decode
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
        subject_of=parse.external_id,
    )


def asked_on(window: Window) -> dict[str, Any]:
    """What a new cursor of `window` records about its days: the last one asked for, and
    whether that day was still going on (accounts may yet be created on it)."""
    return {"to": window.hi.isoformat(), "open": window.hi >= utcnow().date()}


def asked_until(window: Window, cursor: dict[str, Any]) -> date:
    """The last day the cursor's query asks for (the window's own for older cursors)."""
    to = cursor.get("to")
    return date.fromisoformat(to) if isinstance(to, str) else window.hi


def carried(previous: dict[str, Any]) -> dict[str, Any]:
    """What every page's cursor keeps from the one before: the window's count and days."""
    return {k: previous[k] for k in ("count", "to", "open") if k in previous}


def held(previous: dict[str, Any]) -> dict[str, Any]:
    """The cursor of a page that must be asked again: where the page started, not done."""
    return {
        **carried(previous),
        "after": previous.get("after"),
        "fetched": int(previous.get("fetched", 0)),
        "done": False,
    }


def walk_done() -> dict[str, Any]:
    """What a cursor records when its window's walk reached the last page: when (SCOUT_NOW
    rehearsals included), so `--rewalk-days` can tell when to walk it again."""
    return {"walked": utcnow().isoformat()}


def walk_is_stale(cursor: dict[str, Any], rewalk_days: int | None) -> bool:
    """A done window to walk again from its first page: its last complete walk was
    `rewalk_days` or more calendar days (UTC) ago, or is not recorded (a cursor saved before
    walks were dated). Never with `rewalk_days` None."""
    if rewalk_days is None:
        return False
    walked = cursor.get("walked")
    try:
        when = datetime.fromisoformat(walked) if isinstance(walked, str) else None
    except ValueError:
        when = None
    return when is None or (utcnow().date() - when.date()).days >= rewalk_days


def covered_until(window: Window, cursor: dict[str, Any]) -> date:
    """The last day a done cursor holds every account of: its last day is asked again once
    over if it was still going on when asked (never on the same day: no crawl loops on it)."""
    until = asked_until(window, cursor)
    if cursor.get("open") and until < utcnow().date():
        return until - timedelta(days=1)
    return until


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

    # -- requests -----------------------------------------------------------------------------
    def _post(
        self, query: str, variables: dict[str, Any], cost: int, reserve: int, **meta: Any
    ) -> scrapy.Request | None:
        """The request, or None when --budget cannot cover `reserve` (what this request and
        the rest of its window's chain may cost)."""
        window: Window = meta["window"]
        if not self.budget.take(window.partition, reserve, self.run_stats["quota_spent"]):
            return None
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"bearer {self.token}"
        callback = {"count": self.on_count, "detail": self.on_detail}.get(
            meta.get("kind", ""), self.on_page
        )
        meta["reserve"] = reserve
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

    def count_request(self, window: Window) -> Iterator[scrapy.Request]:
        if self.budget.reached:
            return
        request = self._post(COUNT_QUERY, {"q": window.query}, 1, 1, kind="count", window=window)
        if request is not None:
            yield request

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
        for root in self.plan.roots():
            for request in self.window_requests(root):
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
        if covered is not None and covered >= window.lo and not self._beyond(window, covered):
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

    def _beyond(self, window: Window, covered: date) -> bool:
        """Whether `window`'s own cursor asks for days after `covered` (then it decides).

        Only a re-walk of an enclosing window makes a cursor of days within `covered` (the
        cursors of later days start after it): those days were walked again, so the window's
        own cursor, done or not, is not followed. A split cursor always decides.
        """
        cursor = self.cursors.get(window.partition)
        if not isinstance(cursor, dict):
            return False
        if cursor.get("split"):
            return True
        if cursor.get("done"):
            return covered_until(window, cursor) > covered
        return asked_until(window, cursor) > covered

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

    # -- responses ----------------------------------------------------------------------------
    def _payload(self, response: Response) -> dict[str, Any] | None:
        """The JSON body; None after counting the page as skipped; raises on fatal errors.

        A GraphQL RATE_LIMITED answer raises _RetryLater: the request goes again after reset.
        """
        meta = response.meta
        if response.status == 401:
            self.fatal = BAD_TOKEN if self.token else NO_TOKEN
            self.fatal_exit = 2
            raise CloseSpider("bad_credentials")
        failure = meta.get("failure")
        if failure or response.status != 200:
            self._skip(meta["window"], failure or f"HTTP {response.status}")
            return None
        payload = meta.get("json")
        if payload is None:
            try:
                payload = decode(response.body, "answer")
            except PayloadError:  # not JSON, cut short, or nested past any real answer
                self._skip(meta["window"], "body is not JSON")
                return None
        if not isinstance(payload, dict):
            self._skip(meta["window"], "unexpected JSON")
            return None
        if "data" not in payload and "errors" not in payload:
            self._skip(meta["window"], "neither data nor errors in the answer")
            return None
        data = payload.get("data")
        rate = data.get("rateLimit") if isinstance(data, dict) else None
        self.governor.observe_graphql(rate)
        cost = rate.get("cost") if isinstance(rate, dict) else None
        spent = cost if isinstance(cost, int) and not isinstance(cost, bool) else meta.get("cost")
        self.run_stats["quota_spent"] += int(spent or 0)
        self.run_stats[f"{meta.get('kind', 'page')}_points"] += int(spent or 0)
        errors = payload.get("errors") or []
        if not isinstance(errors, list):
            errors = [errors]
        if any(isinstance(e, dict) and e.get("type") == "RATE_LIMITED" for e in errors):
            self.governor.observe_exhausted(GRAPHQL, None)
            raise _RetryLater
        if errors and not isinstance(data, dict) and not any(has_path(e) for e in errors):
            # No data at all and no error about a field: the query itself was refused.
            messages = "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict))
            self.fatal = f"GitHub GraphQL error: {messages or errors}"
            raise CloseSpider("graphql_error")
        return payload

    def _partial_retry(self, response: Response, reason: str) -> scrapy.Request | None:
        """The same request again after a backoff, or None once the retries are spent."""
        tries = int(response.meta.get("partial_retries", 0))
        if tries >= int(self._setting("RETRY_TIMES", 3)):
            return None
        base = self._setting("RETRY_BACKOFF_BASE", 0.5)
        delay = min(self._setting("RETRY_BACKOFF_MAX", 30.0), base * 2**tries)
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

    def _skip(self, window: Window, reason: str) -> None:
        self.reserved.pop(window.partition, None)
        self.budget.release(window.partition)
        self.run_stats["errors"] += 1
        self.run_stats["pages_skipped"] += 1
        log.warning("skipped a page of %r: %s", window.query, reason)
        self.given_up(window)

    def given_up(self, window: Window) -> None:
        """This run will not finish `window` (its cursor says where --resume starts)."""

    def _rate_limited_retry(self, response: Response) -> Iterator[scrapy.Request]:
        retry = response.request.replace(dont_filter=True)  # type: ignore[union-attr]
        retry.meta.pop("json", None)
        if self._reserve_again(retry):
            yield retry
        else:  # --budget: the page is not stored, its cursor stays for the next run
            self._drop(retry.meta)

    def _reserve_again(self, request: scrapy.Request) -> bool:
        """A request sent again reserves its chain's cost again (--budget)."""
        window: Window = request.meta["window"]
        reserve = int(request.meta.get("reserve", request.meta.get("cost", 1)))
        return self.budget.take(window.partition, reserve, self.run_stats["quota_spent"])

    def _drop(self, meta: dict[str, Any]) -> None:
        """A chain stopped by --budget: nothing stored, nothing counted as an error."""
        self.reserved.pop(meta["window"].partition, None)
        chain = meta.get("chain")
        if chain is not None:
            self.claimed.difference_update(chain["asked"])

    def on_count(self, response: Response) -> Iterator[Any]:
        yield from self._guarded(self._on_count, response)

    def on_page(self, response: Response) -> Iterator[Any]:
        yield from self._guarded(self._on_page, response)

    def _guarded(
        self, callback: Callable[[Response], Iterator[Any]], response: Response
    ) -> Iterator[Any]:
        """An answer the callback cannot read is a skipped page (counted), never a silent
        loss; Scrapy's own error log would not count it."""
        window = response.meta.get("window")
        if isinstance(window, Window):  # the answer came: a next request reserves anew
            self.budget.release(window.partition)
        try:
            yield from callback(response)
        except (CloseSpider, _RetryLater):
            raise
        except Exception as exc:
            log.debug("unreadable answer", exc_info=True)
            self._skip(response.meta["window"], f"unreadable answer ({type(exc).__name__})")

    def _on_count(self, response: Response) -> Iterator[Any]:
        try:
            payload = self._payload(response)
        except _RetryLater:
            yield from self._rate_limited_retry(response)
            return
        if payload is None:
            return
        window: Window = response.meta["window"]
        reason = partial_reason(payload, "count")
        if reason is not None:
            retry = self._partial_retry(response, reason)
            if retry is not None:
                yield retry
            else:  # not counted, no cursor: --resume counts the window again
                self._skip(window, f"still partial after retries: {reason}")
            return
        count = count_of(payload["data"]["search"].get("userCount"))
        if count > SEARCH_CAP and window.can_split():
            cursor: dict[str, Any] = {"split": True, "count": count, "done": True}
            paths = window.split_path()
            # Nodes skipped for asking the same days as their parent are split too.
            skipped = [node for path in paths for node in path[:-1]]
            self._commit_cursor(window, cursor, skipped)
            for path in paths:
                yield from self.count_request(path[-1])
            return
        if count > SEARCH_CAP:
            # One day holds more than search will show: take the first 1,000 and say so.
            self.truncated.append(window.query)
            self.run_stats["windows_truncated"] += 1
            log.warning(
                "%r holds %d accounts; search shows only %d", window.query, count, SEARCH_CAP
            )
        asked = asked_on(window)
        if count == 0:
            empty = {"after": None, "count": 0, "fetched": 0, "done": True, **asked, **walk_done()}
            self._commit_cursor(window, empty)
            return
        first = {"after": None, "count": min(count, SEARCH_CAP), **asked}
        yield from self._page_or_defer(window, first)

    def _on_page(self, response: Response) -> Iterator[Any]:
        try:
            payload = self._payload(response)
        except _RetryLater:
            yield from self._rate_limited_retry(response)
            return
        if payload is None:
            return
        window: Window = response.meta["window"]
        previous: dict[str, Any] = response.meta["cursor"]
        reason = partial_reason(payload, "page", previous.get("after"))
        if reason is not None:
            retry = self._partial_retry(response, reason)
            if retry is not None:
                yield retry
                return
        data = payload.get("data")
        search = data.get("search") if isinstance(data, dict) else None
        if not isinstance(search, dict):
            search = {}
        nodes = parse.search_nodes(payload) if search else []
        self.run_stats["discovery_pages"] += 1
        if reason is not None:
            # Still partial: store what came, but the window stays on this page (not done).
            self._partial_page(window, reason, "page")
            yield from self._discovered(window, held(previous), previous, nodes, False, reason)
            return
        info = search.get("pageInfo") or {}
        has_next = bool(info.get("hasNextPage")) and bool(nodes)
        cursor = {
            **carried(previous),
            "after": info.get("endCursor") or previous.get("after"),
            "fetched": int(previous.get("fetched", 0)) + len(nodes),
            "done": not has_next,
            **({} if has_next else walk_done()),
        }
        yield from self._discovered(window, cursor, previous, nodes, has_next, None)

    def _partial_page(self, window: Window, reason: str, what: str) -> None:
        self.run_stats["errors"] += 1
        self.run_stats["pages_partial"] += 1
        self.given_up(window)
        log.warning(
            "a %s answer for %r is still partial after retries (%s); its window stays open "
            "for --resume",
            what,
            window.query,
            reason,
        )

    def _discovered(
        self,
        window: Window,
        cursor: dict[str, Any],
        previous: dict[str, Any],
        nodes: list[dict[str, Any]],
        has_next: bool,
        partial: str | None,
    ) -> Iterator[Any]:
        """Ask the details of the page's users that need them, then store the page."""
        ids = [i for i in (parse.external_id(n) for n in nodes) if i is not None]
        try:
            stored = self.lookup.versions(ids)
        except Exception as exc:
            self.storage_failure = storage_failure(exc, "reading stored profiles").message
            log.error("%s; the cursor stays on the last stored page", self.storage_failure)
            raise CloseSpider("storage_failure") from exc
        found = sort_nodes(nodes, stored, self.claimed, self.lookup)
        self.run_stats["duplicates"] += found.repeats
        self.run_stats["suppressed"] += found.suppressed
        wanted, cut = found.detail, False
        if self.max_users:
            allowed = max(0, self._room() + self.reserved.get(window.partition, 0))
            if len(wanted) > allowed:
                # The users left out are not stored: the cursor must not move past them.
                cut = True
                self.claimed.difference_update(ident for _, ident in wanted[allowed:])
                wanted = wanted[:allowed]
            self.reserved[window.partition] = len(wanted)
        batches, at = [], 0
        for size in plan_batches(len(wanted)):
            batches.append([node_id for node_id, _ in wanted[at : at + size]])
            at += size
        chain: dict[str, Any] = {
            "window": window,
            "cursor": cursor,
            "previous": previous,
            "records": found.records,
            "unusable": found.unusable,
            "unchanged": found.unchanged,
            "changed": sorted(found.changed),
            "asked": [ident for _, ident in wanted],
            "batches": batches,
            "has_next": has_next,
            "partial": partial,
            "failed": None,
            "cut": cut,
            "gone": 0,
        }
        yield from self._next_detail(chain)

    def _next_detail(self, chain: dict[str, Any]) -> Iterator[Any]:
        if not chain["batches"]:
            yield from self._finish(chain)
            return
        request = self.detail_request(chain)
        if request is None:  # --budget (the page's reservation covers this but for retries)
            self._drop({"window": chain["window"], "chain": chain})
        else:
            yield request

    def on_detail(self, response: Response) -> Iterator[Any]:
        yield from self._guarded(self._on_detail, response)

    def _on_detail(self, response: Response) -> Iterator[Any]:
        try:
            payload = self._payload(response)
        except _RetryLater:
            yield from self._rate_limited_retry(response)
            return
        chain: dict[str, Any] = response.meta["chain"]
        if payload is None:  # given up after retries: store what came, hold the page
            yield from self._cut_short(chain)
            return
        self.run_stats["detail_requests"] += 1
        nodes, gone, reason = detail_nodes(payload)
        if reason is not None:
            retry = self._partial_retry(response, reason)
            if retry is not None:
                yield retry
                return
            if not chain["failed"]:
                self._partial_page(chain["window"], reason, "details")
                chain = {**chain, "failed": reason}
        chain = {
            **chain,
            "records": chain["records"] + nodes,
            "gone": chain["gone"] + gone,
            "batches": chain["batches"][1:],
        }
        yield from self._next_detail(chain)

    def _cut_short(self, chain: dict[str, Any]) -> Iterator[Any]:
        """A detail batch that never came (counted by _skip): the details that came are
        stored, the window stays on the page; users not detailed may be asked by another."""
        came = {parse.external_id(n) for n in chain["records"]}
        self.claimed.difference_update(i for i in chain["asked"] if i not in came)
        yield from self._finish({**chain, "batches": [], "failed": chain["failed"] or "cut short"})

    def _finish(self, chain: dict[str, Any]) -> Iterator[Any]:
        """The page with its details, then what its window needs next.

        Details that failed (after retries) keep the window's cursor on this page, but the
        window goes on: its later pages are stored without moving the cursor (`unsettled`),
        and --resume asks again from this page, paying only for users not stored yet.
        """
        window: Window = chain["window"]
        cursor: dict[str, Any] = chain["cursor"]
        settled = window.partition not in self.unsettled
        if chain["failed"]:
            cursor = held(chain["previous"])
            if settled:
                self.unsettled.add(window.partition)
                self.given_up(window)
        item = PageItem(
            rules=self.rules,
            stream=STREAM,
            partition=window.partition,
            cursor=cursor,
            fetched_at=utcnow(),
            records=chain["records"],
            previous=chain["previous"],
            commit_cursor=settled and not chain["cut"],
            on_commit=lambda session, page: self._seen(session, page, chain),
        )
        for node in chain["unusable"]:
            key = str(node.get("login", "")).lower() or None
            item.quarantine(self.rules.label(node, key), key, "id: a User without a node id")
        yield item
        if chain["partial"]:
            return
        if item.held or window.partition in self.held_partitions:
            # A quarantined record keeps the window on its page for --resume.
            self.given_up(window)
            return
        # The next page only while pages are being stored (a storage failure stops here).
        if self._stopping():
            return
        cursor = chain["cursor"]
        if chain["has_next"] and not chain["cut"]:
            yield from self._page_or_defer(window, cursor)
        elif cursor["done"]:
            # A query started before the open end moved is done: now the days after it.
            yield from self.later_days(window, cursor)

    @staticmethod
    def _seen(session: Any, item: PageItem, chain: dict[str, Any]) -> None:
        """In the page's transaction: the users discovery found unchanged (never detailed)
        count as unchanged, and only their last_seen is written (ETag, repositories stay).
        Detailed users were counted new / changed / unchanged by content when saved."""
        item.stats["unchanged"] += len(chain["unchanged"])
        item.stats["gone"] += chain["gone"]
        mark_seen(session, chain["unchanged"], item.fetched_at)

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = getattr(failure, "request", None)
        window = request.meta.get("window") if request is not None else None
        chain = request.meta.get("chain") if request is not None else None
        self._skip(
            window or Window("?", self.plan.created_from, self.plan.created_to),
            failure.getErrorMessage() or type(failure.value).__name__,
        )
        if chain is not None:
            yield from self._cut_short(chain)

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
        except Exception as exc:
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
