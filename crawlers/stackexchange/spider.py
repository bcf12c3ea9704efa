"""The bulk Stack Overflow crawl as a Scrapy spider.

Scrapy does the concurrency; `Throttle` (shared with the httpx client) does the pacing, the
per-method backoff and the quota floor, in `ThrottleMiddleware`. Answers are judged by the same
helpers as the direct client (decode, error ids, fatal errors), and each profile batch goes
through the shared numbered steps of crawlers.pipelines. Twisted's reactor cannot restart in
one process, so `run_spider` is called once per process (the CLI does exactly that).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response

from config.errors import ScoutError
from crawlers.pipelines import ITEM_PIPELINES, PageItem
from crawlers.stackexchange.client import (
    THROTTLE_VIOLATION,
    QuotaStop,
    RequestFailed,
    Throttle,
    decode_body,
    error_of,
    fatal_error,
    ids_path,
    tag_path,
    throttle_wait,
)
from crawlers.stackexchange.pipeline import Batch, Crawl

log = logging.getLogger(__name__)


class ThrottleMiddleware:
    """One request in flight per method, after its backoff and the rps slot; none below the
    quota floor.

    A `backoff` is only known once a response arrives, and any request of that method already
    on the wire would then break it; so each method is called one at a time (different
    methods still overlap). The lock is held from here until the answer or the failure.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    async def process_request(self, request: scrapy.Request) -> None:
        method = request.meta.get("se_method")
        spider = request.meta.get("se_spider")
        if method is None or spider is None:
            return None
        lock = self._locks.setdefault(method, asyncio.Lock())
        await lock.acquire()
        try:
            spider.throttle.check_quota()
        except QuotaStop as stop:
            lock.release()
            spider.stop = spider.stop or stop
            raise IgnoreRequest("quota floor") from None
        request.meta["se_lock"] = lock
        wait = spider.throttle.reserve(method) + float(request.meta.get("se_delay", 0.0))
        if wait > 0:
            await asyncio.sleep(wait)
        spider.requests += 1
        return None

    @staticmethod
    def _release(request: scrapy.Request) -> None:
        lock = request.meta.pop("se_lock", None)
        if lock is not None and lock.locked():
            lock.release()

    def process_response(self, request: scrapy.Request, response: Response) -> Response:
        # Learn the backoff before the next call of this method may go: the callback runs
        # only after the lock is free, which is too late.
        spider = request.meta.get("se_spider")
        if spider is not None:
            try:
                wrapper = decode_body(response.body)
            except (ValueError, OSError, EOFError):
                wrapper = None
            if wrapper is not None:
                spider.throttle.observe(request.meta["se_method"], wrapper)
                request.meta["se_wrapper"] = wrapper
        self._release(request)
        return response

    def process_exception(self, request: scrapy.Request, exception: Exception) -> None:
        self._release(request)
        return None


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
        self._tags_left = len(crawl.pending_tags())
        self._shortlist = crawl.shortlist()

    # -- requests ------------------------------------------------------------------------

    def request(
        self, method: str, path: str, params: dict[str, Any], callback: Any, **cb: Any
    ) -> scrapy.Request:
        query = {"site": self.crawl.site, "filter": self.filter_name, **params}
        if self._key:
            query["key"] = self._key
        meta = {
            "se_method": method,
            "se_spider": self,
            "se_attempt": 0,
            "se_params": params,
            "se_path": path,
        }
        return scrapy.Request(
            f"{self.api}{path}?{urlencode(query)}",
            callback=callback,
            errback=self.failed,
            meta=meta,
            cb_kwargs=cb,
            dont_filter=True,
        )

    async def start(self) -> AsyncIterator[Any]:
        pending = self.crawl.pending_tags()
        if not pending:
            for request in self.profile_requests():
                yield request
            return
        for tag, page in pending:
            yield self.top_answerers(tag, page)

    def top_answerers(self, tag: str, page: int) -> scrapy.Request:
        return self.request(
            "/tags/{tag}/top-answerers/{period}",
            f"/tags/{tag_path(tag)}/top-answerers/{self.crawl.period}",
            {"page": page, "pagesize": 100},
            self.on_top_answerers,
            tag=tag,
            page=page,
        )

    def profile_requests(self) -> Iterator[scrapy.Request]:
        self._shortlist = self.crawl.shortlist()
        for batch in self.crawl.batches():
            params: dict[str, Any] = {"pagesize": 100}
            if batch.since is not None:
                params.update(sort="modified", min=batch.since)
            yield self.request(
                "/users/{ids}", f"/users/{ids_path(batch.ids)}", params, self.on_users, batch=batch
            )

    # -- answers -------------------------------------------------------------------------

    def answer(self, response: Response) -> dict[str, Any] | scrapy.Request | None:
        """The wrapper; or a retry of the request; or None when the request is given up."""
        method = response.meta["se_method"]
        problem = ""
        # Decoded (and its quota/backoff observed) by ThrottleMiddleware.
        wrapper: dict[str, Any] | None = response.meta.get("se_wrapper")
        if wrapper is None:
            problem = "a body that is not an API response"
        elif response.status != 200 and "error_id" not in wrapper:
            wrapper, problem = None, f"HTTP {response.status}"
        elif "items" not in wrapper and "error_id" not in wrapper:
            wrapper, problem = None, "a wrapper without items"
        if wrapper is not None:
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
            problem = name
        return self.retry(response.request, problem=problem)

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
        retry = request.replace(dont_filter=True)
        retry.meta.update(se_attempt=attempt, se_delay=min(0.2 * 2**attempt, 5.0) if count else 0)
        return retry

    def failed(self, failure: Any) -> Iterator[Any]:
        request = failure.request
        if failure.check(IgnoreRequest):
            if self.stop is not None:
                raise CloseSpider("quota")
            return
        again = self.retry(request, problem=type(failure.value).__name__)
        if again is not None:
            yield again
        else:
            yield from self._gave_up(request)

    def _gave_up(self, request: scrapy.Request) -> Iterator[Any]:
        # A tag that could not be listed still lets the others move on to profiles; its
        # cursor stays open, so the next run asks again.
        if request.meta["se_method"].startswith("/tags/"):
            yield from self._tag_finished()

    def _tag_finished(self) -> Iterator[scrapy.Request]:
        self._tags_left -= 1
        if self._tags_left == 0:
            yield from self.profile_requests()

    def on_top_answerers(self, response: Response, tag: str, page: int) -> Iterator[Any]:
        got = self.answer(response)
        if isinstance(got, scrapy.Request):
            yield got
            return
        if got is None:
            yield from self._tag_finished()
            return
        self.crawl.save_discovery(tag, page, got)
        self._report()
        if not self.crawl.tag_state[tag]["done"]:
            yield self.top_answerers(tag, page + 1)
        else:
            yield from self._tag_finished()

    def on_users(self, response: Response, batch: Batch) -> Iterator[Any]:
        got = self.answer(response)
        if not isinstance(got, dict):
            if got is not None:
                yield got
            return
        users = list(got.get("items") or [])
        acc: dict[str, Any] = {"users": users, "tags": [], "top": {}, "pending": 0}
        self.run_stats["users_requests"] += 1
        self.run_stats["users_returned"] += len(users)
        ids = [int(u["user_id"]) for u in users if "user_id" in u]
        if not ids:
            yield self.crawl.batch_item(batch, users, [], {})
            return
        yield self.tags_request(batch, ids, acc, 1)

    def tags_request(
        self, batch: Batch, ids: list[int], acc: dict[str, Any], page: int
    ) -> scrapy.Request:
        return self.request(
            "/users/{ids}/tags",
            f"/users/{ids_path(ids)}/tags",
            {"page": page, "pagesize": 100},
            self.on_tags,
            batch=batch,
            ids=ids,
            acc=acc,
            page=page,
        )

    def on_tags(
        self, response: Response, batch: Batch, ids: list[int], acc: dict[str, Any], page: int
    ) -> Iterator[Any]:
        got = self.answer(response)
        if not isinstance(got, dict):
            if got is not None:
                yield got
            return
        acc["tags"].extend(got.get("items") or [])
        if got.get("has_more") and got.get("items"):
            yield self.tags_request(batch, ids, acc, page + 1)
            return
        deep = [i for i in ids if i in self._shortlist]
        if not deep:
            yield self.crawl.batch_item(batch, acc["users"], acc["tags"], {})
            return
        acc["pending"] = len(deep)
        for uid in deep:
            yield self.request(
                "/users/{id}/top-answer-tags",
                f"/users/{uid}/top-answer-tags",
                {"pagesize": 100},
                self.on_top_tags,
                batch=batch,
                uid=uid,
                acc=acc,
            )

    def on_top_tags(
        self, response: Response, batch: Batch, uid: int, acc: dict[str, Any]
    ) -> Iterator[Any]:
        got = self.answer(response)
        if isinstance(got, scrapy.Request):
            yield got
            return
        if got is not None:
            acc["top"][uid] = list(got.get("items") or [])
            self.run_stats["top_answer_tags_requests"] += 1
        # A shortlisted user whose detail call failed is stored with the lighter tag data.
        acc["pending"] -= 1
        if acc["pending"] == 0:
            yield self.crawl.batch_item(batch, acc["users"], acc["tags"], acc["top"])

    def on_page_stored(self, item: PageItem) -> None:
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self)


def spider_settings(settings: Any) -> dict[str, Any]:
    return {
        "ITEM_PIPELINES": ITEM_PIPELINES,
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.stackexchange.spider.ThrottleMiddleware": 560,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        },
        "HTTPERROR_ALLOW_ALL": True,
        "ROBOTSTXT_OBEY": False,  # an API, not HTML pages
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "DOWNLOAD_DELAY": 0,
        "DOWNLOAD_TIMEOUT": settings.http_timeout,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_ENABLED": False,
        "USER_AGENT": "talent-scout (+stackexchange)",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    }


def run_spider(
    crawl: Crawl,
    throttle: Throttle,
    filter_name: str,
    progress: Callable[[StackOverflowSpider], None] | None = None,
) -> StackOverflowSpider:
    """Run the crawl in this process (once: the reactor cannot restart) and return the spider."""
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(spider_settings(crawl.settings), install_root_handler=False)
    for name in ("scrapy", "twisted", "py.warnings"):
        # CrawlerProcess resets these; keep Scrapy's per-request lines (URLs) out of the log.
        logging.getLogger(name).setLevel(logging.WARNING)
    crawler = process.create_crawler(StackOverflowSpider)
    process.crawl(
        crawler, crawl=crawl, throttle=throttle, filter_name=filter_name, progress=progress
    )
    process.start()
    spider = crawler.spider
    assert isinstance(spider, StackOverflowSpider)
    return spider


__all__ = ["RequestFailed", "StackOverflowSpider", "ThrottleMiddleware", "run_spider"]
