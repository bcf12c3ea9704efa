"""Bulk discovery: a Scrapy spider over GitHub GraphQL user search, in two passes.

Each window of the plan is first sized with a count query, the windows due at one moment
together (crawlers/github/counts.py: up to 50 aliased searches for one point); a window holding
more than the 1,000 results search will return is split in two by `created:` date, recursively.
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

This module reads the answers; what is asked, and when, is crawlers/github/search_requests.py
(the base class), and what a window's cursor says about its days is crawlers/github/windows.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from config.clock import utcnow
from config.errors import PayloadError
from crawlers.github import parse
from crawlers.github.answers import BAD_TOKEN, NO_TOKEN, has_path, partial_reason
from crawlers.github.counts import read_counts
from crawlers.github.detail import detail_nodes, mark_seen, plan_batches, sort_nodes
from crawlers.github.governor import GRAPHQL
from crawlers.github.query import SEARCH_CAP, Window
from crawlers.github.search_requests import SearchRequests
from crawlers.github.windows import (
    STREAM,
    asked_on,
    began_before,
    carried,
    held,
    walk_began,
    walk_done,
)
from crawlers.page_item import PageItem
from crawlers.page_store import storage_failure
from crawlers.payload import decode

log = logging.getLogger(__name__)


class _RetryLater(Exception):
    """GraphQL said RATE_LIMITED: send the same request again once the governor allows."""


class GitHubSearchSpider(SearchRequests):
    name = "github_search"

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
            self._skip_all(meta, failure or f"HTTP {response.status}")
            return None
        payload = meta.get("json")
        if payload is None:
            try:
                payload = decode(response.body, "answer")
            except PayloadError:  # not JSON, cut short, or nested past any real answer
                self._skip_all(meta, "body is not JSON")
                return None
        if not isinstance(payload, dict):
            self._skip_all(meta, "unexpected JSON")
            return None
        if "data" not in payload and "errors" not in payload:
            self._skip_all(meta, "neither data nor errors in the answer")
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

    def _skip_all(self, meta: dict[str, Any], reason: str) -> None:
        """The request's windows (a count batch's every window) skipped for `reason`."""
        key = meta.get("key")
        if isinstance(key, str):
            self.budget.release(key)
        windows = meta.get("windows") or [meta.get("window")]
        for window in windows:
            if not isinstance(window, Window):  # a failure without a request to tell
                window = Window("?", self.plan.created_from, self.plan.created_to)
            self._skip(window, reason)

    def _skip(self, window: Window, reason: str) -> None:
        self.reserved.pop(window.partition, None)
        self.budget.release(window.partition)
        self.run_stats["errors"] += 1
        self.run_stats["pages_skipped"] += 1
        log.warning("skipped a page of %r: %s", window.query, reason)
        self.given_up(window)

    def on_count(self, response: Response) -> Iterator[Any]:
        yield from self._guarded(self._on_count, response)

    def on_page(self, response: Response) -> Iterator[Any]:
        yield from self._guarded(self._on_page, response)

    def _guarded(
        self, callback: Callable[[Response], Iterator[Any]], response: Response
    ) -> Iterator[Any]:
        """An answer the callback cannot read is a skipped page (counted), never a silent
        loss; Scrapy's own error log would not count it. Windows due for a count are asked
        together when the callback is done (`batched`)."""
        window = response.meta.get("window")
        key = response.meta.get("key", window.partition if isinstance(window, Window) else None)
        if isinstance(key, str):  # the answer came: a next request reserves anew
            self.budget.release(key)
        try:
            yield from self.batched(callback(response))
        except (CloseSpider, _RetryLater):
            raise
        except Exception as exc:
            # Counted as a skipped page (an error of the run), traceback at debug.
            log.debug("unreadable answer", exc_info=True)
            self._skip_all(response.meta, f"unreadable answer ({type(exc).__name__})")

    def _on_count(self, response: Response) -> Iterator[Any]:
        """A count batch's answer: each counted window goes on as it would alone; windows
        whose alias failed are asked again together, then left for --resume."""
        try:
            payload = self._payload(response)
        except _RetryLater:
            yield from self._rate_limited_retry(response)
            return
        if payload is None:
            return
        windows: list[Window] = response.meta["windows"]
        counts, partial = read_counts(payload, len(windows))
        self.run_stats["windows_counted"] += len(counts)
        for i, count in counts.items():
            yield from self._counted(windows[i], count)
        if partial:
            yield from self._count_again(response.meta, [windows[i] for i in partial], partial)

    def _counted(self, window: Window, count: int) -> Iterator[Any]:
        """What a window's count says: split, page, or done."""
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
        first = {"after": None, "count": min(count, SEARCH_CAP), **asked, **walk_began()}
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
        if not has_next and not previous.get("recheck") and began_before(previous, self.began):
            # The walk began in an earlier run: its pages may have stepped over accounts the
            # result list moved meanwhile (search pages are positions, not keys). So it is not
            # done: it is walked once more from the first page, now (discovery pages only:
            # unchanged accounts cost no details and no --max-users room). A crash before that
            # walk ends leaves this cursor, so the next run walks it again too; the recheck
            # itself is not checked again, so a tight --max-users cannot make it a loop.
            self.run_stats["windows_rechecked"] += 1
            cursor = {**carried(previous), **walk_began(), "after": None, "fetched": 0}
            cursor.update(done=False, recheck=True)
            has_next = True
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
        except Exception as exc:  # the database's fault (crawlers/page_store.py): stop, logged
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
        meta = request.meta if request is not None else {}
        self._skip_all(meta, failure.getErrorMessage() or type(failure.value).__name__)
        chain = meta.get("chain")
        if chain is not None:
            yield from self.batched(self._cut_short(chain))
