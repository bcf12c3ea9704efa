"""The bulk Stack Overflow crawl as a Scrapy spider.

Scrapy does the concurrency; `Throttle` (shared with the httpx client) does the pacing, the
per-method backoff and the quota floor, in `ThrottleMiddleware` (middlewares.py). Answers are
judged by the same helpers as the direct client (decode, error ids, fatal errors), and each
profile batch goes through the shared numbered steps of crawlers.pipelines. The spider lists
the top answerers; profiles.py fetches profiles 100 a batch, walk.py discovers by answers
(both see the spider through host.SpiderHost), and budget.py shares out a `--budget` (checked
in the middleware). Twisted's reactor cannot restart in one process, so `run.run_spider` is
called once per process (the CLI does exactly that).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response
from sqlalchemy.exc import SQLAlchemyError

from config.errors import PayloadError, ScoutError, StorageFailure
from crawlers.page_item import PageItem
from crawlers.stackexchange.answers import PageGuard, error_of
from crawlers.stackexchange.budget import Budget, Reservation
from crawlers.stackexchange.client import (
    MAX_BACKOFF_S,
    THROTTLE_VIOLATION,
    BudgetStop,
    QuotaStop,
    Throttle,
    fatal_error,
    retry_delay,
    tag_path,
    throttle_wait,
)
from crawlers.stackexchange.middlewares import reason, release
from crawlers.stackexchange.plan import Batch, Crawl
from crawlers.stackexchange.profiles import ProfileFetch
from crawlers.stackexchange.walk import AnswerWalk

log = logging.getLogger(__name__)

CONCURRENCY = 8


class StackOverflowSpider(scrapy.Spider):
    name = "stackoverflow"
    source = "stackoverflow"

    def __init__(
        self,
        crawl: Crawl,
        throttle: Throttle,
        filter_name: str,
        progress: Callable[[StackOverflowSpider], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.crawl = crawl
        self.throttle = throttle
        self.filter_name = filter_name
        self.progress = progress
        settings = crawl.settings
        self.api = settings.stackexchange_api_url
        self.retries = settings.http_retries
        key = settings.stackexchange_key
        self._key = key.get_secret_value() if key is not None else ""
        # What the shared pipeline steps read from the spider.
        self.engine = crawl.engine
        self.run_id = crawl.run_id
        self.run_stats = crawl.stats
        self.seen_ids: set[str] = set()
        self.requests = 0
        self.stop: QuotaStop | None = None
        self.fatal: ScoutError | None = None
        self.interrupted = False
        # A method's turn comes after every request queued before it has had its answer or
        # its timeout and backoff; longer than that means something is wrong.
        self.lock_wait_s = CONCURRENCY * (settings.http_timeout + MAX_BACKOFF_S + 10.0)
        self._wake: asyncio.Event | None = None
        self._closing: asyncio.Future[None] | None = None
        # The run's --budget, less what the client spent before the spider.
        self.budget = (
            None
            if crawl.budget is None
            else Budget(crawl.budget - crawl.spent_before, crawl.budget)
        )
        self.top = crawl.discover in ("top", "both")
        self._tags_left = len(crawl.pending_tags()) if self.top else 0
        self._tag_guards: dict[str, PageGuard] = {}
        self.profiles = ProfileFetch(self)
        self.walk = AnswerWalk(self, crawl.answers) if crawl.answers is not None else None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> StackOverflowSpider:
        spider: StackOverflowSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_spider_error, signal=signals.spider_error)
        crawler.signals.connect(spider.on_item_error, signal=signals.item_error)
        return spider

    # -- stopping ------------------------------------------------------------------------

    async def pause(self, seconds: float) -> None:
        """Sleep up to `seconds` (capped), returning at once on Ctrl-C / SIGTERM."""
        seconds = min(seconds, MAX_BACKOFF_S + 10.0)
        if seconds <= 0 or self.interrupted:
            return
        if self._wake is None:
            self._wake = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def interrupt(self) -> None:
        """Ctrl-C or SIGTERM: no new request, every wait cut short; Scrapy then closes."""
        self.interrupted = True
        if self._wake is not None:
            self._wake.set()

    def on_spider_error(self, failure: Any, response: Response, spider: Any) -> None:
        # A callback that raised lost what its answer carried: count it, the run is partial
        # and the next run asks again (the batch's ids never reached the cursor).
        self.run_stats["errors"] += 1
        log.warning(
            "handling an answer of %s failed (%s)",
            response.meta.get("se_method"),
            failure.type.__name__,
        )

    def on_item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        # A page that could not be stored ends the crawl: its cursor did not move.
        if self.fatal is None:
            value = failure.value
            if not isinstance(value, StorageFailure):
                value = StorageFailure(f"storing a Stack Overflow page failed: {reason(value)}")
            self.fatal = value
            log.error("%s; the crawl stops", value.message)
            self._closing = asyncio.ensure_future(
                self.crawler.engine.close_spider_async(reason="storage")
            )

    # -- requests ------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        callback: Any,
        priority: int = 0,
        unit: Reservation | None = None,
        cost: int | None = None,
        **cb: Any,
    ) -> scrapy.Request:
        """A request of `method`; `cost` makes it the start of a unit of work that should cost
        that many requests in all (crawlers/stackexchange/budget.py), `unit` the reservation
        of the unit it belongs to."""
        query = {"site": self.crawl.site, "filter": self.filter_name, **params}
        if self._key:
            query["key"] = self._key
        meta = {
            "se_method": method,
            "se_spider": self,
            "se_attempt": 0,
            "se_params": params,
            "se_path": path,
            "se_unit": unit,
            "se_starter": cost is not None,
            "se_cost": cost,
        }
        return scrapy.Request(
            f"{self.api}{path}?{urlencode(query)}",
            callback=callback,
            errback=self.failed,
            meta=meta,
            cb_kwargs=cb,
            dont_filter=True,
            priority=priority,
        )

    def users_request(self, batch: Batch) -> scrapy.Request:
        return self.profiles.users_request(batch)

    def free_unit(self, unit: Reservation | None) -> None:
        """A unit of work ended: what it set aside of the budget is free again."""
        if self.budget is not None:
            self.budget.release(unit)

    def schedule(self, request: scrapy.Request) -> None:
        """Send a request from outside a callback (a stored page wakes a paused walk)."""
        self.crawler.engine.crawl(request)

    async def start(self) -> AsyncIterator[Any]:
        pending = self.crawl.pending_tags() if self.top else []
        if not pending:
            for request in self._after_top_discovery():
                yield request
            return
        for tag, page in pending:
            yield self.top_answerers(tag, page)

    def _after_top_discovery(self) -> Iterator[scrapy.Request]:
        """The top answerers' profiles, and the walk by answers."""
        if self.top:
            yield from self.profiles.top_answerer_batches()
        if self.walk is not None:
            yield from self.walk.start()

    def top_answerers(self, tag: str, page: int) -> scrapy.Request:
        return self.request(
            "/tags/{tag}/top-answerers/{period}",
            f"/tags/{tag_path(tag)}/top-answerers/{self.crawl.period}",
            {"page": page, "pagesize": 100},
            self.on_top_answerers,
            cost=1,
            tag=tag,
            page=page,
        )

    # -- answers -------------------------------------------------------------------------

    def answer(self, response: Response) -> dict[str, Any] | scrapy.Request | None:
        """The wrapper; or a retry of the request; or None when the request is given up."""
        method = response.meta["se_method"]
        # Read (and its quota/backoff observed) by ThrottleMiddleware.
        wrapper: dict[str, Any] | None = response.meta.get("se_wrapper")
        if wrapper is None:
            problem = str(response.meta.get("se_problem") or "a body that is not an API response")
            return self.retry(response.request, problem=problem)
        error = error_of(wrapper)
        if error is None:
            return wrapper
        error_id, name, message = error
        fatal = fatal_error(error_id, name, message, method)
        if fatal is not None:
            self.fatal = fatal
            raise CloseSpider("fatal")
        if error_id == THROTTLE_VIOLATION:
            try:
                self._client_throttle(method, message)
            except QuotaStop as stop:
                self.stop = stop
                raise CloseSpider("quota") from None
            return self.retry(response.request, count=False)
        return self.retry(response.request, problem=name)

    def _client_throttle(self, method: str, message: str) -> None:
        # Same rule as the direct client: short throttles are waited out, long ones stop us.
        throttle_wait(self.throttle, method, message, 1)

    def retry(
        self, request: scrapy.Request | None, problem: str = "", count: bool = True
    ) -> scrapy.Request | None:
        assert request is not None
        attempt = int(request.meta["se_attempt"]) + (1 if count else 0)
        if attempt > self.retries:
            self.run_stats["errors"] += 1
            log.warning(
                "giving up on %s after %d attempts (%s)",
                request.meta["se_method"],
                attempt,
                problem,
            )
            return None
        self.run_stats["retries"] += 1
        release(request)
        retry = request.replace(dont_filter=True)
        for stale in ("se_lock", "se_wrapper", "se_problem"):
            retry.meta.pop(stale, None)
        # A retry belongs to the unit its request started or continued; it starts nothing.
        retry.meta.update(
            se_attempt=attempt, se_delay=retry_delay(attempt) if count else 0, se_starter=False
        )
        return retry

    def failed(self, failure: Any) -> Iterator[Any]:
        request = failure.request
        release(request)
        if failure.check(IgnoreRequest):
            self.free_unit(request.meta.get("se_unit"))  # refused: its unit is cut
            if isinstance(self.stop, BudgetStop):
                return  # the work already started finishes; nothing new starts
            if self.stop is not None:
                raise CloseSpider("quota")
            if not self.interrupted:
                self.run_stats["errors"] += 1
                yield from self._gave_up(request)
            return
        if self.interrupted:
            return
        problem = request.meta.get("se_problem") or type(failure.value).__name__
        again = self.retry(request, problem=str(problem))
        if again is not None:
            yield again
        else:
            self.free_unit(request.meta.get("se_unit"))
            yield from self._gave_up(request)

    def _gave_up(self, request: scrapy.Request) -> Iterator[Any]:
        # A tag that could not be listed still lets the others move on to profiles; its
        # cursor stays open, so the next run asks again.
        if request.meta["se_method"].startswith("/tags/"):
            yield from self._tag_finished()

    def _tag_finished(self) -> Iterator[scrapy.Request]:
        self._tags_left -= 1
        if self._tags_left == 0:
            yield from self._after_top_discovery()

    def on_top_answerers(self, response: Response, tag: str, page: int) -> Iterator[Any]:
        got = self.answer(response)
        if isinstance(got, scrapy.Request):
            yield got
            return
        if got is None:
            yield from self._tag_finished()
            return
        guard = self._tag_guards.setdefault(tag, PageGuard())
        more = guard.more(got)
        try:
            self.crawl.save_discovery(tag, page, got, finished=not more and not guard.stopped)
        except PayloadError as exc:
            # This page's answerers cannot be read: the tag stays open at this page.
            self.run_stats["errors"] += 1
            log.warning("stackoverflow:tag:%s page %d unreadable (%s)", tag, page, exc)
            yield from self._tag_finished()
            return
        except SQLAlchemyError as exc:
            # The page and its cursor were not written: stop here, the next run asks again.
            self.fatal = StorageFailure(f"storing a Stack Overflow tag page failed: {reason(exc)}")
            log.error("%s; the crawl stops", self.fatal.message)
            raise CloseSpider("storage") from None
        self.report()
        if guard.stopped:
            self.run_stats["errors"] += 1
            log.warning("stopped listing tag %s after %s", tag, guard.stopped)
        if more:
            yield self.top_answerers(tag, page + 1)
        else:
            yield from self._tag_finished()

    def on_page_stored(self, item: PageItem) -> None:
        if self.walk is not None:
            self.walk.batch_stored(item)
        self.report()

    def report(self) -> None:
        if self.progress is not None:
            self.progress(self)
