"""Counting windows in batches: many windows' `userCount` in one GraphQL query.

Before a window is paged it is sized (crawlers/github/spider.py: split above 1,000, paged above
0, done at 0). GitHub prices a query by the connection requests it needs (/100, rounded, at
least 1), and a search asked only for its count is one request, so the windows due for a count
at the same moment (every open end of a nightly run, both halves of a split, the halves of
every window a batch split) are asked together: `c0: search(query: $q0, ...) { userCount }`,
`c1: ...`, COUNT_BATCH at most, one point a query instead of one a window.

An answer is read per alias: an error whose path names an alias, or an alias that came back
null, leaves only that window to be asked again (and, after the retries, for the next run); an
error that names no alias leaves every window of the batch so.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import scrapy

from crawlers.github.answers import count_of
from crawlers.github.detail import Budget
from crawlers.github.query import COUNT_BATCH, Window, count_cost, count_query

log = logging.getLogger(__name__)


def batches(windows: list[Window], size: int = COUNT_BATCH) -> Iterator[list[Window]]:
    """`windows` in query-sized batches, each window once, in order."""
    unique = list(dict.fromkeys(windows))
    for at in range(0, len(unique), size):
        yield unique[at : at + size]


def count_variables(windows: list[Window]) -> dict[str, str]:
    """The variables of `count_query(len(windows))`: window i's query is `$q{i}`."""
    return {f"q{i}": window.query for i, window in enumerate(windows)}


def count_key(windows: list[Window]) -> str:
    """What a batch's --budget reservation is held under (no window's partition: each window
    reserves its pages under its own once its count came)."""
    digest = hashlib.sha256("\n".join(w.partition for w in windows).encode()).hexdigest()
    return f"count:{digest[:16]}"


def _alias(path: Any) -> int | None:
    """The window index an error's path names (`["c3", ...]` is window 3), or None."""
    if not isinstance(path, list) or not path or not isinstance(path[0], str):
        return None
    head = path[0]
    if head.startswith("c") and head[1:].isdigit():
        return int(head[1:])
    return None


def read_counts(payload: dict[str, Any], n: int) -> tuple[dict[int, int], dict[int, str]]:
    """(count per window index, why per window index not counted) of a batch's answer."""
    data = payload.get("data")
    if not isinstance(data, dict):
        data = {}
    errors = payload.get("errors") or []
    if not isinstance(errors, list):
        errors = [errors]
    named: dict[int, str] = {}
    general: str | None = None
    for error in errors:
        message = str(error.get("message", "") if isinstance(error, dict) else error)[:120]
        index = _alias(error.get("path")) if isinstance(error, dict) else None
        if index is None or not 0 <= index < n:
            general = message if general is None else general
        else:
            named.setdefault(index, message)
    counts: dict[int, int] = {}
    partial: dict[int, str] = {}
    for i in range(n):
        value = data.get(f"c{i}")
        error = named.get(i, general)
        if error is not None:
            partial[i] = f"GraphQL errors beside data: {error}"
        elif not isinstance(value, dict):
            partial[i] = "search is null"
        else:
            counts[i] = count_of(value.get("userCount"))
    return counts, partial


class CountBatches:
    """The count side of the search spider (a base of crawlers/github/search_requests.py's
    SearchRequests): windows due for a count, gathered per callback and asked in batches."""

    graphql_url: str
    budget: Budget
    run_stats: Counter[str]
    _post: Callable[..., scrapy.Request | None]
    _skip: Callable[[Window, str], None]
    _backoff: Callable[[int], float | None]

    def count_request(self, window: Window) -> Iterator[scrapy.Request]:
        """The window is due for a count: a marker (never sent) that `batched` gathers with
        the other windows due from the same callback into count queries."""
        if self.budget.reached:
            return
        meta = {"kind": "count", "window": window, "due": True}
        yield scrapy.Request(self.graphql_url, method="POST", dont_filter=True, meta=meta)

    def batched(self, outputs: Iterable[Any]) -> Iterator[Any]:
        """`outputs` with their count markers asked together, COUNT_BATCH windows a query,
        after everything else (items and pages go on as they come)."""
        due: list[Window] = []
        for out in outputs:
            if isinstance(out, scrapy.Request) and out.meta.get("due"):
                due.append(out.meta["window"])
            else:
                yield out
        yield from self.count_requests(due)

    def count_requests(self, windows: list[Window], **meta: Any) -> Iterator[scrapy.Request]:
        """Count queries for `windows`, each reserved against --budget (one point a batch)."""
        for batch in batches(windows):
            if self.budget.reached:
                return
            cost = count_cost(len(batch))
            request = self._post(
                count_query(len(batch)),
                count_variables(batch),
                cost,
                cost,
                kind="count",
                windows=batch,
                key=count_key(batch),
                **meta,
            )
            if request is not None:
                yield request

    def _count_again(
        self, meta: dict[str, Any], windows: list[Window], reasons: dict[int, str]
    ) -> Iterator[Any]:
        """The windows of a count answer that did not come, asked again together after a
        pause; once the retries are spent, skipped (no cursor: --resume counts them)."""
        reason = next(iter(reasons.values()))
        tries = int(meta.get("partial_retries", 0))
        delay = self._backoff(tries)
        retries = (
            []
            if delay is None
            else list(self.count_requests(windows, partial_retries=tries + 1, retry_delay=delay))
        )
        if not retries:
            for window in windows:
                self._skip(window, f"still partial after retries: {reason}")
            return
        self.run_stats["retries"] += len(retries)
        log.info(
            "partial GraphQL answer for %d window count(s) (%s): asking again in %.1fs (retry %d)",
            len(windows),
            reason,
            delay,
            tries + 1,
        )
        yield from retries
